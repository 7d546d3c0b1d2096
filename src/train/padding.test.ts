// Bucketed padding and packing change how examples are laid out, never what
// the model learns from them: the masked loss is the same (to float tolerance)
// as with every row padded to the context, one example per row.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpuBackend } from '../test/tf';
import { BUCKET_TOKENS, makeBatch, packSequences, type Batch as DataBatch } from '../data/batching';
import { encodeExamples } from '../data/sequences';
import { PLAIN_TEMPLATE } from '../data/templates';
import { byteTokenizer } from '../data/test-helpers';
import type { Example } from '../data/schema';
import { GPT, initParameters } from '../model/gpt';
import type { ModelConfig } from '../model/config';
import { prepareInstructionData } from './instructions';
import { dataOptionProblems } from './run';
import { TrainingSession, SessionError } from './session';
import { DEFAULT_TRAIN_OPTIONS } from './options';
import type { BpeTokenizer } from '../tokenizer/bpe';

beforeAll(async () => {
  await useCpuBackend();
});

const tok = byteTokenizer();
const C = 96;
const cfg: ModelConfig = { vocabSize: tok.vocabSize, contextLength: C, width: 16, layers: 2, heads: 2 };
const ex = (id: string, instruction: string, response: string): Example => ({ id, source: 't', kind: 'instruction', instruction, response });
// Short examples of different lengths, like the country facts (10-25 byte tokens here).
const examples = Array.from({ length: 12 }, (_, k) => ex(`e${k}`, `Q${k}${'?'.repeat(k % 5)}`, `A${'x'.repeat((k * 7) % 9)}.`));

/** Weights 15x GPT-2's init scale: attention far from uniform, so a leak across examples shows in the loss. */
const sharpModel = (seed: number) => GPT.fromWeights(cfg, initParameters(cfg, seed, 0.3));

function lossOf(model: GPT, b: DataBatch): number {
  return tf.tidy(() => {
    const shape: [number, number] = [b.batchSize, b.seqLen];
    const loss = model.loss(tf.tensor2d(b.ids, shape, 'int32'), tf.tensor2d(b.targets, shape, 'int32'), tf.tensor2d(b.mask, shape, 'float32'), {
      segmentIds: tf.tensor2d(b.segmentIds, shape, 'int32'),
      positionIds: tf.tensor2d(b.positions, shape, 'int32'),
    });
    return loss.dataSync()[0]!;
  });
}

describe('batches padded to their longest row', () => {
  const { sequences } = encodeExamples(examples, PLAIN_TEMPLATE, tok, { contextLength: C });
  const rows = packSequences(sequences, { contextLength: C, pack: false });

  it('are laid out to the longest row rounded up to the bucket, and hold the same targets', () => {
    const full = makeBatch(rows, { batchSize: rows.length, contextLength: C, padId: tok.padId });
    const bucketed = makeBatch(rows, { batchSize: rows.length, contextLength: C, padId: tok.padId, bucket: BUCKET_TOKENS });
    const longest = Math.max(...rows.map((r) => r.ids.length - 1));
    expect(full.seqLen).toBe(C);
    expect(bucketed.seqLen).toBe(Math.ceil(longest / BUCKET_TOKENS) * BUCKET_TOKENS);
    expect(bucketed.seqLen).toBeLessThan(C);
    expect(bucketed.trainedTokens).toBe(full.trainedTokens);
    for (let b = 0; b < rows.length; b++) {
      const L = bucketed.seqLen;
      expect(Array.from(bucketed.ids.slice(b * L, (b + 1) * L))).toEqual(Array.from(full.ids.slice(b * C, b * C + L)));
      expect(Array.from(bucketed.mask.slice(b * L, (b + 1) * L))).toEqual(Array.from(full.mask.slice(b * C, b * C + L)));
      // Nothing cut off was trained.
      expect(full.mask.slice(b * C + L, (b + 1) * C).every((m) => m === 0)).toBe(true);
    }
  });

  it('give the same masked loss as rows padded to the whole context', () => {
    const model = sharpModel(3);
    const full = makeBatch(rows, { batchSize: rows.length, contextLength: C, padId: tok.padId });
    const bucketed = makeBatch(rows, { batchSize: rows.length, contextLength: C, padId: tok.padId, bucket: BUCKET_TOKENS });
    expect(bucketed.seqLen).toBeLessThan(C);
    const a = lossOf(model, full);
    const b = lossOf(model, bucketed);
    expect(Number.isFinite(a)).toBe(true);
    expect(Math.abs(a - b)).toBeLessThan(1e-5 * Math.abs(a));
    model.dispose();
  });

  it('keep the seeded order: same seed, same examples in every batch, same trained tokens', () => {
    const opts = { template: PLAIN_TEMPLATE, contextLength: C, batchSize: 4, seed: 7, trainOnInputs: false, pack: false, overflow: 'truncate' as const, valFraction: 0 };
    const full = prepareInstructionData(examples, tok, { ...opts, bucket: 0 }).source;
    const bucketed = prepareInstructionData(examples, tok, opts).source;
    const lengths = new Set<number>();
    for (let i = 0; i < 9; i++) {
      const f = full.next();
      const b = bucketed.next();
      expect(f.seqLen).toBe(C);
      expect(b.seqLen % BUCKET_TOKENS === 0 || b.seqLen === C).toBe(true);
      lengths.add(b.seqLen);
      const sum = (m: Float32Array) => m.reduce((s, x) => s + x, 0);
      expect(sum(b.mask)).toBe(sum(f.mask));
      // Row by row, the first L inputs agree.
      for (let r = 0; r < 4; r++) {
        expect(Array.from(b.ids.slice(r * b.seqLen, (r + 1) * b.seqLen))).toEqual(Array.from(f.ids.slice(r * C, r * C + b.seqLen)));
      }
    }
    // The source counts the distinct shapes it served (each compiles new GPU programs).
    expect(bucketed.lengths).toEqual(lengths);
    expect(bucketed.lengths.size).toBeLessThanOrEqual(C / BUCKET_TOKENS);
    expect(bucketed.tokensPerBatch).toBeLessThan(full.tokensPerBatch);
  });
});

describe('packed batches', () => {
  const { sequences } = encodeExamples(examples, PLAIN_TEMPLATE, tok, { contextLength: C });

  it('give the same loss as the same examples one per row (no example sees the one before it)', () => {
    const model = sharpModel(5);
    const unpacked = packSequences(sequences, { contextLength: C, pack: false });
    const packed = packSequences(sequences, { contextLength: C, pack: true });
    expect(packed.length).toBeLessThan(unpacked.length);
    expect(packed.some((r) => r.exampleIds.length > 1)).toBe(true);
    const shape = { contextLength: C, padId: tok.padId };
    const a = makeBatch(unpacked, { ...shape, batchSize: unpacked.length });
    const b = makeBatch(packed, { ...shape, batchSize: packed.length, bucket: BUCKET_TOKENS });
    expect(b.trainedTokens).toBe(a.trainedTokens);
    const la = lossOf(model, a);
    const lb = lossOf(model, b);
    expect(Math.abs(la - lb)).toBeLessThan(1e-5 * Math.abs(la));
    model.dispose();
  });

  it('would differ if attention crossed into the previous example (the check can fail)', () => {
    const model = sharpModel(5);
    const packed = packSequences(sequences, { contextLength: C, pack: true });
    const unpacked = packSequences(sequences, { contextLength: C, pack: false });
    const b = makeBatch(packed, { contextLength: C, padId: tok.padId, batchSize: packed.length });
    const a = makeBatch(unpacked, { contextLength: C, padId: tok.padId, batchSize: unpacked.length });
    // One segment per row: attention may cross example boundaries.
    const leaky = { ...b, segmentIds: b.segmentIds.map((s) => (s > 0 ? 1 : 0)) };
    expect(Math.abs(lossOf(model, leaky) - lossOf(model, a))).toBeGreaterThan(1e-2);
    model.dispose();
  });

  it('pack to a shorter length when asked, and refuse one over the context', () => {
    const rows = packSequences(sequences, { contextLength: C, pack: true, packLength: 64 });
    expect(rows.some((r) => r.exampleIds.length > 1)).toBe(true);
    for (const r of rows) expect(r.ids.length).toBeLessThanOrEqual(65);
    expect(() => packSequences(sequences, { contextLength: C, pack: true, packLength: C + 1 })).toThrow(/packing length must be a whole number from 2 to the model's context of 96/);
  });
});

describe('refusals', () => {
  const data = { kind: 'instructions' as const, examples, template: PLAIN_TEMPLATE, trainOnInputs: false, pack: true, overflow: 'truncate' as const };

  it('name the packing-length field when it is over the context', () => {
    expect(dataOptionProblems({ ...data, packLength: 32 }, C)).toEqual([]);
    const p = dataOptionProblems({ ...data, packLength: 97 }, C);
    expect(p.map((x) => x.field)).toEqual(['packLength']);
    expect(p[0]!.message).toMatch(/from 2 to the model's context of 96 tokens \(got 97\)/);
  });

  it('refuse a run with a packing length over the context before allocating anything', async () => {
    const session = new TrainingSession({ emit: () => {}, checkDevice: () => {}, describeFailure: (e) => String(e) });
    session.replaceModel(GPT.create(cfg, 1), tok as unknown as BpeTokenizer, 'm', 0);
    const before = tf.memory().numTensors;
    const run = session.train({ ...data, packLength: 100 }, { ...DEFAULT_TRAIN_OPTIONS, steps: 2, batchSize: 2 }, undefined, undefined);
    await expect(run).rejects.toBeInstanceOf(SessionError);
    await expect(run).rejects.toThrow(/packing length/);
    expect(tf.memory().numTensors).toBe(before);
    expect(session.optimizer).toBeNull();
    expect(session.active).toBe(false);
    session.releaseTensors();
  });
});
