// A batched matrix product for the WebGL backend, written for packed textures.
//
// In a tfjs program each fragment computes one 2 x 2 block of the output (one
// RGBA texel of a packed texture) from packed inputs, two multiply-adds of vec4s
// per shared-dimension pair, like any packed product. What differs is the
// addressing: tfjs-webgl's samplers turn every (batch, row, col) into a texture
// coordinate with an integer division and float arithmetic per fetch. Here each
// operand's texture coordinate is computed once per fragment (the texture sizes
// are baked into the shader) and then stepped by a constant along the shared
// dimension, so the inner loop is fetches and multiply-adds. Where M and N are
// multiples of 4 the product draws 4 render targets at once (a 4 x 4 block per
// fragment; see "several output texels per fragment" below). docs/BENCHMARK.md
// says why these forms and not others.
//
// Registered as the kernel 'StudioMatMulWebGL' for the 'webgl' backend
// (./index.ts); src/model/ops.ts calls it through tf.engine().runKernel and gives
// it a gradient. It needs M, K and N even (every texel full; see `supportsWebGl`)
// and WebGL2; other shapes (a decode step's single row) stay with tf.matMul.

import * as tf from '@tensorflow/tfjs';
import { productDims, registerProductKernel, type GpgpuLike, type WebGlBackendLike, type WebGlProgram } from './common';

export const STUDIO_MATMUL_WEBGL = 'StudioMatMulWebGL';

/**
 * The input as a packed texture on the GPU (uploading or packing it as
 * runWebGLProgram would), with its texture's size [rows, columns] in texels,
 * which the shader bakes in. Packed copies made here go to `temps`.
 */
export function packedWithWidth(be: WebGlBackendLike, info: tf.TensorInfo, temps: tf.TensorInfo[]): [tf.TensorInfo, [number, number]] {
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
 * width `w` (in texels). `run` is how many consecutive steps a fragment takes;
 * `aligned` says every start is a multiple of `run` (so with step 1 and `w` a
 * multiple of `run`, a run never crosses a texture row).
 * Returns [setup, advance]; where the walk never leaves a texture row (or always
 * moves down whole rows) the advance is a single add.
 */
function cursor(name: string, start: string, step: number, w: number, h: number, run: number, aligned: boolean): [string, string] {
  const setup = `int ${name}Start = ${start};
        int ${name}Yi = ${name}Start / ${w};
        vec2 ${name}UV = (vec2(float(${name}Start - ${name}Yi * ${w}), float(${name}Yi)) + 0.5) / vec2(${w}.0, ${h}.0);`;
  if (step === 1 && aligned && w % run === 0) return [setup, `${name}UV.x += ${(1 / w).toPrecision(9)};`];
  if (step % w === 0) return [setup, `${name}UV.y += ${(step / w / h).toPrecision(9)};`];
  // General case: back to a division by the (constant) width per step.
  const general = `int ${name}Idx = ${name}Start;`;
  return [
    `${setup}\n        ${general}`,
    `${name}Idx += ${step}; ${name}Yi = ${name}Idx / ${w}; ${name}UV = (vec2(float(${name}Idx - ${name}Yi * ${w}), float(${name}Yi)) + 0.5) / vec2(${w}.0, ${h}.0);`,
  ];
}

/**
 * Where one batch entry's matrix lies in a packed texture: as stored (before any
 * transpose), its texel (row pair i, column pair j) is at flat texel index
 * `base + i * rowStride + j`. `base` is GLSL (it may use the fragment's batch
 * entry); `align` divides every value of `base` and `rowStride`; `tex` is the
 * texture's size in texels [rows, columns].
 */
export interface OperandLayout {
  sampler: string;
  base: string;
  rowStride: number;
  align: number;
  tex: [number, number];
}

/** The layout of entry `b` of a packed (batch, rows, cols) tensor, for sampler `sampler`. */
export function batchLayout(sampler: string, rows: number, cols: number, tex: [number, number], b = 'b'): OperandLayout {
  const stride = cols / 2;
  return { sampler, base: `${b} * ${(rows / 2) * stride}`, rowStride: stride, align: stride, tex };
}

/**
 * The part of a product's shader every form shares: cursors for rp texels of A (row
 * pairs `rowPair(p)`) and cp texels of B (column pairs `colPair(q)`), each operand
 * where its layout says, stepped along K; accumulators acc0..acc{rp*cp-1}
 * (acc{p*cp+q} is the 2 x 2 output block of A texel p and B texel q); and the loop
 * over K, taking as many pairs per iteration (of `unrolls`, first that divides K/2)
 * to cut loop overhead. A texel of A holds (rows r, r+1) x (k, k+1), or with ta (k,
 * k+1) x (r, r+1); of B (k, k+1) x (c, c+1), or with tb (c, c+1) x (k, k+1). An
 * output texel is (o[r][c], o[r][c+1], o[r+1][c], o[r+1][c+1]).
 */
export function productLoopOn(K: number, a: OperandLayout, ta: boolean, b: OperandLayout, tb: boolean, rp: number, cp: number, rowPair: (p: number) => string, colPair: (q: number) => string, unrolls: number[]): string {
  const k2 = K / 2;
  const setups: string[] = [];
  const advances: string[] = [];
  const fetches: string[] = [];
  for (let p = 0; p < rp; p++) {
    // Stored (M, K): start at the row pair, step 1; stored (K, M): start at the column pair, step a row.
    const start = ta ? `${a.base} + ${rowPair(p)}` : `${a.base} + ${rowPair(p)} * ${a.rowStride}`;
    const step = ta ? a.rowStride : 1;
    const [setup, advance] = cursor(`A${p}`, start, step, a.tex[1], a.tex[0], k2, a.align % k2 === 0);
    setups.push(setup);
    advances.push(advance);
    fetches.push(`vec4 a${p} = texture(${a.sampler}, A${p}UV);`);
  }
  for (let q = 0; q < cp; q++) {
    const start = tb ? `${b.base} + ${colPair(q)} * ${b.rowStride}` : `${b.base} + ${colPair(q)}`;
    const step = tb ? 1 : b.rowStride;
    const [setup, advance] = cursor(`B${q}`, start, step, b.tex[1], b.tex[0], k2, b.align % k2 === 0);
    setups.push(setup);
    advances.push(advance);
    fetches.push(`vec4 b${q} = texture(${b.sampler}, B${q}UV);`);
  }
  const [sa0, sa1] = ta ? ['xxyy', 'zzww'] : ['xxzz', 'yyww'];
  const [sb0, sb1] = tb ? ['xzxz', 'ywyw'] : ['xyxy', 'zwzw'];
  const macs: string[] = [];
  for (let p = 0; p < rp; p++) {
    for (let q = 0; q < cp; q++) {
      const t = p * cp + q;
      macs.push(`acc${t} += a${p}.${sa0} * b${q}.${sb0}; acc${t} += a${p}.${sa1} * b${q}.${sb1};`);
    }
  }
  const body = `
          {
            ${fetches.join('\n            ')}
            ${macs.join('\n            ')}
            ${advances.join('\n            ')}
          }`;
  const unroll = unrolls.find((u) => k2 % u === 0) ?? 1;
  const accs = Array.from({ length: rp * cp }, (_, t) => `vec4 acc${t} = vec4(0.0);`).join(' ');
  return `${setups.join('\n        ')}
        ${accs}
        for (int s = 0; s < ${k2 / unroll}; s++) {
          ${body.repeat(unroll)}
        }`;
}

/** productLoopOn for entry `b` of packed (batch, ...) operands A and B of op(A) (M, K) and op(B) (K, N). */
function productLoop(M: number, K: number, N: number, ta: boolean, tb: boolean, aWidth: [number, number], bWidth: [number, number], rp: number, cp: number, rowPair: (p: number) => string, colPair: (q: number) => string, unrolls: number[]): string {
  const a = ta ? batchLayout('A', K, M, aWidth) : batchLayout('A', M, K, aWidth);
  const b = tb ? batchLayout('B', N, K, bWidth) : batchLayout('B', K, N, bWidth);
  return productLoopOn(K, a, ta, b, tb, rp, cp, rowPair, colPair, unrolls);
}

/**
 * out[b] = op(a[b]) @ op(b[b]) for a (batch, M, K) or, with ta, (batch, K, M), and
 * b (batch, K, N) or, with tb, (batch, N, K); output (batch, M, N), packed; one
 * 2 x 2 output block per fragment.
 */
export function webGlMatMulProgram(batch: number, M: number, K: number, N: number, ta: boolean, tb: boolean, aWidth: [number, number], bWidth: [number, number]): WebGlProgram {
  if (ta && tb) throw new Error('webGlMatMulProgram: transposing both operands is not supported.');
  // Up to eight pairs per iteration where K allows.
  const loop = productLoop(M, K, N, ta, tb, aWidth, bWidth, 1, 1, () => '(r / 2)', () => '(c / 2)', [8, 4, 2, 1]);
  const userCode = `
      void main() {
        ivec3 rc = getOutputCoords();
        int b = rc.x;
        int r = rc.y;
        int c = rc.z;
        ${loop}
        setOutput(acc0);
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
  const d = productDims(aShape, bShape, ta, tb);
  return d !== null && d.M % 2 === 0 && d.N % 2 === 0 && d.K % 2 === 0;
}

// ---- several output texels per fragment (multiple render targets) -------------
//
// A fragment of a tfjs program writes one RGBA texel, a 2 x 2 block of the
// output, reading one texel of each operand per shared-dimension pair: 8
// multiply-adds per 2 fetches. With WebGL2's multiple render targets a fragment
// writes rp x cp texels, one per colour attachment, a (2 rp) x (2 cp) block, from
// rp texels of A and cp of B per pair: with rp = cp = 2, 32 multiply-adds per 4
// fetches, and the per-fragment set-up is shared by 4 texels. tfjs's shader
// header declares a single output, so this program is compiled here (linked to
// tfjs's own vertex shader and quad) and draws into textures tfjs allocated for
// intermediate tensors; a tfjs program then interleaves the targets into the
// product's packed texture. The GL state tfjs relies on (only attachment 0 on its
// framebuffer, one draw buffer; program, vertex array and textures are set by
// tfjs before each of its draws) is restored before returning.

/** Row and column texel blocks (rp x cp render targets) a fragment computes. */
export interface MrtBlock {
  rp: number;
  cp: number;
}

/** The block drawn where M and N allow (the fastest measured; docs/BENCHMARK.md). */
const MRT_BLOCK: MrtBlock = { rp: 2, cp: 2 };

/** GLSL of the multi-target product: out targets o0..o{rp*cp-1}, each logically (batch, 2 M/(2rp), 2 N/(2cp)). */
export function webGlMrtSource(batch: number, M: number, K: number, N: number, ta: boolean, tb: boolean, aWidth: [number, number], bWidth: [number, number], outW: number, block: MrtBlock): string {
  const { rp, cp } = block;
  const mb = M / 2 / rp; // block rows
  const nb = N / 2 / cp; // block columns
  const targets = rp * cp;
  const loop = productLoop(M, K, N, ta, tb, aWidth, bWidth, rp, cp, (p) => `(i * ${rp} + ${p})`, (q) => `(j * ${cp} + ${q})`, [4, 2, 1]);
  const outs = Array.from({ length: targets }, (_, t) => `layout(location = ${t}) out vec4 o${t};`).join('\n');
  const writes = Array.from({ length: targets }, (_, t) => `o${t} = acc${t};`).join(' ');
  return `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
in vec2 resultUV;
uniform sampler2D A;
uniform sampler2D B;
${outs}
void main() {
  ivec2 fc = ivec2(gl_FragCoord.xy);
  int idx = fc.y * ${outW} + fc.x;
  int b = idx / ${mb * nb};
  int rem = idx - b * ${mb * nb};
  int i = rem / ${nb};
  int j = rem - i * ${nb};
  if (b >= ${batch}) { b = 0; }
  ${loop}
  ${writes}
}
// studio mrt matmul ${batch} ${M} ${K} ${N} ${ta ? 't' : 'n'}${tb ? 't' : 'n'} ${aWidth} ${bWidth} ${outW} ${rp}x${cp}`;
}

/**
 * tfjs program that interleaves the rp*cp targets (each logically (batch, 2 mb, 2 nb))
 * into the packed (batch, M, N) product: output texel (tr, tc) comes from target
 * (tr % rp) * cp + tc % cp at texel (tr / rp, tc / cp).
 */
export function webGlMrtGatherProgram(batch: number, M: number, N: number, block: MrtBlock): WebGlProgram {
  const { rp, cp } = block;
  const targets = rp * cp;
  const names = Array.from({ length: targets }, (_, t) => `O${t}`);
  const picks = names.map((n, t) => `if (t == ${t}) v = get${n}(rc.x, i * 2, j * 2);`).join('\n        else ');
  return {
    variableNames: names,
    outputShape: [batch, M, N],
    userCode: `
      void main() {
        ivec3 rc = getOutputCoords();
        int tr = rc.y / 2;
        int tc = rc.z / 2;
        int i = tr / ${rp};
        int j = tc / ${cp};
        int t = (tr - i * ${rp}) * ${cp} + (tc - j * ${cp});
        vec4 v = vec4(0.0);
        ${picks}
        setOutput(v);
      }`,
    packedInputs: true,
    packedOutput: true,
    enableShapeUniforms: false,
  };
}

interface MrtProgram {
  program: WebGLProgram & { vao: WebGLVertexArrayObject };
  samplers: WebGLUniformLocation[];
  uniforms: Map<string, WebGLUniformLocation | null>;
}

const mrtPrograms = new WeakMap<WebGL2RenderingContext, Map<string, MrtProgram>>();

/** The linked program of a fragment shader `source` (cached by source) with its sampler locations. */
function mrtProgram(gpgpu: GpgpuLike, source: string, samplerNames: string[]): MrtProgram {
  const gl = gpgpu.gl;
  let cache = mrtPrograms.get(gl);
  if (!cache) mrtPrograms.set(gl, (cache = new Map()));
  const hit = cache.get(source);
  if (hit) return hit;
  const shader = gl.createShader(gl.FRAGMENT_SHADER);
  if (!shader) throw new Error('WebGL could not create a shader for a studio multi-target program.');
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(`A studio multi-target shader did not compile: ${gl.getShaderInfoLog(shader) ?? 'no log'}`);
  }
  const program = gpgpu.createProgram(shader);
  gpgpu.buildVao(program);
  const samplers = samplerNames.map((n) => {
    const loc = gl.getUniformLocation(program, n);
    if (!loc) throw new Error(`A studio multi-target shader lost its sampler ${n}.`);
    return loc;
  });
  const made = { program, samplers, uniforms: new Map<string, WebGLUniformLocation | null>() };
  cache.set(source, made);
  return made;
}

/**
 * Draws the fragment shader `source` once into the packed textures of `targets`
 * (all of one texture shape; colour attachment t is target t), reading `inputs`
 * (packed, on the GPU) through the samplers `samplerNames`, with float uniforms
 * set by name. The GL state tfjs relies on is restored before returning.
 */
export function drawMrt(be: WebGlBackendLike, source: string, samplerNames: string[], inputs: tf.TensorInfo[], targets: tf.TensorInfo[], uniforms: Record<string, number> = {}): void {
  const first = be.texData.get(targets[0]!.dataId);
  const [rows, cols] = first.texShape!;
  const gpgpu = be.gpgpu;
  const gl = gpgpu.gl;
  const prog = mrtProgram(gpgpu, source, samplerNames);
  gpgpu.setOutputPackedMatrixTexture(first.texture!.texture, rows, cols);
  const buffers: number[] = [gl.COLOR_ATTACHMENT0];
  for (let t = 1; t < targets.length; t++) {
    const d = be.texData.get(targets[t]!.dataId);
    if (d.texShape![0] !== rows || d.texShape![1] !== cols) throw new Error('Studio multi-target program targets got different texture shapes.');
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + t, gl.TEXTURE_2D, d.texture!.texture, 0);
    buffers.push(gl.COLOR_ATTACHMENT0 + t);
  }
  try {
    gl.drawBuffers(buffers);
    gpgpu.setProgram(prog.program);
    gpgpu.bindVertexArray(prog.program.vao);
    inputs.forEach((x, i) => gpgpu.setInputMatrixTexture(be.texData.get(x.dataId).texture!.texture, prog.samplers[i]!, i));
    for (const [name, value] of Object.entries(uniforms)) {
      if (!prog.uniforms.has(name)) prog.uniforms.set(name, gl.getUniformLocation(prog.program, name));
      const loc = prog.uniforms.get(name);
      if (loc) gl.uniform1f(loc, value);
    }
    gpgpu.executeProgram();
    mrtDraws++;
  } finally {
    for (let t = 1; t < targets.length; t++) gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + t, gl.TEXTURE_2D, null, 0);
    gl.drawBuffers([gl.COLOR_ATTACHMENT0]);
  }
}

/** New packed tensors of `shape` with their textures allocated, to draw into. */
export function packedTargets(be: WebGlBackendLike, shape: number[], n: number): tf.TensorInfo[] {
  const targets: tf.TensorInfo[] = [];
  for (let t = 0; t < n; t++) {
    const info = be.makeTensorInfo(shape, 'float32');
    be.texData.get(info.dataId).isPacked = true;
    targets.push(info);
    be.uploadToGPU(info.dataId);
  }
  return targets;
}

let mrtDraws = 0;

/** How many draws drawMrt has made so far (outside tfjs's programs, which tfjs's profiling cannot see). */
export function mrtDrawCount(): number {
  return mrtDraws;
}

const drawBufferLimits = new WeakMap<WebGL2RenderingContext, number>();

/** Whether this context is WebGL2 and can draw `n` targets at once. */
export function mrtFitsTargets(gl: WebGL2RenderingContext, n: number): boolean {
  if (typeof gl.drawBuffers !== 'function') return false;
  let limit = drawBufferLimits.get(gl);
  if (limit === undefined) {
    limit = Math.min(gl.getParameter(gl.MAX_DRAW_BUFFERS) as number, gl.getParameter(gl.MAX_COLOR_ATTACHMENTS) as number);
    drawBufferLimits.set(gl, limit);
  }
  return n <= limit;
}

/** The product on the multi-target program; inputs already packed on the GPU. */
function runMrtProduct(be: WebGlBackendLike, pa: tf.TensorInfo, pb: tf.TensorInfo, batch: number, M: number, K: number, N: number, ta: boolean, tb: boolean, aWidth: [number, number], bWidth: [number, number], block: MrtBlock): tf.TensorInfo {
  const { rp, cp } = block;
  const targets = packedTargets(be, [batch, M / rp, N / cp], rp * cp);
  try {
    const outW = Math.ceil(be.texData.get(targets[0]!.dataId).texShape![1] / 2);
    drawMrt(be, webGlMrtSource(batch, M, K, N, ta, tb, aWidth, bWidth, outW, block), ['A', 'B'], [pa, pb], targets);
    return be.runWebGLProgram(webGlMrtGatherProgram(batch, M, N, block), targets, 'float32');
  } finally {
    for (const t of targets) be.disposeIntermediateTensorInfo(t);
  }
}

/** Registers 'StudioMatMulWebGL' for the webgl backend (harmless where WebGL is absent). */
export function registerWebGlMatMul(): void {
  registerProductKernel(STUDIO_MATMUL_WEBGL, 'webgl', supportsWebGl, (backend, a, b, { batch, M, K, N }, transposeA, transposeB) => {
    const be = backend as WebGlBackendLike;
    const temps: tf.TensorInfo[] = [];
    const [pa, aWidth] = packedWithWidth(be, a, temps);
    const [pb, bWidth] = packedWithWidth(be, b, temps);
    const block = MRT_BLOCK;
    const useMrt = M % (2 * block.rp) === 0 && N % (2 * block.cp) === 0 && mrtFitsTargets(be.gpgpu.gl, block.rp * block.cp);
    const out = useMrt
      ? runMrtProduct(be, pa, pb, batch, M, K, N, transposeA, transposeB, aWidth, bWidth, block)
      : be.runWebGLProgram(webGlMatMulProgram(batch, M, K, N, transposeA, transposeB, aWidth, bWidth), [pa, pb], 'float32');
    for (const t of temps) be.disposeIntermediateTensorInfo(t);
    return out;
  });
}
