import { describe, expect, it } from 'vitest';
import { continuesWithQuestion, exactMatch, firstLine, normalizeAnswer, recalls, rougeLF } from './metrics';

describe('answer metrics', () => {
  it('normalises case, accents, punctuation, articles and spaces', () => {
    expect(normalizeAnswer('  The  Brasília. ')).toBe('brasilia');
    expect(normalizeAnswer("St. George's")).toBe('st george s');
    expect(normalizeAnswer('Port-au-Prince')).toBe('port au prince');
    expect(normalizeAnswer('an Euro!')).toBe('euro');
  });

  it('exact match after normalisation, never on an empty reference', () => {
    expect(exactMatch('Paris.', 'Paris')).toBe(true);
    expect(exactMatch('paris', 'PARIS')).toBe(true);
    expect(exactMatch('Buenos', 'Buenos Aires')).toBe(false);
    expect(exactMatch('Paris, France', 'Paris')).toBe(false);
    expect(exactMatch('', '')).toBe(false);
  });

  it('ROUGE-L F against hand-computed values', () => {
    expect(rougeLF('Buenos Aires', 'Buenos Aires')).toBe(1);
    // LCS 1 of 2 reference words and 1 of 1 predicted: P = 1, R = 0.5, F = 2/3.
    expect(rougeLF('Buenos', 'Buenos Aires')).toBeCloseTo(2 / 3, 10);
    expect(rougeLF('Lima', 'Paris')).toBe(0);
  });

  it('recognises continuations that are more questions', () => {
    for (const t of [
      ' What is the capital of Spain?',
      '\nQuestion 7: Which continent is Peru in?',
      ' 4. Name the capital city of Chile.',
      'Q3. What money is used in Japan?',
      ' Is it Lyon or Marseille?',
      ' Tell me the currency of Peru.',
      '\nQuick question: what is the calling code of Chad',
    ]) expect(continuesWithQuestion(t), t).toBe(true);
    for (const t of [' Paris', ' Paris\nWhat is the capital of Spain?', ' The capital is Paris.', '', ' Euro']) {
      expect(continuesWithQuestion(t), t).toBe(false);
    }
  });

  it('counts a sentence completion as recall when it starts with the reference as whole words', () => {
    expect(recalls(' Paris. It lies on the Seine.', 'Paris')).toBe(true);
    expect(recalls(' Buenos Aires, on the river', 'Buenos Aires')).toBe(true);
    expect(recalls(' +33.', '+33')).toBe(true);
    expect(recalls(' Buenos', 'Buenos Aires')).toBe(false);
    expect(recalls(' Parisian food', 'Paris')).toBe(false);
    expect(recalls(' Lyon. Paris is', 'Paris')).toBe(false);
    expect(recalls(' anything', '')).toBe(false);
  });

  it('takes the first non-empty line as the answer', () => {
    expect(firstLine('\n  Paris  \nQuestion 2: ...')).toBe('Paris');
    expect(firstLine('')).toBe('');
  });
});
