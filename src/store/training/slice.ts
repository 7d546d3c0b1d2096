// A training run: its settings, its state as the worker reports it, and the
// loss history the chart draws. Planning and requests are TrainingService's.

import { DEFAULT_TRAIN_OPTIONS } from '../../train/options';
import { asStudioError } from '../errorsSlice';
import { SAMPLE_TRAINING_TEXT } from '../sampleText';
import type { SliceCreator, TrainingSlice } from '../types';
import { instructionTrainingData, runActive } from '../selectors';

/** The per-run values, cleared when a run starts or the model changes. */
export function runReset(step: number, totalSteps: number) {
  return {
    step,
    totalSteps,
    loss: null,
    lr: 0,
    gradNorm: 0,
    tokensPerSec: 0,
    etaSec: null,
    elapsedSec: 0,
    lossHistory: [],
    valHistory: [],
  } satisfies Partial<TrainingSlice>;
}


export const createTrainingSlice: SliceCreator<
  TrainingSlice,
  'model' | 'modelSeed' | 'pushError' | 'recordRunStart' | 'activeDataset' | 'selectedDatasetId' | 'userTemplates' | 'templateId' | 'trainOnInputs' | 'pack' | 'overflow'
> = (ctx) => (set, get) => {
  /** A refused or failed train request shows its error and frees the buttons; trainState events carry the rest. */
  const control = (reply: Promise<unknown>) => {
    reply.catch((e: unknown) => {
      get().pushError(asStudioError(e));
      set({ trainRequested: null });
    });
  };
  return {
  trainText: SAMPLE_TRAINING_TEXT,
  trainDataKind: 'text',
  mixShare: 0.5,
  dataReport: null,
  trainOptions: { ...DEFAULT_TRAIN_OPTIONS },
  trainState: 'idle',
  trainRequested: null,
  trainMessage: null,
  recovered: null,
  memory: null,
  ...runReset(0, 0),

  setTrainText: (text) => set({ trainText: text }),

  setTrainDataKind: (kind) => set({ trainDataKind: kind }),

  setMixShare: (share) => set({ mixShare: share }),

  setTrainOption: (key, value) => set({ trainOptions: { ...get().trainOptions, [key]: value } }),

  setTrainTuning: (mode) => set({ trainOptions: { ...get().trainOptions, tuning: mode } }),

  setTrainLoraTargets: (targets) => set({ trainOptions: { ...get().trainOptions, loraTargets: targets } }),

  startTraining: () => {
    const s = get();
    if (!s.model || runActive(s) || s.trainRequested !== null) return;
    const plan = ctx.training.plan({
      options: s.trainOptions,
      seed: s.modelSeed,
      model: s.model.config,
      dataKind: s.trainDataKind,
      text: s.trainText,
      mixShare: s.mixShare,
      instructions: instructionTrainingData(s),
    });
    if (!plan.ok) {
      s.pushError({ request: 'ui', code: 'bad-input', message: plan.message });
      return;
    }
    set({ trainRequested: 'start', trainMessage: null, recovered: null, dataReport: null, ...runReset(0, plan.options.steps) });
    get().recordRunStart(plan.data, plan.options);
    control(ctx.training.start(plan));
  },

  pauseTraining: () => {
    if (get().trainState !== 'running') return;
    set({ trainRequested: 'pause' });
    control(ctx.training.pause());
  },

  resumeTraining: () => {
    if (get().trainState !== 'paused') return;
    set({ trainRequested: 'resume' });
    control(ctx.training.resume());
  },

  stopTraining: () => {
    if (!runActive(get())) return;
    set({ trainRequested: 'stop' });
    control(ctx.training.stop());
  },

  dismissRecovered: () => set({ recovered: null }),
};
};
