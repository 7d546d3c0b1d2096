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
