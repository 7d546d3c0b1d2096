// The studio's own kernels and the one switch that turns them on or off.
//
// The kernels: matrix products on WebGPU (matmul_webgpu.ts) and WebGL
// (matmul_webgl.ts); attention's per-head products in the merged layouts on both
// (attention_webgl.ts, attention_webgpu.ts); Sum, Mean, Max and Softmax on WebGPU
// (reduce_webgpu.ts); element-wise formulas, sums of squares and layer norm as
// single WebGL draws (fused_webgl.ts) and the same as WebGPU dispatches
// (fused_webgpu.ts). ../ops.ts and ../fused.ts choose between them and plain tfjs
// ops by asking this module; nothing here imports from above kernels/.
//
// - installKernels() registers them with tfjs. Call it once the tfjs backends are
//   imported (src/worker/backend.ts does, in initBackend). Before that the model
//   runs on tfjs's own kernels.
// - setStudioKernels(false) turns them off, and with them the explicit-transpose
//   products ../ops.ts uses on wasm: the model then runs on plain tfjs, the
//   reference that the benchmark's kernel check and its "plain tfjs" runs compare
//   against. On by default; setStudioKernels(true) turns them back on.

import * as tf from '@tensorflow/tfjs';
import { registerAdamWWebGl, registerAttnSoftmaxWebGl, registerFusedWebGl, registerLayerNormWebGl, registerPositionsWebGl, registerSumSquaresWebGl } from './fused_webgl';
import { registerAttnSoftmaxWebGpu, registerFusedWebGpu, registerLayerNormWebGpu, registerPositionsWebGpu, registerSumSquaresWebGpu } from './fused_webgpu';
import { registerHeadsWebGl } from './attention_webgl';
import { registerHeadsWebGpu } from './attention_webgpu';
import { registerWebGlMatMul } from './matmul_webgl';
import { registerWebGpuMatMul } from './matmul_webgpu';
import { installWebGpuReductions } from './reduce_webgpu';

export { STUDIO_ADAMW_WEBGL, STUDIO_ATTN_SOFTMAX_WEBGL, STUDIO_FUSED_WEBGL, STUDIO_LAYER_NORM_WEBGL, STUDIO_POSITIONS_WEBGL, STUDIO_SUM_SQUARES_WEBGL, SUM_SQUARES_PER_DRAW } from './fused_webgl';
export type { LayerNormStage } from './common';
export { STUDIO_ATTN_SOFTMAX_WEBGPU, STUDIO_FUSED_WEBGPU, STUDIO_LAYER_NORM_WEBGPU, STUDIO_POSITIONS_WEBGPU, STUDIO_SUM_SQUARES_WEBGPU, SUM_SQUARES_PARTS, SUM_SQUARES_PER_DISPATCH } from './fused_webgpu';
export { headsFit, STUDIO_HEADS_WEBGL } from './attention_webgl';
export { headsFitWebGpu, STUDIO_HEADS_WEBGPU } from './attention_webgpu';
export type { HeadsStage } from './common';
export { mrtDrawCount, STUDIO_MATMUL_WEBGL, supportsWebGl } from './matmul_webgl';
export { STUDIO_MATMUL, supports as supportsWebGpu } from './matmul_webgpu';

let on = true;
let installed = false;

/**
 * Registers the studio's kernels for the webgl and webgpu backends and puts the
 * WebGPU reductions in place of tfjs's (which keep serving what ours do not handle,
 * and everything while the switch is off). Idempotent.
 */
export function installKernels(): void {
  registerWebGpuMatMul();
  registerWebGlMatMul();
  registerFusedWebGl();
  registerSumSquaresWebGl();
  registerLayerNormWebGl();
  registerAdamWWebGl();
  registerAttnSoftmaxWebGl();
  registerHeadsWebGl();
  registerHeadsWebGpu();
  registerAttnSoftmaxWebGpu();
  registerPositionsWebGl();
  registerPositionsWebGpu();
  registerFusedWebGpu();
  registerLayerNormWebGpu();
  registerSumSquaresWebGpu();
  installWebGpuReductions(studioKernelsOn);
  installed = true;
}

/** The switch: true runs the studio's kernels where they apply, false plain tfjs everywhere. */
export function setStudioKernels(enabled: boolean): void {
  on = enabled;
}

/** Whether the switch is on (whatever the backend). */
export function studioKernelsOn(): boolean {
  return on;
}

/** Whether the studio's WebGPU kernels run now: installed, switched on, the webgpu backend. */
export function studioWebGpuOn(): boolean {
  return on && installed && tf.getBackend() === 'webgpu';
}

/**
 * Whether the studio's WebGL programs run now: installed, switched on, the webgl
 * backend, and WebGL 2 (the programs use GLSL ES 3.00: texture(), tanh, several
 * outputs). On a WebGL 1 context everything stays on tfjs's own kernels.
 */
export function studioWebGlOn(): boolean {
  return on && installed && tf.getBackend() === 'webgl' && tf.env().getNumber('WEBGL_VERSION') === 2;
}
