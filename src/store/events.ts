// The one place where the worker's events become state. Every event type of the
// protocol is handled here, so a new event added to the protocol fails the type
// check until the UI decides what to do. Events that concern several slices go
// to each through an action named for the event (e.g. `onAutoCheckpoint`).
// Replies to requests are not events: whoever asked awaits them.

import type { WorkerEvent } from '../worker/protocol';
import type { EventSlice, SliceCreator } from './types';
import { runReset } from './training/slice';
import { generationReset } from './generationSlice';
import { matchPreset, sendCreate } from './modelSlice';

export const createEventSlice: SliceCreator<EventSlice> = (ctx) => (set, get) => {
  const apply = (ev: WorkerEvent): void => {
    switch (ev.type) {
      case 'backend': {
        set({ backendReport: ev.report, backendStatus: 'ready' });
        // A fresh worker knows nothing: no autosave setting, no comparison slots.
        get().sendAutosaveSetting();
        get().forgetCompareSlots();
        const s = get();
        if (s.recreateOnReady && s.lastCreate) {
          set({ recreateOnReady: false });
          sendCreate(ctx, get, set, s.lastCreate);
        }
        return;
      }
      case 'modelReady': {
        const s = get();
        const model = { config: ev.config, paramCount: ev.paramCount, tokenizerVocab: ev.tokenizerVocab, name: ev.name, ...(ev.named ? { named: true } : {}) };
        // Any tokenizer the data views fetched belongs to the model before.
        get().onMainModelReady();
        // A model the UI did not ask for, right after a failed run, is the worker
        // restoring its last good snapshot: keep the failed run, its message and
        // its curve on screen, so the user sees what happened and where it stopped.
        if (s.modelStatus !== 'creating' && s.trainState === 'failed') {
          set({ model, modelStatus: 'ready', step: ev.step, trainRequested: null });
          return;
        }
        set({
          model,
          // The Model panel shows the loaded model's shape, not a preset's.
          draftConfig: { ...ev.config },
          presetId: matchPreset(ev.config),
          modelStatus: 'ready',
          trainState: 'idle',
          trainRequested: null,
          trainMessage: null,
          recovered: null,
          ...runReset(ev.step, 0),
          ...generationReset(),
        });
        return;
      }
      case 'trainState': {
        const model = get().model;
        set({
          // Trained, the model is named for what it now is ("Your model: tuned from Base model, 80 steps").
          ...(model && ev.modelName && model.name !== ev.modelName ? { model: { ...model, name: ev.modelName } } : {}),
          // Tuned on instructions, the model is asked in its template from now on.
          ...(ev.state === 'running' && get().trainDataKind === 'instructions' ? { genFormat: true } : {}),
          trainState: ev.state,
          step: ev.step,
          totalSteps: ev.totalSteps,
          trainMessage: ev.message ?? null,
          trainRequested: null,
        });
        get().onRunStatus(ev.state);
        return;
      }
      case 'trainProgress': {
        const s = get();
        set({
          step: ev.step,
          totalSteps: ev.totalSteps,
          loss: ev.loss,
          lr: ev.lr,
          gradNorm: ev.gradNorm,
          tokensPerSec: ev.tokensPerSec,
          etaSec: ev.etaSec,
          elapsedSec: ev.elapsedSec,
          lossHistory: [...s.lossHistory, { step: ev.step, loss: ev.loss }],
        });
        return;
      }
      case 'evalResult': {
        const s = get();
        set({ valHistory: [...s.valHistory, { step: ev.step, loss: ev.valLoss }] });
        return;
      }
      case 'generateStarted':
        if (ev.requestId === get().genId) set({ genPromptText: ev.promptText });
        else get().onCompareStarted(ev.requestId, ev.promptText);
        return;
      case 'token': {
        const s = get();
        if (ev.requestId !== s.genId) {
          get().onCompareToken(ev.requestId, ev.text);
          return;
        }
        if (!s.genRunning) return;
        const count = s.genTokenCount + 1;
        const seconds = (ctx.now() - s.genStartedAt) / 1000;
        set({
          genText: s.genText + ev.text,
          genTokenCount: count,
          genTokensPerSec: seconds > 0 ? count / seconds : 0,
        });
        return;
      }
      case 'autoCheckpoint':
        get().onAutoCheckpoint(ev);
        return;
      case 'recovered':
        set({ recovered: { message: ev.message, step: ev.step, backend: ev.backend } });
        return;
      case 'dataReport': {
        const { type: _type, ...report } = ev;
        set({ dataReport: report });
        return;
      }
      case 'experimentProgress':
        get().onExperimentProgress(ev.line);
        return;
      case 'problem':
        get().pushError({ request: 'worker', code: ev.code, message: ev.message });
        return;
      default: {
        const never: never = ev;
        void never;
      }
    }
  };
  return { handleEvent: apply };
};
