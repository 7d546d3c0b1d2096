// What the checkpoints slice holds and offers: stored checkpoints, the autosave
// setting, the run a reload can resume, and the storage the browser grants.
// Types and constants only, so the store's StudioState can compose it without
// importing the slice.

import type { CheckpointMeta, PersistenceState } from '../../storage/checkpoints';
import type { TrainOptions } from '../../train/options';
import type { TrainingData, TrainState } from '../../train/run';
import type { EventOf } from '../../worker/protocol';

export const DEFAULT_AUTOSAVE_EVERY = 25;
/** Autosave also after this many seconds of training, whatever the steps: a crash loses at most a minute. */
export const AUTOSAVE_EVERY_SEC = 60;

/** A run that was in progress when the page went away, and the autosave it can resume from. */
export interface InterruptedRun {
  runId: string;
  modelName: string;
  checkpointId: string;
  /** The run step the autosave holds, of the run's total. */
  runStep: number;
  totalSteps: number;
  savedAt: number;
}

/** A model to load into the main slot: a checkpoint file (config and tokenizer inside), or safetensors weights with their config.json and tokenizer.json. */
export interface MainModelFiles {
  name: string;
  /** The user gave the model this name: training keeps it. */
  named?: boolean;
  safetensors: ArrayBuffer;
  configJson?: string;
  tokenizerJson?: string;
}

export interface CheckpointsSlice {
  checkpoints: CheckpointMeta[];
  /** False until the stored list has been read once. */
  checkpointsLoaded: boolean;
  /** Why checkpoints cannot be stored or read in this window, when they cannot. */
  checkpointsUnavailable: string | null;
  /** Autosave every this many steps of a run (and on pause, stop, finish). */
  autosaveEvery: number;
  autosaveEnabled: boolean;
  /** Set when a full disk turned autosave off: what happened and what to delete. */
  autosaveStopped: string | null;
  /** The last autosave stored (its write committed): only then does the UI say the run is saved. */
  lastAutosave: { runStep: number; totalSteps: number; at: number } | null;
  /** An autosave taken by the worker and being written now (e.g. on pause or stop); null when none is. */
  autosaveInFlight: { runStep: number; reason: string } | null;
  /** What the checkpoints view is doing, for its buttons: 'save', 'import', 'load:<id>', 'export:<id>', ... */
  checkpointBusy: string | null;
  /** The outcome of the last action in the checkpoints view. */
  checkpointNotice: { kind: 'ok' | 'error'; text: string } | null;
  storageUsage: { usage: number; quota: number } | null;
  persistence: PersistenceState | 'unknown';
  interruptedRun: InterruptedRun | null;
  resumingRun: boolean;
  /** The run the worker is training (or last trained) in this page. */
  activeRunId: string | null;

  initCheckpoints: () => Promise<void>;
  /** Loads a model into the studio (the main slot); rejects with the worker's error. */
  loadIntoMain: (model: MainModelFiles) => Promise<void>;
  refreshCheckpoints: () => Promise<void>;
  setAutosaveEvery: (n: number) => void;
  setAutosaveEnabled: (on: boolean) => void;
  saveCheckpointNow: () => Promise<void>;
  renameCheckpoint: (id: string, name: string) => Promise<boolean>;
  deleteCheckpoint: (id: string) => Promise<void>;
  /** Loads a checkpoint into the studio as the model to train and generate from. */
  loadCheckpoint: (id: string) => Promise<void>;
  /** Continues the run a checkpoint was saved from, where its run record still exists. */
  continueRunFrom: (checkpointId: string) => Promise<void>;
  exportCheckpointFile: (id: string) => Promise<{ fileName: string; bytes: ArrayBuffer } | null>;
  exportCheckpointHfZip: (id: string) => Promise<{ fileName: string; bytes: Uint8Array } | null>;
  importCheckpointFile: (fileName: string, bytes: ArrayBuffer) => Promise<CheckpointMeta | null>;
  /**
   * Imports a Hugging Face GPT-2 model as a checkpoint: one zip of its folder, or the
   * folder's files (model.safetensors, config.json, tokenizer.json, optional
   * tokenizer_config.json). Refused whole, naming file and field, before anything is stored.
   */
  importHfModel: (files: ReadonlyArray<{ name: string; bytes: ArrayBuffer }>) => Promise<CheckpointMeta | null>;
  requestPersistence: () => Promise<void>;
  resumeInterruptedRun: () => Promise<void>;
  dismissInterruptedRun: () => Promise<void>;
  dismissCheckpointNotice: () => void;
  /** A new run is starting: record its data and settings and mark it active. */
  recordRunStart: (data: TrainingData, options: TrainOptions) => void;
  /** Tells a (fresh) worker the autosave setting. */
  sendAutosaveSetting: () => void;
  /** The worker's run changed state: keep the run record's status with it. */
  onRunStatus: (state: TrainState) => void;
  /** Another tab stored, renamed or deleted the checkpoint `id`: read the list again. */
  onCheckpointChanged: (id: string) => Promise<void>;
  /**
   * The user renamed the model in the studio: its run's autosave takes the name too, so
   * the checkpoint list and the resume offer say it. Resolves null, or why storing it failed.
   */
  onModelRenamed: (name: string) => Promise<string | null>;
  /** The worker took a checkpoint by itself: store it as the active run's autosave. */
  onAutoCheckpoint: (ev: EventOf<'autoCheckpoint'>) => void;
}
