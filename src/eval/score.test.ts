// The one scorer of generated answers, shared by `npm run eval` and the studio's batch table.

import { describe, expect, it } from 'vitest';
import { ALPACA_TEMPLATE, PLAIN_TEMPLATE } from '../data/templates';
import type { Example } from '../data/schema';
import { evalQuestion, scoreAnswer } from './score';

describe('scoreAnswer', () => {
  it('scores the first line of the response part, normalised, and keeps the whole output', () => {
    const s = scoreAnswer(' The Brasília.\nQuestion: what else?', 'Brasilia', PLAIN_TEMPLATE);
    expect(s).toMatchObject({ raw: ' The Brasília.\nQuestion: what else?', answer: 'The Brasília.', correct: true, questionLike: false });
  });

  it("cuts the output at the template's end of text before scoring, and not for a raw prompt", () => {
    expect(scoreAnswer('Paris<|endoftext|>Rome', 'Paris', ALPACA_TEMPLATE)).toMatchObject({ answer: 'Paris', correct: true });
    expect(scoreAnswer('Paris<|endoftext|>Rome', 'Paris', null)).toMatchObject({ answer: 'Paris<|endoftext|>Rome', correct: false });
  });

  it('marks a continuation that asks more questions, and gives partial credit by ROUGE-L', () => {
    const s = scoreAnswer(' What is the capital of Spain?', 'Madrid', PLAIN_TEMPLATE);
    expect(s).toMatchObject({ correct: false, questionLike: true, rougeL: 0 });
    const partial = scoreAnswer(' New Delhi city', 'New Delhi', PLAIN_TEMPLATE);
    expect(partial.correct).toBe(false);
    expect(partial.rougeL).toBeGreaterThan(0.5);
    expect(partial.rougeL).toBeLessThan(1);
  });

  it('never counts an empty reference as matched', () => {
    expect(scoreAnswer('', '', null).correct).toBe(false);
  });
});

describe('evalQuestion', () => {
  it('reads question, input and reference from instruction and conversation examples alike', () => {
    const inst: Example = { id: '1', source: 't', kind: 'instruction', instruction: 'Capital?', input: 'France', response: 'Paris' };
    const chat: Example = {
      id: '2',
      source: 't',
      kind: 'conversation',
      messages: [
        { role: 'user', content: 'Capital of Peru?' },
        { role: 'assistant', content: 'Lima' },
      ],
    };
    expect(evalQuestion(inst)).toEqual({ question: 'Capital?', input: 'France', reference: 'Paris' });
    expect(evalQuestion(chat)).toEqual({ question: 'Capital of Peru?', input: '', reference: 'Lima' });
  });
});
