// Operations that run as a few draws on WebGL (./kernels/fused_webgl.ts), as a few
// dispatches on WebGPU (./kernels/fused_webgpu.ts) and as ordinary tf ops elsewhere:
// GELU, layer norm, bias gradients, attention (its masked softmax, and its per-head
// products read and written in the merged layouts), the AdamW update's formulas and
// the gradient norm's sum of squares. Each tf op is a launch of its own, with a
// fixed cost whatever its size, so these formulas as tf ops were mostly launch
// overhead; wasm and cpu run small ops cheaply and keep the tf-op forms. The tf-op
// forms are also the reference the fused ones are checked against
// (scripts/bench/check.ts).

import * as tf from '@tensorflow/tfjs';
import {
  STUDIO_ADAMW_WEBGL,
  STUDIO_ATTN_SOFTMAX_WEBGL,
  STUDIO_ATTN_SOFTMAX_WEBGPU,
  STUDIO_FUSED_WEBGL,
  STUDIO_FUSED_WEBGPU,
  STUDIO_HEADS_WEBGL,
  STUDIO_HEADS_WEBGPU,
  STUDIO_LAYER_NORM_WEBGL,
  STUDIO_LAYER_NORM_WEBGPU,
  STUDIO_POSITIONS_WEBGL,
  STUDIO_POSITIONS_WEBGPU,
  STUDIO_SUM_SQUARES_WEBGL,
  STUDIO_SUM_SQUARES_WEBGPU,
  SUM_SQUARES_PER_DISPATCH,
  SUM_SQUARES_PER_DRAW,
  studioWebGlOn,
  studioWebGpuOn,
  headsFit,
  headsFitWebGpu,
  type HeadsStage,
  type LayerNormStage,
} from './kernels';
import { matMul } from './ops';
import type { Activation } from './config';

/**
 * One WebGL draw or WebGPU dispatch: `code` assigning `result` from x0..x{n-1}, the
 * elements of `inputs` (same shape, or scalars), and the floats u0..u{m-1} of
 * `uniforms`, written so it reads the same in GLSL (vec4 texels) and WGSL (f32).
 * Call only where studioWebGlOn() or studioWebGpuOn() holds.
 */
function fusedOp(code: string, inputs: tf.Tensor[], uniforms: number[] = []): tf.Tensor {
  const named: Record<string, tf.Tensor> = {};
  inputs.forEach((t, i) => (named[`x${i}`] = t));
  const kernel = studioWebGlOn() ? STUDIO_FUSED_WEBGL : STUDIO_FUSED_WEBGPU;
  return tf.engine().runKernel(kernel, named, { code, uniforms } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;
// tanh's argument is clamped: beyond |15| tanh is 1 in float32, and some GLSL
// implementations of tanh overflow (exp) to NaN for large arguments.
const geluT = (): string =>
  `${studioWebGlOn() ? 'vec4 t =' : 'let t ='} tanh(clamp(${GELU_K.toPrecision(9)} * (x0 + ${GELU_C} * x0 * x0 * x0), -15.0, 15.0));`;

/** GPT-2's tanh approximation of GELU ("gelu_new") as tf ops: the reference form. */
export function geluOps(x: tf.Tensor): tf.Tensor {
  // x*x*x rather than tf.pow(x, 3): pow is several times slower on wasm.
  const inner = tf.mul(GELU_K, tf.add(x, tf.mul(GELU_C, tf.mul(tf.mul(x, x), x))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** GELU in one draw (dispatch), with a gradient in one: dy * d/dx gelu(x). */
const geluFused = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: fusedOp(`${geluT()} result = 0.5 * x0 * (1.0 + t);`, [x]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      fusedOp(
        `${geluT()} result = x1 * (0.5 * (1.0 + t) + 0.5 * x0 * (1.0 - t * t) * ${GELU_K.toPrecision(9)} * (1.0 + ${3 * GELU_C} * x0 * x0));`,
        [saved[0]!, dy],
      ),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/** GELU ("gelu_new"): fused on WebGL and WebGPU, tf ops (and their derived gradient) elsewhere. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return studioWebGlOn() || studioWebGpuOn() ? geluFused(x) : geluOps(x);
}

/**
 * The MLP nonlinearity named by HF's `activation_function`: GPT-2's tanh-GELU
 * ("gelu_new", fused on WebGL), exact erf-GELU ("gelu") or ReLU.
 */
export function activation(x: tf.Tensor, kind: Activation = 'gelu_new'): tf.Tensor {
  if (kind === 'relu') return tf.relu(x);
  if (kind === 'gelu') return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  return gelu(x);
}

/** Layer norm over the last axis as tf ops: the reference form (and its derived gradient). */
export function layerNormOps(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(xhat, w), b);
}

function lnStage(stage: LayerNormStage, eps: number, inputs: Record<string, tf.Tensor>): tf.Tensor {
  const kernel = studioWebGlOn() ? STUDIO_LAYER_NORM_WEBGL : STUDIO_LAYER_NORM_WEBGPU;
  return tf.engine().runKernel(kernel, inputs, { stage, eps } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Layer norm of x (N, C) in two draws (dispatches), its gradient (x, weight, bias) in four. */
function layerNormFused(eps: number): (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  return tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const s = lnStage('stats', eps, { x });
    save([x, w, s]);
    return {
      value: lnStage('apply', eps, { x, s, w, b }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, ss] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const g = lnStage('gradStats', eps, { dy, x: sx, s: ss, w: sw });
        return [lnStage('dx', eps, { dy, x: sx, s: ss, w: sw, g }), lnStage('dw', eps, { dy, x: sx, s: ss }), lnStage('db', eps, { dy })];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;
}

const layerNormFusedByEps = new Map<number, (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor>();

/** Whether the fused layer-norm stages take x (N, C): WebGL with C even, or WebGPU. */
function lnStagesFit(x: tf.Tensor): boolean {
  if (x.rank !== 2) return false;
  return studioWebGpuOn() || (studioWebGlOn() && x.shape[1]! % 2 === 0);
}

/**
 * Layer norm over the last axis of x (N, C) with weight and bias (C): fused on
 * WebGL where C is even and on WebGPU, tf ops (and their derived gradient) elsewhere.
 */
export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  if (!lnStagesFit(x)) return layerNormOps(x, w, b, eps);
  let f = layerNormFusedByEps.get(eps);
  if (!f) layerNormFusedByEps.set(eps, (f = layerNormFused(eps)));
  return f(x, w, b);
}

/** y (N, C) + b (C), whose gradient for b is one column-sum draw or dispatch. */
const addBiasFused = tf.customGrad(((y: tf.Tensor, b: tf.Tensor) => ({
  value: tf.add(y, b),
  gradFunc: (dy: tf.Tensor) => [tf.reshape(dy, y.shape), lnStage('db', 0, { dy })],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (y: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * y (N, C) + bias b (C). On WebGL (C even) and WebGPU b's gradient, the sum of dy
 * over rows, is one draw or dispatch (the layer-norm 'db' stage); tfjs's derived
 * gradient transposes, unpacks and reduces in passes. Elsewhere tf.add and its
 * derived gradient.
 */
export function addBias(y: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (!lnStagesFit(y) || b.rank !== 1) return tf.add(y, b);
  return addBiasFused(y, b);
}

/**
 * Token rows x (B T, d) plus the position table's first T rows, repeated for each of
 * the B sequences. On WebGL (T and d even) and WebGPU one draw or dispatch forward
 * and one for the table's gradient (tfjs's tile of the table has a gradient of B
 * slices and B adds); elsewhere tile and add.
 */
export function addPositions(x: tf.Tensor2D, table: tf.Tensor2D, T: number): tf.Tensor2D {
  const [rows, d] = x.shape;
  const C = table.shape[0];
  const webgl = studioWebGlOn();
  if (!(studioWebGpuOn() || (webgl && T % 2 === 0 && d % 2 === 0)) || rows % T !== 0 || T > C) {
    return tf.add(x, tf.tile(tf.slice(table, [0, 0], [T, d]), [rows / T, 1]));
  }
  const kernel = webgl ? STUDIO_POSITIONS_WEBGL : STUDIO_POSITIONS_WEBGPU;
  const f = tf.customGrad(((xx: tf.Tensor, p: tf.Tensor) => ({
    value: tf.engine().runKernel(kernel, { x: xx, p }, { stage: 'add', T, C } as unknown as tf.NamedAttrMap) as tf.Tensor,
    gradFunc: (dy: tf.Tensor) => [dy, tf.engine().runKernel(kernel, { dy }, { stage: 'grad', T, C } as unknown as tf.NamedAttrMap) as tf.Tensor],
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  return f(x, table) as tf.Tensor2D;
}

/** softmax(scores scale + mask) over the last axis as tf ops: the reference form. */
export function attentionSoftmaxOps(scores: tf.Tensor, mask: tf.Tensor, scale: number): tf.Tensor {
  return tf.softmax(tf.add(tf.mul(scores, scale), mask), -1);
}

/**
 * Attention probabilities softmax(scores scale + mask) over the last axis, for scores
 * (B, H, T, K) and an additive mask (1 or B, 1, T, K) that gets no gradient. On WebGL
 * (T and K even) two draws forward and two for the gradient, on WebGPU one dispatch
 * each (tfjs: a scale, a mask add, a softmax of ~7 draws and a gradient of ~6). Elsewhere
 * tf ops and their derived gradient.
 */
export function attentionSoftmax(scores: tf.Tensor, mask: tf.Tensor, scale: number): tf.Tensor {
  const [B, H, T, K] = scores.shape as [number, number, number, number];
  const webgl = studioWebGlOn();
  const fits = scores.rank === 4 && mask.rank === 4 && mask.shape[1] === 1 && mask.shape[2] === T && mask.shape[3] === K && (mask.shape[0] === 1 || mask.shape[0] === B);
  if (!fits || !(studioWebGpuOn() || (webgl && T % 2 === 0 && K % 2 === 0))) return attentionSoftmaxOps(scores, mask, scale);
  const a = tf.reshape(mask, [mask.shape[0]!, T, K]);
  const attrs = (stage: string) => ({ stage, heads: H, scale }) as unknown as tf.NamedAttrMap;
  const run = (kernel: string, stage: string, inputs: Record<string, tf.Tensor>) => tf.engine().runKernel(kernel, inputs, attrs(stage)) as tf.Tensor;
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    let p: tf.Tensor;
    if (webgl) p = run(STUDIO_ATTN_SOFTMAX_WEBGL, 'apply', { x, a, s: run(STUDIO_ATTN_SOFTMAX_WEBGL, 'stats', { x, a }) });
    else p = run(STUDIO_ATTN_SOFTMAX_WEBGPU, 'forward', { x, a });
    save([p]);
    return {
      value: p,
      gradFunc: (dp: tf.Tensor, saved: tf.Tensor[]) => {
        const sp = saved[0]!;
        if (!webgl) return run(STUDIO_ATTN_SOFTMAX_WEBGPU, 'backward', { dp, p: sp });
        return run(STUDIO_ATTN_SOFTMAX_WEBGL, 'dx', { dp, p: sp, g: run(STUDIO_ATTN_SOFTMAX_WEBGL, 'gradStats', { dp, p: sp }) });
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
  return tf.reshape(f(tf.reshape(scores, [B * H, T, K])), [B, H, T, K]);
}

/** (B T, d) -> (B, H, T, hs): the heads of each sequence as entries of their own. */
function splitHeads(x: tf.Tensor2D, B: number, T: number, H: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [B, T, H, x.shape[1] / H]), [0, 2, 1, 3]);
}

/**
 * Causal self-attention's core as tf ops, the reference form: from the projection
 * qkv (B T, 3d) (queries, keys, values side by side) to the heads' outputs merged
 * back to (B T, d): per head softmax(q k^T scale + mask) v, with the mask (1 or B,
 * 1, T, T) additive.
 */
export function headAttentionOps(qkv: tf.Tensor2D, mask: tf.Tensor, B: number, T: number, H: number, scale: number): tf.Tensor2D {
  const [q2, k2, v2] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 x (B T, d)
  const [q, k, v] = [q2, k2, v2].map((x) => splitHeads(x, B, T, H)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const probs = attentionSoftmax(matMul(q, k, true), mask, scale); // (B, H, T, hs) x (B, H, hs, T) -> (B, H, T, T)
  const y = matMul(probs, v) as tf.Tensor4D; // (B, H, T, T) x (B, H, T, hs) -> (B, H, T, hs)
  return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, q2.shape[1]]);
}

/**
 * Causal self-attention's core: headAttentionOps's value and gradient. On WebGL (T
 * and the head size even) and WebGPU (both multiples of 4), with a mask that fits
 * attentionSoftmax's, the per-head products read q, k and v where they lie in qkv
 * and write y and dqkv in their merged layouts (./kernels/attention_webgl.ts,
 * attention_webgpu.ts): 4 draws forward and 4 back on WebGL, 3 and 3 dispatches on
 * WebGPU, the softmax's stages included. tfjs's split, reshapes and transposes of
 * the heads and their gradients are about 20 launches a layer more. Elsewhere
 * headAttentionOps.
 */
export function headAttention(qkv: tf.Tensor2D, mask: tf.Tensor, B: number, T: number, H: number, scale: number): tf.Tensor2D {
  const dims = { B, T, H, hs: qkv.shape[1] / 3 / H };
  const webgl = studioWebGlOn();
  const fits =
    (webgl ? headsFit(dims) : studioWebGpuOn() && headsFitWebGpu(dims)) &&
    qkv.shape[0] === B * T &&
    qkv.shape[1] === 3 * H * dims.hs &&
    mask.rank === 4 &&
    mask.shape[1] === 1 &&
    mask.shape[2] === T &&
    mask.shape[3] === T &&
    (mask.shape[0] === 1 || mask.shape[0] === B);
  if (!fits) return headAttentionOps(qkv, mask, B, T, H, scale);
  const a = tf.reshape(mask, [mask.shape[0]!, T, T]);
  const heads = (stage: HeadsStage, inputs: Record<string, tf.Tensor>) =>
    tf.engine().runKernel(webgl ? STUDIO_HEADS_WEBGL : STUDIO_HEADS_WEBGPU, inputs, { stage, ...dims } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const softmax = (stage: string, inputs: Record<string, tf.Tensor>) =>
    tf.engine().runKernel(webgl ? STUDIO_ATTN_SOFTMAX_WEBGL : STUDIO_ATTN_SOFTMAX_WEBGPU, inputs, { stage, heads: H, scale } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const scores = heads('scores', { qkv: x });
    const p = webgl ? softmax('apply', { x: scores, a, s: softmax('stats', { x: scores, a }) }) : softmax('forward', { x: scores, a });
    save([x, p]);
    return {
      value: heads('values', { p, qkv: x }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sp] = saved as [tf.Tensor, tf.Tensor];
        const dp = heads('dProbs', { dy, qkv: sx });
        const ds = webgl ? softmax('dx', { dp, p: sp, g: softmax('gradStats', { dp, p: sp }) }) : softmax('backward', { dp, p: sp });
        return heads('dQkv', { ds, p: sp, qkv: sx, dy });
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
  return f(qkv) as tf.Tensor2D;
}

/**
 * Sum of the squares of every element of every tensor, as a scalar on the device:
 * on WebGL one draw per SUM_SQUARES_PER_DRAW tensors (each draw adds to the running
 * total), on WebGPU one dispatch per SUM_SQUARES_PER_DISPATCH tensors (each adds to
 * running partial sums) and one sum of the partials, elsewhere
 * tf.sum(tf.square(x)) per tensor summed pairwise (not tf.addN: see sumPairwise).
 */
export function sumOfSquares(xs: tf.Tensor[]): tf.Scalar {
  if (xs.length === 0) throw new Error('sumOfSquares needs at least one tensor.');
  if (studioWebGpuOn()) {
    return tf.tidy(() => {
      let partials: tf.Tensor | null = null;
      for (let i = 0; i < xs.length; i += SUM_SQUARES_PER_DISPATCH) {
        const inputs: Record<string, tf.Tensor> = partials ? { partials } : {};
        xs.slice(i, i + SUM_SQUARES_PER_DISPATCH).forEach((x, j) => (inputs[`g${j}`] = x));
        partials = tf.engine().runKernel(STUDIO_SUM_SQUARES_WEBGPU, inputs) as tf.Tensor;
      }
      return tf.sum(partials!) as tf.Scalar;
    });
  }
  if (!studioWebGlOn()) return sumPairwise(xs.map((x) => tf.sum(tf.square(x)))) as tf.Scalar;
  return tf.tidy(() => {
    let total: tf.Tensor | null = null;
    for (let i = 0; i < xs.length; i += SUM_SQUARES_PER_DRAW) {
      const inputs: Record<string, tf.Tensor> = total ? { total } : {};
      xs.slice(i, i + SUM_SQUARES_PER_DRAW).forEach((x, j) => {
        inputs[`g${j}`] = x.rank === 2 ? x : tf.reshape(x, x.rank < 2 ? [1, x.size] : [-1, x.shape[x.rank - 1]!]);
      });
      total = tf.engine().runKernel(STUDIO_SUM_SQUARES_WEBGL, inputs) as tf.Tensor;
    }
    return total as tf.Scalar;
  });
}

/** The numbers of one AdamW step that every parameter shares. */
export interface AdamWStep {
  beta1: number;
  beta2: number;
  /** lr c1 / sqrt(c2), with c1, c2 the bias corrections. */
  stepSize: number;
  /** eps / sqrt(c2). */
  epsHat: number;
  /** 1 - lr wd: the share of a decayed parameter that it keeps. */
  decayKeep: number;
  /** s (1 - b1) and s^2 (1 - b2) on the device, s the clipping factor. */
  gScale: tf.Scalar;
  g2Scale: tf.Scalar;
}

export interface AdamWUpdated {
  m: tf.Tensor;
  v: tf.Tensor;
  param: tf.Tensor;
}

/**
 * The AdamW update of one step, as a function applied to each parameter p with its
 * moments m, v and gradient g:
 *   m' = b1 m + gScale g,  v' = b2 v + g2Scale g^2,
 *   p' = p keep - stepSize m' / (sqrt(v') + epsHat),  keep = decayKeep if decayed, else 1.
 * On WebGL one draw per parameter (three render targets), on WebGPU three
 * dispatches, elsewhere tf ops. Numbers become tensors once
 * per step here, not once per parameter (on WebGL each new scalar tensor is an
 * upload with a draw of its own). Call inside tf.tidy.
 */
export function adamwUpdate(step: AdamWStep): (p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, decayed: boolean) => AdamWUpdated {
  const { beta1: b1, beta2: b2, stepSize, epsHat, decayKeep, gScale, g2Scale } = step;
  if (studioWebGlOn()) {
    return (p, m, v, g, decayed) => {
      const attrs = { b1, b2, keep: decayed ? decayKeep : 1, stepSize, epsHat };
      const [m1, v1, param] = tf.engine().runKernel(STUDIO_ADAMW_WEBGL, { p, m, v, g, gScale, g2Scale }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { m: m1!, v: v1!, param: param! };
    };
  }
  if (studioWebGpuOn()) {
    return (p, m, v, g, decayed) => {
      const m1 = fusedOp('result = x0 * u0 + x1 * x2;', [m, g, gScale], [b1]);
      const v1 = fusedOp('result = x0 * u0 + x1 * x1 * x2;', [v, g, g2Scale], [b2]);
      const param = fusedOp('result = x0 * u0 - u1 * x1 / (sqrt(x2) + u2);', [p, m1, v1], [decayed ? decayKeep : 1, stepSize, epsHat]);
      return { m: m1, v: v1, param };
    };
  }
  const c = { b1: tf.scalar(b1), b2: tf.scalar(b2), stepSize: tf.scalar(stepSize), epsHat: tf.scalar(epsHat), keep: tf.scalar(decayKeep) };
  return (p, m, v, g, decayed) => {
    const m1 = tf.add(tf.mul(m, c.b1), tf.mul(g, gScale));
    const v1 = tf.add(tf.mul(v, c.b2), tf.mul(tf.square(g), g2Scale));
    const upd = tf.mul(tf.div(m1, tf.add(tf.sqrt(v1), c.epsHat)), c.stepSize);
    const param = tf.sub(!decayed || decayKeep === 1 ? p : tf.mul(p, c.keep), upd);
    return { m: m1, v: v1, param };
  };
}

/**
 * Sum of many same-shaped tensors by pairwise adds. Not tf.addN: on WebGPU (tfjs 4.22)
 * it binds every input to one shader and silently yields garbage once that exceeds the
 * device's storage-buffer limit (8 on common adapters), which broke gradient clipping.
 */
export function sumPairwise(xs: tf.Tensor[]): tf.Tensor {
  if (xs.length === 0) throw new Error('sumPairwise needs at least one tensor.');
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}
