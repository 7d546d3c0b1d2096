// The one place where the worker's events become state. Every event type of the
// protocol is handled here or named as deliberately ignored, so a new event
// added to the protocol fails the type check until the UI decides what to do.

import { MAIN_SLOT, type WorkerEvent } from '../worker/protocol';
import type { EventSlice, SliceCreator, StudioState } from './types';
import { runReset } from './trainingSlice';
import { generationReset } from './generationSlice';

export const createEventSlice: SliceCreator<EventSlice> = (ctx) => (set, get) => {
  const apply = (ev: WorkerEvent): void => {
    switch (ev.type) {
      case 'backend': {
        set({ backendReport: ev.report, backendStatus: 'ready' });
        const s = get();
        if (s.recreateOnReady && s.lastCreate) {
          const { config, seed, text } = s.lastCreate;
          set({ recreateOnReady: false, modelStatus: 'creating' });
          ctx.client.post({ type: 'createModel', config, seed, tokenizer: { kind: 'bpe-train', text } });
        }
        return;
      }
      case 'modelReady': {
        // Models loaded into comparison slots do not replace the one being trained.
        if (ev.slot !== MAIN_SLOT) return;
        const s = get();
        const model = { config: ev.config, paramCount: ev.paramCount, tokenizerVocab: ev.tokenizerVocab, name: ev.name };
        // A model the UI did not ask for, right after a failed run, is the worker
        // restoring its last good snapshot: keep the failed run, its message and
        // its curve on screen, so the user sees what happened and where it stopped.
        if (s.modelStatus !== 'creating' && s.trainState === 'failed') {
          set({ model, modelStatus: 'ready', step: ev.step, trainRequested: null });
          return;
        }
        set({
          model,
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
      case 'trainState':
        set({
          trainState: ev.state,
          step: ev.step,
          totalSteps: ev.totalSteps,
          trainMessage: ev.message ?? null,
          trainRequested: null,
        });
        return;
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
      case 'token': {
        const s = get();
        if (ev.id !== s.genId || !s.genRunning) return;
        const count = s.genTokenCount + 1;
        const seconds = (ctx.now() - s.genStartedAt) / 1000;
        set({
          genText: s.genText + ev.text,
          genTokenCount: count,
          genTokensPerSec: seconds > 0 ? count / seconds : 0,
        });
        return;
      }
      case 'generateDone': {
        if (ev.id !== get().genId) return;
        // The worker's final text is authoritative: a character split across two
        // tokens only decodes correctly once both are there.
        set({
          genText: ev.text,
          genRunning: false,
          genTokenCount: ev.tokenCount,
          genTokensPerSec: ev.tokensPerSec,
          genDoneReason: ev.reason,
        });
        return;
      }
      case 'recovered':
        set({ recovered: { message: ev.message, step: ev.step, backend: ev.backend } });
        return;
      case 'memory':
        set({ memory: { numTensors: ev.numTensors, numBytes: ev.numBytes } });
        return;
      case 'error':
        applyError(ev, get, set);
        return;
      // Answers to id-carrying requests; their callers await them through WorkerClient.request.
      case 'logits':
      case 'tokens':
      case 'modelExported':
        return;
      // Checkpoints are stored by the checkpoints slice, which listens to the client itself.
      case 'checkpoint':
        return;
      case 'dataReport': {
        const { type: _type, ...report } = ev;
        set({ dataReport: report });
        return;
      }
      case 'generateStarted':
        if (ev.id === get().genId) set({ genPromptText: ev.promptText });
        return;
      // The compare slice keeps track of its own comparison slots.
      case 'modelUnloaded':
        return;
      default: {
        const never: never = ev;
        void never;
      }
    }
  };
  return { handleEvent: apply };
};

function applyError(
  ev: Extract<WorkerEvent, { type: 'error' }>,
  get: () => StudioState,
  set: (partial: Partial<StudioState>) => void,
): void {
  get().pushError({ request: ev.request, code: ev.code, message: ev.message });
  const s = get();
  switch (ev.request) {
    case 'init':
      if (s.backendStatus === 'starting') set({ backendStatus: 'failed' });
      if (s.recreateOnReady) set({ recreateOnReady: false, modelStatus: 'none' });
      return;
    case 'createModel':
      if (s.modelStatus === 'creating') set({ modelStatus: s.model ? 'ready' : 'failed' });
      return;
    case 'train':
    case 'pause':
    case 'resume':
    case 'stop':
      set({ trainRequested: null });
      return;
    case 'generate':
      if (s.genRunning && (ev.id === undefined || ev.id === s.genId)) set({ genRunning: false, genDoneReason: 'failed' });
      return;
    default:
      return;
  }
}
