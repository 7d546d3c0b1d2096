// What the studio's kernels need from tfjs's WebGL and WebGPU backends (the parts
// of their program and backend interfaces they use; tfjs does not export these
// types), and one way to register a kernel.

import * as tf from '@tensorflow/tfjs';

/** tfjs-webgl's GPGPUProgram, the fields the studio's programs set. */
export interface WebGlProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput: boolean;
  enableShapeUniforms: boolean;
  customUniforms?: Array<{ name: string; type: 'float' }>;
}

/** tfjs-webgpu's WebGPUProgram, the fields the studio's programs set. */
export interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  variableComponents: number[];
  outputComponent: number;
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

/** The part of tfjs-webgl's GPGPUContext the multi-target product drives directly. */
export interface GpgpuLike {
  gl: WebGL2RenderingContext;
  createProgram(fragmentShader: WebGLShader): WebGLProgram & { vao: WebGLVertexArrayObject };
  buildVao(program: WebGLProgram): void;
  setProgram(program: WebGLProgram): void;
  bindVertexArray(vao: WebGLVertexArrayObject): void;
  setOutputPackedMatrixTexture(texture: WebGLTexture, rows: number, columns: number): void;
  setInputMatrixTexture(texture: WebGLTexture, location: WebGLUniformLocation, unit: number): void;
  executeProgram(): void;
}

export interface TexDataLike {
  texture?: { texture: WebGLTexture } | null;
  isPacked?: boolean;
  shape: number[];
  texShape?: [number, number];
}

/** The part of tfjs-webgl's backend the studio's kernels use. */
export interface WebGlBackendLike {
  gpgpu: GpgpuLike;
  runWebGLProgram(program: WebGlProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, customUniformValues?: number[][]): tf.TensorInfo;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  texData: { get(dataId: tf.DataId): TexDataLike };
  uploadToGPU(dataId: tf.DataId): void;
  packTensor(input: tf.TensorInfo): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

/** The part of tfjs-webgpu's backend the studio's kernels use. */
export interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): void;
}

/**
 * Registers `kernelFunc` as `kernelName` for `backendName` unless a kernel of that
 * name is registered there already (modules may be evaluated more than once in
 * tests and workers). Harmless where the backend is absent.
 */
export function registerKernelOnce(kernelName: string, backendName: 'webgl' | 'webgpu', kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, backendName)) return;
  tf.registerKernel({ kernelName, backendName, kernelFunc });
}

/** Sizes of op(a) @ op(b): a (batch, M, K) or, transposed, (batch, K, M); b (batch, K, N) or (batch, N, K). */
export interface ProductDims {
  batch: number;
  M: number;
  K: number;
  N: number;
}

/**
 * The sizes of op(a) @ op(b) for 3-D shapes with equal batch and matching K, not
 * both transposed, every size positive; null for anything else.
 */
export function productDims(aShape: readonly number[], bShape: readonly number[], ta: boolean, tb: boolean): ProductDims | null {
  if (aShape.length !== 3 || bShape.length !== 3 || aShape[0] !== bShape[0] || (ta && tb)) return null;
  const [batch, a1, a2] = aShape as [number, number, number];
  const [, b1, b2] = bShape as [number, number, number];
  const [M, K] = ta ? [a2, a1] : [a1, a2];
  const [K2, N] = tb ? [b2, b1] : [b1, b2];
  return K === K2 && M > 0 && N > 0 && K > 0 ? { batch, M, K, N } : null;
}

/**
 * Registers a product kernel `kernelName` (inputs a, b; attrs transposeA,
 * transposeB) for `backendName` that refuses, naming the shapes, what `supports`
 * rejects or what is not float32, and otherwise returns `run`'s output.
 */
export function registerProductKernel(
  kernelName: string,
  backendName: 'webgl' | 'webgpu',
  supports: (aShape: readonly number[], bShape: readonly number[], ta: boolean, tb: boolean) => boolean,
  run: (backend: unknown, a: tf.TensorInfo, b: tf.TensorInfo, dims: ProductDims, ta: boolean, tb: boolean) => tf.TensorInfo,
): void {
  registerKernelOnce(kernelName, backendName, ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const dims = productDims(a.shape, b.shape, transposeA, transposeB);
    if (!dims || !supports(a.shape, b.shape, transposeA, transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      throw new Error(`${kernelName} does not handle [${a.shape}]${transposeA ? '^T' : ''} x [${b.shape}]${transposeB ? '^T' : ''}.`);
    }
    return run(backend, a, b, dims, transposeA, transposeB);
  });
}

/**
 * The stages of the fused layer norm, the same on WebGL and WebGPU, each one launch:
 * 'stats' X -> S (N, 2): per row [mean, 1/sqrt(var + eps)]; 'apply' -> (x - mean) * rstd * w + b;
 * 'gradStats' -> G (N, 2): per row [mean(dy w), mean(dy w xhat)]; 'dx'; 'dw' and 'db'
 * (sums over rows of dy xhat and of dy). LN_INPUTS names each stage's inputs in order.
 */
export type LayerNormStage = 'stats' | 'apply' | 'gradStats' | 'dx' | 'dw' | 'db';

export const LN_INPUTS: Record<LayerNormStage, string[]> = {
  stats: ['X'],
  apply: ['X', 'S', 'W', 'B'],
  gradStats: ['DY', 'X', 'S', 'W'],
  dx: ['DY', 'X', 'S', 'W', 'G'],
  dw: ['DY', 'X', 'S'],
  db: ['DY'],
};

/**
 * The per-head attention programs (attention_webgl.ts, attention_webgpu.ts), for B
 * sequences of T tokens, H heads of hs columns, d = H hs, q, k and v side by side in
 * qkv (B T, 3d); entry e = s H + h of a (B H, T, T) tensor is head h of sequence s:
 * - 'scores' QKV -> (B H, T, T): q k^T per head;
 * - 'values' P, QKV -> y (B T, d): p v per head, written where head h's columns are;
 * - 'dProbs' DY, QKV -> (B H, T, T): dy v^T per head (dy (B T, d) as y);
 * - 'dQkv'   DS, P, QKV, DY -> (B T, 3d): [ds k | ds^T q | p^T dy] per head.
 * HEADS_INPUTS names each stage's inputs in order.
 */
export type HeadsStage = 'scores' | 'values' | 'dProbs' | 'dQkv';

export const HEADS_INPUTS: Record<HeadsStage, string[]> = {
  scores: ['QKV'],
  values: ['P', 'QKV'],
  dProbs: ['DY', 'QKV'],
  dQkv: ['DS', 'P', 'QKV', 'DY'],
};

export interface HeadsDims {
  /** Sequences, tokens per sequence, heads, columns per head. */
  B: number;
  T: number;
  H: number;
  hs: number;
}

/** The shape the heads programs' input `name` (HEADS_INPUTS) must have. */
export function headsInputShape(name: string, dims: HeadsDims): number[] {
  const { B, T, H, hs } = dims;
  if (name === 'QKV') return [B * T, 3 * H * hs];
  if (name === 'DY') return [B * T, H * hs];
  return [B * H, T, T];
}

/**
 * A WebGPU program with one output per invocation (64 a workgroup) over the buffers
 * `names`; `body` assigns the output for `index`, which is in range. Inputs and output
 * are read and written `components` floats at a time (1: f32, 4: vec4<f32>);
 * `functions` are WGSL functions the body calls.
 */
export function flatWebGpuProgram(names: string[], outputShape: number[], key: string, invocations: number, body: string, components: 1 | 4 = 1, functions = ''): WebGpuProgram {
  return {
    outputShape,
    shaderKey: key,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(invocations / 64), 1, 1],
    variableNames: names,
    variableComponents: names.map(() => components),
    outputComponent: components,
    workgroupSize: [64, 1, 1],
    // Declares uniforms.size, which the bounds check reads so the uniform binding stays in the layout.
    size: true,
    getUserCode: () => `
      ${functions}
      fn main(index : i32) {
        if (index >= ${invocations} || uniforms.size < 0) { return; }
        ${body}
      }`,
  };
}
