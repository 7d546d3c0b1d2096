// The GPT-2 config variants an imported Hugging Face model may use (untied head,
// activation, layer-norm epsilon, MLP width, attention scaled by layer) against a
// plain-JavaScript forward pass written from HF's GPT-2 definition. The Python
// check (`npm run test:interop`) compares the same variants with transformers itself.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpuBackend } from '../test/tf';
import { GPT, initParameters, parameterShapes, type HostTensor } from './gpt';
import { fromHfConfig, paramCount, toHfConfig, UnsupportedConfigError, type ModelConfig } from './config';

beforeAll(async () => {
  await useCpuBackend();
});

const base: ModelConfig = { vocabSize: 13, contextLength: 8, width: 8, layers: 2, heads: 2 };

/** Logits (T, V) of one sequence, computed element by element. */
function referenceLogits(c: ModelConfig, w: Map<string, HostTensor>, ids: number[]): number[][] {
  const d = c.width;
  const hs = d / c.heads;
  const f = c.mlpWidth ?? 4 * d;
  const eps = c.layerNormEps ?? 1e-5;
  const get = (n: string): Float32Array => w.get(n)!.data;
  const ln = (x: number[], g: Float32Array, b: Float32Array): number[] => {
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!);
  };
  // x (in) @ W (in, out) + b, HF's Conv1D.
  const conv = (x: number[], W: Float32Array, b: Float32Array, out: number): number[] =>
    Array.from({ length: out }, (_, j) => x.reduce((a, v, i) => a + v * W[i * out + j]!, b[j]!));
  const erf = (x: number): number => {
    // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead (|x| small here).
    let sum = 0;
    let term = x;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= (-x * x) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  const act = (v: number): number => {
    if (c.activation === 'relu') return Math.max(0, v);
    if (c.activation === 'gelu') return 0.5 * v * (1 + erf(v / Math.SQRT2));
    return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  };
  let xs = ids.map((id, t) => Array.from({ length: d }, (_, k) => get('transformer.wte.weight')[id * d + k]! + get('transformer.wpe.weight')[t * d + k]!));
  for (let l = 0; l < c.layers; l++) {
    const p = `transformer.h.${l}`;
    const qkv = xs.map((x) => conv(ln(x, get(`${p}.ln_1.weight`), get(`${p}.ln_1.bias`)), get(`${p}.attn.c_attn.weight`), get(`${p}.attn.c_attn.bias`), 3 * d));
    const scale = 1 / Math.sqrt(hs) / (c.scaleAttnByLayer ? l + 1 : 1);
    const merged = xs.map((_, t) => {
      const y = new Array<number>(d).fill(0);
      for (let h = 0; h < c.heads; h++) {
        const scores = Array.from({ length: t + 1 }, (_, s) => {
          let dot = 0;
          for (let k = 0; k < hs; k++) dot += qkv[t]![h * hs + k]! * qkv[s]![d + h * hs + k]!;
          return dot * scale;
        });
        const m = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let s = 0; s <= t; s++) for (let k = 0; k < hs; k++) y[h * hs + k]! += (e[s]! / z) * qkv[s]![2 * d + h * hs + k]!;
      }
      return y;
    });
    xs = xs.map((x, t) => {
      const a = conv(merged[t]!, get(`${p}.attn.c_proj.weight`), get(`${p}.attn.c_proj.bias`), d);
      const x1 = x.map((v, k) => v + a[k]!);
      const hidden = conv(ln(x1, get(`${p}.ln_2.weight`), get(`${p}.ln_2.bias`)), get(`${p}.mlp.c_fc.weight`), get(`${p}.mlp.c_fc.bias`), f).map(act);
      const m = conv(hidden, get(`${p}.mlp.c_proj.weight`), get(`${p}.mlp.c_proj.bias`), d);
      return x1.map((v, k) => v + m[k]!);
    });
  }
  const head = get(c.tiedHead === false ? 'lm_head.weight' : 'transformer.wte.weight');
  return xs.map((x) => {
    const h = ln(x, get('transformer.ln_f.weight'), get('transformer.ln_f.bias'));
    return Array.from({ length: c.vocabSize }, (_, v) => h.reduce((a, hv, k) => a + hv * head[v * d + k]!, 0));
  });
}

/** Weights large enough that every variant moves the logits well past float32 noise. */
function weightsFor(c: ModelConfig, seed: number): Map<string, HostTensor> {
  const w = initParameters(c, seed, 0.3);
  for (const [name, t] of w) {
    if (name.endsWith('.bias') || /ln_|ln_f/.test(name)) for (let i = 0; i < t.data.length; i++) t.data[i] = (name.endsWith('.bias') ? 0 : 1) + 0.1 * Math.sin(i + name.length);
  }
  return w;
}

const variants: Array<[string, Partial<ModelConfig>]> = [
  ['GPT-2 defaults', {}],
  ['untied head (lm_head.weight)', { tiedHead: false }],
  ['exact GELU', { activation: 'gelu' }],
  ['ReLU', { activation: 'relu' }],
  ['layer_norm_epsilon 0.5', { layerNormEps: 0.5 }],
  ['n_inner 12', { mlpWidth: 12 }],
  ['scale_attn_by_inverse_layer_idx', { scaleAttnByLayer: true }],
];

describe('config variants of imported GPT-2 models', () => {
  const ids = [3, 1, 4, 1, 5, 9, 2, 6];
  const defaults = (() => {
    const c = base;
    return referenceLogits(c, weightsFor(c, 42), ids);
  })();

  it.each(variants)('%s: logits equal the element-by-element reference, and differ from plain GPT-2', (name, extra) => {
    const c: ModelConfig = { ...base, ...extra };
    const w = weightsFor(c, 42);
    const model = GPT.fromWeights(c, w);
    const got = tf.tidy(() => model.forward(tf.tensor2d([ids], undefined, 'int32')).arraySync()[0]!);
    const want = referenceLogits(c, w, ids);
    let maxErr = 0;
    got.forEach((row, t) => row.forEach((v, k) => (maxErr = Math.max(maxErr, Math.abs(v - want[t]![k]!)))));
    expect(maxErr).toBeLessThan(1e-5);
    expect(model.parameterCount).toBe(paramCount(c));
    if (name !== 'GPT-2 defaults') {
      // The variant changes the computation: ignoring the field would fail the check above.
      let diff = 0;
      want.forEach((row, t) => row.forEach((v, k) => (diff = Math.max(diff, Math.abs(v - defaults[t]![k]!)))));
      expect(diff).toBeGreaterThan(1e-4); // 10x the tolerance above
    }
    // The KV-cached decoding path uses the same config.
    const { logits, cache } = model.prefill(ids.slice(0, 5));
    const step = model.decodeStep(ids[5]!, 5, cache);
    expect(Array.from(step.dataSync()).every((v, k) => Math.abs(v - want[5]![k]!) < 1e-5)).toBe(true);
    logits.dispose();
    step.dispose();
    for (const t of [...cache.keys, ...cache.values]) t.dispose();
    model.dispose();
  });

  it('an untied model has lm_head.weight (vocab, width) after the GPT-2 names', () => {
    const shapes = parameterShapes({ ...base, tiedHead: false, mlpWidth: 12 });
    expect(shapes[shapes.length - 1]).toEqual(['lm_head.weight', [13, 8]]);
    expect(shapes.find(([n]) => n === 'transformer.h.0.mlp.c_fc.weight')![1]).toEqual([8, 12]);
  });
});

describe('Hugging Face config.json fields', () => {
  const hf = (extra: Record<string, unknown>): Record<string, unknown> => ({ ...toHfConfig(base), ...extra });

  it('carries every computation-changing field and writes it back', () => {
    const c = fromHfConfig(
      hf({ tie_word_embeddings: false, activation_function: 'relu', layer_norm_epsilon: 1e-3, n_inner: 20, scale_attn_by_inverse_layer_idx: true }),
    );
    expect(c).toEqual({ ...base, tiedHead: false, activation: 'relu', layerNormEps: 1e-3, mlpWidth: 20, scaleAttnByLayer: true });
    expect(fromHfConfig(toHfConfig(c))).toEqual(c);
  });

  it('leaves GPT-2 defaults out, so a default model stays the five shape numbers', () => {
    expect(fromHfConfig(hf({ n_inner: 32, activation_function: 'gelu_pytorch_tanh', reorder_and_upcast_attn: true }))).toEqual(base);
  });

  it.each([
    [{ model_type: 'llama' }, 'model_type', '"llama"'],
    [{ activation_function: 'silu' }, 'activation_function', '"silu"'],
    [{ scale_attn_weights: false }, 'scale_attn_weights', 'false'],
    [{ add_cross_attention: true }, 'add_cross_attention', 'true'],
    [{ n_inner: 2.5 }, 'n_inner', '2.5'],
    [{ layer_norm_epsilon: -1 }, 'layer_norm_epsilon', '-1'],
  ])('refuses %o naming the field and its value', (extra, field, value) => {
    let err: unknown;
    try {
      fromHfConfig(hf(extra));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedConfigError);
    expect((err as UnsupportedConfigError).field).toBe(field);
    expect((err as Error).message).toContain(`${field} = ${value}`);
  });
});
