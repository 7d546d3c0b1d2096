// A training run: its settings, its state as the worker reports it, and the
// loss history the chart draws.

import { DEFAULT_TRAIN_OPTIONS, trainOptionProblems, type TrainOptions } from '../train/options';
import { asStudioError } from './errorsSlice';
import { SAMPLE_TRAINING_TEXT } from './sampleText';
import type { SliceCreator, TrainingSlice } from './types';
import { instructionTrainingData, runActive } from './selectors';

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

export { trainOptionProblems };


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

  setTrainOption: (key, value) => set({ trainOptions: { ...get().trainOptions, [key]: value } }),

  startTraining: () => {
    const s = get();
    if (!s.model || runActive(s) || s.trainRequested !== null) return;
    const problems = trainOptionProblems(s.trainOptions);
    if (problems.length > 0) {
      s.pushError({ request: 'ui', code: 'bad-input', message: problems.map((p) => p.message).join(' ') });
      return;
    }
    const instructions = s.trainDataKind === 'instructions' ? instructionTrainingData(s) : null;
    if (instructions && !instructions.ok) {
      s.pushError({ request: 'ui', code: 'bad-input', message: instructions.message });
      return;
    }
    if (!instructions && s.trainText.trim() === '') {
      s.pushError({ request: 'ui', code: 'bad-input', message: 'The training text is empty: paste some text to learn from.' });
      return;
    }
    // The model seed also fixes the batch order, so one seed reproduces a whole run.
    const options: TrainOptions = { ...s.trainOptions, seed: s.modelSeed };
    set({ trainRequested: 'start', trainMessage: null, recovered: null, dataReport: null, ...runReset(0, options.steps) });
    const data = instructions ? instructions.data : { kind: 'text' as const, text: s.trainText };
    get().recordRunStart(data, options);
    control(ctx.client.request('train', { data, options }));
  },

  pauseTraining: () => {
    if (get().trainState !== 'running') return;
    set({ trainRequested: 'pause' });
    control(ctx.client.request('pause', {}));
  },

  resumeTraining: () => {
    if (get().trainState !== 'paused') return;
    set({ trainRequested: 'resume' });
    control(ctx.client.request('resume', {}));
  },

  stopTraining: () => {
    if (!runActive(get())) return;
    set({ trainRequested: 'stop' });
    control(ctx.client.request('stop', {}));
  },

  dismissRecovered: () => set({ recovered: null }),
};
};
