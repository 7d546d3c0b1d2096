import { describe, expect, it } from 'vitest';
import type { Batch, BatchSource } from './batches';
import { isInstructionBatch, MixedBatches, mixShareProblem } from './mix';

/** A source whose batches carry its tag and a counter in ids[0], so the order is visible. */
class Tagged implements BatchSource {
  n = 0;
  constructor(private readonly tag: number, readonly tokensPerBatch: number) {}
  next(): Batch {
    const ids = Int32Array.of(this.tag * 1000 + this.n++);
    return { ids, targets: ids, mask: Float32Array.of(1), batchSize: 1, seqLen: 1 };
  }
  getState(): unknown {
    return { n: this.n };
  }
  setState(s: unknown): void {
    this.n = (s as { n: number }).n;
  }
}

const draw = (m: MixedBatches, k: number) => Array.from({ length: k }, () => m.next().ids[0]!);

describe('mixed text and instruction batches', () => {
  it('draws exactly floor(n * share) instruction batches after n, evenly spread', () => {
    for (const share of [0.1, 0.25, 0.5, 0.75]) {
      for (const n of [1, 7, 40, 101]) {
        let k = 0;
        for (let i = 0; i < n; i++) if (isInstructionBatch(i, share)) k++;
        expect(k).toBe(Math.floor(n * share));
      }
    }
    const m = new MixedBatches(new Tagged(1, 64), new Tagged(2, 32), 0.5);
    expect(draw(m, 6)).toEqual([1000, 2000, 1001, 2001, 1002, 2002]);
    expect(m.tokensPerBatch).toBe(48);
  });

  it('resumes from its state with the same batches an uninterrupted run draws', () => {
    const a = new MixedBatches(new Tagged(1, 1), new Tagged(2, 1), 0.3);
    const full = draw(a, 20);
    const b = new MixedBatches(new Tagged(1, 1), new Tagged(2, 1), 0.3);
    draw(b, 9);
    const state = JSON.parse(JSON.stringify(b.getState())) as unknown;
    const c = new MixedBatches(new Tagged(1, 1), new Tagged(2, 1), 0.3);
    c.setState(state);
    expect(draw(c, 11)).toEqual(full.slice(9));
  });

  it('refuses a share that would leave one side empty, with the reason', () => {
    for (const bad of [0, 1, -0.2, 1.5, Number.NaN]) expect(mixShareProblem(bad)).toMatch(/above 0 and below 1/);
    expect(mixShareProblem(0.5)).toBeNull();
    expect(() => new MixedBatches(new Tagged(1, 1), new Tagged(2, 1), 1)).toThrow(/above 0 and below 1/);
  });
});
