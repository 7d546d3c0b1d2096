// A training run: its settings, its state as the worker reports it, and the
// loss history the chart draws.

import { DEFAULT_TRAIN_OPTIONS } from '../worker/protocol';
import type { TrainOptions } from '../worker/protocol';
import { SAMPLE_TRAINING_TEXT } from './sampleText';
import type { EditableTrainOption, SliceCreator, StudioState, TrainingSlice } from './types';
import { instructionTrainingData } from './datasetsSlice';

/** The per-run values, cleared when a run starts or the model changes. */
export function runReset(step: number, totalSteps: number) {
  return {
    step,
    totalSteps,
    loss: null,
    lr: 0,
    gradNorm: 0,
    tokensPerSec: 0,
    etaSec: 0,
    elapsedSec: 0,
    lossHistory: [],
    valHistory: [],
  } satisfies Partial<TrainingSlice>;
}

export interface OptionProblem {
  field: EditableTrainOption;
  message: string;
}

/** Problems with the run settings the panel edits (batch size is also checked against the model). */
export function trainOptionProblems(o: TrainOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  if (!Number.isInteger(o.steps) || o.steps < 1 || o.steps > 1_000_000) {
    problems.push({ field: 'steps', message: `Steps must be a whole number from 1 to 1,000,000 (got ${fmt(o.steps)}).` });
  }
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1 || o.batchSize > 4096) {
    problems.push({ field: 'batchSize', message: `Batch size must be a whole number from 1 to 4096 (got ${fmt(o.batchSize)}).` });
  }
  if (!Number.isFinite(o.learningRate) || o.learningRate <= 0 || o.learningRate > 1) {
    problems.push({ field: 'learningRate', message: `Learning rate must be above 0 and at most 1 (got ${fmt(o.learningRate)}); 1e-3 is a good start.` });
  }
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) {
    problems.push({ field: 'warmupSteps', message: `Warm-up must be a whole number of steps, 0 or more (got ${fmt(o.warmupSteps)}).` });
  } else if (Number.isInteger(o.steps) && o.warmupSteps > o.steps) {
    problems.push({ field: 'warmupSteps', message: `Warm-up (${o.warmupSteps}) is longer than the run (${o.steps} steps).` });
  }
  return problems;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(v) : 'nothing';
}

/** True while a run holds the model (training, or paused mid-run). */
export function runActive(s: Pick<StudioState, 'trainState'>): boolean {
  return s.trainState === 'running' || s.trainState === 'paused';
}

export const createTrainingSlice: SliceCreator<TrainingSlice> = (ctx) => (set, get) => ({
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
    ctx.client.post({ type: 'train', data: instructions ? instructions.data : { kind: 'text', text: s.trainText }, options });
  },

  pauseTraining: () => {
    if (get().trainState !== 'running') return;
    set({ trainRequested: 'pause' });
    ctx.client.post({ type: 'pause' });
  },

  resumeTraining: () => {
    if (get().trainState !== 'paused') return;
    set({ trainRequested: 'resume' });
    ctx.client.post({ type: 'resume' });
  },

  stopTraining: () => {
    if (!runActive(get())) return;
    set({ trainRequested: 'stop' });
    ctx.client.post({ type: 'stop' });
  },

  dismissRecovered: () => set({ recovered: null }),
});
