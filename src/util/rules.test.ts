import { describe, expect, it } from 'vitest';
import { loraSpecOf, trainOptionProblems, DEFAULT_TRAIN_OPTIONS, withTuningDefaults } from '../train/options';
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

  it('LoRA rank and alpha: checked only for a LoRA run, the rank against the model width', () => {
    const lora = { ...DEFAULT_TRAIN_OPTIONS, tuning: 'lora' as const };
    expect(trainOptionProblems(lora, { width: 192 })).toEqual([]);
    expect(trainOptionProblems({ ...lora, loraRank: 200 }, { width: 192 })).toEqual([
      { field: 'loraRank', message: "LoRA rank 200 is larger than the model's width (192): choose 1 to 192; 4 to 16 is usual." },
    ]);
    expect(trainOptionProblems({ ...lora, loraRank: 2.5, loraAlpha: -1 }).map((p) => [p.field, p.message])).toEqual([
      ['loraRank', 'LoRA rank must be a whole number from 1 to 4096 (got 2.5); 4 to 16 is usual.'],
      ['loraAlpha', 'LoRA alpha must be above 0 and at most 10,000 (got -1); twice the rank is usual.'],
    ]);
    // A full run does not care what the LoRA fields hold.
    expect(trainOptionProblems({ ...DEFAULT_TRAIN_OPTIONS, loraRank: Number.NaN }, { width: 8 })).toEqual([]);
    expect(trainOptionProblems({ ...DEFAULT_TRAIN_OPTIONS, tuning: 'half' as never }).map((p) => p.field)).toEqual(['tuning']);
    // Settings saved before LoRA existed are full runs.
    const { tuning: _t, loraRank: _r, loraAlpha: _a, loraTargets: _g, ...old } = DEFAULT_TRAIN_OPTIONS;
    expect(withTuningDefaults(old)).toMatchObject({ tuning: 'full', loraRank: 8, loraAlpha: 16, loraTargets: 'all' });
  });

  it('LoRA targets: every projection or the attention only, as a spec the model takes', () => {
    const lora = { ...DEFAULT_TRAIN_OPTIONS, tuning: 'lora' as const };
    expect(loraSpecOf(lora)).toEqual({ rank: 8, alpha: 16 });
    expect(loraSpecOf({ ...lora, loraTargets: 'attention' })).toEqual({ rank: 8, alpha: 16, targets: ['attn.c_attn', 'attn.c_proj'] });
    expect(loraSpecOf({ ...lora, tuning: 'full', loraTargets: 'attention' })).toBeNull();
    expect(trainOptionProblems({ ...lora, loraTargets: 'mlp' as never })).toEqual([{ field: 'loraTargets', message: 'LoRA adapters go on "all" projections or on the "attention" ones (got "mlp").' }]);
    // A full run does not care what the field holds.
    expect(trainOptionProblems({ ...DEFAULT_TRAIN_OPTIONS, loraTargets: 'mlp' as never })).toEqual([]);
  });
});
