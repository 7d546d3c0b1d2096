// From examples to training sequences that fit the model's context.
//
// A sequence of L tokens gives L - 1 next-token targets, so a model with a
// context of T positions learns from sequences of up to T + 1 tokens: inputs
// are ids[0..T-1], targets ids[1..T]. The first token is never a target.
//
// The visible rule for longer sequences (`overflow`):
//  - 'truncate' (default): keep the first T + 1 tokens. The prompt's head is
//    kept and as much of the response as fits; the end of the response (and
//    its end-of-text) is cut off.
//  - 'drop': leave the example out.
// An example with no trained target left (its prompt fills the context) is
// dropped and counted: it is never trained on with an all-zero mask.

import type { Tokenizer } from '../tokenizer/types';
import type { Example } from './schema';
import type { PromptTemplate } from './templates';
import { renderForTraining } from './render';

export type OverflowRule = 'truncate' | 'drop';

export interface EncodeOptions {
  /** The model's context length T; sequences may hold T + 1 tokens. */
  contextLength: number;
  /** Train on prompt tokens too (default false). */
  trainOnInputs?: boolean;
  /** What to do with sequences longer than T + 1 tokens (default 'truncate'). */
  overflow?: OverflowRule;
}

export interface EncodedSequence {
  exampleId: string;
  ids: number[];
  mask: number[];
  truncated: boolean;
}

export interface EncodeReport {
  /** Examples given. */
  total: number;
  /** Sequences produced. */
  kept: number;
  /** Of the kept, how many were cut to fit. */
  truncated: number;
  /** Ids of examples left out because they were too long and overflow is 'drop'. */
  droppedTooLong: string[];
  /** Ids of examples left out because no trained token remained after truncation. */
  droppedNoTrainedTokens: string[];
  /** Tokens in the kept sequences, and how many of them are trained targets. */
  tokens: number;
  trainedTokens: number;
}

/** Number of tokens that are trained targets: mask positions 1.. (position 0 is never a target). */
export function trainedTargets(mask: readonly number[]): number {
  let n = 0;
  for (let t = 1; t < mask.length; t++) n += mask[t] ?? 0;
  return n;
}

export type FitResult =
  | { kept: true; ids: number[]; mask: number[]; truncated: boolean }
  | { kept: false; reason: 'too-long' | 'no-trained-tokens' };

/** Applies the overflow rule to one sequence. */
export function fitToContext(ids: number[], mask: number[], contextLength: number, overflow: OverflowRule = 'truncate'): FitResult {
  if (!Number.isInteger(contextLength) || contextLength < 1) {
    throw new Error(`contextLength must be a positive whole number, got ${contextLength}`);
  }
  const max = contextLength + 1;
  let outIds = ids;
  let outMask = mask;
  let truncated = false;
  if (ids.length > max) {
    if (overflow === 'drop') return { kept: false, reason: 'too-long' };
    outIds = ids.slice(0, max);
    outMask = mask.slice(0, max);
    truncated = true;
  }
  if (trainedTargets(outMask) === 0) return { kept: false, reason: 'no-trained-tokens' };
  return { kept: true, ids: outIds, mask: outMask, truncated };
}

/** Renders, fits and counts a list of examples. */
export function encodeExamples(
  examples: readonly Example[],
  template: PromptTemplate,
  tokenizer: Tokenizer,
  opts: EncodeOptions,
): { sequences: EncodedSequence[]; report: EncodeReport } {
  const report: EncodeReport = {
    total: examples.length,
    kept: 0,
    truncated: 0,
    droppedTooLong: [],
    droppedNoTrainedTokens: [],
    tokens: 0,
    trainedTokens: 0,
  };
  const sequences: EncodedSequence[] = [];
  const renderOpts = { trainOnInputs: opts.trainOnInputs === true };
  for (const example of examples) {
    const { ids, mask } = renderForTraining(example, template, tokenizer, renderOpts);
    const fit = fitToContext(ids, mask, opts.contextLength, opts.overflow ?? 'truncate');
    if (!fit.kept) {
      (fit.reason === 'too-long' ? report.droppedTooLong : report.droppedNoTrainedTokens).push(example.id);
      continue;
    }
    sequences.push({ exampleId: example.id, ids: fit.ids, mask: fit.mask, truncated: fit.truncated });
    report.kept++;
    if (fit.truncated) report.truncated++;
    report.tokens += fit.ids.length;
    report.trainedTokens += trainedTargets(fit.mask);
  }
  return { sequences, report };
}

/** One sentence about an encode report, for logs and the UI. */
export function describeEncodeReport(r: EncodeReport): string {
  const parts = [`${r.kept} of ${r.total} examples ready (${r.trainedTokens} trained tokens of ${r.tokens})`];
  if (r.truncated > 0) parts.push(`${r.truncated} cut to fit the context`);
  if (r.droppedTooLong.length > 0) parts.push(`${r.droppedTooLong.length} left out for being longer than the context`);
  if (r.droppedNoTrainedTokens.length > 0) {
    parts.push(`${r.droppedNoTrainedTokens.length} left out because the prompt alone fills the context, leaving no response to learn`);
  }
  return `${parts.join('; ')}.`;
}
