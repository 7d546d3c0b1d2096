// The studio's state, as one zustand store made of typed slices. Each slice
// keeps its values and the actions that change them side by side; the worker's
// events come in through `handleEvent` (events.ts), the only place that
// translates the protocol into state.

import type { ModelConfig } from '../model/config';
import type { ErrorCode, RequestType, WorkerEvent } from '../worker/protocol';
import type { BackendChoice, BackendName, BackendReport } from '../worker/backends';
import type { GenerateOptions } from '../model/sampling';
import type { EditableTrainOption, TrainOptions, TuningMode } from '../train/options';
import type { LoraTargetSet } from '../model/lora';
import type { DataReport, LossPoint, TrainState } from '../train/run';
import type { WorkerClient } from './workerClient';
import type { DatasetsSlice } from './datasets/state';
import type { DatasetsService } from './datasets/service';
import type { CheckpointsSlice } from './checkpoints/state';
import type { CheckpointsService } from './checkpoints/service';
import type { CompareSlice } from './compare/state';
import type { TrainingService } from './training/service';
import type { CompareService } from './compare/service';
import type { LessonsSlice } from './lessons/state';
import type { LessonsService } from './lessons/service';
import type { WorkshopSlice } from './workshop/state';
import type { WorkshopService } from './workshop/service';
import type { PromptTemplate } from '../data/templates';

export type { BackendChoice, EditableTrainOption, LossPoint };
export type BackendStatus = 'off' | 'starting' | 'ready' | 'failed';

export interface BackendSlice {
  /** What the user asked for; 'auto' lets the worker try WebGPU, WebGL, WASM, CPU in turn. */
  backendChoice: BackendChoice;
  backendStatus: BackendStatus;
  /** The worker's account of the backend it runs and the ones it passed over. */
  backendReport: BackendReport | null;
  /** Starts the worker on the chosen backend; does nothing once started. */
  initBackend: () => void;
  /** Restarts the worker on another backend. A model that existed is recreated, untrained. */
  setBackendChoice: (choice: BackendChoice) => void;
}

export type ModelStatus = 'none' | 'creating' | 'ready' | 'failed';

/**
 * How far the page has got opening the shipped base model (src/store/startup.ts),
 * shown instead of an empty studio: what it is doing now, bytes read while it
 * downloads, and the message when it failed. Null when it is not opening one.
 */
export interface StartupProgress {
  phase: 'backend' | 'index' | 'download' | 'load' | 'failed';
  /** What is happening, as the page says it ("Downloading Base model…"). */
  text: string;
  loaded?: number;
  total?: number | null;
}

/** The model the worker holds, as it reported it. */
export interface ModelInfo {
  config: ModelConfig;
  paramCount: number;
  tokenizerVocab: number;
  name: string;
  /** True once the user gave the model its name: training then keeps it. */
  named?: boolean;
}

/** What the last createModel sent, so a backend switch can build the same model again. */
export interface CreateRequest {
  config: ModelConfig;
  seed: number;
  text: string;
}

export interface ModelSlice {
  /** A preset id, or 'custom' once a field no longer matches any preset. Persisted. */
  presetId: string;
  /** The config being edited; fields may be NaN while the user types. */
  draftConfig: ModelConfig;
  /** Seeds the initial weights and the batch order of training. */
  modelSeed: number;
  model: ModelInfo | null;
  modelStatus: ModelStatus;
  lastCreate: CreateRequest | null;
  /** Set while a backend switch waits for the new worker before recreating the model. */
  recreateOnReady: boolean;
  startup: StartupProgress | null;
  choosePreset: (id: string) => void;
  setConfigField: (field: keyof ModelConfig, value: number) => void;
  setModelSeed: (seed: number) => void;
  /** Sends the draft config to the worker, with a BPE tokenizer trained on the training text. */
  createModel: () => void;
  /**
   * Gives the model in the studio the user's own name (kept as it trains, and in its
   * checkpoints). Resolves null when renamed, or the message saying why not.
   */
  renameModel: (name: string) => Promise<string | null>;
}

/** The train request the UI has sent and is waiting on. */
export type TrainRequest = 'start' | 'pause' | 'resume' | 'stop';

/** What a run learns from: the training text, the selected instruction dataset, or both mixed. */
export type TrainDataKind = 'text' | 'instructions' | 'mix';


export interface TrainingSlice {
  trainText: string;
  /** Learn from the training text, the selected instruction dataset, or the two mixed. */
  trainDataKind: TrainDataKind;
  /** With trainDataKind 'mix': the share of batches drawn from the instruction dataset. */
  mixShare: number;
  /** How the worker encoded the instruction dataset of the current run. */
  dataReport: DataReport | null;
  trainOptions: TrainOptions;
  trainState: TrainState;
  /** A request sent but not yet answered by a trainState event; buttons wait on it. */
  trainRequested: TrainRequest | null;
  step: number;
  totalSteps: number;
  /** Latest training loss; null before the first step of a run. */
  loss: number | null;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  /** Null until the run has timed a few steps. */
  etaSec: number | null;
  elapsedSec: number;
  /** The worker's note on the last state change (why it failed, for example). */
  trainMessage: string | null;
  /** Training loss at every step of the current run, for the chart. */
  lossHistory: LossPoint[];
  /** Validation loss on held-out text, at each evaluation of the current run. */
  valHistory: LossPoint[];
  /** Set when the worker lost its device and restored the model from a snapshot. */
  recovered: { message: string; step: number; backend: BackendName } | null;
  memory: { numTensors: number; numBytes: number } | null;
  setTrainText: (text: string) => void;
  setTrainDataKind: (kind: TrainDataKind) => void;
  setMixShare: (share: number) => void;
  setTrainOption: (key: EditableTrainOption, value: number) => void;
  /** Full tuning, or LoRA adapters on the frozen model (rank and alpha are train options). */
  setTrainTuning: (mode: TuningMode) => void;
  /** Where a LoRA run's adapters go: every attention and MLP projection, or the attention's only. */
  setTrainLoraTargets: (targets: LoraTargetSet) => void;
  startTraining: () => void;
  pauseTraining: () => void;
  resumeTraining: () => void;
  stopTraining: () => void;
  dismissRecovered: () => void;
}

export interface GenerationSlice {
  prompt: string;
  /** Sampling settings. Persisted. */
  genOptions: GenerateOptions;
  /** The prompt of the current (or last) request, shown before its output. */
  genPrompt: string;
  /** The generated text so far, streamed token by token; the prompt is not included. */
  genText: string;
  genRunning: boolean;
  /** Id of the current (or last) generate request; events for other ids are ignored. */
  genId: number | null;
  genTokenCount: number;
  genTokensPerSec: number;
  genStartedAt: number;
  genDoneReason: 'maxTokens' | 'eos' | 'cancelled' | 'failed' | null;
  /** Format the prompt as an instruction with the selected template (as training does). */
  genFormat: boolean;
  /** The exact prompt text the worker gave the model (after formatting). */
  genPromptText: string | null;
  /** The template the current generation was formatted with, to pick the answer out. */
  genTemplate: PromptTemplate | null;
  setGenFormat: (on: boolean) => void;
  setPrompt: (prompt: string) => void;
  setGenOption: <K extends keyof GenerateOptions>(key: K, value: GenerateOptions[K]) => void;
  generate: () => void;
  cancelGenerate: () => void;
}

export interface StudioError {
  key: number;
  /** The request that failed, or 'ui' for a problem found before anything was sent. */
  request: RequestType | 'ui' | 'worker';
  code: ErrorCode;
  message: string;
  /** How many times in a row this same error arrived. */
  count: number;
  at: number;
}

export interface ErrorsSlice {
  errors: StudioError[];
  pushError: (e: Pick<StudioError, 'request' | 'code' | 'message'>) => void;
  dismissError: (key: number) => void;
  clearErrors: () => void;
}

export interface EventSlice {
  /** Applies one event from the worker to the store. */
  handleEvent: (ev: WorkerEvent) => void;
}

export type StudioState = BackendSlice & ModelSlice & TrainingSlice & GenerationSlice & ErrorsSlice & EventSlice & DatasetsSlice & CheckpointsSlice & CompareSlice & LessonsSlice & WorkshopSlice;

/** What the slices share besides the store: the worker client and a clock (both fakeable). */
export interface StudioContext {
  client: WorkerClient;
  /** Milliseconds, monotonic enough for rates. */
  now: () => number;
  /** The datasets' work: storage, imports, starters, statistics, the tokenizer fetch. */
  datasets: DatasetsService;
  /** Checkpoint and run storage, autosave, resuming, import and export. */
  checkpoints: CheckpointsService;
  /** Shipped models, comparison slots, parallel answers and batch evaluation. */
  compare: CompareService;
  /** Planning a run and its requests to the worker. */
  training: TrainingService;
  /** The lessons' next-token probabilities, shipped tokenizers and starter examples. */
  lessons: LessonsService;
  /** Workshop packs: chosen datasets, checkpoints and lesson progress in one file, out and in. */
  workshop: WorkshopService;
}

/** The per-run values a new run or a new model clears (training/slice.ts's runReset). */
export type RunValueKey = 'step' | 'totalSteps' | 'loss' | 'lr' | 'gradNorm' | 'tokensPerSec' | 'etaSec' | 'elapsedSec' | 'lossHistory' | 'valHistory';
/** The per-generation values a new model clears (generationSlice's generationReset). */
export type GenerationValueKey = 'genText' | 'genRunning' | 'genId' | 'genTokenCount' | 'genTokensPerSec' | 'genDoneReason' | 'genPromptText' | 'genTemplate';

/**
 * A slice: its own state and actions, built over the shared context. `Needs`
 * names the keys of other slices it reads, writes or calls, so a slice's reach
 * shows in its signature (a slice that has not narrowed it sees everything).
 */
export type SliceCreator<Own, Needs extends keyof StudioState = keyof StudioState> = (
  ctx: StudioContext,
) => (set: (partial: Partial<Own & Pick<StudioState, Needs>>) => void, get: () => Own & Pick<StudioState, Needs>) => Own;
