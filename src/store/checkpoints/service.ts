// Checkpoints and runs that survive a reload, without zustand or React: the
// store's side of src/storage and the worker's checkpoint requests.
//
// - Every training run is recorded (its data and settings) and marked active;
//   the worker's autosaves (every N steps and when the run pauses, stops or
//   finishes) are stored as that run's one autosave checkpoint, replaced in place.
// - After a reload, a crash or a closed tab, the active run is offered for
//   resuming; prepareResume checks its autosave and run record still fit
//   together, so training continues from that step with the same batches.
// - A full disk is told apart from other failures, so autosave can stop with
//   a message naming what to delete; a failed save never touches stored checkpoints.
// Storage writes run one at a time, in the order they were asked for.

import { dataFingerprint } from '../../train/fingerprint';
import { hfZip } from '../../checkpoint/hf';
import { hfCheckpointFromFiles, isZip, unzipHfFolder } from '../../checkpoint/hfImport';
import { readInfo, type CapturedCheckpoint } from '../../checkpoint/info';
import type { DeviceLimits } from '../../model/config';
import type { Example } from '../../data/schema';
import {
  CheckpointRepository,
  CheckpointStorageError,
  modelNameOf,
  persistenceState,
  requestPersistentStorage,
  storageEstimate,
  type CheckpointMeta,
  type PersistenceState,
} from '../../storage/checkpoints';
import { browserLocks, runLockName, type LockHold, type Locks } from '../../storage/locks';
import { autosaveId, CHECKPOINT_SETTINGS_KEY, RunRepository, type RunRecord } from '../../storage/runs';
import type { TrainOptions } from '../../train/options';
import type { RunState, TrainingData, TrainState } from '../../train/run';
import { messageOf } from '../../util/errors';
import type { WorkerClient } from '../workerClient';
import { AUTOSAVE_EVERY_SEC, type InterruptedRun, type MainModelFiles } from './state';

export interface CheckpointDeps {
  checkpoints: CheckpointRepository;
  runs: RunRepository;
  estimate: () => Promise<{ usage: number; quota: number } | null>;
  persisted: () => Promise<PersistenceState>;
  persist: () => Promise<PersistenceState>;
  newId: () => string;
  /** Wall-clock milliseconds, for records. */
  wallClock: () => number;
  /** Exclusive holds across tabs (Web Locks): one tab trains a run. */
  locks: Locks;
}

export function defaultCheckpointDeps(over: Partial<CheckpointDeps> = {}): CheckpointDeps {
  return {
    checkpoints: over.checkpoints ?? new CheckpointRepository(),
    runs: over.runs ?? new RunRepository(),
    estimate: over.estimate ?? storageEstimate,
    persisted: over.persisted ?? persistenceState,
    persist: over.persist ?? requestPersistentStorage,
    newId: over.newId ?? randomId,
    wallClock: over.wallClock ?? (() => Date.now()),
    locks: over.locks ?? browserLocks(),
  };
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export interface AutosaveSetting {
  every: number;
  enabled: boolean;
}

/** How storing an autosave went: stored, refused for a full disk (autosave must stop), or failed otherwise. */
export type AutosaveOutcome = { kind: 'saved'; meta: CheckpointMeta } | { kind: 'full' | 'failed'; message: string };

/** A checked resume: the run, and its checkpoint's file and run state. */
export interface ResumePlan {
  run: RunRecord;
  meta: CheckpointMeta;
  bytes: ArrayBuffer;
  runState: RunState;
}

export class CheckpointsService {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: CheckpointDeps,
    private readonly client: Pick<WorkerClient, 'request'>,
  ) {}

  /** Runs storage writes one at a time, in the order their calls came. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writes.then(fn);
    this.writes = next.catch(() => undefined);
    return next;
  }

  // ------------------------------------------------------------ settings

  /** The stored autosave setting; only its well-formed parts. */
  async readAutosaveSetting(): Promise<Partial<AutosaveSetting>> {
    const s = await this.deps.runs.getSetting<{ autosaveEvery?: unknown; autosaveEnabled?: unknown }>(CHECKPOINT_SETTINGS_KEY);
    if (!s) return {};
    const every = s.autosaveEvery;
    return {
      ...(typeof every === 'number' && Number.isInteger(every) && every >= 1 ? { every } : {}),
      ...(typeof s.autosaveEnabled === 'boolean' ? { enabled: s.autosaveEnabled } : {}),
    };
  }

  /** Stores the autosave setting for the next visit; a failure only costs that. */
  storeAutosaveSetting(s: AutosaveSetting): void {
    void this.deps.runs.setSetting(CHECKPOINT_SETTINGS_KEY, { autosaveEvery: s.every, autosaveEnabled: s.enabled }).catch(() => undefined);
  }

  /** Tells the worker when to autosave: every `every` steps and every AUTOSAVE_EVERY_SEC of training, or never. */
  sendAutosaveSetting(s: AutosaveSetting): Promise<null> {
    return this.client.request('setAutosave', { everySteps: s.enabled ? s.every : 0, everySeconds: s.enabled ? AUTOSAVE_EVERY_SEC : 0 });
  }

  // ------------------------------------------------------------ storage

  list(): Promise<CheckpointMeta[]> {
    return this.deps.checkpoints.list();
  }

  /** How much the origin stores of its quota; null when the browser does not say. */
  usage(): Promise<{ usage: number; quota: number } | null> {
    return this.deps.estimate().catch(() => null);
  }

  persisted(): Promise<PersistenceState> {
    return this.deps.persisted();
  }

  requestPersistence(): Promise<PersistenceState> {
    return this.deps.persist();
  }

  // ------------------------------------------------------------ runs

  /** Records a new run and marks it active; `recorded` fails when it could not be stored. */
  startRun(data: TrainingData, options: TrainOptions, modelName: string): { id: string; recorded: Promise<void> } {
    const id = this.deps.newId();
    const now = this.deps.wallClock();
    const record: RunRecord = { id, status: 'running', data, options, modelName, createdAt: now, updatedAt: now };
    return { id, recorded: this.enqueue(() => this.deps.runs.start(record)) };
  }

  /** Keeps the run record's status with the worker's (a run that ended is no longer active). */
  setRunStatus(runId: string, state: TrainState): void {
    if (state !== 'idle') void this.enqueue(() => this.deps.runs.setStatus(runId, state, this.deps.wallClock())).catch(() => undefined);
  }

  /** The run a page that went away left in progress, when its autosave can continue it. */
  async interruptedRun(list: readonly CheckpointMeta[]): Promise<InterruptedRun | null> {
    const active = await this.deps.runs.active();
    if (!active || (active.status !== 'running' && active.status !== 'paused')) return null;
    const ck = list.find((c) => c.id === autosaveId(active.id));
    if (!ck || ck.runStep === null || ck.totalSteps === null || ck.runStep >= ck.totalSteps) return null;
    // The autosave's name says what the model is now ("Your model: tuned from Base model, 40 steps").
    return { runId: active.id, modelName: modelNameOf(ck), checkpointId: ck.id, runStep: ck.runStep, totalSteps: ck.totalSteps, savedAt: ck.savedAt };
  }

  /** The user declined to resume: forget which run was active, so a reload does not offer it again. */
  forgetActiveRun(): Promise<void> {
    return this.enqueue(() => this.deps.runs.clearActive()).catch(() => undefined);
  }

  // ------------------------------------------------------------ checkpoints

  /** Stores a checkpoint the worker took by itself as the run's one autosave, replacing the one before. */
  storeAutosave(runId: string, ev: CapturedCheckpoint): Promise<AutosaveOutcome> {
    return this.enqueue(async (): Promise<AutosaveOutcome> => {
      try {
        return { kind: 'saved', meta: await this.deps.checkpoints.save(ev.bytes, { kind: 'auto', id: autosaveId(runId), runId, info: ev.info, reason: ev.reason }) };
      } catch (e) {
        if (e instanceof CheckpointStorageError && e.kind === 'quota') {
          return { kind: 'full', message: `${e.message} Autosave is now off; turn it back on under Checkpoints once there is room.` };
        }
        return { kind: 'failed', message: `Autosave at step ${ev.info.run?.runStep ?? ev.info.step} failed: ${messageOf(e)}` };
      }
    });
  }

  /** Takes a checkpoint of the model in the worker and stores it; one taken mid-run belongs to `runId`. */
  async saveNow(runId: string | null): Promise<CheckpointMeta> {
    const ev = await this.client.request('captureCheckpoint', {});
    const owner = ev.info.run ? runId : null;
    return this.enqueue(() => this.deps.checkpoints.save(ev.bytes, { kind: 'manual', info: ev.info, reason: 'request', ...(owner ? { runId: owner } : {}) }));
  }

  /** Renames; `basedOn` is the version the list showed, so a rename of a stale entry is refused. */
  rename(id: string, name: string, basedOn?: number): Promise<CheckpointMeta> {
    return this.enqueue(() => this.deps.checkpoints.rename(id, name, basedOn));
  }

  /** Hears other tabs' checkpoint writes; returns the unsubscribe. */
  watchOtherTabs(listener: (id: string) => void): () => void {
    return this.deps.checkpoints.changes.subscribe((c) => {
      if (c.kind === 'checkpoint') listener(c.id);
    });
  }

  /**
   * Holds the run's lock across this origin's tabs while it trains here, so no
   * other tab trains into (or autosaves over) the same run. Null: another tab holds it.
   */
  lockRun(runId: string): Promise<LockHold | null> {
    return this.deps.locks.tryLock(runLockName(runId));
  }

  /** True when a tab of this origin is training the run now. */
  runLockedElsewhere(runId: string): Promise<boolean> {
    return this.deps.locks.held(runLockName(runId));
  }

  delete(id: string): Promise<void> {
    return this.enqueue(() => this.deps.checkpoints.delete(id));
  }

  load(id: string): Promise<{ meta: CheckpointMeta; bytes: ArrayBuffer }> {
    return this.deps.checkpoints.load(id);
  }

  exportFile(id: string): Promise<{ fileName: string; bytes: ArrayBuffer }> {
    return this.deps.checkpoints.exportFile(id);
  }

  /**
   * The checkpoint as a complete Hugging Face folder, zipped. `dataset`: the open
   * dataset; when the checkpoint was tuned on it, its examples go in as TRL JSONL.
   */
  async exportHfZip(id: string, dataset?: { id: string; examples: readonly Example[] } | null): Promise<{ fileName: string; bytes: Uint8Array }> {
    const { meta, bytes } = await this.deps.checkpoints.load(id);
    const run = readInfo(bytes).info.run;
    const same = (run?.dataKind === 'instructions' || run?.dataKind === 'mix') && dataset && run.datasetId === dataset.id;
    return hfZip(meta.name, bytes, same ? dataset.examples : undefined);
  }

  /**
   * Stores a Hugging Face GPT-2 model (a zip of its folder, or the folder's files) as a
   * step-0 checkpoint; refused whole, naming the file and field, before anything is stored.
   */
  importHfModel(files: ReadonlyArray<{ name: string; bytes: ArrayBuffer }>, limits?: DeviceLimits): Promise<{ meta: CheckpointMeta; fileName: string }> {
    const first = files[0];
    if (!first) return Promise.reject(new Error('Choose a zip of a Hugging Face model folder, or its files.'));
    const head = new Uint8Array(first.bytes);
    const zipped = files.length === 1 && isZip(head);
    const byName = zipped ? unzipHfFolder(head, first.name) : new Map(files.map((f) => [f.name, new Uint8Array(f.bytes)]));
    const name = (zipped ? first.name.replace(/\.zip$/i, '') : '') || 'Hugging Face model';
    const { bytes } = hfCheckpointFromFiles(byName, { name, ...(limits ? { limits } : {}), now: this.deps.wallClock() });
    const fileName = zipped ? first.name : files.map((f) => f.name).join(', ');
    return this.enqueue(() => this.deps.checkpoints.importFile(fileName, bytes)).then((meta) => ({ meta, fileName }));
  }

  /** Stores a checkpoint file whole, or refuses it naming why and storing nothing. */
  importFile(fileName: string, bytes: ArrayBuffer): Promise<CheckpointMeta> {
    return this.enqueue(() => this.deps.checkpoints.importFile(fileName, bytes));
  }

  /** Loads a model into the worker's main slot; an empty config or tokenizer comes from the checkpoint file. */
  async loadIntoMain(model: MainModelFiles): Promise<void> {
    await this.client.request('loadModel', { configJson: '', tokenizerJson: '', ...model });
  }

  // ------------------------------------------------------------ resuming

  /**
   * Reads a checkpoint and its run record, and checks the run can go on the
   * same way: it has run state and optimizer moments, steps left, and the
   * stored data still has the fingerprint the checkpoint was trained on.
   */
  async prepareResume(checkpointId: string): Promise<ResumePlan> {
    const { meta, bytes, file } = await this.deps.checkpoints.open(checkpointId);
    const rs = file.info.run;
    if (!rs || !file.info.hasOptimizer) throw new Error(`"${meta.name}" holds no run state to continue; load it instead and start a new run.`);
    if (rs.runStep >= rs.totalSteps) throw new Error(`"${meta.name}" is the end of its run (step ${rs.runStep} of ${rs.totalSteps}): nothing is left to train.`);
    const run = meta.runId ? await this.deps.runs.get(meta.runId) : undefined;
    if (!run) throw new Error(`The data of the run that saved "${meta.name}" is no longer stored, so the run cannot continue the same way. Load the checkpoint and start a new run instead.`);
    if (dataFingerprint(run.data) !== rs.dataHash) throw new Error(`The stored data of this run does not match its checkpoint "${meta.name}", so it cannot continue the same way.`);
    return { run, meta, bytes, runState: rs };
  }

  /** Continues a prepared run in the worker (its checkpoint already loaded) and marks the run active again. */
  resume(plan: ResumePlan): Promise<unknown> {
    const { run, runState: rs } = plan;
    const reply = this.client.request('train', {
      data: run.data,
      options: rs.options,
      resume: {
        runStep: rs.runStep,
        samplerState: rs.samplerState,
        dataHash: rs.dataHash,
        lossHistory: rs.lossHistory,
        valHistory: rs.valHistory,
        // Elapsed time goes on across the resume (absent in checkpoints older than it).
        ...(rs.elapsedSec !== undefined ? { elapsedSec: rs.elapsedSec } : {}),
      },
    });
    void this.enqueue(() => this.deps.runs.start({ ...run, status: 'running', updatedAt: this.deps.wallClock() })).catch(() => undefined);
    return reply;
  }
}
