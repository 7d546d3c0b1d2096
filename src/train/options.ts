// A training run's settings and the one place they are checked. The worker
// refuses options with these messages and the Train panel shows the same ones
// beside its fields before anything is sent.

import { fieldProblems, isWhole, shown, type FieldProblem, type FieldRule } from '../util/rules';
import { loraFieldProblem, loraSpecFor, type LoraSpec, type LoraTargetSet } from '../model/lora';

/** How a run trains: every parameter, or LoRA adapters on a frozen model. */
export type TuningMode = 'full' | 'lora';

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
  /**
   * 'full': every parameter trains. 'lora': the model is frozen and adapters of rank
   * loraRank train beside its attention and MLP projections, scaled by loraAlpha / loraRank.
   */
  tuning: TuningMode;
  /** LoRA only: the adapters' rank r, 1 to the model's width. */
  loraRank: number;
  /** LoRA only: the adapters' update is scaled by alpha / r. */
  loraAlpha: number;
  /** LoRA only: which projections get adapters, every attention and MLP one or the attention's only. */
  loraTargets: LoraTargetSet;
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
  tuning: 'full',
  // As in the LoRA paper's and PEFT's examples: rank 8, alpha twice the rank.
  loraRank: 8,
  loraAlpha: 16,
  loraTargets: 'all',
};

/**
 * A run's settings saved before LoRA existed lack the tuning fields: those runs trained in
 * full. Saved before the target choice, a LoRA run adapted every projection.
 */
export function withTuningDefaults(o: Omit<TrainOptions, 'tuning' | 'loraRank' | 'loraAlpha' | 'loraTargets'> & Partial<TrainOptions>): TrainOptions {
  return { tuning: DEFAULT_TRAIN_OPTIONS.tuning, loraRank: DEFAULT_TRAIN_OPTIONS.loraRank, loraAlpha: DEFAULT_TRAIN_OPTIONS.loraAlpha, loraTargets: DEFAULT_TRAIN_OPTIONS.loraTargets, ...o };
}

/** The LoRA adapters a run's settings ask for, or null for full tuning. */
export function loraSpecOf(o: Pick<TrainOptions, 'tuning' | 'loraRank' | 'loraAlpha' | 'loraTargets'>): LoraSpec | null {
  if (o.tuning !== 'lora') return null;
  return loraSpecFor(o.loraRank, o.loraAlpha, o.loraTargets);
}

/** The settings the Train panel edits; the rest keep their defaults. */
export type EditableTrainOption = 'steps' | 'batchSize' | 'learningRate' | 'warmupSteps' | 'gradClip' | 'loraRank' | 'loraAlpha';

export type TrainOptionProblem = FieldProblem<TrainOptions>;

/** The rules of a run's settings; the LoRA rank is checked against `width` when the model is known. */
const trainRules = (width?: number): ReadonlyArray<FieldRule<TrainOptions>> => [
  { field: 'steps', ok: (o) => isWhole(o.steps, 1, 1_000_000), message: (o) => `Steps must be a whole number from 1 to 1,000,000 (got ${shown(o.steps)}).` },
  { field: 'batchSize', ok: (o) => isWhole(o.batchSize, 1, 4096), message: (o) => `Batch size must be a whole number from 1 to 4096 (got ${shown(o.batchSize)}).` },
  {
    field: 'learningRate',
    ok: (o) => Number.isFinite(o.learningRate) && o.learningRate > 0 && o.learningRate <= 1,
    message: (o) => `Learning rate must be above 0 and at most 1 (got ${shown(o.learningRate)}); 1e-3 is a good start.`,
  },
  { field: 'warmupSteps', ok: (o) => isWhole(o.warmupSteps, 0), message: (o) => `Warm-up must be a whole number of steps, 0 or more (got ${shown(o.warmupSteps)}).` },
  { field: 'warmupSteps', ok: (o) => !Number.isInteger(o.steps) || o.warmupSteps <= o.steps, message: (o) => `Warm-up (${o.warmupSteps}) is longer than the run (${o.steps} steps).` },
  { field: 'minLrRatio', ok: (o) => o.minLrRatio >= 0 && o.minLrRatio <= 1, message: (o) => `The final learning-rate ratio must be from 0 to 1 (got ${shown(o.minLrRatio)}).` },
  { field: 'weightDecay', ok: (o) => o.weightDecay >= 0 && o.weightDecay < 1, message: (o) => `Weight decay must be 0 or more and below 1 (got ${shown(o.weightDecay)}).` },
  { field: 'gradClip', ok: (o) => o.gradClip >= 0, message: (o) => `The gradient clip must be 0 (off) or more (got ${shown(o.gradClip)}).` },
  { field: 'seed', ok: (o) => Number.isInteger(o.seed), message: (o) => `The seed must be a whole number (got ${shown(o.seed)}).` },
  { field: 'evalEvery', ok: (o) => isWhole(o.evalEvery, 0), message: (o) => `Evaluate every must be a whole number of steps, 0 to turn it off (got ${shown(o.evalEvery)}).` },
  { field: 'valFraction', ok: (o) => o.valFraction >= 0 && o.valFraction < 1, message: (o) => `The validation share must be from 0 to below 1 (got ${shown(o.valFraction)}).` },
  { field: 'tuning', ok: (o) => o.tuning === 'full' || o.tuning === 'lora', message: (o) => `Tuning must be "full" or "lora" (got ${JSON.stringify(o.tuning) ?? 'nothing'}).` },
  {
    field: 'loraTargets',
    ok: (o) => o.tuning !== 'lora' || o.loraTargets === 'all' || o.loraTargets === 'attention',
    message: (o) => `LoRA adapters go on "all" projections or on the "attention" ones (got ${JSON.stringify(o.loraTargets) ?? 'nothing'}).`,
  },
  // Rank and alpha matter only for a LoRA run; a full run keeps whatever the fields hold.
  ...(['loraRank', 'loraAlpha'] as const).map(
    (field): FieldRule<TrainOptions> => ({
      field,
      ok: (o) => o.tuning !== 'lora' || loraFieldProblem(field, { rank: o.loraRank, alpha: o.loraAlpha }, width) === null,
      message: (o) => loraFieldProblem(field, { rank: o.loraRank, alpha: o.loraAlpha }, width) ?? '',
    }),
  ),
];

/**
 * Problems with a run's settings, by field (batch size is also checked against the
 * model's memory). `model`: the model that will train, whose width bounds the LoRA rank.
 */
export function trainOptionProblems(o: TrainOptions, model?: { width: number }): TrainOptionProblem[] {
  return fieldProblems(o, trainRules(model?.width));
}
