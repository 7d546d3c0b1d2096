// The loss on the masked rows only (./lossRows) must be the loss over every
// row: the same value and the same gradient for every parameter, on packed
// batches of short examples whose loss is on the answers only.

import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useCpuBackend } from '../test/tf';
import { makeBatch, packSequences, type Batch as DataBatch } from '../data/batching';
import { encodeExamples } from '../data/sequences';
import { PLAIN_TEMPLATE } from '../data/templates';
import { byteTokenizer } from '../data/test-helpers';
import type { Example } from '../data/schema';
import { GPT, initParameters } from './gpt';
import type { ModelConfig } from './config';
import { disposeLossRows, hostLossRows, lossRowSlots, lossRowTensors, type HostLossRows } from './lossRows';
import { AdamW } from '../train/optimizer';
import { trainStep } from '../train/step';
import type { Batch } from '../train/batches';

beforeAll(async () => {
  await useCpuBackend();
});

const tok = byteTokenizer();
const C = 64;
const cfg: ModelConfig = { vocabSize: tok.vocabSize, contextLength: C, width: 16, layers: 2, heads: 2 };
const ex = (id: string, instruction: string, response: string): Example => ({ id, source: 't', kind: 'instruction', instruction, response });
const examples = Array.from({ length: 7 }, (_, k) => ex(`e${k}`, `Q${k}${'?'.repeat(k % 4)}`, `A${'x'.repeat(k % 3)}`));

/** Answers-only loss, several examples packed a row: segments and restarting positions. */
function packedBatch(): DataBatch {
  const { sequences } = encodeExamples(examples, PLAIN_TEMPLATE, tok, { contextLength: C });
  const rows = packSequences(sequences, { contextLength: C, pack: true });
  return makeBatch(rows, { batchSize: rows.length, contextLength: C, padId: tok.padId });
}

/** Weights 10x GPT-2's init scale, so gradients stand well above float32 noise. */
const model = () => GPT.fromWeights(cfg, initParameters(cfg, 3, 0.2));

/** Loss and every parameter's gradient, over every row or on `rows` only. */
function lossAndGrads(m: GPT, b: DataBatch, rows: HostLossRows | null): { loss: number; grads: Map<string, Float32Array> } {
  const shape: [number, number] = [b.batchSize, b.seqLen];
  const ids = tf.tensor2d(b.ids, shape, 'int32');
  const targets = tf.tensor2d(b.targets, shape, 'int32');
  const mask = tf.tensor2d(b.mask, shape, 'float32');
  const segmentIds = tf.tensor2d(b.segmentIds, shape, 'int32');
  const positionIds = tf.tensor2d(b.positions, shape, 'int32');
  const r = rows ? lossRowTensors(rows) : undefined;
  const names = [...m.params.keys()];
  const { value, grads } = tf.variableGrads(() => m.loss(ids, targets, mask, { segmentIds, positionIds, ...(r ? { rows: r } : {}) }), [...m.params.values()]);
  const out = new Map<string, Float32Array>();
  Object.values(grads).forEach((g, i) => out.set(names[i]!, g.dataSync() as Float32Array));
  const loss = value.dataSync()[0]!;
  tf.dispose([ids, targets, mask, segmentIds, positionIds, value, ...Object.values(grads)]);
  if (r) disposeLossRows(r);
  return { loss, grads: out };
}

/** Largest |a - b| over every gradient, relative to the largest |b|. */
function gradGap(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let gap = 0;
  let scale = 0;
  for (const [name, gb] of b) {
    const ga = a.get(name)!;
    for (let i = 0; i < gb.length; i++) {
      gap = Math.max(gap, Math.abs(ga[i]! - gb[i]!));
      scale = Math.max(scale, Math.abs(gb[i]!));
    }
  }
  return gap / scale;
}

describe('lossRowSlots', () => {
  it('rounds up to 16, then to the next of 2^k and 1.5 x 2^k', () => {
    expect([1, 16, 17, 24, 25, 32, 33, 48, 49, 146, 186, 192, 193, 257].map(lossRowSlots)).toEqual([16, 16, 24, 24, 32, 32, 48, 48, 64, 192, 192, 192, 256, 384]);
  });
});

describe('hostLossRows', () => {
  it('lists the masked rows in order with their targets, pads with weight 0, and maps each row back to its slot', () => {
    const mask = new Float32Array(40);
    for (const i of [3, 4, 17, 39]) mask[i] = 1;
    const targets = Int32Array.from({ length: 40 }, (_, i) => 100 + i);
    const h = hostLossRows(mask, targets)!;
    expect(h.count).toBe(4);
    expect(h.rows.length).toBe(16);
    expect(Array.from(h.rows.slice(0, 4))).toEqual([3, 4, 17, 39]);
    expect(Array.from(h.targets.slice(0, 4))).toEqual([103, 104, 117, 139]);
    expect(Array.from(h.weights)).toEqual([1, 1, 1, 1, ...new Array(12).fill(0)]);
    expect(h.inverse[3]).toBe(0);
    expect(h.inverse[39]).toBe(3);
    expect(h.inverse[0]).toBe(16); // not selected: the zero row after the 16 slots
    expect(h.inverse[5]).toBe(16);
  });

  it('is null where the slots would cover every row (a text batch, mask all 1)', () => {
    expect(hostLossRows(new Float32Array(64).fill(1), new Int32Array(64))).toBeNull();
    expect(hostLossRows(new Float32Array(16), new Int32Array(16))).toBeNull();
  });
});

describe('GPT.loss on the masked rows only', () => {
  const batch = packedBatch();
  const rows = hostLossRows(batch.mask, batch.targets)!;
  let every: ReturnType<typeof lossAndGrads> | undefined;
  /** The loss and gradients over every row, computed once. */
  const overEveryRow = () => {
    if (!every) {
      const m = model();
      every = lossAndGrads(m, batch, null);
      m.dispose();
    }
    return every;
  };

  it('has a packed batch with a sparse mask to test on', () => {
    expect(Math.max(...batch.segmentIds)).toBeGreaterThan(1); // several examples in a row
    expect(rows).not.toBeNull();
    expect(rows.count).toBe(batch.trainedTokens);
    expect(rows.rows.length).toBeLessThan(batch.batchSize * batch.seqLen);
    expect(rows.rows.length).toBeGreaterThan(rows.count); // padding slots exercised too
  });

  it('gives the loss and every gradient of the loss over every row', () => {
    const all = overEveryRow();
    const m = model();
    const picked = lossAndGrads(m, batch, rows);
    expect(Math.abs(picked.loss - all.loss) / all.loss).toBeLessThan(1e-6);
    expect([...picked.grads.keys()]).toEqual([...all.grads.keys()]);
    expect(gradGap(picked.grads, all.grads)).toBeLessThan(1e-5);
    m.dispose();
  });

  it('differs when the rows are off by one (the comparison above can fail)', () => {
    const all = overEveryRow();
    const m = model();
    // Each selected position moved one row on, its target and weight kept.
    const shifted: HostLossRows = { ...rows, rows: rows.rows.map((r, k) => (k < rows.count ? r + 1 : r)), inverse: new Int32Array(rows.inverse.length).fill(rows.rows.length) };
    for (let k = 0; k < rows.count; k++) shifted.inverse[rows.rows[k]! + 1] = k;
    const off = lossAndGrads(m, batch, shifted);
    expect(Math.abs(off.loss - all.loss) / all.loss).toBeGreaterThan(1e-3);
    expect(gradGap(off.grads, all.grads)).toBeGreaterThan(1e-3);
    m.dispose();
  });

  it('trains the same step: trainStep on the masked rows and on every row reach the same loss and gradient norm', () => {
    const results: number[][] = [];
    for (const allLogits of [true, false]) {
      const m = model();
      const loss = vi.spyOn(m, 'loss');
      const opt = new AdamW(m.trainable);
      const b: Batch = { ids: batch.ids, targets: batch.targets, mask: batch.mask, batchSize: batch.batchSize, seqLen: batch.seqLen, segmentIds: batch.segmentIds, positions: batch.positions, allLogits };
      const out = trainStep(m, opt, b, 1e-2, 1);
      expect(loss.mock.calls[0]![3]!.rows === undefined).toBe(allLogits);
      results.push(Array.from(out.dataSync()));
      out.dispose();
      opt.dispose();
      m.dispose();
    }
    const [every, masked] = results as [number[], number[]];
    expect(masked[0]).toBeCloseTo(every[0]!, 5);
    expect(masked[1]).toBeCloseTo(every[1]!, 5);
  });

  it('gives the same on the wasm backend (as the app runs in Node and where WebGPU and WebGL are missing)', async () => {
    // IS_TEST's kernel leak check counts wasm's internal reshapes in custom gradients as leaks (see ops.test.ts).
    tf.env().set('IS_TEST', false);
    try {
      await tf.setBackend('wasm');
      const m = model();
      const picked = lossAndGrads(m, batch, rows);
      m.dispose();
      await tf.setBackend('cpu');
      const all = overEveryRow();
      expect(Math.abs(picked.loss - all.loss) / all.loss).toBeLessThan(1e-5);
      expect(gradGap(picked.grads, all.grads)).toBeLessThan(1e-4);
    } finally {
      await tf.setBackend('cpu');
      tf.env().set('IS_TEST', true);
    }
  });
});
