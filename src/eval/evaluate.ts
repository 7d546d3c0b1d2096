// Held-out evaluation in Node: each question rendered with the prompt template
// (the same function training uses), answered greedily, and scored by
// scoreAnswer, the scorer the studio's batch comparison uses too. Used by
// `npm run eval` and by the tests of the shipped models.

import type { Example } from '../data/schema';
import { renderPrompt } from '../data/render';
import type { PromptTemplate } from '../data/templates';
import { generateTokens } from '../model/generate';
import type { GPT } from '../model/gpt';
import type { Tokenizer } from '../tokenizer/types';
import { instructionOf } from '../data/schema';
import { recalls } from './metrics';
import { evalQuestion, scoreAnswer } from './score';

export interface EvalRow {
  id: string;
  question: string;
  reference: string;
  /** Everything the model generated after the prompt. */
  raw: string;
  /** The answer scored: the response part, first line. */
  answer: string;
  exact: boolean;
  rougeL: number;
  /** The output reads as more questions rather than an answer. */
  question_like: boolean;
  category?: string;
}

export interface EvalTotals {
  count: number;
  exactMatch: number;
  rougeL: number;
  questionLike: number;
}

export interface EvalReport {
  rows: EvalRow[];
  totals: EvalTotals;
  /** Totals per category (e.g. per relation), when examples have one. */
  byCategory: Record<string, EvalTotals>;
}

export interface EvalOptions {
  template: PromptTemplate;
  maxTokens: number;
  /**
   * Sentence completion instead of a question: the instruction is the raw prompt (no
   * template) and a row is correct when the completion starts with the reference.
   */
  prose?: boolean;
  /** Sampling instead of greedy decoding (the studio's defaults, for instance); greedy when absent. */
  sampling?: { temperature: number; topK: number; topP: number; seed: number };
  onRow?: (row: EvalRow, index: number, total: number) => void;
}

/** The share of rows whose reference is the most common one, and that answer. */
export function majorityBaseline(rows: readonly EvalRow[]): { answer: string; share: number } {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.reference, (counts.get(r.reference) ?? 0) + 1);
  let best = { answer: '', share: 0 };
  for (const [answer, n] of counts) if (n / rows.length > best.share) best = { answer, share: n / rows.length };
  return best;
}

export function totalsOf(rows: readonly EvalRow[]): EvalTotals {
  const n = rows.length;
  const mean = (f: (r: EvalRow) => number) => (n === 0 ? 0 : rows.reduce((a, r) => a + f(r), 0) / n);
  return { count: n, exactMatch: mean((r) => (r.exact ? 1 : 0)), rougeL: mean((r) => r.rougeL), questionLike: mean((r) => (r.question_like ? 1 : 0)) };
}

/** Greedy (or sampled) answers to every example, scored against its response. */
export async function evaluateModel(model: GPT, tokenizer: Tokenizer, examples: readonly Example[], o: EvalOptions): Promise<EvalReport> {
  const rows: EvalRow[] = [];
  for (const [i, ex] of examples.entries()) {
    const prompt = (o.prose ? tokenizer.encode(instructionOf(ex)) : renderPrompt(ex, o.template, tokenizer)).slice(-model.config.contextLength);
    const ids: number[] = [];
    for await (const id of generateTokens(model, prompt, { maxTokens: o.maxTokens, ...(o.sampling ? { ...o.sampling, seed: o.sampling.seed + i } : { temperature: 0, topK: 0, topP: 1, seed: 0 }), stopIds: [tokenizer.eosId] })) {
      if (id === tokenizer.eosId) break;
      ids.push(id);
      // Only the first non-empty line is scored: stop once it is complete.
      if (/\S[^\n]*\n/.test(tokenizer.decode(ids))) break;
    }
    const { question, reference } = evalQuestion(ex);
    const text = tokenizer.decode(ids);
    const score = o.prose ? { ...scoreAnswer(text, reference, null), correct: recalls(text, reference) } : scoreAnswer(text, reference, o.template);
    const row: EvalRow = {
      id: ex.id,
      question,
      reference,
      raw: score.raw,
      answer: score.answer,
      exact: score.correct,
      rougeL: score.rougeL,
      question_like: score.questionLike,
      ...(ex.category ? { category: ex.category } : {}),
    };
    rows.push(row);
    o.onRow?.(row, i, examples.length);
  }
  const byCategory: Record<string, EvalTotals> = {};
  // One row per example, in order: callers group rows by index.
  for (const cat of new Set(rows.map((r) => r.category).filter((c): c is string => !!c))) {
    byCategory[cat] = totalsOf(rows.filter((r) => r.category === cat));
  }
  return { rows, totals: totalsOf(rows), byCategory };
}
