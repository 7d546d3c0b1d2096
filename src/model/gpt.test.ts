import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpuBackend } from '../test/tf';
import { GPT, initParameters, parameterShapes } from './gpt';
import { generateTokens } from './generate';
import { paramCount, type ModelConfig } from './config';
import { AdamW } from '../train/optimizer';
import { trainStep } from '../train/step';
import { TokenStreamBatches } from '../train/batches';

const tiny: ModelConfig = { vocabSize: 11, contextLength: 6, width: 8, layers: 2, heads: 2 };

beforeAll(async () => {
  await useCpuBackend();
});

function lossOf(model: GPT, ids: number[][], targets: number[][], mask: number[][]): number {
  return tf.tidy(() =>
    model.loss(tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(targets, undefined, 'int32'), tf.tensor2d(mask, undefined, 'float32')).dataSync()[0]!,
  );
}

describe('GPT parameters', () => {
  it('uses Hugging Face GPT-2 names and shapes, and the documented count', () => {
    const model = GPT.create(tiny, 1);
    expect([...model.params.keys()]).toEqual(parameterShapes(tiny).map(([n]) => n));
    expect(model.params.get('transformer.h.0.attn.c_attn.weight')!.shape).toEqual([8, 24]);
    expect(model.params.get('transformer.h.1.mlp.c_proj.weight')!.shape).toEqual([32, 8]);
    expect(model.params.has('lm_head.weight')).toBe(false); // tied to wte
    expect(model.parameterCount).toBe(paramCount(tiny));
    model.dispose();
  });

  it('initialises identically from the same seed and differently from another', () => {
    const a = initParameters(tiny, 7).get('transformer.wte.weight')!.data;
    const b = initParameters(tiny, 7).get('transformer.wte.weight')!.data;
    const c = initParameters(tiny, 8).get('transformer.wte.weight')!.data;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});

describe('GPT weight snapshots', () => {
  it('writeWeights restores a snapshot from readWeights, and refuses another shape', async () => {
    const model = GPT.create(tiny, 1);
    const snapshot = await model.readWeights();
    const ids = [[1, 2, 3, 4]];
    const before = lossOf(model, ids, [[2, 3, 4, 5]], [[1, 1, 1, 1]]);
    const other = GPT.create(tiny, 2);
    model.writeWeights(await other.readWeights());
    expect(lossOf(model, ids, [[2, 3, 4, 5]], [[1, 1, 1, 1]])).not.toBeCloseTo(before, 6);
    model.writeWeights(snapshot);
    expect(lossOf(model, ids, [[2, 3, 4, 5]], [[1, 1, 1, 1]])).toBeCloseTo(before, 6);
    const wrong = new Map(snapshot);
    wrong.set('transformer.wte.weight', { shape: [3, 8], data: new Float32Array(24) });
    expect(() => model.writeWeights(wrong)).toThrow(/transformer\.wte\.weight .*another shape/);
    model.dispose();
    other.dispose();
  });
});

describe('GPT forward and loss', () => {
  it('is causal: changing a later token does not change earlier logits', () => {
    const model = GPT.create(tiny, 3);
    const a = model.forward(tf.tensor2d([[1, 2, 3, 4, 5]], undefined, 'int32')).arraySync()[0]!;
    const b = model.forward(tf.tensor2d([[1, 2, 3, 9, 5]], undefined, 'int32')).arraySync()[0]!;
    expect(a[2]).toEqual(b[2]);
    expect(a[3]).not.toEqual(b[3]);
    model.dispose();
  });

  it('gradients match central finite differences', () => {
    const model = GPT.create(tiny, 5);
    // Larger weights than the 0.02 init so gradients are well above float32 noise.
    for (const v of model.params.values()) {
      if (v.shape.length === 2) v.assign(tf.mul(v, 10));
    }
    const ids = [[1, 4, 2, 7, 3, 9], [0, 5, 5, 2, 8, 1]];
    const targets = [[4, 2, 7, 3, 9, 6], [5, 5, 2, 8, 1, 3]];
    const mask = [[0, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 1]];
    const vars = [...model.params.values()];
    const names = [...model.params.keys()];
    const { grads } = tf.variableGrads(
      () => model.loss(tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(targets, undefined, 'int32'), tf.tensor2d(mask, undefined, 'float32')),
      vars,
    );
    const checked = ['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.h.0.attn.c_attn.weight', 'transformer.h.1.mlp.c_fc.bias', 'transformer.h.1.ln_2.weight', 'transformer.ln_f.bias', 'transformer.h.0.attn.c_proj.weight'];
    let compared = 0;
    for (const name of checked) {
      const v = vars[names.indexOf(name)]!;
      const g = grads[v.name]!.dataSync();
      const base = v.dataSync().slice();
      for (let k = 0; k < 4; k++) {
        const i = (k * 7919 + 13) % base.length;
        const eps = 1e-2;
        const plus = base.slice();
        plus[i] = base[i]! + eps;
        v.assign(tf.tensor(plus, v.shape));
        const lp = lossOf(model, ids, targets, mask);
        const minus = base.slice();
        minus[i] = base[i]! - eps;
        v.assign(tf.tensor(minus, v.shape));
        const lm = lossOf(model, ids, targets, mask);
        v.assign(tf.tensor(base, v.shape));
        const numeric = (lp - lm) / (2 * eps);
        expect(Math.abs(numeric - g[i]!), `${name}[${i}] analytic ${g[i]} numeric ${numeric}`).toBeLessThan(2e-3 + 0.05 * Math.abs(numeric));
        compared++;
      }
    }
    expect(compared).toBe(checked.length * 4);
    model.dispose();
  });

  it('masked loss ignores masked positions and averages over the rest', () => {
    const model = GPT.create(tiny, 9);
    const ids = [[1, 2, 3, 4]];
    const mask = [[0, 1, 0, 1]];
    const l1 = lossOf(model, ids, [[5, 6, 7, 8]], mask);
    const l2 = lossOf(model, ids, [[0, 6, 1, 8]], mask); // only masked targets changed
    expect(l2).toBeCloseTo(l1, 6);
    const l3 = lossOf(model, ids, [[5, 6, 7, 2]], mask); // a trained target changed
    expect(Math.abs(l3 - l1)).toBeGreaterThan(1e-4);
    // Same value as computing the cross-entropy by hand on the trained positions.
    const logits = model.forward(tf.tensor2d(ids, undefined, 'int32')).arraySync()[0]!;
    const nll = (row: number[], t: number) => {
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      return lse - row[t]!;
    };
    expect(l1).toBeCloseTo((nll(logits[1]!, 6) + nll(logits[3]!, 8)) / 2, 5);
    // An all-zero mask gives 0, not NaN.
    expect(Math.abs(lossOf(model, ids, [[5, 6, 7, 8]], [[0, 0, 0, 0]]))).toBe(0);
    model.dispose();
  });

  it('packed segments do not attend across their boundary', () => {
    const model = GPT.create(tiny, 4);
    const seg = tf.tensor2d([[0, 0, 0, 1, 1, 1]], undefined, 'int32');
    const pos = tf.tensor2d([[0, 1, 2, 0, 1, 2]], undefined, 'int32');
    const a = model.forward(tf.tensor2d([[1, 2, 3, 4, 5, 6]], undefined, 'int32'), { segmentIds: seg, positionIds: pos }).arraySync()[0]!;
    const b = model.forward(tf.tensor2d([[9, 8, 7, 4, 5, 6]], undefined, 'int32'), { segmentIds: seg, positionIds: pos }).arraySync()[0]!;
    const alone = model.forward(tf.tensor2d([[4, 5, 6]], undefined, 'int32')).arraySync()[0]!;
    for (let t = 3; t < 6; t++) {
      for (let j = 0; j < tiny.vocabSize; j++) {
        expect(a[t]![j]).toBeCloseTo(b[t]![j]!, 5);
        expect(a[t]![j]).toBeCloseTo(alone[t - 3]![j]!, 5);
      }
    }
    model.dispose();
  });
});

describe('training', () => {
  it('overfits a short repeated text: loss falls well below its start', async () => {
    const cfg: ModelConfig = { vocabSize: 16, contextLength: 16, width: 32, layers: 2, heads: 2 };
    const model = GPT.create(cfg, 11);
    const opt = new AdamW(model.params);
    const pattern = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const tokens = Int32Array.from({ length: 200 }, (_, i) => pattern[i % pattern.length]!);
    const batches = new TokenStreamBatches(tokens, 4, cfg.contextLength, 1);
    const losses: number[] = [];
    for (let s = 0; s < 60; s++) {
      const out = trainStep(model, opt, batches.next(), 3e-3, 1);
      losses.push((await out.data())[0]!);
      out.dispose();
    }
    expect(losses[0]).toBeGreaterThan(2);
    expect(losses[losses.length - 1]).toBeLessThan(0.3);
    expect(opt.step).toBe(60);
    opt.dispose();
    model.dispose();
  });

  it('creating and disposing a model and its optimizer leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    const model = GPT.create(tiny, 2);
    const opt = new AdamW(model.params);
    expect(tf.memory().numTensors).toBe(before + 3 * model.params.size + 2); // params, two moments, mask, positions
    opt.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('does not leak tensors across training steps and generation', async () => {
    const model = GPT.create(tiny, 2);
    const opt = new AdamW(model.params);
    const batches = new TokenStreamBatches(Int32Array.from({ length: 40 }, (_, i) => i % 11), 2, tiny.contextLength, 3);
    // Warm up once: the first step may create lazily cached tensors.
    (await trainStep(model, opt, batches.next(), 1e-3, 1)).dispose();
    const before = tf.memory().numTensors;
    for (let s = 0; s < 5; s++) {
      const out = trainStep(model, opt, batches.next(), 1e-3, 1);
      await out.data();
      out.dispose();
    }
    for (const useCache of [true, false]) {
      for await (const _ of generateTokens(model, [1, 2], { maxTokens: 9, temperature: 1, topK: 0, topP: 1, seed: 1, useCache })) void _;
    }
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    model.dispose();
  });
});

describe('generation', () => {
  async function run(model: GPT, prompt: number[], useCache: boolean, seed: number, maxTokens: number): Promise<number[]> {
    const out: number[] = [];
    for await (const t of generateTokens(model, prompt, { maxTokens, temperature: 1, topK: 0, topP: 1, seed, useCache })) out.push(t);
    return out;
  }

  it('KV-cache generation yields exactly the tokens of full recomputation, also past the context', async () => {
    const cfg: ModelConfig = { vocabSize: 13, contextLength: 8, width: 16, layers: 2, heads: 4 };
    const model = GPT.create(cfg, 21);
    for (const v of model.params.values()) if (v.shape.length === 2) v.assign(tf.mul(v, 20)); // peaked, varied logits
    for (const seed of [1, 2, 3]) {
      const cached = await run(model, [3, 1, 4], true, seed, 14); // 3 + 14 > 8: the window slides
      const full = await run(model, [3, 1, 4], false, seed, 14);
      expect(cached).toHaveLength(14);
      expect(cached).toEqual(full);
    }
    expect(await run(model, [3, 1, 4], true, 1, 14)).not.toEqual(await run(model, [3, 1, 4], true, 2, 14));
    model.dispose();
  });

  it('cached step logits equal recomputed logits', () => {
    const cfg: ModelConfig = { vocabSize: 13, contextLength: 8, width: 16, layers: 2, heads: 4 };
    const model = GPT.create(cfg, 5);
    const seq = [2, 7, 1, 8, 2, 8];
    const { logits: first, cache } = model.prefill(seq.slice(0, 3));
    first.dispose();
    for (let p = 3; p < seq.length; p++) {
      const step = model.decodeStep(seq[p]!, p, cache).dataSync();
      const ref = model.lastLogits(seq.slice(0, p + 1)).dataSync();
      for (let j = 0; j < cfg.vocabSize; j++) expect(step[j]).toBeCloseTo(ref[j]!, 5);
    }
    for (const t of [...cache.keys, ...cache.values]) t.dispose();
    model.dispose();
  });

  it('stops at a stop token and is greedy at temperature 0', async () => {
    const model = GPT.create(tiny, 8);
    const greedy1: number[] = [];
    const greedy2: number[] = [];
    for await (const t of generateTokens(model, [1], { maxTokens: 5, temperature: 0, topK: 0, topP: 1, seed: 1 })) greedy1.push(t);
    for await (const t of generateTokens(model, [1], { maxTokens: 5, temperature: 0, topK: 0, topP: 1, seed: 99 })) greedy2.push(t);
    expect(greedy1).toEqual(greedy2);
    const stop = greedy1[1]!;
    const stopped: number[] = [];
    for await (const t of generateTokens(model, [1], { maxTokens: 5, temperature: 0, topK: 0, topP: 1, seed: 1, stopIds: [stop] })) stopped.push(t);
    expect(stopped[stopped.length - 1]).toBe(stop);
    expect(stopped.length).toBe(greedy1.indexOf(stop) + 1);
    model.dispose();
  });
});
