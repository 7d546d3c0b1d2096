// Reductions (Sum, Mean, Max) and Softmax for the WebGPU backend without workgroup
// memory or barriers: each invocation owns one output and loops over what it reduces.
// tfjs-webgpu reduces through workgroup memory with a barrier per tree level, which
// an emulated adapter pays dearly for (docs/BENCHMARK.md, "Why the kernels look the
// way they do"); these loops also run well on real GPUs for this model's row
// lengths (<= the vocabulary).
//
// installWebGpuReductions replaces tfjs's own 'Sum', 'Mean', 'Max' and 'Softmax'
// kernels for 'webgpu', so every op and gradient that reduces uses these. They
// handle float32 reductions over one block of adjacent axes (and Softmax over the
// last axis); anything else, and everything while the switch is off, goes to the
// original kernel.

import * as tf from '@tensorflow/tfjs';
import { flatWebGpuProgram, type WebGpuBackendLike, type WebGpuProgram } from './common';

export type ReduceOp = 'sum' | 'max';

/**
 * x viewed as (outer, n, inner) reduced over n: output (outer, parts, inner), where
 * part p combines elements p, p + parts, p + 2 parts, ... of n and is then multiplied
 * by `scale`. parts = 1 is the whole reduction; `outputShape` may be any shape of
 * that many elements.
 */
export function reduceProgram(outer: number, n: number, inner: number, parts: number, op: ReduceOp, scale: number, outputShape: number[]): WebGpuProgram {
  const invocations = outer * parts * inner;
  const init = op === 'sum' ? '0.0' : '-3.402823e38';
  const combine = op === 'sum' ? 'acc = acc + v;' : 'acc = max(acc, v);';
  const body = `
        let i = index % ${inner};
        let q = index / ${inner};
        let p = q % ${parts};
        let o = q / ${parts};
        let base = o * ${n * inner} + i;
        var acc = ${init};
        for (var k = p; k < ${n}; k = k + ${parts}) {
          let v = X[base + k * ${inner}];
          ${combine}
        }
        result[index] = acc${scale !== 1 ? ` * ${scale.toPrecision(9)}` : ''};`;
  return flatWebGpuProgram(['X'], outputShape, `studioReduce_${op}_${outer}_${n}_${inner}_${parts}_${scale}`, invocations, body);
}

/** Softmax over the last axis of x (rows, cols): one invocation per row, three passes. */
export function softmaxProgram(rows: number, cols: number, outputShape: number[]): WebGpuProgram {
  const body = `
        let base = index * ${cols};
        var m = -3.402823e38;
        for (var k = 0; k < ${cols}; k = k + 1) { m = max(m, X[base + k]); }
        var s = 0.0;
        for (var k = 0; k < ${cols}; k = k + 1) { s = s + exp(X[base + k] - m); }
        let inv = 1.0 / s;
        for (var k = 0; k < ${cols}; k = k + 1) { result[base + k] = exp(X[base + k] - m) * inv; }`;
  return flatWebGpuProgram(['X'], outputShape, `studioSoftmax_${rows}_${cols}`, rows, body);
}

/**
 * The reduced axes as one block [start, end) of adjacent axes, or null if they are
 * not adjacent. Empty means no axis.
 */
export function axisBlock(axes: number[]): [number, number] | null {
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return null;
  return [sorted[0]!, sorted[sorted.length - 1]! + 1];
}

/** Outputs below this count with more than SPLIT_ABOVE elements each reduce in two passes. */
const FEW_OUTPUTS = 256;
const SPLIT_ABOVE = 2048;

/** `axes` as tfjs's kernels receive them (null: every axis; negative: from the end). */
function reduce(be: WebGpuBackendLike, x: tf.TensorInfo, axisAttr: number | number[] | null | undefined, keepDims: boolean, op: ReduceOp, mean: boolean): tf.TensorInfo | null {
  const shape = x.shape;
  const rank = shape.length;
  const axes = tf.util.parseAxisParam((axisAttr ?? null) as number[], shape); // null: every axis
  const block = rank === 0 ? null : axisBlock(axes);
  if (!block) return null;
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const outer = size(shape.slice(0, block[0]));
  const n = size(shape.slice(block[0], block[1]));
  const inner = size(shape.slice(block[1]));
  const outShape = keepDims ? shape.map((d, i) => (i >= block[0] && i < block[1] ? 1 : d)) : [...shape.slice(0, block[0]), ...shape.slice(block[1])];
  if (n === 0 || outer * inner === 0) return null;
  const scale = mean ? 1 / n : 1;
  if (outer * inner < FEW_OUTPUTS && n > SPLIT_ABOVE) {
    // Few long reductions: partial results from many invocations, then one pass over them.
    const parts = Math.min(256, Math.ceil(n / 64));
    const partial = be.runWebGPUProgram(reduceProgram(outer, n, inner, parts, op, 1, [outer, parts, inner]), [x], 'float32');
    const out = be.runWebGPUProgram(reduceProgram(outer, parts, inner, 1, op, scale, outShape), [partial], 'float32');
    be.disposeData(partial.dataId);
    return out;
  }
  return be.runWebGPUProgram(reduceProgram(outer, n, inner, 1, op, scale, outShape), [x], 'float32');
}

let installed = false;

/**
 * Replaces tfjs-webgpu's Sum, Mean, Max and Softmax kernels with the ones above
 * while `enabled()` holds (falling back to the originals for what they do not
 * handle, and always while it does not). Call after '@tensorflow/tfjs-backend-webgpu'
 * is imported; does nothing where WebGPU kernels are not registered, and only once.
 */
export function installWebGpuReductions(enabled: () => boolean): void {
  if (installed) return;
  const originals = new Map<string, tf.KernelConfig>();
  for (const name of ['Sum', 'Mean', 'Max', 'Softmax']) {
    const k = tf.getKernel(name, 'webgpu');
    if (!k) return;
    originals.set(name, k);
  }
  installed = true;
  const replace = (name: string, f: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | null) => {
    const original = originals.get(name)!;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => (enabled() ? f(args) : null) ?? (original.kernelFunc(args) as tf.TensorInfo),
    });
  };
  const reduction = (op: ReduceOp, mean: boolean) => (args: Parameters<tf.KernelFunc>[0]) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return null;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[] | null; keepDims: boolean };
    return reduce(args.backend as unknown as WebGpuBackendLike, x, axis, keepDims, op, mean);
  };
  replace('Sum', reduction('sum', false));
  replace('Mean', reduction('sum', true));
  // tf.max's kernel attribute is reductionIndices.
  replace('Max', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return null;
    const { reductionIndices, keepDims } = args.attrs as unknown as { reductionIndices: number | number[] | null; keepDims: boolean };
    return reduce(args.backend as unknown as WebGpuBackendLike, x, reductionIndices, keepDims, 'max', false);
  });
  replace('Softmax', (args) => {
    const { logits } = args.inputs as { logits: tf.TensorInfo };
    const { dim } = args.attrs as unknown as { dim: number };
    const rank = logits.shape.length;
    if (logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1)) return null;
    const cols = logits.shape[rank - 1]!;
    const rows = logits.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    if (cols === 0 || rows === 0) return null;
    return (args.backend as unknown as WebGpuBackendLike).runWebGPUProgram(softmaxProgram(rows, cols, logits.shape.slice()), [logits], 'float32');
  });
}
