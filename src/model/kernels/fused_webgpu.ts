// A single-dispatch WebGPU program for an element-wise formula over same-sized
// tensors: the WGSL twin of fused_webgl.ts's StudioFusedWebGL, taking the same
// formulas. One invocation per element; tensors are read as f32 (`x0`..`xN`,
// a scalar input reads its one value everywhere), numbers that change from call to
// call are uniforms (`u0`..`uM`, so the shader compiles once per formula and size).

import type * as tf from '@tensorflow/tfjs';
import { registerKernelOnce, type WebGpuProgram } from './common';

export const STUDIO_FUSED_WEBGPU = 'StudioFusedWebGPU';

const WORKGROUP = 64;

/**
 * The program for `code` (statements assigning the f32 `result` from x0..x{n-1}
 * and u0..u{m-1}) over inputs of `size` elements, `scalar[i]` marking inputs of
 * one element.
 */
export function fusedWebGpuProgram(size: number, shape: number[], scalar: boolean[], m: number, code: string): WebGpuProgram & { uniforms: string } {
  const reads = scalar.map((s, i) => `let x${i} = X${i}[${s ? '0' : 'index'}];`).join('\n        ');
  const us = Array.from({ length: m }, (_, i) => `let u${i} = uniforms.u${i};`).join('\n        ');
  return {
    outputShape: shape,
    shaderKey: `studioFused_${size}_${scalar.map((s) => (s ? 's' : 't')).join('')}_${m}_${code}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    variableNames: scalar.map((_, i) => `X${i}`),
    variableComponents: scalar.map(() => 1),
    outputComponent: 1,
    workgroupSize: [WORKGROUP, 1, 1],
    // Declares uniforms.size, which the bounds check reads so the uniform binding stays in the layout.
    size: true,
    uniforms: Array.from({ length: m }, (_, i) => `u${i} : f32,`).join(' '),
    getUserCode: () => `
      fn main(index : i32) {
        if (index >= ${size} || uniforms.size < 0) { return; }
        ${reads}
        ${us}
        var studio_result : f32;
        ${code.replace(/\bresult\b/g, 'studio_result')}
        result[index] = studio_result;
      }`,
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
