import { describe, expect, it } from 'vitest';
import { WeightAverage } from './average';

const snap = (a: number[], b: number[]) =>
  new Map([
    ['w', { shape: [2], data: Float32Array.from(a) }],
    ['b', { shape: [1], data: Float32Array.from(b) }],
  ]);

describe('WeightAverage', () => {
  it('gives the element-wise mean of the snapshots added', () => {
    const avg = new WeightAverage();
    avg.add(snap([1, -2], [0.5]));
    avg.add(snap([3, 2], [1.5]));
    avg.add(snap([5, 3], [4]));
    const m = avg.mean();
    expect(avg.count).toBe(3);
    expect(Array.from(m.get('w')!.data)).toEqual([3, 1]);
    expect(Array.from(m.get('b')!.data)).toEqual([2]);
    expect(m.get('w')!.shape).toEqual([2]);
  });

  it('keeps small steps on large weights that float32 sums would round away', () => {
    const avg = new WeightAverage();
    for (let i = 0; i < 1000; i++) avg.add(new Map([['w', { shape: [1], data: Float32Array.of(1000 + (i % 2) * 0.001) }]]));
    expect(avg.mean().get('w')!.data[0]).toBeCloseTo(1000.0005, 4);
  });

  it('refuses snapshots of another model and a mean of nothing', () => {
    const avg = new WeightAverage();
    expect(() => avg.mean()).toThrow(/no snapshot/i);
    avg.add(snap([1, 2], [3]));
    expect(() => avg.add(new Map([['w', { shape: [3], data: new Float32Array(3) }], ['b', { shape: [1], data: new Float32Array(1) }]]))).toThrow(/shape \[3\] here and \[2\]/);
    expect(() => avg.add(new Map([['w', { shape: [2], data: new Float32Array(2) }]]))).toThrow(/1 tensors cannot join an average of 2/);
    expect(() => avg.add(new Map([['w', { shape: [2], data: new Float32Array(2) }], ['c', { shape: [1], data: new Float32Array(1) }]]))).toThrow(/c is not in the earlier/);
  });
});
