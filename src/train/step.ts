// One optimisation step and one evaluation pass. Everything stays on the device;
// the caller reads back a single small tensor per step ([loss, gradNorm]).

import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import type { AdamW } from './optimizer';
import type { Batch } from './batches';
import { disposeLossRows, hostLossRows, lossRowTensors, type LossRows } from '../model/lossRows';

interface BatchTensors {
  ids: tf.Tensor2D;
  targets: tf.Tensor2D;
  mask: tf.Tensor2D;
  extra: { segmentIds?: tf.Tensor2D; positionIds?: tf.Tensor2D; rows?: LossRows };
}

function batchTensors(b: Batch): BatchTensors {
  const shape: [number, number] = [b.batchSize, b.seqLen];
  const extra: BatchTensors['extra'] = {};
  if (b.segmentIds) extra.segmentIds = tf.tensor2d(b.segmentIds, shape, 'int32');
  if (b.positions) extra.positionIds = tf.tensor2d(b.positions, shape, 'int32');
  // The rows the loss counts on, from the mask here on the CPU (none: every row).
  const rows = b.allLogits ? null : hostLossRows(b.mask, b.targets);
  if (rows) extra.rows = lossRowTensors(rows);
  return {
    ids: tf.tensor2d(b.ids, shape, 'int32'),
    targets: tf.tensor2d(b.targets, shape, 'int32'),
    mask: tf.tensor2d(b.mask, shape, 'float32'),
    extra,
  };
}

function disposeBatch(t: BatchTensors): void {
  tf.dispose([t.ids, t.targets, t.mask, t.extra.segmentIds ?? [], t.extra.positionIds ?? []].flat());
  if (t.extra.rows) disposeLossRows(t.extra.rows);
}

/** Forward, backward, clip and AdamW update. Returns [loss, gradNorm] as one tensor of 2 values. */
export function trainStep(model: GPT, optimizer: AdamW, batch: Batch, lr: number, clip: number): tf.Tensor1D {
  // The adapters alone under LoRA; the frozen weights get no gradient.
  const trainable = model.trainable;
  const vars = [...trainable.values()];
  const nameOf = new Map(vars.map((v, i) => [v.name, [...trainable.keys()][i]!]));
  const bt = batchTensors(batch);
  try {
    const { value, grads } = tf.variableGrads(() => model.loss(bt.ids, bt.targets, bt.mask, bt.extra), vars);
    const byName = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(grads)) byName.set(nameOf.get(varName)!, g);
    let norm: tf.Scalar | null = null;
    try {
      norm = optimizer.apply(byName, lr, clip);
      const out = tf.stack([value, norm]) as tf.Tensor1D;
      return out;
    } finally {
      value.dispose();
      norm?.dispose();
      for (const g of byName.values()) g.dispose();
    }
  } finally {
    disposeBatch(bt);
  }
}

/** Mean masked loss over batches (weighted by trained tokens); NaN if there are none. */
export async function evaluate(model: GPT, batches: Batch[]): Promise<number> {
  let total = 0;
  let count = 0;
  for (const b of batches) {
    const bt = batchTensors(b);
    const loss = model.loss(bt.ids, bt.targets, bt.mask, bt.extra);
    const n = b.mask.reduce((a, x) => a + x, 0);
    total += (await loss.data())[0]! * n;
    count += n;
    loss.dispose();
    disposeBatch(bt);
  }
  return count > 0 ? total / count : NaN;
}
