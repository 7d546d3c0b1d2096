// Checks, on the backend already selected, that the studio's own kernels give the
// values and gradients of plain tfjs: matrix products of the shapes a GPT uses, and
// the loss and every parameter gradient of a small model. The benchmark runs it
// before timing anything on a GPU backend, so a fast wrong kernel cannot pass.

import * as tf from '@tensorflow/tfjs';
import { addPositions, attentionSoftmax, headAttention, layerNorm } from '../../src/model/fused';
import { GPT } from '../../src/model/gpt';
import { setStudioKernels } from '../../src/model/kernels';
import { matMul } from '../../src/model/ops';
import { disposeLossRows, hostLossRows, lossRowTensors } from '../../src/model/lossRows';
import { AdamW, DEFAULT_ADAMW } from '../../src/train/optimizer';
import { syntheticTokens } from './measure';

export interface CheckCase {
  name: string;
  /** Largest |ours - plain tfjs| of any returned tensor, relative to that tensor's largest |plain tfjs| value. */
  maxRelDiff: number;
}

export interface CheckResult {
  cases: CheckCase[];
  ok: boolean;
}

/** Relative tolerance: float32 sums in a different order. */
export const CHECK_TOLERANCE = 1e-4;

function values(seed: number, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2), shape);
}

function withStudioKernels<T>(on: boolean, f: () => T): T {
  setStudioKernels(on);
  try {
    return f();
  } finally {
    setStudioKernels(true);
  }
}

/** `run` with the studio's kernels against plain tfjs; with `reference`, `run` against `reference`, both on the studio's kernels. */
async function compare(name: string, run: () => tf.Tensor[], reference?: () => tf.Tensor[]): Promise<CheckCase> {
  const ours = withStudioKernels(true, run);
  const ref = reference ? withStudioKernels(true, reference) : withStudioKernels(false, run);
  // Relative to each tensor's own largest value, so a wrong small tensor (an
  // optimizer's second moment next to the weights) is not hidden by a large one.
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const [a, b] = [await ours[i]!.data(), await ref[i]!.data()];
    let diff = 0;
    let scale = 1e-12;
    for (let j = 0; j < b.length; j++) {
      diff = Math.max(diff, Math.abs(a[j]! - b[j]!));
      scale = Math.max(scale, Math.abs(b[j]!));
    }
    worst = Math.max(worst, diff / scale);
  }
  tf.dispose([...ours, ...ref]);
  return { name, maxRelDiff: worst };
}

export async function checkKernels(): Promise<CheckResult> {
  const cases: CheckCase[] = [];
  const shapes: Array<[string, number[], number[], boolean]> = [
    ['(64, 32) x (32, 96)', [64, 32], [32, 96], false],
    ['(64, 32) x (48, 32)^T', [64, 32], [48, 32], true],
    ['(2, 4, 16, 8) x (2, 4, 16, 8)^T', [2, 4, 16, 8], [2, 4, 16, 8], true],
    ['(2, 4, 16, 16) x (2, 4, 16, 8)', [2, 4, 16, 16], [2, 4, 16, 8], false],
    ['(1, 32) x (32, 96): one row, as in a KV-cache decode step', [1, 32], [32, 96], false],
    ['(6, 32) x (40, 32)^T: rows not a multiple of 4', [6, 32], [40, 32], true],
    ['(2, 4, 1, 8) x (2, 4, 16, 8)^T: one query row per head', [2, 4, 1, 8], [2, 4, 16, 8], true],
    ['(6, 10) x (10, 7): sizes the kernel leaves to tfjs', [6, 10], [10, 7], false],
    ['(128, 128) x (512, 128)^T: the tied head at S sizes', [128, 128], [512, 128], true],
    ['(128, 64) x (64, 1024): a wide weight (rows of texels wrap)', [128, 64], [64, 1024], false],
  ];
  for (const [name, sa, sb, tb] of shapes) {
    cases.push(
      await compare(`matMul ${name}, value and gradients`, () =>
        tf.tidy(() => {
          const a = values(1, sa);
          const b = values(2, sb);
          const w = values(3, tf.matMul(a, b, false, tb).shape);
          const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMul(x, y, tb), w)))([a, b]);
          return [matMul(a, b, tb), ga!, gb!];
        }),
      ),
    );
  }
  // Reductions and softmax (the studio's own on WebGPU): each block of axes, keepDims,
  // a long reduction with few outputs (two passes), and axes that are not adjacent
  // (left to tfjs).
  const reductions: Array<[string, () => tf.Tensor]> = [
    ['sum of everything, 70,000 values (two passes)', () => tf.sum(values(4, [70, 1000]))],
    ['sum over the leading axis (bias gradients)', () => tf.sum(values(5, [300, 24]), 0)],
    ['sum over the middle axes, keepDims', () => tf.sum(values(6, [3, 5, 7, 4]), [1, 2], true)],
    ['sum over axes 0 and 2 (not adjacent)', () => tf.sum(values(7, [3, 5, 7]), [0, 2])],
    ['mean over the last axis (layer norm)', () => tf.mean(values(8, [64, 48]), -1, true)],
    ['max over the last axis', () => tf.max(values(9, [64, 48]), -1)],
    ['softmax over the last axis', () => tf.softmax(tf.mul(values(10, [2, 3, 16, 16]), 4))],
    ['logSoftmax over the last axis', () => tf.logSoftmax(values(11, [32, 100]))],
  ];
  for (const [name, f] of reductions) cases.push(await compare(name, () => [tf.tidy(f)]));
  // Layer norm (fused on WebGL) with its three gradients, an odd row count included.
  for (const rows of [64, 7]) {
    cases.push(
      await compare(`layer norm of (${rows}, 48), value and gradients`, () =>
        tf.tidy(() => {
          const [x, w, b] = [tf.mul(values(12, [rows, 48]), 3), values(13, [48]), values(14, [48])];
          const dy = values(15, [rows, 48]);
          const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, ww, bb, 1e-5), dy));
          return [layerNorm(x, w, b, 1e-5), ...tf.grads(f)([x, w, b])];
        }),
      ),
    );
  }
  // Attention's masked softmax with its gradient, one mask per sequence (packed
  // segments on a causal mask), and the position rows with both gradients. In the
  // GPT's gradients these are small next to other terms, so they get cases of their own.
  cases.push(
    await compare('attention softmax of (2, 4, 16, 16), a mask per sequence, value and gradient', () =>
      tf.tidy(() => {
        const scores = tf.mul(values(16, [2, 4, 16, 16]), 3);
        const m = Float32Array.from({ length: 2 * 16 * 16 }, (_, i) => {
          const [b, q, k] = [Math.floor(i / 256), Math.floor(i / 16) % 16, i % 16];
          return k > q || (b === 1 && q >= 7 && k < 7) ? -1e9 : 0;
        });
        const mask = tf.tensor(m, [2, 1, 16, 16]);
        const dp = values(17, [2, 4, 16, 16]);
        const f = (s: tf.Tensor) => tf.sum(tf.mul(attentionSoftmax(s, mask, 0.35), dp));
        return [attentionSoftmax(scores, mask, 0.35), tf.grad(f)(scores)];
      }),
    ),
  );
  // Attention from the packed projection to the merged heads (WebGL reads q, k, v in
  // place and writes y and dqkv merged): value and the gradient for qkv, whose three
  // parts come from three different products.
  cases.push(
    await compare('head attention: qkv (2 x 16, 3 x 32), 4 heads, a mask per sequence, value and gradient', () =>
      tf.tidy(() => {
        const qkv = tf.mul(values(21, [32, 96]), 1.5) as tf.Tensor2D;
        const m = Float32Array.from({ length: 2 * 16 * 16 }, (_, i) => {
          const [b, q, k] = [Math.floor(i / 256), Math.floor(i / 16) % 16, i % 16];
          return k > q || (b === 1 && q >= 5 && k < 5) ? -1e9 : 0;
        });
        const mask = tf.tensor(m, [2, 1, 16, 16]);
        const dy = values(22, [32, 32]);
        const f = (x: tf.Tensor) => tf.sum(tf.mul(headAttention(x as tf.Tensor2D, mask, 2, 16, 4, 0.35), dy));
        return [headAttention(qkv, mask, 2, 16, 4, 0.35), tf.grad(f)(qkv)];
      }),
    ),
  );
  cases.push(
    await compare('position rows: (4 x 16, 32) + table (24, 32), value and both gradients', () =>
      tf.tidy(() => {
        const [x, table, dy] = [values(18, [64, 32]), values(19, [24, 32]), values(20, [64, 32])];
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(addPositions(a as tf.Tensor2D, b as tf.Tensor2D, 16), dy));
        return [addPositions(x as tf.Tensor2D, table as tf.Tensor2D, 16), ...tf.grads(f)([x, table])];
      }),
    ),
  );
  const config = { vocabSize: 64, contextLength: 16, width: 32, layers: 2, heads: 4 };
  const model = GPT.create(config, 5);
  const vars = [...model.params.values()];
  const ids = tf.tensor2d(syntheticTokens(64, 64, 1), [4, 16], 'int32');
  const targets = tf.tensor2d(syntheticTokens(64, 64, 2), [4, 16], 'int32');
  const mask = tf.ones([4, 16]) as tf.Tensor2D;
  cases.push(
    await compare('GPT loss and every parameter gradient (4 x 16 tokens, width 32)', () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => model.loss(ids, targets, mask), vars);
        return [value, ...vars.map((v) => grads[v.name]!)];
      }),
    ),
  );
  // Packed examples: a segment mask per sequence (the attention kernels' per-sequence
  // mask) and positions restarting within each segment.
  const segmentIds = tf.tensor2d(Int32Array.from({ length: 64 }, (_, i) => (i % 16 < 6 ? 0 : i % 16 < 11 ? 1 : 2)), [4, 16], 'int32');
  const positionIds = tf.tensor2d(Int32Array.from({ length: 64 }, (_, i) => { const t = i % 16; return t < 6 ? t : t < 11 ? t - 6 : t - 11; }), [4, 16], 'int32');
  cases.push(
    await compare('GPT loss and every parameter gradient, packed (segment mask, restarting positions)', () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => model.loss(ids, targets, mask, { segmentIds, positionIds }), vars);
        return [value, ...vars.map((v) => grads[v.name]!)];
      }),
    ),
  );
  // The loss on the masked rows only (src/model/lossRows.ts) against the loss over
  // every row, on this backend: a sparse mask (18 of 64 rows; 24 slots, 6 of them padding).
  const sparse = Float32Array.from({ length: 64 }, (_, i) => (i % 4 === 1 || i === 62 || i === 63 ? 1 : 0));
  const sparseMask = tf.tensor2d(sparse, [4, 16]);
  const hostRows = hostLossRows(sparse, (await targets.data()) as Int32Array)!;
  const rows = lossRowTensors(hostRows);
  cases.push(
    await compare(
      `GPT loss on the masked rows only (${hostRows.count} of 64, ${hostRows.rows.length} slots), packed: loss and every gradient against every row's`,
      () =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => model.loss(ids, targets, sparseMask, { segmentIds, positionIds, rows }), vars);
          return [value, ...vars.map((v) => grads[v.name]!)];
        }),
      () =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => model.loss(ids, targets, sparseMask, { segmentIds, positionIds }), vars);
          return [value, ...vars.map((v) => grads[v.name]!)];
        }),
    ),
  );
  disposeLossRows(rows);
  tf.dispose([segmentIds, positionIds, sparseMask]);
  // Three AdamW steps (clipped, decayed) from the same gradients (fixed values, not the
  // model's: Adam divides by the gradients' size, so it would magnify the products'
  // rounding differences): parameters and both moments.
  const weights = await model.readWeights();
  cases.push(
    await compare('AdamW: 3 clipped steps, parameters and both moments', () => {
      const copy = GPT.fromWeights(config, weights);
      const opt = new AdamW(copy.params, { ...DEFAULT_ADAMW, weightDecay: 0.1 });
      try {
        for (let i = 0; i < 3; i++) {
          const grads = new Map([...copy.params].map(([k, v], j) => [k, tf.tidy(() => tf.mul(values(10 * i + j, v.shape), 0.5))]));
          opt.apply(grads, 1e-2, 1).dispose();
          tf.dispose([...grads.values()]);
        }
        return [...copy.params.values(), ...opt.m.values(), ...opt.v.values()].map((t) => t.clone());
      } finally {
        opt.dispose();
        copy.dispose();
      }
    }),
  );
  tf.dispose([ids, targets, mask]);
  model.dispose();
  return { cases, ok: cases.every((c) => c.maxRelDiff <= CHECK_TOLERANCE) };
}
