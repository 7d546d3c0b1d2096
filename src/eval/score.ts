// The one scorer of generated answers: `npm run eval` (evaluateModel) and the
// studio's batch comparison both call it, so a number in the batch table means
// the same as a number in an eval report.

import { instructionOf, responseOf, type Example } from '../data/schema';
import { extractResponse, type PromptTemplate } from '../data/templates';
import { continuesWithQuestion, exactMatch, firstLine, rougeLF } from './metrics';

/** One generated answer, scored against its reference. */
export interface ScoredAnswer {
  /** Everything the model generated after the prompt. */
  raw: string;
  /** What is scored: the response part (without the template's markup), first line. */
  answer: string;
  /** Normalised exact match of `answer` with the reference. */
  correct: boolean;
  rougeL: number;
  /** The output reads as more questions rather than an answer. */
  questionLike: boolean;
}

/**
 * Scores one generation. `template` is the one the prompt was formatted with
 * (its response markup is taken off first), or null for a raw-text prompt.
 */
export function scoreAnswer(raw: string, reference: string, template: PromptTemplate | null): ScoredAnswer {
  const answer = firstLine(template ? extractResponse(raw, template) : raw);
  return { raw, answer, correct: exactMatch(answer, reference), rougeL: rougeLF(answer, reference), questionLike: continuesWithQuestion(raw) };
}

/** What an evaluation example asks, with what, and the answer it expects. */
export function evalQuestion(ex: Example): { question: string; input: string; reference: string } {
  return { question: instructionOf(ex), input: ex.kind === 'instruction' ? (ex.input ?? '') : '', reference: responseOf(ex) };
}
