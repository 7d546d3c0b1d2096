// Attention's per-head products on WebGL, read and written in the layouts the rest
// of the model uses, so no head is ever split out, transposed or merged back.
//
// The projection qkv (B T, 3d) holds, for sequence s and head h, the query rows
// T s .. T s + T - 1 at columns h hs .. h hs + hs - 1, the keys d columns further
// and the values 2d further. tfjs's way to a per-head product is a split, a
// reshape and a transpose of each of q, k and v, a transpose and a reshape back
// for the heads' output y, and the reverse of each in the gradient: about 20 draws
// a layer, each as dear as a small product. Here each product's operands are
// addressed where they lie (matmul_webgl.ts's cursors with a layout per operand),
// so a layer's attention is 4 draws forward (scores, the softmax's two, y) and 4
// back (dP, the softmax gradient's two, and one draw for the whole of dqkv).
//
// The stages are common.ts's HeadsStage; here each is a packed program, one 2 x 2
// output block per fragment.
// Registered as 'StudioHeadsWebGL' (./index.ts); src/model/fused.ts's
// headAttention runs them with the masked softmax between.

import * as tf from '@tensorflow/tfjs';
import { HEADS_INPUTS, headsInputShape, registerKernelOnce, type HeadsDims, type HeadsStage, type WebGlBackendLike, type WebGlProgram } from './common';
import { batchLayout, packedWithWidth, productLoopOn, type OperandLayout } from './matmul_webgl';

export const STUDIO_HEADS_WEBGL = 'StudioHeadsWebGL';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Head h of sequence s in a packed (B T, width) tensor whose heads start at column
 * `offset`: the (T, hs) matrix at rows T s.., columns offset + h hs... The GLSL
 * names `sq` and `h` must hold the sequence and head.
 */
function headLayout(sampler: string, width: number, offset: number, dims: HeadsDims, tex: [number, number]): OperandLayout {
  const { T, hs } = dims;
  const stride = width / 2;
  return {
    sampler,
    base: `sq * ${(T / 2) * stride} + h * ${hs / 2} + ${offset / 2}`,
    rowStride: stride,
    align: gcd(gcd(stride, hs / 2), offset / 2),
    tex,
  };
}

/** The fragment's place: output texel (r, c) of entry e = sq H + h (sequence sq, head h). */
function headsOutput(dims: HeadsDims): string {
  return `ivec3 rc = getOutputCoords();
        int e = rc.x; int r = rc.y; int c = rc.z;
        int sq = e / ${dims.H}; int h = e - sq * ${dims.H};`;
}

/** The fragment's place in a (B T, width) output: row r of sequence sq, column c of head h in part `part` (width / d parts). */
function mergedOutput(dims: HeadsDims): string {
  const { T, H, hs } = dims;
  const d = H * hs;
  return `ivec2 rc = getOutputCoords();
        int sq = rc.x / ${T}; int r = rc.x - sq * ${T};
        int part = rc.y / ${d}; int hc = rc.y - part * ${d};
        int h = hc / ${hs}; int c = hc - h * ${hs};
        int e = sq * ${H} + h;`;
}

const UNROLLS = [8, 4, 2, 1];
const row = (): string => '(r / 2)';
const col = (): string => '(c / 2)';

/**
 * The program of `stage`; `tex` gives each input's texture size in texels [rows,
 * columns], by input name (HEADS_INPUTS).
 */
export function headsProgram(stage: HeadsStage, dims: HeadsDims, tex: Record<string, [number, number]>): WebGlProgram {
  const { B, T, H, hs } = dims;
  const d = H * hs;
  const q = (): OperandLayout => headLayout('QKV', 3 * d, 0, dims, tex.QKV!);
  const k = (): OperandLayout => headLayout('QKV', 3 * d, d, dims, tex.QKV!);
  const v = (): OperandLayout => headLayout('QKV', 3 * d, 2 * d, dims, tex.QKV!);
  const dy = (): OperandLayout => headLayout('DY', d, 0, dims, tex.DY!);
  const probs = (name: string): OperandLayout => batchLayout(name, T, T, tex[name]!, 'e');
  let place: string;
  let body: string;
  let outputShape: number[];
  switch (stage) {
    case 'scores':
      outputShape = [B * H, T, T];
      place = headsOutput(dims);
      body = `${productLoopOn(hs, q(), false, k(), true, 1, 1, row, col, UNROLLS)}
        result = acc0;`;
      break;
    case 'dProbs':
      outputShape = [B * H, T, T];
      place = headsOutput(dims);
      body = `${productLoopOn(hs, dy(), false, v(), true, 1, 1, row, col, UNROLLS)}
        result = acc0;`;
      break;
    case 'values':
      outputShape = [B * T, d];
      place = mergedOutput(dims);
      body = `${productLoopOn(T, probs('P'), false, v(), false, 1, 1, row, col, UNROLLS)}
        result = acc0;`;
      break;
    case 'dQkv':
      outputShape = [B * T, 3 * d];
      place = mergedOutput(dims);
      // Columns of part 0 are dq = ds k, of part 1 dk = ds^T q, of part 2 dv = p^T dy.
      // A part is 2 hs columns or more wide, so the fragments of a 2 x 2 quad share it.
      body = `if (part == 0) {
          ${productLoopOn(T, probs('DS'), false, k(), false, 1, 1, row, col, UNROLLS)}
          result = acc0;
        } else if (part == 1) {
          ${productLoopOn(T, probs('DS'), true, q(), false, 1, 1, row, col, UNROLLS)}
          result = acc0;
        } else {
          ${productLoopOn(T, probs('P'), true, dy(), false, 1, 1, row, col, UNROLLS)}
          result = acc0;
        }`;
      break;
  }
  return {
    variableNames: HEADS_INPUTS[stage],
    outputShape,
    userCode: `
      void main() {
        vec4 result;
        ${place}
        ${body}
        setOutput(result);
      }
      // studio heads ${stage} ${B} ${T} ${H} ${hs} ${HEADS_INPUTS[stage].map((n) => tex[n]).join(' ')}`,
    packedInputs: true,
    packedOutput: true,
    enableShapeUniforms: false,
  };
}

/** Whether the programs take these sizes: every size positive, T and hs even. */
export function headsFit(dims: HeadsDims): boolean {
  const { B, T, H, hs } = dims;
  return [B, T, H, hs].every((n) => Number.isInteger(n) && n > 0) && T % 2 === 0 && hs % 2 === 0;
}

/**
 * Registers 'StudioHeadsWebGL' (attrs: stage, B, T, H, hs; inputs named as
 * HEADS_INPUTS, lower-case) for the webgl backend.
 */
export function registerHeadsWebGl(): void {
  registerKernelOnce(STUDIO_HEADS_WEBGL, 'webgl', ({ inputs, backend, attrs }) => {
    const be = backend as unknown as WebGlBackendLike;
    const { stage, B, T, H, hs } = attrs as unknown as { stage: HeadsStage } & HeadsDims;
    const dims = { B, T, H, hs };
    if (!HEADS_INPUTS[stage]) throw new Error(`StudioHeadsWebGL has no stage "${stage}".`);
    if (!headsFit(dims)) throw new Error(`StudioHeadsWebGL needs T and head size even, got T ${T}, head size ${hs}.`);
    const names = HEADS_INPUTS[stage];
    const temps: tf.TensorInfo[] = [];
    const packed: tf.TensorInfo[] = [];
    const tex: Record<string, [number, number]> = {};
    try {
      for (const n of names) {
        const x = (inputs as Record<string, tf.TensorInfo | undefined>)[n.toLowerCase()];
        const want = headsInputShape(n, dims);
        if (!x || x.dtype !== 'float32' || x.shape.length !== want.length || x.shape.some((s, i) => s !== want[i])) {
          throw new Error(`StudioHeadsWebGL ${stage} needs ${n.toLowerCase()} float32 [${want}], got ${x ? `[${x.shape}] ${x.dtype}` : 'nothing'}.`);
        }
        const [px, t] = packedWithWidth(be, x, temps);
        packed.push(px);
        tex[n] = t;
      }
      return be.runWebGLProgram(headsProgram(stage, dims, tex), packed, 'float32');
    } finally {
      for (const t of temps) be.disposeIntermediateTensorInfo(t);
    }
  });
}
