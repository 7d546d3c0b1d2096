import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpuBackend } from '../test/tf';
import { GPT } from './gpt';
import type { ModelConfig } from './config';
import { initLora, LORA_TARGET_SETS, loraParamCount, loraShapes, loraSpecProblems, loraTargetsProblem } from './lora';
import { matMul, matMulConstB } from './ops';
import { AdamW } from '../train/optimizer';
import { trainStep } from '../train/step';
import { TokenStreamBatches } from '../train/batches';

const tiny: ModelConfig = { vocabSize: 13, contextLength: 8, width: 8, layers: 2, heads: 2 };
const IDS = [
  [1, 4, 2, 7, 3, 9, 5, 0],
  [0, 5, 5, 2, 8, 1, 12, 6],
];

beforeAll(async () => {
  await useCpuBackend();
});

function logits(model: GPT): Float32Array {
  return tf.tidy(() => model.forward(tf.tensor2d(IDS, undefined, 'int32')).dataSync() as Float32Array);
}

function hostValues(vars: Map<string, tf.Variable>): Map<string, Float32Array> {
  return new Map([...vars].map(([k, v]) => [k, v.dataSync().slice() as Float32Array]));
}

/** `steps` LoRA steps at a high rate on a repeated pattern, so B moves well away from zero. */
function trainAdapters(model: GPT, steps: number): AdamW {
  const opt = new AdamW(model.trainable);
  const pattern = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const source = new TokenStreamBatches(Int32Array.from({ length: 120 }, (_, i) => pattern[i % pattern.length]!), 4, tiny.contextLength, 3);
  for (let i = 0; i < steps; i++) trainStep(model, opt, source.next(), 3e-2, 1).dispose();
  return opt;
}

describe('LoRA adapters', () => {
  it('leave the logits exactly as they were until they train, in a full forward and a cached decode', () => {
    const base = GPT.create(tiny, 5);
    const adapted = GPT.create(tiny, 5);
    adapted.attachLora({ rank: 4, alpha: 8 }, 1);
    expect(Array.from(logits(adapted))).toEqual(Array.from(logits(base)));
    const { logits: pa, cache: ca } = base.prefill([1, 4, 2]);
    const { logits: pb, cache: cb } = adapted.prefill([1, 4, 2]);
    expect(Array.from(pb.dataSync())).toEqual(Array.from(pa.dataSync()));
    expect(Array.from(adapted.decodeStep(7, 3, cb).dataSync())).toEqual(Array.from(base.decodeStep(7, 3, ca).dataSync()));
    base.dispose();
    adapted.dispose();
  });

  it('sit on every attention and MLP projection and are all a step trains', () => {
    const model = GPT.create(tiny, 5);
    model.attachLora({ rank: 3, alpha: 6 }, 1);
    expect([...model.trainable.keys()]).toEqual(loraShapes(tiny, 3).map(([n]) => n));
    expect([...model.trainable.keys()].filter((n) => n.startsWith('transformer.h.1.'))).toEqual([
      'transformer.h.1.attn.c_attn.lora_A',
      'transformer.h.1.attn.c_attn.lora_B',
      'transformer.h.1.attn.c_proj.lora_A',
      'transformer.h.1.attn.c_proj.lora_B',
      'transformer.h.1.mlp.c_fc.lora_A',
      'transformer.h.1.mlp.c_fc.lora_B',
      'transformer.h.1.mlp.c_proj.lora_A',
      'transformer.h.1.mlp.c_proj.lora_B',
    ]);
    expect(model.trainable.get('transformer.h.0.mlp.c_proj.lora_A')!.shape).toEqual([32, 3]);
    expect(model.trainable.get('transformer.h.0.attn.c_attn.lora_B')!.shape).toEqual([3, 24]);
    // r (in + out) per projection: (8+24) + (8+8) + (8+32) + (32+8) = 128 per block, x 3, x 2 blocks.
    expect(model.trainableCount).toBe(768);
    expect(loraParamCount(tiny, 3)).toBe(768);
    expect(model.parameterCount).toBeGreaterThan(model.trainableCount);
    model.dispose();
  });

  it('train while the model stays frozen: only adapter values change, and the optimizer holds moments for them alone', () => {
    const model = GPT.create(tiny, 5);
    model.attachLora({ rank: 4, alpha: 8 }, 1);
    const before = hostValues(model.params);
    const adaptersBefore = hostValues(model.trainable);
    const opt = trainAdapters(model, 6);
    for (const [name, v] of hostValues(model.params)) expect(Array.from(v), name).toEqual(Array.from(before.get(name)!));
    let changed = 0;
    for (const [name, v] of hostValues(model.trainable)) if (Array.from(v).some((x, i) => x !== adaptersBefore.get(name)![i])) changed++;
    expect(changed).toBe(model.trainable.size);
    expect([...opt.m.keys()]).toEqual([...model.trainable.keys()]);
    expect(Array.from(logits(model))).not.toEqual(Array.from(logits(GPT.create(tiny, 5))));
    opt.dispose();
    model.dispose();
  });

  it('lower the loss on what they train on', () => {
    const model = GPT.create(tiny, 5);
    // Weights well above the 0.02 init, so a low-rank change moves the logits (as a pretrained model's would).
    for (const v of model.params.values()) if (v.shape.length === 2) v.assign(tf.mul(v, 10));
    model.attachLora({ rank: 4, alpha: 8 }, 1);
    const opt = new AdamW(model.trainable);
    const pattern = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const source = new TokenStreamBatches(Int32Array.from({ length: 120 }, (_, i) => pattern[i % pattern.length]!), 4, tiny.contextLength, 3);
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const out = trainStep(model, opt, source.next(), 3e-2, 1);
      losses.push(out.dataSync()[0]!);
      out.dispose();
    }
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.75);
    opt.dispose();
    model.dispose();
  });

  it('merge into a plain GPT-2 whose logits equal the adapted model’s', async () => {
    const model = GPT.create(tiny, 5);
    model.attachLora({ rank: 4, alpha: 16 }, 1);
    trainAdapters(model, 8).dispose();
    const adapted = logits(model);
    const weights = await model.readWeights();
    expect([...weights.keys()]).toEqual([...model.params.keys()]);
    const merged = GPT.fromWeights(tiny, weights);
    expect(merged.lora).toBeNull();
    const plain = logits(merged);
    // The adapters moved the logits well beyond float noise...
    const base = logits(GPT.create(tiny, 5));
    expect(Math.max(...adapted.map((x, i) => Math.abs(x - base[i]!)))).toBeGreaterThan(0.1);
    // ...and the merged model gives the same ones up to float32 rounding.
    expect(Math.max(...plain.map((x, i) => Math.abs(x - adapted[i]!)))).toBeLessThan(1e-4);
    // Merging in place gives the same model.
    model.mergeLora();
    expect(model.lora).toBeNull();
    expect(Math.max(...logits(model).map((x, i) => Math.abs(x - plain[i]!)))).toBeLessThan(1e-5);
    merged.dispose();
    model.dispose();
  });

  it('rebuild exactly from readLora: same logits to the bit, same adapters, same frozen base', async () => {
    const model = GPT.create(tiny, 5);
    model.attachLora({ rank: 2, alpha: 5 }, 9);
    trainAdapters(model, 4).dispose();
    const state = (await model.readLora())!;
    expect(state.rank).toBe(2);
    expect(state.alpha).toBe(5);
    const again = GPT.fromWeights(tiny, await model.readWeights(), state);
    expect(again.lora).toEqual({ rank: 2, alpha: 5 });
    expect(Array.from(logits(again))).toEqual(Array.from(logits(model)));
    for (const [name, v] of hostValues(again.params)) expect(Array.from(v), name).toEqual(Array.from(model.params.get(name)!.dataSync()));
    again.dispose();
    model.dispose();
  });

  it('on the attention projections only: the MLPs stay as pretrained through training and merging, and a resume rebuilds them', async () => {
    const model = GPT.create(tiny, 5);
    model.attachLora({ rank: 3, alpha: 6, targets: LORA_TARGET_SETS.attention }, 1);
    expect([...model.trainable.keys()].filter((n) => n.startsWith('transformer.h.1.'))).toEqual([
      'transformer.h.1.attn.c_attn.lora_A',
      'transformer.h.1.attn.c_attn.lora_B',
      'transformer.h.1.attn.c_proj.lora_A',
      'transformer.h.1.attn.c_proj.lora_B',
    ]);
    // r (in + out): (8+24) + (8+8) = 48 per block, x 3, x 2 blocks.
    expect(model.trainableCount).toBe(288);
    expect(loraParamCount(tiny, 3, LORA_TARGET_SETS.attention)).toBe(288);
    // The same seed gives an attention projection the same A whichever projections are adapted.
    const every = initLora(tiny, 3, 1);
    expect(Array.from(model.trainable.get('transformer.h.0.attn.c_proj.lora_A')!.dataSync())).toEqual(Array.from(every.get('transformer.h.0.attn.c_proj.lora_A')!.data));
    const before = hostValues(model.params);
    trainAdapters(model, 6).dispose();
    const state = (await model.readLora())!;
    expect(state.targets).toEqual(LORA_TARGET_SETS.attention);
    expect([...state.base.keys()].every((k) => k.includes('.attn.'))).toBe(true);
    const again = GPT.fromWeights(tiny, await model.readWeights(), state);
    expect(Array.from(logits(again))).toEqual(Array.from(logits(model)));
    const adapted = logits(model);
    model.mergeLora();
    expect(Math.max(...logits(model).map((x, i) => Math.abs(x - adapted[i]!)))).toBeLessThan(1e-5);
    const after = hostValues(model.params);
    for (const [name, v] of after) {
      const same = Array.from(v).every((x, i) => x === before.get(name)![i]);
      expect(same, name).toBe(!/attn\.c_(attn|proj)\.weight$/.test(name));
    }
    again.dispose();
    model.dispose();
  });

  it('refuse targets that name no projection', () => {
    const model = GPT.create(tiny, 5);
    const message = 'LoRA targets must be a non-empty list of distinct projections from attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj (got ["attn.q"]).';
    expect(() => model.attachLora({ rank: 2, alpha: 4, targets: ['attn.q'] as never }, 1)).toThrow(message);
    expect(model.lora).toBeNull();
    expect(loraTargetsProblem([])).toContain('non-empty');
    expect(loraTargetsProblem(['mlp.c_fc', 'mlp.c_fc'])).toContain('distinct');
    expect(loraTargetsProblem(undefined)).toBeNull();
    model.dispose();
  });

  it('refuse a rank above the width and a non-positive alpha, saying what is allowed', () => {
    const model = GPT.create(tiny, 5);
    expect(() => model.attachLora({ rank: 9, alpha: 16 }, 1)).toThrow("LoRA rank 9 is larger than the model's width (8): choose 1 to 8");
    expect(model.lora).toBeNull();
    expect(loraSpecProblems({ rank: 0, alpha: 16 }, 8)).toEqual([{ field: 'loraRank', message: 'LoRA rank must be a whole number from 1 to 8 (got 0); 4 to 16 is usual.' }]);
    expect(loraSpecProblems({ rank: 4, alpha: 0 }, 8).map((p) => p.field)).toEqual(['loraAlpha']);
    expect(loraSpecProblems({ rank: 4, alpha: 8 }, 8)).toEqual([]);
    model.dispose();
  });
});

describe('matMulConstB', () => {
  it('has matMul’s value and gradient for a, and gives b no gradient', () => {
    const a = tf.variable(tf.randomNormal([3, 4], 0, 1, 'float32', 1));
    const b = tf.variable(tf.randomNormal([5, 4], 0, 1, 'float32', 2));
    for (const tb of [false, true]) {
      const bb = tb ? b : tf.variable(tf.transpose(b));
      const ref = tf.variableGrads(() => tf.sum(tf.square(matMul(a, bb, tb))) as tf.Scalar, [a]);
      const got = tf.variableGrads(() => tf.sum(tf.square(matMulConstB(a, bb, tb))) as tf.Scalar, [a]);
      expect(got.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0]!, 4);
      expect(Array.from(got.grads[a.name]!.dataSync())).toEqual(Array.from(ref.grads[a.name]!.dataSync()));
      expect(() => tf.variableGrads(() => tf.sum(matMulConstB(a, bb, tb)) as tf.Scalar, [bb])).toThrow();
    }
  });
});
