// What a training run learns from and where it stands: the data it was asked
// to learn, its loss curve, and the state a checkpoint keeps so a run resumes
// exactly.

import type { Example } from '../data/schema';
import type { OverflowRule } from '../data/sequences';
import type { PromptTemplate } from '../data/templates';
import type { TrainOptions } from './options';
import { packLengthProblem } from '../data/batching';
import { mixShareProblem } from './mix';

/** Instruction-response pairs rendered through a template; loss on responses unless trainOnInputs. */
export interface InstructionTrainingData {
  kind: 'instructions';
  examples: Example[];
  template: PromptTemplate;
  trainOnInputs: boolean;
  /** Pack several short examples into one context (attention stays within each). */
  pack: boolean;
  /** With pack: rows hold up to this many input tokens (2..context; default the context). */
  packLength?: number;
  /**
   * 'bucket' (the default): each batch is padded to its longest row, rounded up to
   * a multiple of 8 tokens; 'context': every row to the whole context (as before).
   */
  padding?: 'bucket' | 'context';
  /**
   * 'masked' (the default): the LM head and the loss run on the positions whose
   * mask counts only; 'all': at every position, as before (the benchmark's
   * reference). The same loss and gradients either way.
   */
  logits?: 'masked' | 'all';
  overflow: OverflowRule;
  /** The stored dataset these examples came from, recorded in checkpoints. */
  datasetId?: string;
}

/** What a training run learns from. */
export type TrainingData =
  /** Plain text: next-token prediction on every token (pretraining-style). */
  | { kind: 'text'; text: string }
  | InstructionTrainingData
  /**
   * Text and instructions in one run: `instructionShare` of the batches come from the
   * instructions, the rest from the text, interleaved evenly (src/train/mix.ts).
   */
  | { kind: 'mix'; text: string; instructions: InstructionTrainingData; instructionShare: number };

/** The instruction part of a run's data, if it has one. */
export function instructionPart(data: TrainingData): InstructionTrainingData | null {
  return data.kind === 'instructions' ? data : data.kind === 'mix' ? data.instructions : null;
}

/** One point of a loss curve: the run's step and the loss there. */
export interface LossPoint {
  step: number;
  loss: number;
}

export type TrainState = 'idle' | 'running' | 'paused' | 'stopped' | 'done' | 'failed';

/**
 * Where a training run stood when a checkpoint was taken: with the checkpoint's
 * weights and optimizer moments, enough to continue the run exactly.
 */
export interface RunState {
  /** Steps done in this run (the schedule's position), out of totalSteps. */
  runStep: number;
  totalSteps: number;
  options: TrainOptions;
  /** The batch sampler's state after runStep batches (RNG state or batches drawn). */
  samplerState: unknown;
  /** Fingerprint of the training data and how it is encoded; a resume must match it. */
  dataHash: string;
  dataKind: TrainingData['kind'];
  datasetId?: string;
  /** The prompt template instruction data was rendered with. */
  template?: PromptTemplate;
  lossHistory: LossPoint[];
  valHistory: LossPoint[];
  /** Training seconds spent so far (absent in checkpoints from before it was kept). */
  elapsedSec?: number;
}

/** Continues a run from a checkpoint: send with the same data and options after loading it. */
export interface ResumeRun {
  runStep: number;
  samplerState: unknown;
  /** When given, the data must have this fingerprint (RunState.dataHash). */
  dataHash?: string;
  /** The curve so far, so later checkpoints carry the whole history. */
  lossHistory?: LossPoint[];
  valHistory?: LossPoint[];
  /** Training seconds the run had spent, so its elapsed time continues. */
  elapsedSec?: number;
}

/** Why a checkpoint was taken: asked for, every N steps, or as a run paused, stopped or finished. */
export type CheckpointReason = 'request' | 'autosave' | 'pause' | 'stop' | 'done';

/** How an instruction dataset was turned into training sequences. */
export interface DataReport {
  summary: string;
  trainExamples: number;
  valExamples: number;
  kept: number;
  truncated: number;
  dropped: number;
  trainedTokens: number;
}

/** Problems with how instruction data is laid out for this model (the packing length), by field. */
export function dataOptionProblems(data: TrainingData, contextLength: number): Array<{ field: 'packLength' | 'padding' | 'logits' | 'instructionShare'; message: string }> {
  const problems: Array<{ field: 'packLength' | 'padding' | 'logits' | 'instructionShare'; message: string }> = [];
  if (data.kind === 'mix') {
    const p = mixShareProblem(data.instructionShare);
    if (p) problems.push({ field: 'instructionShare', message: p });
    if (data.text.trim() === '') problems.push({ field: 'instructionShare', message: 'The text to mix with the instructions is empty: paste the domain text to learn from.' });
  }
  const ins = instructionPart(data);
  if (!ins) return problems;
  if (ins.packLength !== undefined) {
    const p = packLengthProblem(ins.packLength, contextLength);
    if (p) problems.push({ field: 'packLength', message: p });
  }
  if (ins.padding !== undefined && ins.padding !== 'bucket' && ins.padding !== 'context') {
    problems.push({ field: 'padding', message: `Padding must be "bucket" (to the longest row in each batch) or "context" (got ${String(ins.padding)}).` });
  }
  if (ins.logits !== undefined && ins.logits !== 'masked' && ins.logits !== 'all') {
    problems.push({ field: 'logits', message: `Logits must be "masked" (where the loss counts) or "all" (every position) (got ${String(ins.logits)}).` });
  }
  return problems;
}
