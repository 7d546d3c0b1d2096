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
  onRow?: (row: EvalRow, index: number, total: number) => void;
}

function totalsOf(rows: readonly EvalRow[]): EvalTotals {
  const n = rows.length;
  const mean = (f: (r: EvalRow) => number) => (n === 0 ? 0 : rows.reduce((a, r) => a + f(r), 0) / n);
  return { count: n, exactMatch: mean((r) => (r.exact ? 1 : 0)), rougeL: mean((r) => r.rougeL), questionLike: mean((r) => (r.question_like ? 1 : 0)) };
}

/** Greedy answers to every example, scored against its response. */
export async function evaluateModel(model: GPT, tokenizer: Tokenizer, examples: readonly Example[], o: EvalOptions): Promise<EvalReport> {
  const rows: EvalRow[] = [];
  for (const [i, ex] of examples.entries()) {
    const prompt = renderPrompt(ex, o.template, tokenizer).slice(-model.config.contextLength);
    const ids: number[] = [];
    for await (const id of generateTokens(model, prompt, { maxTokens: o.maxTokens, temperature: 0, topK: 0, topP: 1, seed: 0, stopIds: [tokenizer.eosId] })) {
      if (id === tokenizer.eosId) break;
      ids.push(id);
    }
    const { question, reference } = evalQuestion(ex);
    const score = scoreAnswer(tokenizer.decode(ids), reference, o.template);
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
  for (const cat of new Set(rows.map((r) => r.category).filter((c): c is string => !!c))) {
    byCategory[cat] = totalsOf(rows.filter((r) => r.category === cat));
  }
  return { rows, totals: totalsOf(rows), byCategory };
}
