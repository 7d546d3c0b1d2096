// Attention's per-head products on WebGPU, read and written in the layouts the rest
// of the model uses (q, k and v where they lie in qkv (B T, 3d); y and dqkv merged),
// so no head is split out, transposed or merged back: the WGSL twin of
// attention_webgl.ts, with the same stages (common.ts's HeadsStage). Each is one
// dispatch of matmul_webgpu.ts's register-tiled product, its operands addressed per
// head; 'dQkv' runs its three products (ds k, ds^T q, p^T dy) in one dispatch, each
// invocation taking one of them. Registered as 'StudioHeadsWebGPU' (./index.ts).

import type * as tf from '@tensorflow/tfjs';
import { flatWebGpuProgram, HEADS_INPUTS, headsInputShape, registerKernelOnce, type HeadsDims, type HeadsStage, type WebGpuBackendLike, type WebGpuProgram } from './common';
import { productCode, type WgslOperand } from './matmul_webgpu';

export const STUDIO_HEADS_WEBGPU = 'StudioHeadsWebGPU';

/** Whether the programs take these sizes: every size positive, T and hs multiples of 4 (read four at a time). */
export function headsFitWebGpu(dims: HeadsDims): boolean {
  const { B, T, H, hs } = dims;
  return [B, T, H, hs].every((n) => Number.isInteger(n) && n > 0) && T % 4 === 0 && hs % 4 === 0;
}

/**
 * The program of `stage`. Entry b of the product is head h = b mod H of sequence
 * sq = b / H; a (B T, width) operand has that head's (T, hs) matrix at row T sq,
 * column offset + h hs.
 */
export function headsWebGpuProgram(stage: HeadsStage, dims: HeadsDims): WebGpuProgram {
  const { B, T, H, hs } = dims;
  const d = H * hs;
  const BH = B * H;
  const place = `let sq = b / ${H}; let h = b % ${H};`;
  const head = (name: string, width: number, offset: number): WgslOperand => ({ name, off: `sq * ${(T * width) / 4} + h * ${hs / 4} + ${offset / 4}`, row: width / 4 });
  const square = (name: string): WgslOperand => ({ name, off: `b * ${(T * T) / 4}`, row: T / 4 });
  const [q, k, v] = [0, d, 2 * d].map((o) => head('QKV', 3 * d, o)) as [WgslOperand, WgslOperand, WgslOperand];
  const dy = head('DY', d, 0);
  // Each part is one product; parts run one after another in the index space.
  let parts: Array<{ code: string; invocations: number }>;
  let outputShape: number[];
  switch (stage) {
    case 'scores':
      outputShape = [BH, T, T];
      parts = [productCode(BH, T, hs, T, false, true, q, k, square('result'), place, 'i')];
      break;
    case 'dProbs':
      outputShape = [BH, T, T];
      parts = [productCode(BH, T, hs, T, false, true, dy, v, square('result'), place, 'i')];
      break;
    case 'values':
      outputShape = [B * T, d];
      parts = [productCode(BH, T, T, hs, false, false, square('P'), v, head('result', d, 0), place, 'i')];
      break;
    case 'dQkv':
      outputShape = [B * T, 3 * d];
      parts = [
        productCode(BH, T, T, hs, false, false, square('DS'), k, head('result', 3 * d, 0), place, 'i'),
        productCode(BH, T, T, hs, true, false, square('DS'), q, head('result', 3 * d, d), place, 'i'),
        productCode(BH, T, T, hs, true, false, square('P'), dy, head('result', 3 * d, 2 * d), place, 'i'),
      ];
      break;
  }
  const total = parts.reduce((n, p) => n + p.invocations, 0);
  let first = 0;
  const fns: string[] = [];
  const calls: string[] = [];
  parts.forEach((p, n) => {
    fns.push(`fn studioHeadsPart${n}(i : i32) {\n        ${p.code}\n      }`);
    calls.push(`if (index < ${first + p.invocations}) { studioHeadsPart${n}(index - ${first}); return; }`);
    first += p.invocations;
  });
  const names = HEADS_INPUTS[stage];
  return flatWebGpuProgram(names, outputShape, `studioHeads_${stage}_${B}_${T}_${H}_${hs}`, total, calls.join('\n        '), 4, fns.join('\n      '));
}

/**
 * Registers 'StudioHeadsWebGPU' (attrs: stage, B, T, H, hs; inputs named as
 * HEADS_INPUTS, lower-case) for the webgpu backend.
 */
export function registerHeadsWebGpu(): void {
  registerKernelOnce(STUDIO_HEADS_WEBGPU, 'webgpu', ({ inputs, backend, attrs }) => {
    const { stage, B, T, H, hs } = attrs as unknown as { stage: HeadsStage } & HeadsDims;
    const dims = { B, T, H, hs };
    if (!HEADS_INPUTS[stage]) throw new Error(`StudioHeadsWebGPU has no stage "${stage}".`);
    if (!headsFitWebGpu(dims)) throw new Error(`StudioHeadsWebGPU needs T and head size multiples of 4, got T ${T}, head size ${hs}.`);
    const xs = HEADS_INPUTS[stage].map((n) => {
      const x = (inputs as Record<string, tf.TensorInfo | undefined>)[n.toLowerCase()];
      const want = headsInputShape(n, dims);
      if (!x || x.dtype !== 'float32' || x.shape.length !== want.length || x.shape.some((s, i) => s !== want[i])) {
        throw new Error(`StudioHeadsWebGPU ${stage} needs ${n.toLowerCase()} float32 [${want}], got ${x ? `[${x.shape}] ${x.dtype}` : 'nothing'}.`);
      }
      return x;
    });
    return (backend as WebGpuBackendLike).runWebGPUProgram(headsWebGpuProgram(stage, dims), xs, 'float32');
  });
}
