// The batch table: answers scored by the shared scorer, totals per model, CSV.

import { describe, expect, it } from 'vitest';
import { PLAIN_TEMPLATE } from '../data/templates';
import { batchCsv, batchTotals, type BatchRow } from './batch';
import { scoreAnswer } from './score';

describe('batch table', () => {
  it('scores answers like npm run eval, totals them per model and writes CSV', () => {
    expect(scoreAnswer(' Paris', 'Paris', PLAIN_TEMPLATE)).toMatchObject({ answer: 'Paris', correct: true, questionLike: false });
    expect(scoreAnswer(' What is the capital of Spain?', 'Paris', PLAIN_TEMPLATE)).toMatchObject({ correct: false, questionLike: true });
    const rows: BatchRow[] = [
      { question: 'Capital of France?', input: '', reference: 'Paris', answers: { a: scoreAnswer(' Paris', 'Paris', null), b: scoreAnswer(' What, "really"?', 'Paris', null) } },
      { question: 'Capital of Peru?', input: '', reference: 'Lima', answers: { a: scoreAnswer(' Lima\nQuestion: x', 'Lima', null), b: { raw: '', answer: '', correct: false, questionLike: false, error: 'gone' } } },
    ];
    expect(batchTotals(rows, ['a', 'b'])).toEqual({ a: { correct: 2, answered: 2, questionLike: 0 }, b: { correct: 0, answered: 1, questionLike: 1 } });
    const csv = batchCsv(rows, ['a', 'b'], (k) => k.toUpperCase());
    expect(csv.split('\r\n')).toEqual([
      'question,input,reference,A: answer,A: correct,B: answer,B: correct',
      'Capital of France?,,Paris,Paris,yes,"What, ""really""?",no',
      'Capital of Peru?,,Lima,"Lima\nQuestion: x",yes,(failed: gone),',
      'TOTAL,,2 questions,,2/2,,0/1',
      '',
    ]);
  });
});
