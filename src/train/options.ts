// A training run's settings and the one place they are checked. The worker
// refuses options with these messages and the Train panel shows the same ones
// beside its fields before anything is sent.

export interface TrainOptions {
  /** Optimizer steps to run. */
  steps: number;
  /** Sequences per step. */
  batchSize: number;
  /** Peak learning rate after warm-up. */
  learningRate: number;
  /** Linear warm-up steps before the cosine decay. */
  warmupSteps: number;
  /** The cosine schedule ends at learningRate * minLrRatio. */
  minLrRatio: number;
  /** AdamW decoupled weight decay, applied to matrices only. */
  weightDecay: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  gradClip: number;
  /** Seeds batch sampling, so the same seed and data give the same run. */
  seed: number;
  /** Validation loss every this many steps; 0 turns it off. */
  evalEvery: number;
  /** Share of the data held out for validation. */
  valFraction: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  steps: 200,
  batchSize: 8,
  learningRate: 1e-3,
  warmupSteps: 10,
  minLrRatio: 0.1,
  weightDecay: 0.01,
  gradClip: 1.0,
  seed: 1234,
  evalEvery: 50,
  valFraction: 0.1,
};

/** The settings the Train panel edits; the rest keep their defaults. */
export type EditableTrainOption = 'steps' | 'batchSize' | 'learningRate' | 'warmupSteps';

export interface TrainOptionProblem {
  field: keyof TrainOptions;
  message: string;
}

/** Problems with a run's settings, by field (batch size is also checked against the model's memory). */
export function trainOptionProblems(o: TrainOptions): TrainOptionProblem[] {
  const problems: TrainOptionProblem[] = [];
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
  if (!(o.minLrRatio >= 0 && o.minLrRatio <= 1)) problems.push({ field: 'minLrRatio', message: `The final learning-rate ratio must be from 0 to 1 (got ${fmt(o.minLrRatio)}).` });
  if (!(o.weightDecay >= 0 && o.weightDecay < 1)) problems.push({ field: 'weightDecay', message: `Weight decay must be 0 or more and below 1 (got ${fmt(o.weightDecay)}).` });
  if (!(o.gradClip >= 0)) problems.push({ field: 'gradClip', message: `The gradient clip must be 0 (off) or more (got ${fmt(o.gradClip)}).` });
  if (!Number.isInteger(o.seed)) problems.push({ field: 'seed', message: `The seed must be a whole number (got ${fmt(o.seed)}).` });
  if (!Number.isInteger(o.evalEvery) || o.evalEvery < 0) problems.push({ field: 'evalEvery', message: `Evaluate every must be a whole number of steps, 0 to turn it off (got ${fmt(o.evalEvery)}).` });
  if (!(o.valFraction >= 0 && o.valFraction < 1)) problems.push({ field: 'valFraction', message: `The validation share must be from 0 to below 1 (got ${fmt(o.valFraction)}).` });
  return problems;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(v) : 'nothing';
}
