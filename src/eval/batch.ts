// The batch comparison's table: every question of an evaluation set answered by
// several models, each answer scored by scoreAnswer (score.ts), with totals per
// model and the whole table as CSV for a spreadsheet.

import { formatDelimitedField } from '../data/csv';
import type { ScoredAnswer } from './score';

/** One model's answer to one question; `error` when the model failed to answer. */
export type BatchAnswer = Pick<ScoredAnswer, 'raw' | 'answer' | 'correct' | 'questionLike'> & { error?: string };

export interface BatchRow {
  question: string;
  input: string;
  reference: string;
  /** By model key. */
  answers: Record<string, BatchAnswer>;
}

export interface BatchTotals {
  correct: number;
  answered: number;
  questionLike: number;
}

/** A model that failed to answer a question: kept in the row, left out of the totals. */
export function failedAnswer(message: string): BatchAnswer {
  return { raw: '', answer: '', correct: false, questionLike: false, error: message };
}

/** Correct answers, answered questions and question-like continuations per model. */
export function batchTotals(rows: readonly BatchRow[], keys: readonly string[]): Record<string, BatchTotals> {
  const out: Record<string, BatchTotals> = {};
  for (const k of keys) {
    const answers = rows.map((r) => r.answers[k]).filter((a): a is BatchAnswer => a !== undefined && a.error === undefined);
    out[k] = { correct: answers.filter((a) => a.correct).length, answered: answers.length, questionLike: answers.filter((a) => a.questionLike).length };
  }
  return out;
}

/** The batch table as CSV: one row per question, answer and correctness per model, then totals. */
export function batchCsv(rows: readonly BatchRow[], keys: readonly string[], label: (key: string) => string): string {
  const f = (v: string) => formatDelimitedField(v, ',');
  const header = ['question', 'input', 'reference', ...keys.flatMap((k) => [`${label(k)}: answer`, `${label(k)}: correct`])];
  const lines = [header.map(f).join(',')];
  for (const r of rows) {
    const cells = [r.question, r.input, r.reference];
    for (const k of keys) {
      const a = r.answers[k];
      cells.push(a ? (a.error ? `(failed: ${a.error})` : a.raw.trim()) : '', a && !a.error ? (a.correct ? 'yes' : 'no') : '');
    }
    lines.push(cells.map(f).join(','));
  }
  const totals = batchTotals(rows, keys);
  const totalCells = ['TOTAL', '', `${rows.length} questions`];
  for (const k of keys) totalCells.push('', `${totals[k]!.correct}/${totals[k]!.answered}`);
  lines.push(totalCells.map(f).join(','));
  return lines.join('\r\n') + '\r\n';
}
