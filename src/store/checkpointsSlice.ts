// Checkpoints and runs that survive a reload: the store side of src/storage.
//
// - Every training run the store starts is recorded as a run (its data and
//   settings) and marked active; the worker's autosaves (every N steps and when
//   the run pauses, stops or finishes) are stored as that run's one autosave
//   checkpoint, replaced in place.
// - After a reload, a crash or a closed tab, the active run is offered for
//   resuming: its autosave is loaded into the worker and training continues
//   from that step with the same batches, so the loss follows the same curve.
// - A full disk stops autosave with a message naming what to delete; stored
//   checkpoints are never touched by a failed save.

import { dataFingerprint } from '../train/fingerprint';
import { hfZip } from '../checkpoint/hf';
import type { EventOf } from '../worker/protocol';
import type { TrainOptions } from '../train/options';
import type { TrainingData, TrainState } from '../train/run';
import {
  CheckpointRepository,
  CheckpointStorageError,
  persistenceState,
  requestPersistentStorage,
  storageEstimate,
  type CheckpointMeta,
  type PersistenceState,
} from '../storage/checkpoints';
import { autosaveId, CHECKPOINT_SETTINGS_KEY, RunRepository, type RunRecord } from '../storage/runs';
import { formatBytes } from '../util/text';
import { asStudioError } from './errorsSlice';
import type { SliceCreator, StudioState } from './types';
import { runActive } from './selectors';

export interface CheckpointDeps {
  checkpoints: CheckpointRepository;
  runs: RunRepository;
  estimate: () => Promise<{ usage: number; quota: number } | null>;
  persisted: () => Promise<PersistenceState>;
  persist: () => Promise<PersistenceState>;
  newId: () => string;
  /** Wall-clock milliseconds, for records. */
  wallClock: () => number;
  /** Files shipped with the app, by URL relative to the page (shipped models, evaluation sets). */
  fetchText: (url: string) => Promise<string>;
  fetchBytes: (url: string) => Promise<ArrayBuffer>;
}

/** fetch that turns an HTTP error status into an error naming the URL. */
async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`.trim());
  return res;
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
    fetchText: over.fetchText ?? (async (url) => (await fetchOk(url)).text()),
    fetchBytes: over.fetchBytes ?? (async (url) => (await fetchOk(url)).arrayBuffer()),
  };
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

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

export const DEFAULT_AUTOSAVE_EVERY = 25;

/** A model to load into the main slot: a checkpoint file (config and tokenizer inside), or safetensors weights with their config.json and tokenizer.json. */
export interface MainModelFiles {
  name: string;
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
  lastAutosave: { runStep: number; totalSteps: number; at: number } | null;
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
  /** The worker took a checkpoint by itself: store it as the active run's autosave. */
  onAutoCheckpoint: (ev: EventOf<'autoCheckpoint'>) => void;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const createCheckpointsSlice: SliceCreator<CheckpointsSlice> = (ctx) => (set, get) => {
  const deps = ctx.checkpoints;
  const { checkpoints: repo, runs } = deps;
  /** Storage writes happen one at a time, in the order their events came. */
  let writes: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = writes.then(fn);
    writes = next.catch(() => undefined);
    return next;
  };
  let initOnce: Promise<void> | null = null;

  const postAutosave = () => {
    const s = get();
    ctx.client.request('setAutosave', { everySteps: s.autosaveEnabled ? s.autosaveEvery : 0 }).catch((e: unknown) => get().pushError(asStudioError(e)));
  };

  const refreshStorage = async () => {
    set({ storageUsage: await deps.estimate().catch(() => null) });
  };

  const upsert = (meta: CheckpointMeta) => {
    const rest = get().checkpoints.filter((c) => c.id !== meta.id);
    set({ checkpoints: [meta, ...rest].sort((a, b) => b.savedAt - a.savedAt) });
  };

  /** A new run is starting: record its data and settings, and mark it active. */
  const startRun = (req: { data: TrainingData; options: TrainOptions }) => {
    const id = deps.newId();
    const now = deps.wallClock();
    // The new run is now the one a reload would offer; an older interrupted run stays
    // in the list, where "Continue run" still picks it up.
    set({ activeRunId: id, lastAutosave: null, interruptedRun: null });
    const record: RunRecord = { id, status: 'running', data: req.data, options: req.options, modelName: get().model?.name ?? 'Model', createdAt: now, updatedAt: now };
    void enqueue(() => runs.start(record)).catch((e: unknown) => {
      set({ checkpointsUnavailable: `This run cannot be resumed after a reload: ${messageOf(e)}` });
    });
  };

  const storeAutosave = async (ev: EventOf<'autoCheckpoint'>) => {
    const runId = get().activeRunId;
    if (!runId) return;
    try {
      const meta = await repo.save(ev.bytes, { kind: 'auto', id: autosaveId(runId), runId, info: ev.info, reason: ev.reason });
      upsert(meta);
      if (ev.info.run) set({ lastAutosave: { runStep: ev.info.run.runStep, totalSteps: ev.info.run.totalSteps, at: deps.wallClock() } });
      void refreshStorage();
    } catch (e) {
      if (e instanceof CheckpointStorageError && e.kind === 'quota') {
        const text = `${e.message} Autosave is now off; turn it back on under Checkpoints once there is room.`;
        set({ autosaveEnabled: false, autosaveStopped: text });
        postAutosave();
        get().pushError({ request: 'captureCheckpoint', code: 'internal', message: text });
      } else {
        get().pushError({ request: 'captureCheckpoint', code: 'internal', message: `Autosave at step ${ev.info.run?.runStep ?? ev.info.step} failed: ${messageOf(e)}` });
      }
    }
  };

  /** Loads a model (a checkpoint file, or safetensors with config and tokenizer JSON) into the main slot and waits until the worker has it. */
  const loadIntoMain = async (model: MainModelFiles) => {
    set({ modelStatus: 'creating' });
    try {
      await ctx.client.request('loadModel', { configJson: '', tokenizerJson: '', ...model });
    } catch (e) {
      if (get().modelStatus === 'creating') set({ modelStatus: get().model ? 'ready' : 'none' });
      throw e;
    }
  };

  /** Loads a run's checkpoint and continues the run from its step. */
  const resumeFrom = async (checkpointId: string) => {
    const s = get();
    if (s.backendStatus !== 'ready') throw new Error('The trainer is still starting: wait for the backend badge in the header, then resume.');
    if (runActive(s)) throw new Error('A run is in progress: stop it before resuming another.');
    const { meta, bytes, file } = await repo.open(checkpointId);
    const rs = file.info.run;
    if (!rs || !file.info.hasOptimizer) throw new Error(`"${meta.name}" holds no run state to continue; load it instead and start a new run.`);
    if (rs.runStep >= rs.totalSteps) throw new Error(`"${meta.name}" is the end of its run (step ${rs.runStep} of ${rs.totalSteps}): nothing is left to train.`);
    const run = meta.runId ? await runs.get(meta.runId) : undefined;
    if (!run) throw new Error(`The data of the run that saved "${meta.name}" is no longer stored, so the run cannot continue the same way. Load the checkpoint and start a new run instead.`);
    if (dataFingerprint(run.data) !== rs.dataHash) throw new Error(`The stored data of this run does not match its checkpoint "${meta.name}", so it cannot continue the same way.`);
    await loadIntoMain({ name: run.modelName, safetensors: bytes });
    const last = rs.lossHistory.at(-1);
    set({
      activeRunId: run.id,
      interruptedRun: null,
      trainOptions: { ...rs.options },
      ...(run.data.kind === 'text' ? { trainText: run.data.text, trainDataKind: 'text' as const } : { trainDataKind: 'instructions' as const }),
      trainRequested: 'start',
      trainMessage: null,
      recovered: null,
      lossHistory: rs.lossHistory.slice(),
      valHistory: rs.valHistory.slice(),
      step: rs.runStep,
      totalSteps: rs.totalSteps,
      loss: last ? last.loss : null,
      elapsedSec: rs.elapsedSec ?? 0,
      lastAutosave: { runStep: rs.runStep, totalSteps: rs.totalSteps, at: meta.savedAt },
    });
    ctx.client
      .request('train', {
        data: run.data,
        options: rs.options,
        resume: { runStep: rs.runStep, samplerState: rs.samplerState, dataHash: rs.dataHash, lossHistory: rs.lossHistory, valHistory: rs.valHistory, ...(rs.elapsedSec !== undefined ? { elapsedSec: rs.elapsedSec } : {}) },
      })
      .catch((e: unknown) => {
        get().pushError(asStudioError(e));
        set({ trainRequested: null });
      });
    void enqueue(() => runs.start({ ...run, status: 'running', updatedAt: deps.wallClock() })).catch(() => undefined);
  };

  /** Runs a checkpoints-view action with its busy flag, turning failures into a notice. */
  const act = async <T>(busy: string, fn: () => Promise<T>): Promise<T | null> => {
    set({ checkpointBusy: busy, checkpointNotice: null });
    try {
      return await fn();
    } catch (e) {
      set({ checkpointNotice: { kind: 'error', text: messageOf(e) } });
      return null;
    } finally {
      set({ checkpointBusy: null });
    }
  };

  return {
    checkpoints: [],
    checkpointsLoaded: false,
    checkpointsUnavailable: null,
    autosaveEvery: DEFAULT_AUTOSAVE_EVERY,
    autosaveEnabled: true,
    autosaveStopped: null,
    lastAutosave: null,
    checkpointBusy: null,

    recordRunStart: (data, options) => startRun({ data, options }),

    sendAutosaveSetting: () => postAutosave(),

    onRunStatus: (state) => {
      const runId = get().activeRunId;
      if (runId && state !== 'idle') void enqueue(() => runs.setStatus(runId, state, deps.wallClock())).catch(() => undefined);
    },

    onAutoCheckpoint: (ev) => void enqueue(() => storeAutosave(ev)),
    checkpointNotice: null,
    storageUsage: null,
    persistence: 'unknown',
    interruptedRun: null,
    resumingRun: false,
    activeRunId: null,

    loadIntoMain,

    initCheckpoints: () => {
      initOnce ??= (async () => {
        try {
          const settings = await runs.getSetting<{ autosaveEvery?: unknown; autosaveEnabled?: unknown }>(CHECKPOINT_SETTINGS_KEY);
          if (settings) {
            const every = settings.autosaveEvery;
            set({
              ...(typeof every === 'number' && Number.isInteger(every) && every >= 1 ? { autosaveEvery: every } : {}),
              ...(typeof settings.autosaveEnabled === 'boolean' ? { autosaveEnabled: settings.autosaveEnabled } : {}),
            });
            if (get().backendStatus === 'ready') postAutosave();
          }
          const list = await repo.list();
          set({ checkpoints: list, checkpointsLoaded: true });
          // A run still marked active belonged to a page that went away mid-run.
          const active = get().activeRunId === null ? await runs.active() : undefined;
          if (active && (active.status === 'running' || active.status === 'paused')) {
            const ck = list.find((c) => c.id === autosaveId(active.id));
            if (ck && ck.runStep !== null && ck.totalSteps !== null && ck.runStep < ck.totalSteps && get().activeRunId === null) {
              set({
                interruptedRun: { runId: active.id, modelName: active.modelName, checkpointId: ck.id, runStep: ck.runStep, totalSteps: ck.totalSteps, savedAt: ck.savedAt },
              });
            }
          }
        } catch (e) {
          set({ checkpointsLoaded: true, checkpointsUnavailable: messageOf(e) });
        }
        await refreshStorage();
        set({ persistence: await deps.persisted() });
      })();
      return initOnce;
    },

    refreshCheckpoints: async () => {
      await act('refresh', async () => {
        set({ checkpoints: await repo.list(), checkpointsLoaded: true });
        await refreshStorage();
      });
    },

    setAutosaveEvery: (n) => {
      if (!Number.isInteger(n) || n < 1) return;
      set({ autosaveEvery: n });
      postAutosave();
      void runs.setSetting(CHECKPOINT_SETTINGS_KEY, { autosaveEvery: n, autosaveEnabled: get().autosaveEnabled }).catch(() => undefined);
    },

    setAutosaveEnabled: (on) => {
      set({ autosaveEnabled: on, ...(on ? { autosaveStopped: null } : {}) });
      postAutosave();
      void runs.setSetting(CHECKPOINT_SETTINGS_KEY, { autosaveEvery: get().autosaveEvery, autosaveEnabled: on }).catch(() => undefined);
    },

    saveCheckpointNow: async () => {
      if (!get().model) return;
      await act('save', async () => {
        const ev = await ctx.client.request('captureCheckpoint', {});
        const runId = ev.info.run ? get().activeRunId : null;
        const meta = await enqueue(() => repo.save(ev.bytes, { kind: 'manual', info: ev.info, reason: 'request', ...(runId ? { runId } : {}) }));
        upsert(meta);
        set({ checkpointNotice: { kind: 'ok', text: `Saved "${meta.name}" (${formatBytes(meta.sizeBytes)}).` } });
        await refreshStorage();
      });
    },

    renameCheckpoint: async (id, name) => {
      const meta = await act(`rename:${id}`, () => enqueue(() => repo.rename(id, name)));
      if (meta) upsert(meta);
      return meta !== null;
    },

    deleteCheckpoint: async (id) => {
      await act(`delete:${id}`, async () => {
        const name = get().checkpoints.find((c) => c.id === id)?.name ?? 'the checkpoint';
        await enqueue(() => repo.delete(id));
        set({ checkpoints: get().checkpoints.filter((c) => c.id !== id), checkpointNotice: { kind: 'ok', text: `Deleted "${name}".` } });
        if (get().interruptedRun?.checkpointId === id) set({ interruptedRun: null });
        // A deleted checkpoint cannot be compared: free its column and its slot in the worker.
        if (get().compareSelection.includes(`ckpt:${id}`)) get().toggleCompareModel(`ckpt:${id}`);
        await refreshStorage();
      });
    },

    loadCheckpoint: async (id) => {
      await act(`load:${id}`, async () => {
        const s = get();
        if (s.backendStatus !== 'ready') throw new Error('The trainer is still starting: wait for the backend badge in the header.');
        if (runActive(s)) throw new Error('Stop training before loading another model.');
        const { meta, bytes } = await repo.load(id);
        await loadIntoMain({ name: meta.name, safetensors: bytes });
        set({ checkpointNotice: { kind: 'ok', text: `Loaded "${meta.name}" (step ${meta.step}) into the studio.` } });
      });
    },

    continueRunFrom: async (checkpointId) => {
      await act(`continue:${checkpointId}`, () => resumeFrom(checkpointId));
    },

    exportCheckpointFile: (id) => act(`export:${id}`, () => repo.exportFile(id)),

    exportCheckpointHfZip: (id) => act(`zip:${id}`, () => repo.load(id).then(({ meta, bytes }) => hfZip(meta.name, bytes))),

    importCheckpointFile: (fileName, bytes) =>
      act('import', async () => {
        const meta = await enqueue(() => repo.importFile(fileName, bytes));
        upsert(meta);
        set({ checkpointNotice: { kind: 'ok', text: `Imported "${meta.name}" from ${fileName} (step ${meta.step}, ${formatBytes(meta.sizeBytes)}).` } });
        await refreshStorage();
        return meta;
      }),

    requestPersistence: async () => {
      set({ persistence: await deps.persist() });
    },

    resumeInterruptedRun: async () => {
      const ir = get().interruptedRun;
      if (!ir || get().resumingRun) return;
      set({ resumingRun: true });
      try {
        await resumeFrom(ir.checkpointId);
      } catch (e) {
        get().pushError({ request: 'ui', code: 'bad-input', message: `Could not resume the run: ${messageOf(e)}` });
      } finally {
        set({ resumingRun: false });
      }
    },

    dismissInterruptedRun: async () => {
      // The offer goes once the choice is stored, so a reload right after never brings it back.
      await enqueue(() => runs.clearActive()).catch(() => undefined);
      set({ interruptedRun: null });
    },

    dismissCheckpointNotice: () => set({ checkpointNotice: null }),
  };
};

/** True when nothing would stop the Resume button from working now. */
export function canResume(s: Pick<StudioState, 'backendStatus' | 'trainState' | 'resumingRun'>): boolean {
  return s.backendStatus === 'ready' && !runActive(s) && !s.resumingRun;
}
