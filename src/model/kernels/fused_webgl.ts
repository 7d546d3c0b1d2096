// Single-draw WebGL programs: an element-wise formula over same-shaped tensors,
// a sum of squares, and the stages of layer norm (below).
//
// A formula written with tf ops draws once per op, and every number in it
// (tf.mul(x, 0.5)) becomes a new scalar tensor that is uploaded with a draw of its
// own. Here the whole formula is one packed program: tensors are read texel by
// texel (`x0`..`xN` as vec4s), numbers that change from call to call are uniforms
// (`u0`..`uM`, so the shader compiles once), and constants are written into the
// formula. src/model/fused.ts builds GELU, layer norm, the AdamW update and the
// gradient norm on these.

import * as tf from '@tensorflow/tfjs';
import { registerKernelOnce, type WebGlBackendLike, type WebGlProgram } from './common';

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
export type LayerNormStage = 'stats' | 'apply' | 'gradStats' | 'dx' | 'dw' | 'db';

const LN_INPUTS: Record<LayerNormStage, string[]> = {
  stats: ['X'],
  apply: ['X', 'S', 'W', 'B'],
  gradStats: ['DY', 'X', 'S', 'W'],
  dx: ['DY', 'X', 'S', 'W', 'G'],
  dw: ['DY', 'X', 'S'],
  db: ['DY'],
};

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
