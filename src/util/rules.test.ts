import { describe, expect, it } from 'vitest';
import { trainOptionProblems, DEFAULT_TRAIN_OPTIONS } from '../train/options';
import { generateOptionProblems, DEFAULT_GENERATE_OPTIONS } from '../model/sampling';
import { fieldProblems } from './rules';

describe('field rules', () => {
  it('reports every broken field once, with its first broken rule, in the rules order', () => {
    const rules = [
      { field: 'a' as const, ok: (o: { a: number; b: number }) => o.a > 0, message: () => 'a must be positive' },
      { field: 'a' as const, ok: (o: { a: number; b: number }) => o.a < 10, message: () => 'a must be below 10' },
      { field: 'b' as const, ok: (o: { a: number; b: number }) => o.b !== 3, message: (o: { b: number }) => `b is ${o.b}` },
    ];
    expect(fieldProblems({ a: -1, b: 3 }, rules)).toEqual([
      { field: 'a', message: 'a must be positive' },
      { field: 'b', message: 'b is 3' },
    ]);
    expect(fieldProblems({ a: 12, b: 0 }, rules)).toEqual([{ field: 'a', message: 'a must be below 10' }]);
    expect(fieldProblems({ a: 5, b: 0 }, rules)).toEqual([]);
  });

  it('run and generation settings: defaults pass, bad values are named', () => {
    expect(trainOptionProblems(DEFAULT_TRAIN_OPTIONS)).toEqual([]);
    expect(generateOptionProblems(DEFAULT_GENERATE_OPTIONS)).toEqual([]);
    const bad = trainOptionProblems({ ...DEFAULT_TRAIN_OPTIONS, steps: 5, warmupSteps: 8, learningRate: Number.NaN });
    expect(bad.map((p) => [p.field, p.message])).toEqual([
      ['learningRate', 'Learning rate must be above 0 and at most 1 (got nothing); 1e-3 is a good start.'],
      ['warmupSteps', 'Warm-up (8) is longer than the run (5 steps).'],
    ]);
    expect(generateOptionProblems({ ...DEFAULT_GENERATE_OPTIONS, topP: 0, maxTokens: 5000 }).map((p) => p.field)).toEqual(['topP', 'maxTokens']);
  });
});
