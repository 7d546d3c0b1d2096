// A batched matrix product for the WebGL backend, written for an emulated GPU
// (ANGLE on SwiftShader, what headless Chromium offers without a GPU).
//
// Each fragment computes one 2 x 2 block of the output (one RGBA texel of a packed
// texture, the largest block a fragment can write) from packed inputs, two
// multiply-adds of vec4s per shared-dimension pair, like any packed product. What
// differs is the addressing: tfjs-webgl's samplers turn every (batch, row, col)
// into a texture coordinate with an integer division and float arithmetic per
// fetch. Here each operand's texture coordinate is computed once per fragment
// (the texture sizes are baked into the shader) and then stepped by a constant
// along the shared dimension, so the inner loop is fetches and multiply-adds.
// Measured on SwiftShader (S-sized products, one at a time): 0-30% faster than
// tf.matMul; integer texelFetch with the same stepping was ~30% slower than
// tf.matMul, and textureLod ~15% slower. A fragment cannot write more than one
// RGBA texel, so the fetch-per-multiply-add ratio is the same as tfjs-webgl's.
//
// Registered as the kernel 'StudioMatMulWebGL' for the 'webgl' backend;
// src/model/ops.ts calls it through tf.engine().runKernel and gives it a gradient.
// It needs M, K and N even (every texel full; see `supportsWebGl`); other shapes
// (a decode step's single row) stay with tf.matMul.

import * as tf from '@tensorflow/tfjs';

export const STUDIO_MATMUL_WEBGL = 'StudioMatMulWebGL';

/** The part of tfjs-webgl's GPGPUProgram interface this kernel uses. */
interface WebGlProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput: boolean;
  enableShapeUniforms: boolean;
}

interface WebGlBackendLike {
  runWebGLProgram(program: WebGlProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
  texData: { get(dataId: tf.DataId): { texture?: unknown; isPacked?: boolean; shape: number[]; texShape?: [number, number] } };
  uploadToGPU(dataId: tf.DataId): void;
  packTensor(input: tf.TensorInfo): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

/**
 * The input as a packed texture on the GPU (uploading or packing it as
 * runWebGLProgram would), with its texture's size [rows, columns] in texels,
 * which the shader bakes in. Packed copies made here go to `temps`.
 */
function packedWithWidth(be: WebGlBackendLike, info: tf.TensorInfo, temps: tf.TensorInfo[]): [tf.TensorInfo, [number, number]] {
  let data = be.texData.get(info.dataId);
  if (data.texture == null) {
    data.isPacked = true;
    data.shape = info.shape;
  }
  be.uploadToGPU(info.dataId);
  let out = info;
  if (!data.isPacked) {
    out = be.packTensor(info);
    temps.push(out);
    data = be.texData.get(out.dataId);
  }
  return [out, [Math.ceil(data.texShape![0] / 2), Math.ceil(data.texShape![1] / 2)]];
}

/**
 * GLSL that places a texel cursor for operand `name` at flat texel index `start`
 * and steps it by `step` texels per shared-dimension pair. Packed textures hold
 * texels row-major: (batch, row / 2, col / 2) flattened, wrapped at the texture's
 * width `w` (in texels). `run` is how many consecutive steps a fragment takes
 * from a start that is a multiple of `run * step` when step is 1.
 * Returns [setup, advance]; where the walk never leaves a texture row (or always
 * moves down whole rows) the advance is a single add.
 */
function cursor(name: string, start: string, step: number, w: number, h: number, run: number): [string, string] {
  const setup = `int ${name}Start = ${start};
        int ${name}Yi = ${name}Start / ${w};
        vec2 ${name}UV = (vec2(float(${name}Start - ${name}Yi * ${w}), float(${name}Yi)) + 0.5) / vec2(${w}.0, ${h}.0);`;
  if (step === 1 && w % run === 0) return [setup, `${name}UV.x += ${(1 / w).toPrecision(9)};`];
  if (step % w === 0) return [setup, `${name}UV.y += ${(step / w / h).toPrecision(9)};`];
  // General case: back to a division by the (constant) width per step.
  const general = `int ${name}Idx = ${name}Start;`;
  return [
    `${setup}\n        ${general}`,
    `${name}Idx += ${step}; ${name}Yi = ${name}Idx / ${w}; ${name}UV = (vec2(float(${name}Idx - ${name}Yi * ${w}), float(${name}Yi)) + 0.5) / vec2(${w}.0, ${h}.0);`,
  ];
}

/**
 * out[b] = op(a[b]) @ op(b[b]) for a (batch, M, K) or, with ta, (batch, K, M), and
 * b (batch, K, N) or, with tb, (batch, N, K); output (batch, M, N), packed.
 */
export function webGlMatMulProgram(batch: number, M: number, K: number, N: number, ta: boolean, tb: boolean, aWidth: [number, number], bWidth: [number, number]): WebGlProgram {
  if (ta && tb) throw new Error('webGlMatMulProgram: transposing both operands is not supported.');
  const [m2, k2, n2] = [M / 2, K / 2, N / 2];
  // Texels per batch entry of each operand, and where a fragment's first texel lies.
  const aStart = ta ? `b * ${k2 * m2} + r / 2` : `b * ${m2 * k2} + (r / 2) * ${k2}`;
  const bStart = tb ? `b * ${n2 * k2} + (c / 2) * ${k2}` : `b * ${k2 * n2} + c / 2`;
  const aStep = ta ? m2 : 1;
  const bStep = tb ? 1 : n2;
  // A texel of A holds (rows r, r+1) x (k, k+1), or with ta (k, k+1) x (r, r+1);
  // of B (k, k+1) x (c, c+1), or with tb (c, c+1) x (k, k+1). The output texel is
  // (o[r][c], o[r][c+1], o[r+1][c], o[r+1][c+1]).
  const [a0, a1] = ta ? ['a.xxyy', 'a.zzww'] : ['a.xxzz', 'a.yyww'];
  const [b0, b1] = tb ? ['bb.xzxz', 'bb.ywyw'] : ['bb.xyxy', 'bb.zwzw'];
  const [aSetup, aAdvance] = cursor('A', aStart, aStep, aWidth[1], aWidth[0], k2);
  const [bSetup, bAdvance] = cursor('B', bStart, bStep, bWidth[1], bWidth[0], k2);
  const step = `
          {
            vec4 a = texture(A, AUV);
            vec4 bb = texture(B, BUV);
            acc += ${a0} * ${b0};
            acc += ${a1} * ${b1};
            ${aAdvance}
            ${bAdvance}
          }`;
  // Up to eight pairs per iteration where K allows, to cut the loop overhead.
  const unroll = [8, 4, 2, 1].find((u) => k2 % u === 0)!;
  const userCode = `
      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int r = rc.y;
        int c = rc.z;
        ${aSetup}
        ${bSetup}
        vec4 acc = vec4(0.0);
        for (int i = 0; i < ${k2 / unroll}; i++) {
          ${step.repeat(unroll)}
        }
        setOutput(acc);
      }
      // studio matmul ${batch} ${M} ${K} ${N} ${ta ? 't' : 'n'}${tb ? 't' : 'n'} ${aWidth} ${bWidth}`;
  return {
    variableNames: ['A', 'B'],
    outputShape: [batch, M, N],
    userCode,
    packedInputs: true,
    packedOutput: true,
    enableShapeUniforms: false,
  };
}

/**
 * Whether the kernel handles op(a) @ op(b) for 3-D a and b of these shapes: equal
 * batch, not both transposed, M, K and N even.
 */
export function supportsWebGl(aShape: readonly number[], bShape: readonly number[], ta: boolean, tb: boolean): boolean {
  if (aShape.length !== 3 || bShape.length !== 3 || aShape[0] !== bShape[0] || (ta && tb)) return false;
  const [, a1, a2] = aShape as [number, number, number];
  const [, b1, b2] = bShape as [number, number, number];
  const [M, K] = ta ? [a2, a1] : [a1, a2];
  const [K2, N] = tb ? [b2, b1] : [b1, b2];
  return K === K2 && M > 0 && N > 0 && K > 0 && M % 2 === 0 && N % 2 === 0 && K % 2 === 0;
}

let registered = false;

/** Registers 'StudioMatMulWebGL' for the webgl backend (harmless where WebGL is absent). */
export function registerWebGlMatMul(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: STUDIO_MATMUL_WEBGL,
    backendName: 'webgl',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!supportsWebGl(a.shape, b.shape, transposeA, transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
        throw new Error(`StudioMatMulWebGL does not handle [${a.shape}]${transposeA ? '^T' : ''} x [${b.shape}]${transposeB ? '^T' : ''}.`);
      }
      const [batch, a1, a2] = a.shape as [number, number, number];
      const [M, K] = transposeA ? [a2, a1] : [a1, a2];
      const N = transposeB ? b.shape[1]! : b.shape[2]!;
      const be = backend as unknown as WebGlBackendLike;
      const temps: tf.TensorInfo[] = [];
      const [pa, aWidth] = packedWithWidth(be, a, temps);
      const [pb, bWidth] = packedWithWidth(be, b, temps);
      const program = webGlMatMulProgram(batch, M, K, N, transposeA, transposeB, aWidth, bWidth);
      const out = be.runWebGLProgram(program, [pa, pb], 'float32');
      for (const t of temps) be.disposeIntermediateTensorInfo(t);
      return out;
    },
  });
}
