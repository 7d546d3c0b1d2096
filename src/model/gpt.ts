// A GPT-2-style language model written with TensorFlow.js ops, read top to
// bottom: parameters, embeddings, attention, MLP, block, the whole model, the
// masked loss, and the cached single-token step used for generation.
//
// Parameters carry Hugging Face GPT-2 names and shapes (Conv1D weights are
// [in, out], the LM head is tied to the token embedding unless an imported
// config unties it), so a checkpoint written here loads in transformers and back.

import * as tf from '@tensorflow/tfjs';
import { assertValidConfig, INIT_STD, layerNormEpsOf, type ModelConfig } from './config';
import { parameterShapes } from './params';

export { parameterShapes };
import { embeddingLookup, matMul, matMulConstB } from './ops';
import { adapterName, assertLoraState, initLora, loraSpecProblems, loraTargets, loraTargetsProblem, type LoraSpec, type LoraState } from './lora';
import { activation, addBias, addPositions, attentionSoftmax, headAttention, layerNorm } from './fused';
import { Rng } from './random';
import { selectRows, weightedCrossEntropy, type LossRows } from './lossRows';

/** Host-side copy of one parameter: what safetensors and snapshots hold. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * GPT-2 initialisation, computed in JavaScript from a seed so every backend starts
 * from the same weights: N(0, 0.02) matrices and embeddings, residual projections
 * scaled by 1/sqrt(2 * layers), zero biases, unit LayerNorm gains.
 */
export function initParameters(c: ModelConfig, seed: number, std = INIT_STD): Map<string, HostTensor> {
  const rng = new Rng(seed);
  const out = new Map<string, HostTensor>();
  const residStd = std / Math.sqrt(2 * c.layers);
  for (const [name, shape] of parameterShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name.endsWith('.bias')) {
      // zeros
    } else if (/\.ln_\d\.weight$|ln_f\.weight$/.test(name)) {
      data.fill(1);
    } else {
      const s = name.endsWith('c_proj.weight') ? residStd : std;
      for (let i = 0; i < size; i++) data[i] = rng.normal() * s;
    }
    out.set(name, { shape, data });
  }
  return out;
}

/** True if a parameter is a matrix that AdamW should decay (as nanoGPT: every 2-D tensor). */
export function isDecayed(name: string, shape: readonly number[]): boolean {
  return shape.length >= 2 && !name.includes('ln_');
}

/** Key/value cache of one generation: per layer (1, H, C, hs), C = contextLength. */
export interface KVCache {
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
}

/**
 * What a block does with its keys and values: push them to `kv` (a prefill), or,
 * with `slot`, write them into the cache where `slot` (1, 1, C, 1) is 1 and attend
 * to the whole cache (a decode step; `keep` is 1 - slot).
 */
interface BlockCache {
  kv: KVCache;
  slot?: { slot: tf.Tensor; keep: tf.Tensor };
}

/** Adapters on the model's projections (LoRA): A and B per projection, and alpha / rank on the device. */
interface Adapters {
  spec: LoraSpec;
  scale: tf.Scalar;
  params: Map<string, tf.Variable>;
}

export class GPT {
  readonly config: ModelConfig;
  /** The model's parameters by HF name (frozen while adapters are attached). */
  readonly params: Map<string, tf.Variable>;
  private adapters: Adapters | null = null;
  /** Additive causal mask (1, 1, C, C): 0 where a position may attend, -1e9 where not. Built once. */
  private readonly causalMask: tf.Tensor4D;
  /** 0..C-1 as int32, used to address cache slots without new shapes per token. */
  private readonly positions: tf.Tensor1D;
  private disposed = false;

  private constructor(config: ModelConfig, weights: Map<string, HostTensor>) {
    this.config = assertValidConfig(config);
    this.params = new Map();
    for (const [name, shape] of parameterShapes(config)) {
      const w = weights.get(name);
      if (!w) throw new Error(`Missing parameter "${name}" (expected shape [${shape.join(', ')}]).`);
      if (w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
        throw new Error(`Parameter "${name}" has shape [${w.shape.join(', ')}] but this config needs [${shape.join(', ')}].`);
      }
      // tf.variable shares the initial tensor's data; dispose the initial tensor or it leaks.
      this.params.set(name, tf.tidy(() => tf.variable(tf.tensor(w.data, shape, 'float32'), true)));
    }
    const C = config.contextLength;
    this.causalMask = tf.tidy(() => {
      const lower = tf.linalg.bandPart(tf.ones([C, C]), -1, 0);
      return tf.mul(tf.sub(1, lower), -1e9).reshape([1, 1, C, C]) as tf.Tensor4D;
    });
    this.positions = tf.range(0, C, 1, 'int32') as tf.Tensor1D;
  }

  /** A new model with GPT-2 initialisation from `seed`. */
  static create(config: ModelConfig, seed: number): GPT {
    return new GPT(config, initParameters(assertValidConfig(config), seed));
  }

  /**
   * A model from host weights (a checkpoint or a snapshot). Accepts names with or without "transformer.".
   * With `lora`, the adapted weights come from its `base` and its adapters are attached,
   * so the model is exactly the one `readLora` was called on.
   */
  static fromWeights(config: ModelConfig, weights: Map<string, HostTensor>, lora?: LoraState | null): GPT {
    const named = new Map<string, HostTensor>();
    for (const [k, v] of weights) named.set(k.startsWith('transformer.') || k.startsWith('lm_head') ? k : `transformer.${k}`, v);
    if (lora) {
      assertLoraState(assertValidConfig(config), lora);
      for (const [k, v] of lora.base) named.set(k, v);
    }
    const model = new GPT(config, named);
    if (lora) model.attachAdapters(lora, lora.adapters);
    return model;
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`No parameter named ${name}`);
    return v;
  }

  /**
   * Copies every parameter to the host. With adapters attached the adapted weights are
   * merged (W + alpha/r A B), so what is read is always a plain GPT-2 of this config.
   */
  async readWeights(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    const merged = this.adapters ? this.mergedTensors() : new Map<string, tf.Tensor>();
    try {
      for (const [name, v] of this.params) {
        const t = merged.get(name) ?? v;
        out.set(name, { shape: v.shape.slice(), data: (await t.data()) as Float32Array });
      }
    } finally {
      for (const t of merged.values()) t.dispose();
    }
    return out;
  }

  /** Overwrites every parameter with host weights of the same names and shapes (a snapshot from readWeights). */
  writeWeights(weights: Map<string, HostTensor>): void {
    for (const [name, v] of this.params) {
      const w = weights.get(name);
      if (!w || w.shape.join() !== v.shape.join()) throw new Error(`Weights for ${name} are missing or have another shape.`);
      tf.tidy(() => v.assign(tf.tensor(w.data, w.shape)));
    }
  }

  get parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  // ---- LoRA adapters ---------------------------------------------------

  /** The parameters a training step updates: the adapters while attached, else every parameter. */
  get trainable(): Map<string, tf.Variable> {
    return this.adapters ? this.adapters.params : this.params;
  }

  get trainableCount(): number {
    let n = 0;
    for (const v of this.trainable.values()) n += v.size;
    return n;
  }

  /** Rank, alpha and targets of the attached adapters; null when the model trains in full. */
  get lora(): LoraSpec | null {
    return this.adapters ? { ...this.adapters.spec } : null;
  }

  /**
   * Attaches fresh adapters (A seeded from `seed`, B zero) to the spec's projections
   * (every attention and MLP projection by default): the model's outputs do not change
   * until they train. The model's own parameters are frozen while they are attached.
   */
  attachLora(spec: LoraSpec, seed: number): void {
    this.attachAdapters(spec, initLora(this.config, spec.rank, seed, spec.targets));
  }

  private attachAdapters(spec: LoraSpec, adapters: Map<string, HostTensor>): void {
    if (this.adapters) throw new Error('This model already has LoRA adapters: merge them first.');
    const [problem] = loraSpecProblems(spec, this.config.width);
    if (problem) throw new Error(problem.message);
    const targetsProblem = loraTargetsProblem(spec.targets);
    if (targetsProblem) throw new Error(targetsProblem);
    const params = new Map<string, tf.Variable>();
    try {
      for (const { projection } of loraTargets(this.config, spec.targets)) {
        for (const which of ['A', 'B'] as const) {
          const name = adapterName(projection, which);
          const h = adapters.get(name);
          if (!h) throw new Error(`The LoRA adapter "${name}" is missing.`);
          params.set(name, tf.tidy(() => tf.variable(tf.tensor(h.data, h.shape, 'float32'), true)));
        }
      }
    } catch (e) {
      for (const v of params.values()) v.dispose();
      throw e;
    }
    const kept: LoraSpec = { rank: spec.rank, alpha: spec.alpha, ...(spec.targets ? { targets: [...spec.targets] } : {}) };
    this.adapters = { spec: kept, scale: tf.scalar(spec.alpha / spec.rank), params };
  }

  /** Each adapted weight merged with its adapter, W + (alpha / r) A B, as new tensors the caller disposes. */
  private mergedTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    const a = this.adapters;
    if (!a) return out;
    for (const { projection, weight } of loraTargets(this.config, a.spec.targets)) {
      const merged = tf.tidy(() => {
        const delta = matMul(a.params.get(adapterName(projection, 'A'))!, a.params.get(adapterName(projection, 'B'))!); // (in, r) x (r, out) -> (in, out)
        return tf.add(this.p(weight), tf.mul(delta, a.scale));
      });
      out.set(weight, merged);
    }
    return out;
  }

  /** The adapters and the unmerged base weights under them, for snapshots and checkpoints; null without adapters. */
  async readLora(): Promise<LoraState | null> {
    const a = this.adapters;
    if (!a) return null;
    const adapters = new Map<string, HostTensor>();
    for (const [name, v] of a.params) adapters.set(name, { shape: v.shape.slice(), data: (await v.data()) as Float32Array });
    const base = new Map<string, HostTensor>();
    for (const { weight } of loraTargets(this.config, a.spec.targets)) {
      const v = this.p(weight);
      base.set(weight, { shape: v.shape.slice(), data: (await v.data()) as Float32Array });
    }
    return { ...a.spec, adapters, base };
  }

  /** Folds the adapters into the weights (W += alpha/r A B) and drops them: the model trains in full again. */
  mergeLora(): void {
    const a = this.adapters;
    if (!a) return;
    const merged = this.mergedTensors();
    for (const [name, t] of merged) {
      this.p(name).assign(t);
      t.dispose();
    }
    this.dropAdapters();
  }

  private dropAdapters(): void {
    const a = this.adapters;
    if (!a) return;
    this.adapters = null;
    for (const v of a.params.values()) v.dispose();
    a.scale.dispose();
  }

  // ---- building blocks -------------------------------------------------

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    return layerNorm(x, this.p(`${prefix}.weight`), this.p(`${prefix}.bias`), layerNormEpsOf(this.config));
  }

  /**
   * x (N, in) @ W (in, out) + b: HF's Conv1D. With adapters, + (alpha/r) (x A) B, and W
   * is frozen: its product passes a gradient to x only.
   */
  private linear(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    const w = this.p(`${prefix}.weight`) as tf.Tensor2D;
    const a = this.adapters;
    if (!a) return addBias(matMul(x, w), this.p(`${prefix}.bias`)) as tf.Tensor2D;
    const y = addBias(matMulConstB(x, w), this.p(`${prefix}.bias`));
    const A = a.params.get(adapterName(prefix, 'A')) as tf.Tensor2D | undefined;
    if (!A) return y as tf.Tensor2D; // a projection the spec does not adapt: frozen as it is
    const lowRank = matMul(matMul(x, A), a.params.get(adapterName(prefix, 'B'))! as tf.Tensor2D); // (N, in) x (in, r) x (r, out) -> (N, out)
    return tf.add(y, tf.mul(lowRank, a.scale)) as tf.Tensor2D;
  }

  /** Token embedding rows for ids (N) -> (N, d). */
  private embed(ids: tf.Tensor1D): tf.Tensor2D {
    return embeddingLookup(this.p('transformer.wte.weight') as tf.Tensor2D, ids);
  }

  /** Factor on block `layer`'s attention scores: 1/sqrt(hs), and 1/(layer+1) with scaleAttnByLayer. */
  private scoreScale(layer: number): number {
    const hs = this.config.width / this.config.heads;
    return 1 / Math.sqrt(hs) / (this.config.scaleAttnByLayer ? layer + 1 : 1);
  }

  /** (B*T, d) -> (B, H, T, hs); with T = 1 the axes swap is a reshape. */
  private splitHeads(x: tf.Tensor2D, B: number, T: number): tf.Tensor4D {
    const { heads, width: d } = this.config;
    if (T === 1) return tf.reshape(x, [B, heads, 1, d / heads]) as tf.Tensor4D;
    return tf.transpose(tf.reshape(x, [B, T, heads, d / heads]), [0, 2, 1, 3]);
  }

  /** (B, H, T, hs) -> (B*T, d); the inverse of splitHeads. */
  private mergeHeads(y: tf.Tensor4D, B: number, T: number): tf.Tensor2D {
    const d = this.config.width;
    if (T === 1) return tf.reshape(y, [B, d]);
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, d]);
  }

  private mlp(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    const h = activation(this.linear(x, `${prefix}.mlp.c_fc`), this.config.activation) as tf.Tensor2D; // (N, f), f = 4d in GPT-2
    return this.linear(h, `${prefix}.mlp.c_proj`); // (N, d)
  }

  /**
   * Causal self-attention of layer `layer`. x: (B*T, d). The queries attend to this
   * call's own keys and values (B, H, T, hs) or, in a decode step, to the cache with
   * this token's key and value written into its slot; `mask` (additive, (1 or B, 1,
   * T, keys)) says what each query may see.
   */
  private attention(x: tf.Tensor2D, layer: number, B: number, T: number, mask: tf.Tensor, cache: BlockCache | null): tf.Tensor2D {
    const prefix = `transformer.h.${layer}`;
    const qkv = this.linear(x, `${prefix}.attn.c_attn`); // (B*T, 3d)
    // Without a cache the keys and values need no heads of their own: q, k and v are
    // read where they lie in qkv (on WebGL; the same ops as below elsewhere).
    if (!cache) return this.linear(headAttention(qkv, mask, B, T, this.config.heads, this.scoreScale(layer)), `${prefix}.attn.c_proj`);
    const [q2, k2, v2] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 x (B*T, d)
    const q = this.splitHeads(q2, B, T); // (B, H, T, hs)
    let k = this.splitHeads(k2, B, T);
    let v = this.splitHeads(v2, B, T);
    if (cache.slot) {
      // Slot pos takes the new key/value by broadcasting products, which every backend
      // does natively (tf.where + broadcastTo would run a Tile, slow on wasm).
      const { slot, keep } = cache.slot;
      k = tf.add(tf.mul(cache.kv.keys[layer]!, keep), tf.mul(k, slot)) as tf.Tensor4D; // (1, H, C, hs)
      v = tf.add(tf.mul(cache.kv.values[layer]!, keep), tf.mul(v, slot)) as tf.Tensor4D;
      tf.keep(k);
      tf.keep(v);
      cache.kv.keys[layer]!.dispose();
      cache.kv.values[layer]!.dispose();
      cache.kv.keys[layer] = k;
      cache.kv.values[layer] = v;
    } else {
      cache.kv.keys.push(k);
      cache.kv.values.push(v);
    }
    const probs = attentionSoftmax(matMul(q, k, true), mask, this.scoreScale(layer)); // (B, H, T, hs) x (B, H, hs, S) -> (B, H, T, S)
    const y = matMul(probs, v) as tf.Tensor4D; // (B, H, T, S) x (B, H, S, hs) -> (B, H, T, hs)
    return this.linear(this.mergeHeads(y, B, T), `${prefix}.attn.c_proj`); // (B*T, d)
  }

  /** One transformer block (pre-LN): x + attn(ln_1(x)), then + mlp(ln_2(x)). x: (B*T, d). */
  private block(x: tf.Tensor2D, layer: number, B: number, T: number, mask: tf.Tensor, cache: BlockCache | null): tf.Tensor2D {
    const pre = `transformer.h.${layer}`;
    x = tf.add(x, this.attention(this.layerNorm(x, `${pre}.ln_1`) as tf.Tensor2D, layer, B, T, mask, cache));
    return tf.add(x, this.mlp(this.layerNorm(x, `${pre}.ln_2`) as tf.Tensor2D, pre));
  }

  /**
   * Final layer norm and the LM head: (N, d) -> (N, V). The head is the token
   * embedding (tied, GPT-2) or lm_head.weight; both (V, d).
   */
  private head(x: tf.Tensor2D): tf.Tensor2D {
    const h = this.layerNorm(x, 'transformer.ln_f') as tf.Tensor2D;
    const w = this.p(this.config.tiedHead === false ? 'lm_head.weight' : 'transformer.wte.weight') as tf.Tensor2D;
    return this.adapters ? matMulConstB(h, w, true) : matMul(h, w, true); // (N, d) x (d, V); frozen under adapters
  }

  /**
   * Logits for every position. ids: (B, T) int32 with T <= contextLength.
   * `segmentIds` (B, T): tokens attend only within their own segment (packed examples);
   * `positionIds` (B, T): position of each token (restarting per packed example).
   * `kv`: every layer's keys and values (B, H, T, hs) are pushed to it (a prefill).
   */
  forward(
    ids: tf.Tensor2D,
    opts: { segmentIds?: tf.Tensor2D; positionIds?: tf.Tensor2D; kv?: { keys: tf.Tensor4D[]; values: tf.Tensor4D[] } } = {},
  ): tf.Tensor3D {
    const [B, T] = ids.shape;
    return tf.reshape(this.head(this.hidden(ids, opts)), [B, T, this.config.vocabSize]);
  }

  /** The last block's output (B*T, d), before the final layer norm and the head; options as forward's. */
  private hidden(
    ids: tf.Tensor2D,
    opts: { segmentIds?: tf.Tensor2D; positionIds?: tf.Tensor2D; kv?: { keys: tf.Tensor4D[]; values: tf.Tensor4D[] } },
  ): tf.Tensor2D {
    if (this.disposed) throw new Error('This model has been disposed.');
    const [B, T] = ids.shape;
    const C = this.config.contextLength;
    if (T > C) throw new Error(`Sequence of ${T} tokens is longer than the context length ${C}.`);
    const tok = this.embed(tf.reshape(ids, [B * T]) as tf.Tensor1D); // (B*T, d)
    const wpe = this.p('transformer.wpe.weight') as tf.Tensor2D;
    let x = opts.positionIds
      ? (tf.add(tok, embeddingLookup(wpe, tf.reshape(opts.positionIds, [B * T]) as tf.Tensor1D)) as tf.Tensor2D) // (B*T, d)
      : addPositions(tok, wpe, T); // + rows 0..T-1 of wpe for each sequence
    // One additive mask for every layer: causal, plus the segments' where examples are packed.
    let mask: tf.Tensor = T === C ? this.causalMask : tf.slice(this.causalMask, [0, 0, 0, 0], [1, 1, T, T]);
    if (opts.segmentIds) {
      const s = opts.segmentIds;
      const same = tf.equal(tf.reshape(s, [B, 1, T, 1]), tf.reshape(s, [B, 1, 1, T])); // (B, 1, T, T)
      mask = tf.add(mask, tf.mul(tf.sub(1, tf.cast(same, 'float32')), -1e9));
    }
    const cache = opts.kv ? { kv: opts.kv } : null;
    for (let i = 0; i < this.config.layers; i++) x = this.block(x, i, B, T, mask, cache);
    return x;
  }

  /**
   * Mean cross-entropy over the tokens whose mask is 1. targets (B, T) int32, mask (B, T) float32.
   * Positions with mask 0 contribute nothing, whatever their target.
   * With `rows` (hostLossRows of the same mask and targets, ./lossRows) only those
   * rows go through the head and the loss: the same value and gradients, for a
   * fraction of the head's work where the mask is sparse.
   */
  loss(ids: tf.Tensor2D, targets: tf.Tensor2D, mask: tf.Tensor2D, opts: { segmentIds?: tf.Tensor2D; positionIds?: tf.Tensor2D; rows?: LossRows } = {}): tf.Scalar {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const V = this.config.vocabSize;
      const { rows, ...forwardOpts } = opts;
      if (rows) {
        const selected = selectRows(this.hidden(ids, forwardOpts), rows.rows, rows.inverse); // (N, d)
        return weightedCrossEntropy(this.head(selected), rows); // head: (N, d) -> (N, V)
      }
      const logits = tf.reshape(this.forward(ids, forwardOpts), [B * T, V]);
      const logp = tf.logSoftmax(logits); // (B*T, V)
      const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.reshape(targets, [B * T]) as tf.Tensor1D, V).toFloat()), -1); // (B*T)
      const m = tf.reshape(mask, [B * T]);
      return tf.div(tf.neg(tf.sum(tf.mul(picked, m))), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
    });
  }

  // ---- generation with a key/value cache --------------------------------

  /**
   * Runs the prompt (1..C tokens) through the model, padded to the full context so the
   * shape never changes, and returns the logits after the last prompt token together
   * with a cache filled for positions 0..len-1. Padding sits after the prompt, so the
   * causal mask keeps it from touching the real positions.
   */
  prefill(promptIds: readonly number[]): { logits: tf.Tensor1D; cache: KVCache } {
    const C = this.config.contextLength;
    const n = promptIds.length;
    if (n < 1 || n > C) throw new Error(`Prompt must have 1 to ${C} tokens, got ${n}.`);
    const kv = { keys: [] as tf.Tensor4D[], values: [] as tf.Tensor4D[] };
    const logits = tf.tidy(() => {
      const padded = new Int32Array(C);
      padded.set(promptIds);
      const all = this.forward(tf.tensor2d(padded, [1, C], 'int32'), { kv }); // (1, C, V)
      for (const t of [...kv.keys, ...kv.values]) tf.keep(t);
      return tf.reshape(tf.slice(all, [0, n - 1, 0], [1, 1, this.config.vocabSize]), [this.config.vocabSize]) as tf.Tensor1D;
    });
    return { logits, cache: kv };
  }

  /**
   * One new token at position `pos` (< C) against the cache: writes its key and value
   * into slot `pos` and attends to slots 0..pos. All shapes are fixed, so shaders
   * compile once per generation session. Returns the next-token logits (V) and
   * replaces the cache tensors (the old ones are disposed).
   */
  decodeStep(token: number, pos: number, cache: KVCache): tf.Tensor1D {
    const { contextLength: C, vocabSize: V } = this.config;
    if (pos < 0 || pos >= C) throw new Error(`Cache position ${pos} is outside the context 0..${C - 1}.`);
    return tf.tidy(() => {
      const posT = tf.scalar(pos, 'int32');
      const slot = tf.reshape(tf.cast(tf.equal(this.positions, posT), 'float32'), [1, 1, C, 1]); // (1,1,C,1) 1 at pos
      const keep = tf.sub(1, slot); // (1,1,C,1) 0 at pos
      const visible = tf.reshape(tf.lessEqual(this.positions, posT), [1, 1, 1, C]); // (1,1,1,C)
      const attMask = tf.mul(tf.sub(1, tf.cast(visible, 'float32')), -1e9);
      const tok = this.embed(tf.tensor1d([token], 'int32')); // (1, d)
      const pe = tf.gather(this.p('transformer.wpe.weight'), tf.reshape(posT, [1])); // (1, d)
      let x = tf.add(tok, pe) as tf.Tensor2D;
      const blockCache: BlockCache = { kv: cache, slot: { slot, keep } };
      for (let i = 0; i < this.config.layers; i++) x = this.block(x, i, 1, 1, attMask, blockCache);
      return tf.reshape(this.head(x), [V]) as tf.Tensor1D;
    });
  }

  /** Next-token logits after the last of `ids` by recomputing the whole window: the uncached reference. */
  lastLogits(ids: readonly number[]): tf.Tensor1D {
    const n = ids.length;
    return tf.tidy(() => {
      const all = this.forward(tf.tensor2d(Int32Array.from(ids), [1, n], 'int32'));
      return tf.reshape(tf.slice(all, [0, n - 1, 0], [1, 1, this.config.vocabSize]), [this.config.vocabSize]) as tf.Tensor1D;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.dropAdapters();
    for (const v of this.params.values()) v.dispose();
    this.causalMask.dispose();
    this.positions.dispose();
  }
}

export function disposeCache(cache: KVCache): void {
  for (const t of [...cache.keys, ...cache.values]) t.dispose();
  cache.keys.length = 0;
  cache.values.length = 0;
}
