import { describe, expect, it } from 'vitest';
import { argmax, filteredDistribution, sampleToken } from './sampling';
import { Rng } from './random';

const logits = [2, 1, 0, -1, 3]; // order by likelihood: 4, 0, 1, 2, 3

describe('sampling', () => {
  it('is greedy at temperature 0', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(1))).toBe(4);
    expect(argmax([0, 5, 5])).toBe(1);
  });

  it('top-k keeps exactly the k most likely tokens', () => {
    const d = filteredDistribution(logits, { temperature: 1, topK: 2, topP: 1 });
    expect(d.map(([id]) => id)).toEqual([4, 0]);
    expect(d[0]![1]).toBeCloseTo(Math.exp(3) / (Math.exp(3) + Math.exp(2)), 10);
  });

  it('top-p keeps the smallest head reaching p', () => {
    const full = filteredDistribution(logits, { temperature: 1, topK: 0, topP: 1 });
    expect(full.reduce((a, [, p]) => a + p, 0)).toBeCloseTo(1, 10);
    const p01 = full[0]![1] + full[1]![1];
    const d = filteredDistribution(logits, { temperature: 1, topK: 0, topP: p01 - 1e-9 });
    expect(d.map(([id]) => id)).toEqual([4, 0]);
    expect(filteredDistribution(logits, { temperature: 1, topK: 0, topP: 1e-6 }).map(([id]) => id)).toEqual([4]);
  });

  it('temperature sharpens and flattens', () => {
    const cold = filteredDistribution(logits, { temperature: 0.2, topK: 0, topP: 1 })[0]![1];
    const hot = filteredDistribution(logits, { temperature: 5, topK: 0, topP: 1 })[0]![1];
    expect(cold).toBeGreaterThan(0.99);
    expect(hot).toBeLessThan(0.35);
  });

  it('draws tokens with the right frequencies and reproducibly from a seed', () => {
    const rng = new Rng(3);
    const counts = new Map<number, number>();
    for (let i = 0; i < 20000; i++) {
      const t = sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, rng);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const [id, p] of filteredDistribution(logits, { temperature: 1, topK: 0, topP: 1 })) {
      expect((counts.get(id) ?? 0) / 20000).toBeCloseTo(p, 1);
    }
    const seq = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 20 }, () => sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, r));
    };
    expect(seq(9)).toEqual(seq(9));
    expect(seq(9)).not.toEqual(seq(10));
  });
});
