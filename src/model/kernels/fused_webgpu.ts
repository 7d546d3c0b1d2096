// A single-dispatch WebGPU program for an element-wise formula over same-sized
// tensors: the WGSL twin of fused_webgl.ts's StudioFusedWebGL, taking the same
// formulas. One invocation per element; tensors are read as f32 (`x0`..`xN`,
// a scalar input reads its one value everywhere), numbers that change from call to
// call are uniforms (`u0`..`uM`, so the shader compiles once per formula and size).

import type * as tf from '@tensorflow/tfjs';
import { flatWebGpuProgram, LN_INPUTS, registerKernelOnce, type LayerNormStage, type WebGpuProgram } from './common';

export const STUDIO_FUSED_WEBGPU = 'StudioFusedWebGPU';

/**
 * The program for `code` (statements assigning the f32 `result` from x0..x{n-1}
 * and u0..u{m-1}) over inputs of `size` elements, `scalar[i]` marking inputs of
 * one element.
 */
export function fusedWebGpuProgram(size: number, shape: number[], scalar: boolean[], m: number, code: string): WebGpuProgram & { uniforms: string } {
  const reads = scalar.map((s, i) => `let x${i} = X${i}[${s ? '0' : 'index'}];`).join('\n        ');
  const us = Array.from({ length: m }, (_, i) => `let u${i} = uniforms.u${i};`).join('\n        ');
  const key = `studioFused_${size}_${scalar.map((s) => (s ? 's' : 't')).join('')}_${m}_${code}`;
  const body = `${reads}
        ${us}
        var studio_result : f32;
        ${code.replace(/\bresult\b/g, 'studio_result')}
        result[index] = studio_result;`;
  return {
    ...flatWebGpuProgram(scalar.map((_, i) => `X${i}`), shape, key, size, body),
    uniforms: Array.from({ length: m }, (_, i) => `u${i} : f32,`).join(' '),
  };
}

interface WebGpuBackendWithUniforms {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: Array<{ type: string; data: number[] }>): tf.TensorInfo;
}

/** Registers 'StudioFusedWebGPU' (inputs x0..x{n-1}; attrs code, uniforms) for the webgpu backend. */
export function registerFusedWebGpu(): void {
  registerKernelOnce(STUDIO_FUSED_WEBGPU, 'webgpu', ({ inputs, backend, attrs }) => {
    const { code, uniforms } = attrs as unknown as { code: string; uniforms: number[] };
    const named = inputs as Record<string, tf.TensorInfo | undefined>;
    const xs: tf.TensorInfo[] = [];
    for (let i = 0; named[`x${i}`]; i++) xs.push(named[`x${i}`]!);
    const shape = xs[0]!.shape;
    const size = shape.reduce((a, b) => a * b, 1);
    for (const x of xs) {
      const n = x.shape.reduce((a, b) => a * b, 1);
      if (x.dtype !== 'float32' || !(n === size || x.shape.length === 0)) {
        throw new Error(`StudioFusedWebGPU needs float32 inputs of one size (or scalars), got [${x.shape}] ${x.dtype} beside [${shape}].`);
      }
    }
    const program = fusedWebGpuProgram(size, shape, xs.map((x) => x.shape.length === 0), uniforms.length, code);
    const data = uniforms.map((u) => ({ type: 'float32', data: [u] }));
    return (backend as unknown as WebGpuBackendWithUniforms).runWebGPUProgram(program, xs, 'float32', data);
  });
}

export const STUDIO_LAYER_NORM_WEBGPU = 'StudioLayerNormWebGPU';


/**
 * Layer norm over the last axis of x (N, C), one dispatch per stage: 'stats' and
 * 'gradStats' one invocation per row (outputs (N, 2): [mean, 1/sqrt(var + eps)] and
 * [mean(dy w), mean(dy w xhat)]), 'apply' and 'dx' one per element, 'dw' and 'db'
 * one per column (sums over rows of dy xhat and of dy).
 */
export function layerNormWebGpuProgram(stage: LayerNormStage, N: number, C: number, eps: number): WebGpuProgram {
  const key = `studioLayerNorm_${stage}_${N}_${C}_${eps}`;
  const names = LN_INPUTS[stage];
  const rowOf = `let r = index / ${C}; let c = index - r * ${C};
        let mean = S[2 * r]; let rstd = S[2 * r + 1];`;
  switch (stage) {
    case 'stats':
      return flatWebGpuProgram(names, [N, 2], key, N, `
        let base = index * ${C};
        var s = 0.0;
        for (var k = 0; k < ${C}; k = k + 1) { s = s + X[base + k]; }
        let m = s / ${C}.0;
        var q = 0.0;
        for (var k = 0; k < ${C}; k = k + 1) { let d = X[base + k] - m; q = q + d * d; }
        result[2 * index] = m;
        result[2 * index + 1] = inverseSqrt(q / ${C}.0 + ${eps.toExponential(6)});`);
    case 'apply':
      return flatWebGpuProgram(names, [N, C], key, N * C, `
        ${rowOf}
        result[index] = (X[index] - mean) * rstd * W[c] + B[c];`);
    case 'gradStats':
      return flatWebGpuProgram(names, [N, 2], key, N, `
        let base = index * ${C};
        let mean = S[2 * index]; let rstd = S[2 * index + 1];
        var a = 0.0;
        var b = 0.0;
        for (var k = 0; k < ${C}; k = k + 1) {
          let g = DY[base + k] * W[k];
          a = a + g;
          b = b + g * (X[base + k] - mean) * rstd;
        }
        result[2 * index] = a / ${C}.0;
        result[2 * index + 1] = b / ${C}.0;`);
    case 'dx':
      return flatWebGpuProgram(names, [N, C], key, N * C, `
        ${rowOf}
        let xhat = (X[index] - mean) * rstd;
        result[index] = rstd * (DY[index] * W[c] - G[2 * r] - xhat * G[2 * r + 1]);`);
    case 'dw':
      return flatWebGpuProgram(names, [C], key, C, `
        var acc = 0.0;
        for (var r = 0; r < ${N}; r = r + 1) {
          let i = r * ${C} + index;
          acc = acc + DY[i] * (X[i] - S[2 * r]) * S[2 * r + 1];
        }
        result[index] = acc;`);
    case 'db':
      return flatWebGpuProgram(names, [C], key, C, `
        var acc = 0.0;
        for (var r = 0; r < ${N}; r = r + 1) { acc = acc + DY[r * ${C} + index]; }
        result[index] = acc;`);
  }
}

/** Registers 'StudioLayerNormWebGPU' (attrs: stage, eps; inputs named as the stage's, lower-case) for webgpu. */
export function registerLayerNormWebGpu(): void {
  registerKernelOnce(STUDIO_LAYER_NORM_WEBGPU, 'webgpu', ({ inputs, backend, attrs }) => {
    const { stage, eps } = attrs as unknown as { stage: LayerNormStage; eps: number };
    const names = LN_INPUTS[stage];
    const xs = names.map((n) => (inputs as Record<string, tf.TensorInfo | undefined>)[n.toLowerCase()]);
    if (xs.some((x) => !x || x.dtype !== 'float32')) throw new Error(`StudioLayerNormWebGPU ${stage} needs float32 inputs ${names.join(', ')}.`);
    const x = xs[names.indexOf(stage === 'db' ? 'DY' : 'X')]!;
    if (x.shape.length !== 2) throw new Error(`StudioLayerNormWebGPU needs (N, C), got [${x.shape}].`);
    const program = layerNormWebGpuProgram(stage, x.shape[0]!, x.shape[1]!, eps);
    return (backend as unknown as WebGpuBackendWithUniforms).runWebGPUProgram(program, xs as tf.TensorInfo[], 'float32');
  });
}

export const STUDIO_SUM_SQUARES_WEBGPU = 'StudioSumSquaresWebGPU';

/**
 * Tensors one sum-of-squares dispatch reads: with the running partial sums and the
 * output, 8 storage buffers, the fewest a WebGPU device must allow per stage.
 */
export const SUM_SQUARES_PER_DISPATCH = 6;

/** Partial sums a sum-of-squares dispatch keeps: one invocation each. */
export const SUM_SQUARES_PARTS = 256;

/**
 * Partial sums of squares of the tensors G0..G{n-1} (`sizes` elements each), plus
 * the previous partials P when `withPartials`: invocation j adds the squares of
 * elements j, j + PARTS, j + 2 PARTS, ... of each tensor. The gradient norm takes
 * one dispatch per SUM_SQUARES_PER_DISPATCH parameters and one sum at the end.
 */
export function sumSquaresWebGpuProgram(sizes: number[], withPartials: boolean): WebGpuProgram {
  const names = sizes.map((_, i) => `G${i}`);
  const loops = sizes.map((n, i) => `for (var e = index; e < ${n}; e = e + ${SUM_SQUARES_PARTS}) { let g = G${i}[e]; s = s + g * g; }`);
  return flatWebGpuProgram(
    withPartials ? [...names, 'P'] : names,
    [SUM_SQUARES_PARTS],
    `studioSumSquares_${sizes.join('_')}_${withPartials}`,
    SUM_SQUARES_PARTS,
    `var s = ${withPartials ? 'P[index]' : '0.0'};
        ${loops.join('\n        ')}
        result[index] = s;`,
  );
}

/** Registers 'StudioSumSquaresWebGPU' (inputs g0..g{n-1}, n <= SUM_SQUARES_PER_DISPATCH; optional partials) for webgpu. */
export function registerSumSquaresWebGpu(): void {
  registerKernelOnce(STUDIO_SUM_SQUARES_WEBGPU, 'webgpu', ({ inputs, backend }) => {
    const named = inputs as Record<string, tf.TensorInfo | undefined>;
    const partials = named.partials;
    const gs: tf.TensorInfo[] = [];
    for (let i = 0; named[`g${i}`]; i++) gs.push(named[`g${i}`]!);
    if (gs.length === 0 || gs.length > SUM_SQUARES_PER_DISPATCH) throw new Error(`StudioSumSquaresWebGPU takes 1 to ${SUM_SQUARES_PER_DISPATCH} tensors, got ${gs.length}.`);
    for (const g of gs) if (g.dtype !== 'float32') throw new Error(`StudioSumSquaresWebGPU needs float32 tensors, got ${g.dtype}.`);
    if (partials && (partials.shape.length !== 1 || partials.shape[0] !== SUM_SQUARES_PARTS)) throw new Error(`StudioSumSquaresWebGPU: the partial sums must be (${SUM_SQUARES_PARTS}).`);
    const sizes = gs.map((g) => g.shape.reduce((a, b) => a * b, 1));
    const program = sumSquaresWebGpuProgram(sizes, partials !== undefined);
    return (backend as unknown as WebGpuBackendWithUniforms).runWebGPUProgram(program, partials ? [...gs, partials] : gs, 'float32');
  });
}

export const STUDIO_ATTN_SOFTMAX_WEBGPU = 'StudioAttnSoftmaxWebGPU';

/**
 * Attention's masked softmax over the last axis of scores x (BH, T, K), one
 * invocation per row: 'forward' (inputs X, A) writes p = softmax(x scale + mask),
 * the mask (Bm, T, K) additive and shared by the `heads` consecutive entries of one
 * sequence (Bm = BH / heads) or by all (Bm = 1); 'backward' (inputs DP, P) writes
 * the gradient for x, scale p (dp - sum of dp p).
 */
export function attnSoftmaxWebGpuProgram(stage: 'forward' | 'backward', BH: number, T: number, K: number, heads: number, maskBatch: number, scale: number): WebGpuProgram {
  const sc = scale.toPrecision(9);
  const key = `studioAttnSoftmax_${stage}_${BH}_${T}_${K}_${heads}_${maskBatch}_${sc}`;
  if (stage === 'forward') {
    const b = maskBatch === 1 ? '0' : `bh / ${heads}`;
    return flatWebGpuProgram(['X', 'A'], [BH, T, K], key, BH * T, `
        let bh = index / ${T};
        let t = index - bh * ${T};
        let xb = index * ${K};
        let ab = (${b} * ${T} + t) * ${K};
        var m = -3.402823e38;
        for (var k = 0; k < ${K}; k = k + 1) { m = max(m, X[xb + k] * ${sc} + A[ab + k]); }
        var s = 0.0;
        for (var k = 0; k < ${K}; k = k + 1) { s = s + exp(X[xb + k] * ${sc} + A[ab + k] - m); }
        let inv = 1.0 / s;
        for (var k = 0; k < ${K}; k = k + 1) { result[xb + k] = exp(X[xb + k] * ${sc} + A[ab + k] - m) * inv; }`);
  }
  return flatWebGpuProgram(['DP', 'P'], [BH, T, K], key, BH * T, `
        let xb = index * ${K};
        var s = 0.0;
        for (var k = 0; k < ${K}; k = k + 1) { s = s + DP[xb + k] * P[xb + k]; }
        for (var k = 0; k < ${K}; k = k + 1) { result[xb + k] = ${sc} * P[xb + k] * (DP[xb + k] - s); }`);
}

/** Registers 'StudioAttnSoftmaxWebGPU' (attrs: stage, heads, scale; inputs x, a or dp, p) for webgpu. */
export function registerAttnSoftmaxWebGpu(): void {
  registerKernelOnce(STUDIO_ATTN_SOFTMAX_WEBGPU, 'webgpu', ({ inputs, backend, attrs }) => {
    const { stage, heads, scale } = attrs as unknown as { stage: 'forward' | 'backward'; heads: number; scale: number };
    const named = inputs as Record<string, tf.TensorInfo | undefined>;
    const xs = stage === 'forward' ? [named.x, named.a] : [named.dp, named.p];
    if (xs.some((x) => !x || x.dtype !== 'float32')) throw new Error(`StudioAttnSoftmaxWebGPU ${stage} needs float32 inputs ${stage === 'forward' ? 'x, a' : 'dp, p'}.`);
    const x = xs[0]!;
    if (x.shape.length !== 3) throw new Error(`StudioAttnSoftmaxWebGPU needs scores (BH, T, K), got [${x.shape}].`);
    const [BH, T, K] = x.shape as [number, number, number];
    const maskBatch = stage === 'forward' ? xs[1]!.shape[0]! : 1;
    if (stage === 'forward') {
      const a = xs[1]!;
      if (a.shape.length !== 3 || a.shape[1] !== T || a.shape[2] !== K || (maskBatch !== 1 && maskBatch * heads !== BH)) {
        throw new Error(`StudioAttnSoftmaxWebGPU: mask [${a.shape}] does not fit scores [${x.shape}] with ${heads} heads.`);
      }
    }
    const program = attnSoftmaxWebGpuProgram(stage, BH, T, K, heads, maskBatch, scale);
    return (backend as unknown as WebGpuBackendWithUniforms).runWebGPUProgram(program, xs as tf.TensorInfo[], 'float32');
  });
}

export const STUDIO_POSITIONS_WEBGPU = 'StudioPositionsWebGPU';

/**
 * Position embeddings added to token rows, x (B T, d) and the table (C, d), T <= C:
 * 'add' (X, P) writes x[r] + table[r mod T]; 'grad' (DY) writes the table's gradient
 * (C, d): row t < T the sum over b of dy[b T + t], rows from T on zero.
 */
export function positionsWebGpuProgram(stage: 'add' | 'grad', rows: number, T: number, C: number, d: number): WebGpuProgram {
  const key = `studioPositions_${stage}_${rows}_${T}_${C}_${d}`;
  if (stage === 'add') {
    return flatWebGpuProgram(['X', 'P'], [rows, d], key, rows * d, `
        let r = index / ${d};
        let c = index - r * ${d};
        result[index] = X[index] + P[(r % ${T}) * ${d} + c];`);
  }
  return flatWebGpuProgram(['DY'], [C, d], key, C * d, `
        let t = index / ${d};
        let c = index - t * ${d};
        var acc = 0.0;
        if (t < ${T}) {
          for (var r = t; r < ${rows}; r = r + ${T}) { acc = acc + DY[r * ${d} + c]; }
        }
        result[index] = acc;`);
}

/** Registers 'StudioPositionsWebGPU' (attrs: stage, T, C; inputs x, p or dy) for webgpu. */
export function registerPositionsWebGpu(): void {
  registerKernelOnce(STUDIO_POSITIONS_WEBGPU, 'webgpu', ({ inputs, backend, attrs }) => {
    const { stage, T, C } = attrs as unknown as { stage: 'add' | 'grad'; T: number; C: number };
    const named = inputs as Record<string, tf.TensorInfo | undefined>;
    const xs = stage === 'add' ? [named.x, named.p] : [named.dy];
    if (xs.some((x) => !x || x.dtype !== 'float32' || x.shape.length !== 2)) throw new Error(`StudioPositionsWebGPU ${stage} needs 2-D float32 inputs.`);
    const [rows, d] = xs[0]!.shape as [number, number];
    if (rows % T !== 0 || T > C || (stage === 'add' && (xs[1]!.shape[0] !== C || xs[1]!.shape[1] !== d))) {
      throw new Error(`StudioPositionsWebGPU: rows [${xs[0]!.shape}] do not fit ${T} positions of a (${C}, ${d}) table.`);
    }
    return (backend as unknown as WebGpuBackendWithUniforms).runWebGPUProgram(positionsWebGpuProgram(stage, rows, T, C, d), xs as tf.TensorInfo[], 'float32');
  });
}
