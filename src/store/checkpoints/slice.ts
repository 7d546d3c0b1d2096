// Checkpoints, autosave and resuming as state. The storage and worker work is
// CheckpointsService's (ctx.checkpoints); this slice keeps the list, the
// autosave setting and the resume offer on screen, and turns failures into the
// checkpoints view's notice or the error banner.

import { checkpointVersion, modelNameOf, type CheckpointMeta } from '../../storage/checkpoints';
import { runLockName, type LockHold } from '../../storage/locks';
import { autosaveId } from '../../storage/runs';
import { formatBytes } from '../../util/text';
import { messageOf } from '../../util/errors';
import { checkpointKey } from '../compare/state';
import { asStudioError } from '../errorsSlice';
import { runActive } from '../selectors';
import type { SliceCreator, StudioState } from '../types';
import { DEFAULT_AUTOSAVE_EVERY, type CheckpointsSlice, type MainModelFiles } from './state';

/** What the slice reads or writes of other slices: the model and backend, the run it resumes, errors, the comparison. */
type Needs =
  | 'model'
  | 'modelStatus'
  | 'backendStatus'
  | 'trainState'
  | 'trainOptions'
  | 'trainText'
  | 'trainDataKind'
  | 'mixShare'
  | 'trainRequested'
  | 'trainMessage'
  | 'recovered'
  | 'lossHistory'
  | 'valHistory'
  | 'step'
  | 'totalSteps'
  | 'loss'
  | 'elapsedSec'
  | 'pushError'
  | 'compareSelection'
  | 'toggleCompareModel'
  | 'backendReport'
  | 'activeDataset'
  | 'genFormat';

export const createCheckpointsSlice: SliceCreator<CheckpointsSlice, Needs> = (ctx) => (set, get) => {
  const svc = ctx.checkpoints;
  let initOnce: Promise<void> | null = null;
  /** Autosaves received and not yet stored (they are written one at a time). */
  let autosavesPending = 0;
  /** The Web Lock on the run this tab trains, held from its start until it ends. */
  let runLock: LockHold | null = null;
  const releaseRunLock = () => {
    runLock?.release();
    runLock = null;
  };
  /** Takes the run's lock for this tab; throws when another tab is training that run. */
  const lockRun = async (runId: string) => {
    if (runLock?.name === runLockName(runId)) return;
    const hold = await svc.lockRun(runId);
    if (!hold) {
      throw new Error('This run is being trained in another tab or window of the studio. Continue it there, or stop it there first; two tabs never train the same run.');
    }
    releaseRunLock();
    runLock = hold;
  };

  const autosaveSetting = () => ({ every: get().autosaveEvery, enabled: get().autosaveEnabled });

  const postAutosave = () => {
    svc.sendAutosaveSetting(autosaveSetting()).catch((e: unknown) => get().pushError(asStudioError(e)));
  };

  const refreshStorage = async () => {
    set({ storageUsage: await svc.usage() });
  };

  const upsert = (meta: CheckpointMeta) => {
    const rest = get().checkpoints.filter((c) => c.id !== meta.id);
    set({ checkpoints: [meta, ...rest].sort((a, b) => b.savedAt - a.savedAt) });
  };

  /** Loads a model into the main slot and waits until the worker has it; the model slice shows it loading. */
  const loadIntoMain = async (model: MainModelFiles) => {
    set({ modelStatus: 'creating' });
    try {
      await svc.loadIntoMain(model);
    } catch (e) {
      if (get().modelStatus === 'creating') set({ modelStatus: get().model ? 'ready' : 'none' });
      throw e;
    }
  };

  /** Loads a run's checkpoint and continues the run from its step, its curve as it was. */
  const resumeFrom = async (checkpointId: string) => {
    const s = get();
    if (s.backendStatus !== 'ready') throw new Error('The trainer is still starting: wait for the backend badge in the header, then resume.');
    if (runActive(s)) throw new Error('A run is in progress: stop it before resuming another.');
    const plan = await svc.prepareResume(checkpointId);
    const { run, meta, runState: rs } = plan;
    await lockRun(run.id);
    // Under the checkpoint's own name, so steps trained after it add to the steps it says it has.
    try {
      await loadIntoMain({ name: modelNameOf(meta), named: meta.named, safetensors: plan.bytes });
    } catch (e) {
      releaseRunLock();
      throw e;
    }
    const last = rs.lossHistory.at(-1);
    set({
      activeRunId: run.id,
      interruptedRun: null,
      trainOptions: { ...rs.options },
      ...(run.data.kind === 'text'
        ? { trainText: run.data.text, trainDataKind: 'text' as const }
        : run.data.kind === 'mix'
          ? { trainText: run.data.text, trainDataKind: 'mix' as const, mixShare: run.data.instructionShare }
          : { trainDataKind: 'instructions' as const }),
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
    svc.resume(plan).catch((e: unknown) => {
      releaseRunLock();
      get().pushError(asStudioError(e));
      set({ trainRequested: null });
    });
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
    autosaveInFlight: null,
    checkpointBusy: null,
    checkpointNotice: null,
    storageUsage: null,
    persistence: 'unknown',
    interruptedRun: null,
    resumingRun: false,
    activeRunId: null,

    recordRunStart: (data, options) => {
      const { id, recorded } = svc.startRun(data, options, get().model?.name ?? 'Model');
      // The new run is now the one a reload would offer; an older interrupted run stays
      // in the list, where "Continue run" still picks it up.
      set({ activeRunId: id, lastAutosave: null, interruptedRun: null });
      // A fresh id: no other tab can hold its lock, so this only keeps others from resuming it while it trains.
      void lockRun(id).catch(() => undefined);
      recorded.catch((e: unknown) => set({ checkpointsUnavailable: `This run cannot be resumed after a reload: ${messageOf(e)}` }));
    },

    sendAutosaveSetting: () => postAutosave(),

    onRunStatus: (state) => {
      const runId = get().activeRunId;
      if (runId) svc.setRunStatus(runId, state);
      // Paused, the run stays this tab's; ended, another tab may continue it.
      if (state === 'done' || state === 'stopped' || state === 'failed') releaseRunLock();
    },

    onCheckpointChanged: async () => {
      try {
        set({ checkpoints: await svc.list(), checkpointsLoaded: true });
      } catch {
        // The list stays as it was; the next action names what is wrong.
      }
    },

    onModelRenamed: async (name) => {
      const runId = get().activeRunId;
      const autosave = runId ? get().checkpoints.find((c) => c.id === autosaveId(runId)) : undefined;
      if (!autosave) return null;
      try {
        upsert(await svc.rename(autosave.id, name));
        return null;
      } catch (e) {
        return `The model is renamed, but its autosave kept its old name: ${messageOf(e)}`;
      }
    },

    onAutoCheckpoint: (ev) => {
      const runId = get().activeRunId;
      if (!runId) return;
      const inFlight = { runStep: ev.info.run?.runStep ?? ev.info.step, reason: ev.reason };
      autosavesPending++;
      set({ autosaveInFlight: inFlight });
      void svc.storeAutosave(runId, ev).then((out) => {
        // Saves are stored in order; the run shows as being saved until the last one is written.
        const settled = --autosavesPending === 0 ? { autosaveInFlight: null } : {};
        if (out.kind === 'saved') {
          upsert(out.meta);
          // "Saved" only now, once the write has committed.
          set({ ...settled, ...(ev.info.run ? { lastAutosave: { runStep: ev.info.run.runStep, totalSteps: ev.info.run.totalSteps, at: out.meta.savedAt } } : {}) });
          void refreshStorage();
          return;
        }
        set(settled);
        if (out.kind === 'full') {
          set({ autosaveEnabled: false, autosaveStopped: out.message });
          postAutosave();
        }
        get().pushError({ request: 'captureCheckpoint', code: 'internal', message: out.message });
      });
    },

    loadIntoMain,

    initCheckpoints: () => {
      initOnce ??= (async () => {
        try {
          const saved = await svc.readAutosaveSetting();
          if (saved.every !== undefined || saved.enabled !== undefined) {
            set({ autosaveEvery: saved.every ?? get().autosaveEvery, autosaveEnabled: saved.enabled ?? get().autosaveEnabled });
            if (get().backendStatus === 'ready') postAutosave();
          }
          const list = await svc.list();
          set({ checkpoints: list, checkpointsLoaded: true });
          // A run still marked active belonged to a page that went away mid-run.
          if (get().activeRunId === null) {
            const interrupted = await svc.interruptedRun(list);
            // A run another tab is training now is not interrupted: offering it would start a second writer.
            const elsewhere = interrupted ? await svc.runLockedElsewhere(interrupted.runId) : false;
            if (interrupted && !elsewhere && get().activeRunId === null) set({ interruptedRun: interrupted });
          }
        } catch (e) {
          set({ checkpointsLoaded: true, checkpointsUnavailable: messageOf(e) });
        }
        await refreshStorage();
        set({ persistence: await svc.persisted() });
      })();
      return initOnce;
    },

    refreshCheckpoints: async () => {
      await act('refresh', async () => {
        set({ checkpoints: await svc.list(), checkpointsLoaded: true });
        await refreshStorage();
      });
    },

    setAutosaveEvery: (n) => {
      if (!Number.isInteger(n) || n < 1) return;
      set({ autosaveEvery: n });
      postAutosave();
      svc.storeAutosaveSetting(autosaveSetting());
    },

    setAutosaveEnabled: (on) => {
      set({ autosaveEnabled: on, ...(on ? { autosaveStopped: null } : {}) });
      postAutosave();
      svc.storeAutosaveSetting(autosaveSetting());
    },

    saveCheckpointNow: async () => {
      if (!get().model) return;
      await act('save', async () => {
        const meta = await svc.saveNow(get().activeRunId);
        upsert(meta);
        set({ checkpointNotice: { kind: 'ok', text: `Saved "${meta.name}" (${formatBytes(meta.sizeBytes)}).` } });
        await refreshStorage();
      });
    },

    renameCheckpoint: async (id, name) => {
      const shown = get().checkpoints.find((c) => c.id === id);
      const meta = await act(`rename:${id}`, () => svc.rename(id, name, shown ? checkpointVersion(shown) : undefined));
      if (meta) upsert(meta);
      // Refused as stale: show what is stored now.
      else await get().onCheckpointChanged(id);
      return meta !== null;
    },

    deleteCheckpoint: async (id) => {
      await act(`delete:${id}`, async () => {
        const name = get().checkpoints.find((c) => c.id === id)?.name ?? 'the checkpoint';
        await svc.delete(id);
        set({ checkpoints: get().checkpoints.filter((c) => c.id !== id), checkpointNotice: { kind: 'ok', text: `Deleted "${name}".` } });
        if (get().interruptedRun?.checkpointId === id) set({ interruptedRun: null });
        // A deleted checkpoint cannot be compared: free its column and its slot in the worker.
        if (get().compareSelection.includes(checkpointKey(id))) get().toggleCompareModel(checkpointKey(id));
        await refreshStorage();
      });
    },

    loadCheckpoint: async (id) => {
      await act(`load:${id}`, async () => {
        const s = get();
        if (s.backendStatus !== 'ready') throw new Error('The trainer is still starting: wait for the backend badge in the header.');
        if (runActive(s)) throw new Error('Stop training before loading another model.');
        const { meta, bytes } = await svc.load(id);
        await loadIntoMain({ name: meta.name, named: meta.named, safetensors: bytes });
        // A model tuned on instructions answers when asked in its template: ask it that way.
        set({ genFormat: meta.templateId !== null });
        set({ checkpointNotice: { kind: 'ok', text: `Loaded "${meta.name}" (step ${meta.step}) into the studio.` } });
      });
    },

    continueRunFrom: async (checkpointId) => {
      await act(`continue:${checkpointId}`, () => resumeFrom(checkpointId));
    },

    exportCheckpointFile: (id) => act(`export:${id}`, () => svc.exportFile(id)),

    exportCheckpointHfZip: (id) => act(`zip:${id}`, () => svc.exportHfZip(id, get().activeDataset)),

    importCheckpointFile: (fileName, bytes) =>
      act('import', async () => {
        const meta = await svc.importFile(fileName, bytes);
        upsert(meta);
        set({ checkpointNotice: { kind: 'ok', text: `Imported "${meta.name}" from ${fileName} (step ${meta.step}, ${formatBytes(meta.sizeBytes)}).` } });
        await refreshStorage();
        return meta;
      }),

    importHfModel: (files) =>
      act('import', async () => {
        const { meta, fileName } = await svc.importHfModel(files, get().backendReport?.limits);
        upsert(meta);
        set({ checkpointNotice: { kind: 'ok', text: `Imported the Hugging Face model "${meta.name}" from ${fileName} (${formatBytes(meta.sizeBytes)}).` } });
        await refreshStorage();
        return meta;
      }),

    requestPersistence: async () => {
      set({ persistence: await svc.requestPersistence() });
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
      await svc.forgetActiveRun();
      set({ interruptedRun: null });
    },

    dismissCheckpointNotice: () => set({ checkpointNotice: null }),
  };
};

/** True when nothing would stop the Resume button from working now. */
export function canResume(s: Pick<StudioState, 'backendStatus' | 'trainState' | 'resumingRun'>): boolean {
  return s.backendStatus === 'ready' && !runActive(s) && !s.resumingRun;
}
