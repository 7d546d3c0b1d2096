// A batched matrix product for the WebGPU backend that computes a 4 x 4 block of
// the output per invocation straight from storage buffers, four floats per load,
// with no workgroup memory and no barriers (tfjs-webgpu's BatchMatMul tiles through
// workgroup memory with barriers; see docs/BENCHMARK.md for what that costs on an
// emulated adapter). The classic register-tiled form, so real GPUs run it well too.
//
// Registered as the kernel 'StudioMatMul' for the 'webgpu' backend (./index.ts);
// src/model/ops.ts calls it through tf.engine().runKernel and gives it a gradient.
// It needs every dimension that it reads four at a time to be a multiple of 4 (see
// `supports`); other shapes stay with tf.matMul. The row count M may be anything
// when A is not transposed (the last block of rows reads row M-1 again and stores
// nothing), so a KV-cache decode step's single-row products (M = 1) run here too.

import { flatWebGpuProgram, productDims, registerProductKernel, type WebGpuBackendLike, type WebGpuProgram } from './common';

export const STUDIO_MATMUL = 'StudioMatMul';

/** Rows and columns of the output block one invocation computes. */
const BLOCK = 4;

/**
 * Where an operand of batch entry `b` lies in its buffer of vec4s: its element
 * (0, 0) as stored (before any transpose) at vec4 `off` (WGSL, may use `b` and what
 * the caller's placement defines), `row` vec4s from one stored row to the next.
 */
export interface WgslOperand {
  name: string;
  off: string;
  row: number;
}

/**
 * The statements of one product invocation `idx` (0 <= idx < invocations, returned):
 * out[b] = op(a[b]) @ op(b[b]) with op(a) (M, K) and op(b) (K, N) where the operands'
 * layouts say, written where `out` says (its `name` unused); `place` is WGSL that may
 * define names from the entry `b` for the offsets. One invocation writes rows
 * r..r+3 (those below M) and columns 4*c4..4*c4+4*cols-1.
 */
export function productCode(batch: number, M: number, K: number, N: number, ta: boolean, tb: boolean, a: WgslOperand, b: WgslOperand, out: WgslOperand, place: string, idx: string): { code: string; invocations: number } {
  if (ta && tb) throw new Error('matMulProgram: transposing both operands is not supported.');
  // Two column blocks per invocation pay off when A is read one column at a time (ta).
  const cols = ta && (N / 4) % 2 === 0 ? 2 : 1;
  if (ta && M % BLOCK !== 0) throw new Error('matMulProgram: with a transposed A, M must be a multiple of 4.');
  const colBlocks = N / 4 / cols;
  const rowBlocks = Math.ceil(M / BLOCK);
  const invocations = batch * rowBlocks * colBlocks;
  // Row r + i of A, clamped into 0..M-1 for the last, partial block of rows.
  const ragged = M % BLOCK !== 0;
  const row = (i: number): string => (ragged ? `min(r + ${i}, ${M - 1})` : `(r + ${i})`);
  const [A, B] = [a.name, b.name];
  const acc: string[] = [];
  for (let i = 0; i < BLOCK; i++) for (let j = 0; j < cols; j++) acc.push(`var acc${i}_${j} = vec4<f32>(0.0);`);
  let loop: string;
  if (!ta && !tb) {
    // A rows r..r+3 four k at a time; B rows 4k..4k+3 at column block c4 + j.
    const body: string[] = [];
    for (let j = 0; j < cols; j++) for (let q = 0; q < 4; q++) body.push(`let b${q}_${j} = ${B}[bOff + (k * 4 + ${q}) * ${b.row} + c4 + ${j}];`);
    for (let i = 0; i < BLOCK; i++) {
      body.push(`let a${i} = ${A}[aOff + ${row(i)} * ${a.row} + k];`);
      for (let j = 0; j < cols; j++) body.push(`acc${i}_${j} = acc${i}_${j} + a${i}.x * b0_${j} + a${i}.y * b1_${j} + a${i}.z * b2_${j} + a${i}.w * b3_${j};`);
    }
    loop = `for (var k = 0; k < ${K / 4}; k = k + 1) {\n${body.join('\n')}\n}`;
  } else if (ta) {
    // A stored (K, M): the vec4 at (k, r/4) is column k of rows r..r+3; outer products.
    const body: string[] = [`let a = ${A}[aOff + k * ${a.row} + r / 4];`];
    for (let j = 0; j < cols; j++) {
      body.push(`let b${j} = ${B}[bOff + k * ${b.row} + c4 + ${j}];`);
      for (let i = 0; i < BLOCK; i++) body.push(`acc${i}_${j} = acc${i}_${j} + a[${i}] * b${j};`);
    }
    loop = `for (var k = 0; k < ${K}; k = k + 1) {\n${body.join('\n')}\n}`;
  } else {
    // B stored (N, K): each output is a dot product of an A row and a B row.
    const body: string[] = [];
    for (let i = 0; i < BLOCK; i++) body.push(`let a${i} = ${A}[aOff + ${row(i)} * ${a.row} + k];`);
    for (let j = 0; j < cols; j++) {
      for (let q = 0; q < 4; q++) body.push(`let b${q}_${j} = ${B}[bOff + ((c4 + ${j}) * 4 + ${q}) * ${b.row} + k];`);
      for (let i = 0; i < BLOCK; i++) {
        body.push(`acc${i}_${j} = acc${i}_${j} + vec4<f32>(dot(a${i}, b0_${j}), dot(a${i}, b1_${j}), dot(a${i}, b2_${j}), dot(a${i}, b3_${j}));`);
      }
    }
    loop = `for (var k = 0; k < ${K / 4}; k = k + 1) {\n${body.join('\n')}\n}`;
  }
  const stores: string[] = [];
  for (let i = 0; i < BLOCK; i++) {
    for (let j = 0; j < cols; j++) {
      const store = `result[oOff + (r + ${i}) * ${out.row} + c4 + ${j}] = acc${i}_${j};`;
      stores.push(ragged && i > 0 ? `if (r + ${i} < ${M}) { ${store} }` : store);
    }
  }
  const code = `let b = ${idx} / ${rowBlocks * colBlocks};
        let rem = ${idx} % ${rowBlocks * colBlocks};
        let c4 = (rem % ${colBlocks}) * ${cols};
        let r = (rem / ${colBlocks}) * ${BLOCK};${place ? `\n        ${place}` : ''}
        let aOff = ${a.off};
        let bOff = ${b.off};
        let oOff = ${out.off};
        ${acc.join('\n')}
        ${loop}
        ${stores.join('\n')}`;
  return { code, invocations };
}

/**
 * out[b] = op(a[b]) @ op(b[b]) for a (batch, M, K) or, with ta, (batch, K, M), and
 * b (batch, K, N) or, with tb, (batch, N, K). Output (batch, M, N).
 */
export function matMulProgram(batch: number, M: number, K: number, N: number, ta: boolean, tb: boolean): WebGpuProgram {
  const a = { name: 'A', off: `b * ${(M * K) / 4}`, row: ta ? M / 4 : K / 4 };
  const b = { name: 'B', off: `b * ${(K * N) / 4}`, row: tb ? K / 4 : N / 4 };
  const out = { name: 'result', off: `b * ${(M * N) / 4}`, row: N / 4 };
  const { code, invocations } = productCode(batch, M, K, N, ta, tb, a, b, out, '', 'index');
  return flatWebGpuProgram(['A', 'B'], [batch, M, N], `studioMatMul_${batch}_${M}_${K}_${N}_${ta ? 't' : 'n'}${tb ? 't' : 'n'}`, invocations, code, 4);
}

/**
 * Whether the kernel handles op(a) @ op(b) for 3-D a and b of these shapes: equal
 * batch, float32, and every dimension read or written four at a time a multiple of 4
 * (M only when A is transposed, since it is then read four rows at a time).
 */
export function supports(aShape: readonly number[], bShape: readonly number[], ta: boolean, tb: boolean): boolean {
  const d = productDims(aShape, bShape, ta, tb);
  return d !== null && (!ta || d.M % 4 === 0) && d.N % 4 === 0 && (ta || d.K % 4 === 0);
}

/** Registers 'StudioMatMul' for the webgpu backend (harmless where WebGPU is absent). */
export function registerWebGpuMatMul(): void {
  registerProductKernel(STUDIO_MATMUL, 'webgpu', supports, (backend, a, b, { batch, M, K, N }, ta, tb) =>
    (backend as WebGpuBackendLike).runWebGPUProgram(matMulProgram(batch, M, K, N, ta, tb), [a, b], 'float32'),
  );
}
