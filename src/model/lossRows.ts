// The loss on the rows where it counts. Instruction data puts the loss on the
// answers only (a sixth of a packed lesson batch's positions, a twentieth of a
// row padded to the context), yet the LM head, the log-softmax and their
// gradients are the largest products of a step of a small model. So the hidden
// rows whose mask is not 0 are gathered first, (B*T, d) -> (N, d), and only
// they go through the head and the loss. N is rounded up to one of a few sizes
// (padded with rows of weight 0) so WebGL and WebGPU compile a handful of
// shapes, not one per step. The indices come from the mask on the CPU, where
// the batch is built.

import * as tf from '@tensorflow/tfjs';

/** Where the loss counts, as host arrays: built from a batch's mask and targets. */
export interface HostLossRows {
  /** (N) the row of (B*T) each selected position comes from; padding slots repeat row 0. */
  rows: Int32Array;
  /** (B*T) the slot each row went to, or N (a zero row) where the row was not selected. */
  inverse: Int32Array;
  /** (N) the target id of each slot (0 in padding slots). */
  targets: Int32Array;
  /** (N, 2) [slot, target] of each slot, row-major: where each slot's target logit lies in (N, V). */
  picks: Int32Array;
  /** (N) the mask value of each slot (0 in padding slots). */
  weights: Float32Array;
  /** Rows whose mask is not 0 (the first `count` slots). */
  count: number;
}

/** The tensors of HostLossRows, as GPT.loss takes them. */
export interface LossRows {
  rows: tf.Tensor1D;
  inverse: tf.Tensor1D;
  targets: tf.Tensor1D;
  picks: tf.Tensor2D;
  weights: tf.Tensor1D;
}

/**
 * The number of slots for n selected rows: 16 at least, else n rounded up to
 * the next of 2^k and 1.5 x 2^k (16, 24, 32, 48, 64, 96, 128, 192, ...). Two
 * sizes an octave keep the shapes to compile few (a lesson batch's 146-186
 * answer tokens all take 192) and the padding under a third.
 */
export function lossRowSlots(n: number): number {
  if (n <= 16) return 16;
  const p = 2 ** Math.floor(Math.log2(n - 1)); // the largest power of 2 below n
  return n <= 1.5 * p ? 1.5 * p : 2 * p;
}

/**
 * The rows of a batch whose mask is not 0, padded to lossRowSlots; null when the
 * slots would be as many as the rows (e.g. a text batch, mask all 1), where
 * the loss over every row is the cheaper form.
 */
export function hostLossRows(mask: Float32Array, targets: Int32Array): HostLossRows | null {
  const total = mask.length;
  let count = 0;
  for (let i = 0; i < total; i++) if (mask[i] !== 0) count++;
  const slots = lossRowSlots(count);
  if (slots >= total) return null;
  const rows = new Int32Array(slots);
  const inverse = new Int32Array(total).fill(slots);
  const picked = new Int32Array(slots);
  const picks = new Int32Array(2 * slots);
  const weights = new Float32Array(slots);
  let k = 0;
  for (let i = 0; i < total; i++) {
    if (mask[i] === 0) continue;
    rows[k] = i;
    inverse[i] = k;
    picked[k] = targets[i]!;
    picks[2 * k + 1] = targets[i]!;
    weights[k] = mask[i]!;
    k++;
  }
  for (let j = 0; j < slots; j++) picks[2 * j] = j;
  return { rows, inverse, targets: picked, picks, weights, count };
}

export function lossRowTensors(h: HostLossRows): LossRows {
  return {
    rows: tf.tensor1d(h.rows, 'int32'),
    inverse: tf.tensor1d(h.inverse, 'int32'),
    targets: tf.tensor1d(h.targets, 'int32'),
    picks: tf.tensor2d(h.picks, [h.rows.length, 2], 'int32'),
    weights: tf.tensor1d(h.weights, 'float32'),
  };
}

export function disposeLossRows(r: LossRows): void {
  tf.dispose([r.rows, r.inverse, r.targets, r.picks, r.weights]);
}

/**
 * x (R, d) -> the rows `rows` (N, d). Its gradient is a gather too: row r of dx
 * is slot inverse[r] of dy, or 0 (slot N, appended) where r was not selected.
 * tf.gather's own gradient is a segment sum, many passes on WebGL. A padding
 * slot's gradient is dropped, which is exact: its weight 0 makes it 0.
 */
export function selectRows(x: tf.Tensor2D, rows: tf.Tensor1D, inverse: tf.Tensor1D): tf.Tensor2D {
  const f = tf.customGrad(((a: tf.Tensor) => ({
    value: tf.gather(a, rows),
    gradFunc: (dy: tf.Tensor) => tf.gather(tf.concat([dy, tf.zeros([1, dy.shape[1]!])], 0), inverse),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor) => tf.Tensor;
  return f(x) as tf.Tensor2D;
}

/**
 * Weighted mean cross-entropy of logits (N, V) against the slots' targets:
 * sum_i w_i (logsumexp_i - logits[i, t_i]) / max(sum w, 1). The target's logit is
 * picked by a gather at `picks` ([i, t_i]), not a product with an (N, V)
 * one-hot; the gradient, (softmax - onehot) w_i / max(sum w, 1) per row, is
 * written out in place of the log-softmax's derived passes. Only the logits
 * are saved for it (the log-sum-exp is computed again there): a saved
 * intermediate would outlive the forward pass, which tfjs's leak check in
 * tests counts as a leak. (tf.gather with batchDims, and tf.oneHot to float32,
 * read or write out of bounds on tfjs-wasm 4.22, so neither is used.)
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, r: Pick<LossRows, 'targets' | 'picks' | 'weights'>): tf.Scalar {
  const [N, V] = logits.shape;
  const denom = () => tf.maximum(tf.sum(r.weights), 1);
  const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    save([z]);
    const lse = tf.logSumExp(z, 1); // (N)
    const picked = tf.gatherND(z, r.picks); // (N): z[i, t_i]
    return {
      value: tf.div(tf.sum(tf.mul(tf.sub(lse, picked), r.weights)), denom()),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sz] = saved as [tf.Tensor];
        const g = tf.reshape(tf.div(tf.mul(r.weights, dy), denom()), [N, 1]);
        const probs = tf.exp(tf.sub(sz, tf.logSumExp(sz, 1, true)));
        return tf.mul(tf.sub(probs, tf.cast(tf.oneHot(r.targets, V), 'float32')), g);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: tf.Tensor) => tf.Tensor;
  return f(logits) as tf.Scalar;
}
