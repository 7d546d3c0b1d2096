// Single-draw WebGL programs: an element-wise formula over same-shaped tensors,
// a sum of squares, the stages of layer norm, and an AdamW update on three render
// targets (below).
//
// A formula written with tf ops draws once per op, and every number in it
// (tf.mul(x, 0.5)) becomes a new scalar tensor that is uploaded with a draw of its
// own. Here the whole formula is one packed program: tensors are read texel by
// texel (`x0`..`xN` as vec4s), numbers that change from call to call are uniforms
// (`u0`..`uM`, so the shader compiles once), and constants are written into the
// formula. src/model/fused.ts builds GELU, layer norm, the AdamW update and the
// gradient norm on these.

import * as tf from '@tensorflow/tfjs';
import { LN_INPUTS, registerKernelOnce, type LayerNormStage, type WebGlBackendLike, type WebGlProgram } from './common';
import { drawMrt, mrtFitsTargets, packedTargets, packedWithWidth } from './matmul_webgl';

export const STUDIO_FUSED_WEBGL = 'StudioFusedWebGL';

export interface FusedAttrs {
  /**
   * GLSL statements that assign the vec4 `result` from x0..x{n-1} (the inputs'
   * texels; a scalar input reads as its value in every lane) and u0..u{m-1}
   * (floats). The first input gives the output's shape.
   */
  code: string;
  /** Values of u0..u{m-1}. */
  uniforms: number[];
}

/**
 * A packed program (packed inputs and output, sizes baked in) whose main() runs
 * `body`, which assigns the vec4 `result`; `uniforms` floats are declared by name.
 */
function packedProgram(variableNames: string[], outputShape: number[], body: string, uniforms: string[] = []): WebGlProgram {
  return {
    variableNames,
    outputShape,
    userCode: `
      void main() {
        vec4 result;
        ${body}
        setOutput(result);
      }`,
    packedInputs: true,
    packedOutput: true,
    enableShapeUniforms: false,
    customUniforms: uniforms.map((name) => ({ name, type: 'float' as const })),
  };
}

/** The packed program for `code` over `n` inputs of `shape` and `m` uniforms. */
export function fusedProgram(shape: number[], n: number, m: number, code: string): WebGlProgram {
  const names = Array.from({ length: n }, (_, i) => `x${i}`);
  const reads = names.map((v) => `vec4 ${v} = get${v.toUpperCase()}AtOutCoords();`).join('\n        ');
  return packedProgram(names, shape, `${reads}\n        ${code}`, Array.from({ length: m }, (_, i) => `u${i}`));
}

/** Registers 'StudioFusedWebGL' for the webgl backend (harmless where WebGL is absent). */
export function registerFusedWebGl(): void {
  registerKernelOnce(STUDIO_FUSED_WEBGL, 'webgl', ({ inputs, backend, attrs }) => {
    const { code, uniforms } = attrs as unknown as FusedAttrs;
    const xs = Object.keys(inputs)
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
      .map((k) => (inputs as Record<string, tf.TensorInfo>)[k]!);
    const shape = xs[0]!.shape;
    for (const x of xs) {
      const same = x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i]);
      if (x.dtype !== 'float32' || !(same || x.shape.length === 0)) {
        throw new Error(`StudioFusedWebGL needs float32 inputs of one shape (or scalars), got [${x.shape}] ${x.dtype} beside [${shape}].`);
      }
    }
    const program = fusedProgram(shape, xs.length, uniforms.length, code);
    return (backend as unknown as WebGlBackendLike).runWebGLProgram(program, xs, 'float32', uniforms.map((u) => [u]));
  });
}

export const STUDIO_SUM_SQUARES_WEBGL = 'StudioSumSquaresWebGL';

/** How many tensors one sum-of-squares draw reads (plus the running total: 9 samplers of WebGL2's 16). */
export const SUM_SQUARES_PER_DRAW = 8;

/**
 * A packed program whose single output texel holds (in .x) the sum of squares of
 * the 2-D inputs G0..G{n-1} (their [rows, cols] in `shapes`), plus the scalar input
 * T when `withTotal`, added in that order: the global gradient norm in one draw per
 * SUM_SQUARES_PER_DRAW parameters. One fragment walks the tensors, which is cheap
 * next to a draw for the sizes of parameters. Lanes of edge texels beyond odd sizes
 * are masked out.
 */
export function sumSquaresProgram(shapes: Array<[number, number]>, withTotal: boolean): WebGlProgram {
  const names = shapes.map((_, i) => `G${i}`);
  const loops = shapes.map(([rows, cols], i) => {
    const mask = (rows % 2 === 1 || cols % 2 === 1)
      ? `vec4 mask = vec4(1.0, c + 1 < ${cols} ? 1.0 : 0.0, r + 1 < ${rows} ? 1.0 : 0.0, (r + 1 < ${rows} && c + 1 < ${cols}) ? 1.0 : 0.0);
            s += dot(g * g, mask);`
      : 's += dot(g, g);';
    return `for (int r = 0; r < ${rows}; r += 2) {
          for (int c = 0; c < ${cols}; c += 2) {
            vec4 g = get${names[i]}(r, c);
            ${mask}
          }
        }`;
  });
  return packedProgram(
    withTotal ? [...names, 'T'] : names,
    [],
    `float s = ${withTotal ? 'getT().x' : '0.0'};
        ${loops.join('\n        ')}
        result = vec4(s, 0.0, 0.0, 0.0);`,
  );
}

/**
 * Registers 'StudioSumSquaresWebGL' (inputs g0..g{n-1}: 2-D, n <= SUM_SQUARES_PER_DRAW;
 * optional total: scalar) for the webgl backend.
 */
export function registerSumSquaresWebGl(): void {
  registerKernelOnce(STUDIO_SUM_SQUARES_WEBGL, 'webgl', ({ inputs, backend }) => {
    const named = inputs as Record<string, tf.TensorInfo | undefined>;
    const total = named.total;
    const gs: tf.TensorInfo[] = [];
    for (let i = 0; named[`g${i}`]; i++) gs.push(named[`g${i}`]!);
    if (gs.length === 0 || gs.length > SUM_SQUARES_PER_DRAW) throw new Error(`StudioSumSquaresWebGL takes 1 to ${SUM_SQUARES_PER_DRAW} tensors, got ${gs.length}.`);
    for (const g of gs) if (g.shape.length !== 2 || g.dtype !== 'float32') throw new Error(`StudioSumSquaresWebGL needs 2-D float32 tensors, got [${g.shape}] ${g.dtype}.`);
    if (total && total.shape.length !== 0) throw new Error('StudioSumSquaresWebGL: the running total must be a scalar.');
    const program = sumSquaresProgram(gs.map((g) => [g.shape[0]!, g.shape[1]!]), total !== undefined);
    return (backend as unknown as WebGlBackendLike).runWebGLProgram(program, total ? [...gs, total] : gs, 'float32');
  });
}

export const STUDIO_LAYER_NORM_WEBGL = 'StudioLayerNormWebGL';

/**
 * Layer norm over the last axis of x (N, C), C even, in packed programs (a texel
 * holds rows r, r+1 x columns c, c+1). Stages, each one draw:
 * - 'stats'  X -> S (N, 2): per row [mean, 1/sqrt(var + eps)];
 * - 'apply'  X, S, W, B -> (x - mean) * rstd * w + b;
 * - 'gradStats' DY, X, S, W -> G (N, 2): per row [mean(dy w), mean(dy w xhat)];
 * - 'dx'     DY, X, S, W, G -> rstd (dy w - mean(dy w) - xhat mean(dy w xhat));
 * - 'dw'     DY, X, S -> sum over rows of dy xhat (C);  'db'  DY -> sum over rows of dy (C).
 */


export function layerNormProgram(stage: LayerNormStage, N: number, C: number, eps: number): WebGlProgram {
  // Row statistics of rows (r, r+1) spread over a texel's lanes.
  const rowStats = `vec4 st = getS(r, 0);
        vec4 mean = vec4(st.x, st.x, st.z, st.z);
        vec4 rstd = vec4(st.y, st.y, st.w, st.w);`;
  const weight = `vec4 w2 = getW(c); vec4 w = vec4(w2.xy, w2.xy);`;
  let code: string;
  let outputShape: number[];
  switch (stage) {
    case 'stats':
      outputShape = [N, 2];
      code = `ivec2 rc = getOutputCoords(); int r = rc.x;
        vec2 s = vec2(0.0);
        for (int c = 0; c < ${C}; c += 2) { vec4 v = getX(r, c); s += vec2(v.x + v.y, v.z + v.w); }
        vec2 m = s / ${C}.0;
        vec4 m4 = vec4(m.x, m.x, m.y, m.y);
        vec2 q = vec2(0.0);
        for (int c = 0; c < ${C}; c += 2) { vec4 d = getX(r, c) - m4; d *= d; q += vec2(d.x + d.y, d.z + d.w); }
        vec2 rs = inversesqrt(q / ${C}.0 + ${eps.toExponential(6)});
        result = vec4(m.x, rs.x, m.y, rs.y);`;
      break;
    case 'apply':
      outputShape = [N, C];
      code = `ivec2 rc = getOutputCoords(); int r = rc.x; int c = rc.y;
        ${rowStats}
        ${weight}
        vec4 b2 = getB(c);
        result = (getX(r, c) - mean) * rstd * w + vec4(b2.xy, b2.xy);`;
      break;
    case 'gradStats':
      outputShape = [N, 2];
      code = `ivec2 rc = getOutputCoords(); int r = rc.x;
        ${rowStats}
        vec2 a = vec2(0.0);
        vec2 b = vec2(0.0);
        for (int c = 0; c < ${C}; c += 2) {
          ${weight}
          vec4 g = getDY(r, c) * w;
          vec4 gx = g * (getX(r, c) - mean) * rstd;
          a += vec2(g.x + g.y, g.z + g.w);
          b += vec2(gx.x + gx.y, gx.z + gx.w);
        }
        result = vec4(a.x, b.x, a.y, b.y) / ${C}.0;`;
      break;
    case 'dx':
      outputShape = [N, C];
      code = `ivec2 rc = getOutputCoords(); int r = rc.x; int c = rc.y;
        ${rowStats}
        ${weight}
        vec4 gs = getG(r, 0);
        vec4 xhat = (getX(r, c) - mean) * rstd;
        result = rstd * (getDY(r, c) * w - vec4(gs.x, gs.x, gs.z, gs.z) - xhat * vec4(gs.y, gs.y, gs.w, gs.w));`;
      break;
    case 'dw':
    case 'db': {
      outputShape = [C];
      // Rows beyond N (the padding half of the last texel when N is odd) are masked.
      const last = N % 2 === 1 ? `if (r + 1 >= ${N}) { v.zw = vec2(0.0); }` : '';
      const term = stage === 'dw' ? `${rowStats}\n          vec4 v = getDY(r, c) * (getX(r, c) - mean) * rstd;` : 'vec4 v = getDY(r, c);';
      code = `int c = getOutputCoords();
        vec2 acc = vec2(0.0);
        for (int r = 0; r < ${N}; r += 2) {
          ${term}
          ${last}
          acc += v.xy + v.zw;
        }
        result = vec4(acc, 0.0, 0.0);`;
      break;
    }
  }
  return packedProgram(LN_INPUTS[stage], outputShape, code);
}

/** Registers 'StudioLayerNormWebGL' (attrs: stage, eps; inputs named as LN_INPUTS, lower-case) for webgl. */
export function registerLayerNormWebGl(): void {
  registerKernelOnce(STUDIO_LAYER_NORM_WEBGL, 'webgl', ({ inputs, backend, attrs }) => {
    const { stage, eps } = attrs as unknown as { stage: LayerNormStage; eps: number };
    const names = LN_INPUTS[stage];
    const xs = names.map((n) => (inputs as Record<string, tf.TensorInfo | undefined>)[n.toLowerCase()]);
    if (xs.some((x) => !x || x.dtype !== 'float32')) throw new Error(`StudioLayerNormWebGL ${stage} needs float32 inputs ${names.join(', ')}.`);
    const x = xs[names.indexOf(stage === 'db' ? 'DY' : 'X')]!;
    if (x.shape.length !== 2 || x.shape[1]! % 2 !== 0) throw new Error(`StudioLayerNormWebGL needs (N, C) with C even, got [${x.shape}].`);
    const program = layerNormProgram(stage, x.shape[0]!, x.shape[1]!, eps);
    return (backend as unknown as WebGlBackendLike).runWebGLProgram(program, xs as tf.TensorInfo[], 'float32');
  });
}

export const STUDIO_ADAMW_WEBGL = 'StudioAdamWWebGL';

/**
 * One AdamW update of a parameter in one draw on three render targets (new m, v and
 * parameter), the formulas of src/model/fused.ts's adamwUpdate:
 *   m' = b1 m + s1 g,  v' = b2 v + s2 g^2,  p' = p keep - stepSize m' / (sqrt(v') + epsHat),
 * with s1, s2 read from scalar textures (they hold the clipping factor, on the device).
 * Every input and target is a packed texture of the same texture shape, so each
 * fragment reads its own texel of each.
 */
export const ADAMW_WEBGL_SOURCE = `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
in vec2 resultUV;
uniform sampler2D P;
uniform sampler2D M;
uniform sampler2D V;
uniform sampler2D G;
uniform sampler2D S1;
uniform sampler2D S2;
uniform float b1;
uniform float b2;
uniform float keep;
uniform float stepSize;
uniform float epsHat;
layout(location = 0) out vec4 oM;
layout(location = 1) out vec4 oV;
layout(location = 2) out vec4 oP;
void main() {
  ivec2 fc = ivec2(gl_FragCoord.xy);
  vec4 g = texelFetch(G, fc, 0);
  vec4 m = texelFetch(M, fc, 0) * b1 + g * texelFetch(S1, ivec2(0), 0).x;
  vec4 v = texelFetch(V, fc, 0) * b2 + g * g * texelFetch(S2, ivec2(0), 0).x;
  oM = m;
  oV = v;
  oP = texelFetch(P, fc, 0) * keep - stepSize * m / (sqrt(v) + epsHat);
}
// studio adamw`;

export interface AdamWAttrs {
  b1: number;
  b2: number;
  keep: number;
  stepSize: number;
  epsHat: number;
}

/** Registers 'StudioAdamWWebGL' (inputs p, m, v, g, gScale, g2Scale; attrs AdamWAttrs; outputs [m', v', p']) for webgl. */
export function registerAdamWWebGl(): void {
  registerKernelOnce(STUDIO_ADAMW_WEBGL, 'webgl', ({ inputs, backend, attrs }) => {
    const be = backend as unknown as WebGlBackendLike;
    const { p, m, v, g, gScale, g2Scale } = inputs as Record<string, tf.TensorInfo>;
    const { b1, b2, keep, stepSize, epsHat } = attrs as unknown as AdamWAttrs;
    const shape = p!.shape;
    for (const x of [p!, m!, v!, g!]) {
      if (x.dtype !== 'float32' || x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`StudioAdamWWebGL needs float32 p, m, v and g of one shape, got [${x.shape}] ${x.dtype} beside [${shape}].`);
      }
    }
    for (const s of [gScale!, g2Scale!]) if (s.shape.length !== 0 || s.dtype !== 'float32') throw new Error('StudioAdamWWebGL: gScale and g2Scale must be float32 scalars.');
    if (!mrtFitsTargets(be.gpgpu.gl, 3)) throw new Error('StudioAdamWWebGL needs three render targets (WebGL2).');
    const targets = packedTargets(be, shape, 3);
    const texShape = be.texData.get(targets[0]!.dataId).texShape!;
    const temps: tf.TensorInfo[] = [];
    try {
      // Each tensor as a packed texture laid out as the targets are; one that is not
      // (a gradient reshaped from another shape) is copied into that layout first.
      const laidOut = [p!, m!, v!, g!].map((x) => {
        const [px] = packedWithWidth(be, x, temps);
        const ts = be.texData.get(px.dataId).texShape!;
        if (ts[0] === texShape[0] && ts[1] === texShape[1]) return px;
        const copy = be.runWebGLProgram(fusedProgram(shape, 1, 0, 'result = x0;'), [px], 'float32');
        temps.push(copy);
        return copy;
      });
      for (const s of [gScale!, g2Scale!]) be.uploadToGPU(s.dataId);
      drawMrt(be, ADAMW_WEBGL_SOURCE, ['P', 'M', 'V', 'G', 'S1', 'S2'], [...laidOut, gScale!, g2Scale!], targets, { b1, b2, keep, stepSize, epsHat });
      return targets;
    } catch (e) {
      for (const t of targets) be.disposeIntermediateTensorInfo(t);
      throw e;
    } finally {
      for (const t of temps) be.disposeIntermediateTensorInfo(t);
    }
  });
}

export const STUDIO_ATTN_SOFTMAX_WEBGL = 'StudioAttnSoftmaxWebGL';

/**
 * Attention's masked softmax over the last axis of scores x (BH, T, K), T and K even,
 * in packed programs: p = softmax(x scale + mask), the mask (Bm, T, K) additive and
 * shared by the `heads` consecutive entries of one sequence (Bm = BH / heads), or by
 * all (Bm = 1). Stages, each one draw:
 * - 'stats'  X, A -> S (BH T, 2): per row [max of z, 1 / sum of exp(z - max)], z = x scale + mask;
 * - 'apply'  X, A, S -> p;
 * - 'gradStats'  DP, P -> G (BH T, 2): per row [sum of dp p, 0];
 * - 'dx'     DP, P, G -> scale p (dp - sum of dp p), the gradient for x.
 */
export type AttnSoftmaxStage = 'stats' | 'apply' | 'gradStats' | 'dx';

const ATTN_INPUTS: Record<AttnSoftmaxStage, string[]> = {
  stats: ['X', 'A'],
  apply: ['X', 'A', 'S'],
  gradStats: ['DP', 'P'],
  dx: ['DP', 'P', 'G'],
};

export function attnSoftmaxProgram(stage: AttnSoftmaxStage, BH: number, T: number, K: number, heads: number, maskBatch: number, scale: number): WebGlProgram {
  const sc = scale.toPrecision(9);
  const b = maskBatch === 1 ? '0' : `bh / ${heads}`;
  const z = `getX(bh, t, k) * ${sc} + getA(${b}, t, k)`;
  const rowOf = `int bh = r / ${T}; int t = r - bh * ${T};`;
  let code: string;
  let outputShape: number[];
  switch (stage) {
    case 'stats':
      outputShape = [BH * T, 2];
      code = `ivec2 rc = getOutputCoords(); int r = rc.x; ${rowOf}
        vec2 mx = vec2(-3.402823e38);
        for (int k = 0; k < ${K}; k += 2) { vec4 z = ${z}; mx = max(mx, vec2(max(z.x, z.y), max(z.z, z.w))); }
        vec4 m4 = vec4(mx.x, mx.x, mx.y, mx.y);
        vec2 s = vec2(0.0);
        for (int k = 0; k < ${K}; k += 2) { vec4 e = exp(${z} - m4); s += vec2(e.x + e.y, e.z + e.w); }
        result = vec4(mx.x, 1.0 / s.x, mx.y, 1.0 / s.y);`;
      break;
    case 'apply':
      outputShape = [BH, T, K];
      code = `ivec3 rc = getOutputCoords(); int bh = rc.x; int t = rc.y; int k = rc.z;
        vec4 st = getS(bh * ${T} + t, 0);
        result = exp(${z} - vec4(st.x, st.x, st.z, st.z)) * vec4(st.y, st.y, st.w, st.w);`;
      break;
    case 'gradStats':
      outputShape = [BH * T, 2];
      code = `ivec2 rc = getOutputCoords(); int r = rc.x; ${rowOf}
        vec2 s = vec2(0.0);
        for (int k = 0; k < ${K}; k += 2) { vec4 v = getDP(bh, t, k) * getP(bh, t, k); s += vec2(v.x + v.y, v.z + v.w); }
        result = vec4(s.x, 0.0, s.y, 0.0);`;
      break;
    case 'dx':
      outputShape = [BH, T, K];
      code = `ivec3 rc = getOutputCoords(); int bh = rc.x; int t = rc.y; int k = rc.z;
        vec4 g = getG(bh * ${T} + t, 0);
        result = ${sc} * getP(bh, t, k) * (getDP(bh, t, k) - vec4(g.x, g.x, g.z, g.z));`;
      break;
  }
  return packedProgram(ATTN_INPUTS[stage], outputShape, code);
}

/**
 * Registers 'StudioAttnSoftmaxWebGL' (attrs: stage, heads, scale; inputs named as
 * ATTN_INPUTS, lower-case: x and p (BH, T, K), a (Bm, T, K), s and g (BH T, 2)) for webgl.
 */
export function registerAttnSoftmaxWebGl(): void {
  registerKernelOnce(STUDIO_ATTN_SOFTMAX_WEBGL, 'webgl', ({ inputs, backend, attrs }) => {
    const { stage, heads, scale } = attrs as unknown as { stage: AttnSoftmaxStage; heads: number; scale: number };
    const names = ATTN_INPUTS[stage];
    const xs = names.map((n) => (inputs as Record<string, tf.TensorInfo | undefined>)[n.toLowerCase()]);
    if (xs.some((x) => !x || x.dtype !== 'float32')) throw new Error(`StudioAttnSoftmaxWebGL ${stage} needs float32 inputs ${names.join(', ')}.`);
    const x = xs[0]!;
    const [BH, T, K] = x.shape as [number, number, number];
    if (x.shape.length !== 3 || T % 2 !== 0 || K % 2 !== 0) throw new Error(`StudioAttnSoftmaxWebGL needs scores (BH, T, K) with T and K even, got [${x.shape}].`);
    const a = (inputs as Record<string, tf.TensorInfo | undefined>).a;
    const maskBatch = a ? a.shape[0]! : 1;
    if (a && (a.shape.length !== 3 || a.shape[1] !== T || a.shape[2] !== K || (maskBatch !== 1 && maskBatch * heads !== BH))) {
      throw new Error(`StudioAttnSoftmaxWebGL: mask [${a.shape}] does not fit scores [${x.shape}] with ${heads} heads.`);
    }
    const program = attnSoftmaxProgram(stage, BH, T, K, heads, maskBatch, scale);
    return (backend as unknown as WebGlBackendLike).runWebGLProgram(program, xs as tf.TensorInfo[], 'float32');
  });
}

export const STUDIO_POSITIONS_WEBGL = 'StudioPositionsWebGL';

/**
 * Position embeddings added to token rows, in packed programs, for x (B T, d) and the
 * table (C, d), T <= C, T and d even:
 * - 'add'   X, P -> x[r] + table[r mod T]  (B T, d);
 * - 'grad'  DY -> the table's gradient (C, d): row t < T the sum over b of dy[b T + t],
 *   rows from T on zero.
 * tfjs's tile of the table's first T rows has a gradient of B slices and B adds.
 */
export function positionsProgram(stage: 'add' | 'grad', rows: number, T: number, C: number, d: number): WebGlProgram {
  if (stage === 'add') {
    return packedProgram(['X', 'P'], [rows, d], `ivec2 rc = getOutputCoords(); int r = rc.x; int c = rc.y;
        result = getX(r, c) + getP(r - (r / ${T}) * ${T}, c);`);
  }
  return packedProgram(['DY'], [C, d], `ivec2 rc = getOutputCoords(); int t = rc.x; int c = rc.y;
        vec4 acc = vec4(0.0);
        if (t < ${T}) {
          for (int r = t; r < ${rows}; r += ${T}) acc += getDY(r, c);
        }
        result = acc;`);
}

/** Registers 'StudioPositionsWebGL' (attrs: stage, T, C; inputs x, p or dy) for webgl. */
export function registerPositionsWebGl(): void {
  registerKernelOnce(STUDIO_POSITIONS_WEBGL, 'webgl', ({ inputs, backend, attrs }) => {
    const { stage, T, C } = attrs as unknown as { stage: 'add' | 'grad'; T: number; C: number };
    const named = inputs as Record<string, tf.TensorInfo | undefined>;
    const xs = stage === 'add' ? [named.x, named.p] : [named.dy];
    if (xs.some((x) => !x || x.dtype !== 'float32' || x.shape.length !== 2)) throw new Error(`StudioPositionsWebGL ${stage} needs 2-D float32 inputs.`);
    const [rows, d] = xs[0]!.shape as [number, number];
    if (T % 2 !== 0 || d % 2 !== 0 || rows % T !== 0 || T > C || (stage === 'add' && (xs[1]!.shape[0] !== C || xs[1]!.shape[1] !== d))) {
      throw new Error(`StudioPositionsWebGL: rows [${xs[0]!.shape}] do not fit ${T} positions of a (${C}, ${d}) table.`);
    }
    return (backend as unknown as WebGlBackendLike).runWebGLProgram(positionsProgram(stage, rows, T, C, d), xs as tf.TensorInfo[], 'float32');
  });
}
