// Where a training step's time goes, on the backend already selected: the step is
// timed in phases (forward + loss, + backward, + optimizer), each ended by a readback,
// and one full step is run under tf.profile to count kernel launches by name (GPU
// backends run kernels asynchronously, so their per-kernel times are not reliable,
// but the launch counts are, and each launch costs a fixed overhead).

import * as tf from '@tensorflow/tfjs';
import { GPT } from '../../src/model/gpt';
import { mrtDrawCount } from '../../src/model/kernels';
import { TokenStreamBatches } from '../../src/train/batches';
import { AdamW } from '../../src/train/optimizer';
import { trainStep } from '../../src/train/step';
import { CONFIGS, type ConfigId } from './configs';
import { syntheticTokens, type Progress } from './measure';

export interface ProfileResult {
  /** Median ms of each phase over `repeats` runs. */
  forwardMs: number;
  forwardBackwardMs: number;
  stepMs: number;
  /** Kernel launches of one full step, by kernel name, most frequent first. */
  kernels: Array<{ name: string; count: number; ms: number }>;
  launches: number;
  /** WebGL: shader programs drawn in one step; WebGPU: programs dispatched. By program class, most frequent first. */
  programs: Array<{ name: string; count: number }>;
  /** The same programs by the tf kernel (op) that ran them, most first. */
  programsByKernel: Array<{ name: string; count: number }>;
  /** WebGL: draws the studio's multi-target programs made outside tfjs's programs (products, AdamW). */
  directDraws: number;
  /** The step's matrix products grouped by shape, each timed alone (median ms per call). */
  products: Array<{ kernel: string; a: number[]; b: number[]; out: number[]; count: number; ms: number; gflops: number }>;
}

/** A readable name for a tfjs program (class names are minified): its operation line and output shape. */
function programName(p: { userCode?: string; shaderKey?: string; outputShape?: number[]; constructor: { name: string } }): string {
  if (p.shaderKey !== undefined) return `${p.constructor === Object ? 'studio' : p.constructor.name} [${p.outputShape ?? ''}] ${p.shaderKey.slice(0, 60)}`;
  const code = (p.userCode ?? '').replace(/\s+/g, ' ');
  const op = /(?:result|setOutput\(|return )[^;]{0,60}/.exec(code.slice(code.indexOf('main')))?.[0] ?? code.slice(0, 60);
  return `${p.constructor === Object ? 'studio' : p.constructor.name} [${p.outputShape ?? ''}] ${op}`;
}

/**
 * The shader programs one call of `f` runs, by program class: draws on WebGL,
 * dispatches on WebGPU (a tfjs kernel may run several, or none: reshapes and
 * small tensors on the CPU). Each costs a fixed launch overhead whatever its size.
 */
async function countPrograms(f: () => Promise<void>): Promise<Pick<ProfileResult, 'programs' | 'programsByKernel' | 'directDraws'>> {
  const method = { webgl: 'runWebGLProgram', webgpu: 'runWebGPUProgram' }[tf.getBackend()];
  if (!method) return { programs: [], programsByKernel: [], directDraws: 0 };
  const direct0 = mrtDrawCount();
  const be = tf.backend() as unknown as Record<string, (p: object, ...rest: unknown[]) => unknown>;
  const original = be[method]!;
  // The kernel being run, so each program is charged to the op that drew it.
  const engine = tf.engine() as unknown as { runKernelFunc(params: { kernelName?: string }): unknown };
  const originalRun = Object.prototype.hasOwnProperty.call(engine, 'runKernelFunc') ? engine.runKernelFunc : null;
  const runKernelFunc = engine.runKernelFunc;
  const stack: string[] = [];
  engine.runKernelFunc = function (this: unknown, params: { kernelName?: string }) {
    stack.push(params.kernelName ?? 'unnamed');
    try {
      return runKernelFunc.call(this, params);
    } finally {
      stack.pop();
    }
  };
  const counts = new Map<string, number>();
  const byKernel = new Map<string, number>();
  be[method] = function (this: unknown, p: object, ...rest: unknown[]) {
    const name = programName(p as { userCode?: string; outputShape?: number[]; constructor: { name: string } });
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const k = stack[stack.length - 1] ?? '(outside a kernel: uploads)';
    byKernel.set(k, (byKernel.get(k) ?? 0) + 1);
    return original.call(this, p, ...rest);
  };
  try {
    await f();
  } finally {
    be[method] = original;
    if (originalRun) engine.runKernelFunc = originalRun;
    else delete (engine as { runKernelFunc?: unknown }).runKernelFunc;
  }
  const sorted = (m: Map<string, number>) => [...m].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count);
  return { programs: sorted(counts), programsByKernel: sorted(byKernel), directDraws: mrtDrawCount() - direct0 };
}

const PRODUCT_KERNELS = new Set(['StudioMatMul', 'StudioMatMulWebGL', 'BatchMatMul', '_FusedMatMul']);

/**
 * Times each distinct matrix product of a step on its own: random operands of the
 * recorded shapes, the same kernel, 5 runs after a warm-up, each ended by a readback
 * of one value. The transposes are inferred from the shapes (a square operand is
 * taken as untransposed, which times the same work).
 */
async function timeProducts(kernels: Array<{ name: string; inputShapes: number[][]; outputShapes: number[][] }>): Promise<ProfileResult['products']> {
  const groups = new Map<string, { kernel: string; a: number[]; b: number[]; out: number[]; count: number }>();
  for (const k of kernels) {
    if (!PRODUCT_KERNELS.has(k.name)) continue;
    const [a, b] = k.inputShapes as [number[], number[]];
    const out = k.outputShapes[0]!;
    const key = `${k.name} ${a} ${b}`;
    const g = groups.get(key) ?? { kernel: k.name, a, b, out, count: 0 };
    g.count++;
    groups.set(key, g);
  }
  const results: ProfileResult['products'] = [];
  for (const g of groups.values()) {
    const r = g.a.length;
    const M = g.out[r - 2]!;
    const N = g.out[r - 1]!;
    const ta = g.a[r - 2] !== M;
    const tb = g.b[r - 1] !== N;
    const K = ta ? g.a[r - 2]! : g.a[r - 1]!;
    const batch = g.out.slice(0, -2).reduce((x, y) => x * y, 1);
    const a = tf.randomNormal(g.a);
    const b = tf.randomNormal(g.b);
    // Five products back to back and one readback, so the readback's fixed cost is spread.
    const run = async (): Promise<number> => {
      const t0 = performance.now();
      let y: tf.Tensor | null = null;
      for (let i = 0; i < 5; i++) {
        y?.dispose();
        y = tf.engine().runKernel(g.kernel, { a, b }, { transposeA: ta, transposeB: tb }) as tf.Tensor;
      }
      const one = tf.slice(tf.reshape(y!, [-1]), [0], [1]);
      await one.data();
      tf.dispose([y!, one]);
      return (performance.now() - t0) / 5;
    };
    await run();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push(await run());
    const ms = median(times);
    results.push({ ...g, ms, gflops: (2 * batch * M * N * K) / ms / 1e6 });
    tf.dispose([a, b]);
  }
  return results.sort((x, y) => y.ms * y.count - x.ms * x.count);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function profileTraining(configId: ConfigId, repeats: number, onProgress?: Progress): Promise<ProfileResult> {
  const { model: mc, batchSize } = CONFIGS[configId];
  const model = GPT.create(mc, 1);
  const optimizer = new AdamW(model.params);
  const source = new TokenStreamBatches(syntheticTokens(mc.vocabSize, 50_000, 7), batchSize, mc.contextLength, 11);
  const vars = [...model.params.values()];
  const tensors = () => {
    const b = source.next();
    const shape: [number, number] = [b.batchSize, b.seqLen];
    return { ids: tf.tensor2d(b.ids, shape, 'int32'), targets: tf.tensor2d(b.targets, shape, 'int32'), mask: tf.tensor2d(b.mask, shape, 'float32') };
  };
  const timeIt = async (f: () => Promise<void>): Promise<number> => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  const forward = async (): Promise<void> => {
    const t = tensors();
    const loss = model.loss(t.ids, t.targets, t.mask);
    await loss.data();
    tf.dispose([loss, t.ids, t.targets, t.mask]);
  };
  const forwardBackward = async (): Promise<void> => {
    const t = tensors();
    const { value, grads } = tf.variableGrads(() => model.loss(t.ids, t.targets, t.mask), vars);
    // Reading one small value of every gradient waits for the whole backward pass.
    const probe = tf.tidy(() => tf.stack(Object.values(grads).map((g) => tf.sum(g))));
    await probe.data();
    tf.dispose([probe, value, ...Object.values(grads), t.ids, t.targets, t.mask]);
  };
  const step = async (): Promise<void> => {
    const out = trainStep(model, optimizer, source.next(), 1e-3, 1);
    await out.data();
    out.dispose();
  };
  try {
    // Warm up every shape once.
    await forward();
    await forwardBackward();
    await step();
    const phases = { f: [] as number[], fb: [] as number[], s: [] as number[] };
    for (let i = 0; i < repeats; i++) {
      phases.f.push(await timeIt(forward));
      phases.fb.push(await timeIt(forwardBackward));
      phases.s.push(await timeIt(step));
      onProgress?.(`profile ${i + 1}/${repeats}: forward ${phases.f[i]!.toFixed(0)} ms, +backward ${phases.fb[i]!.toFixed(0)} ms, full step ${phases.s[i]!.toFixed(0)} ms`);
    }
    const { programs, programsByKernel, directDraws } = await countPrograms(step);
    const info = await tf.profile(step);
    const byName = new Map<string, { count: number; ms: number }>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { count: 0, ms: 0 };
      e.count++;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      byName.set(k.name, e);
    }
    const kernels = [...byName].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.count - a.count);
    const products = await timeProducts(info.kernels as unknown as Array<{ name: string; inputShapes: number[][]; outputShapes: number[][] }>);
    return { programs, programsByKernel, directDraws, forwardMs: median(phases.f), forwardBackwardMs: median(phases.fb), stepMs: median(phases.s), kernels, launches: info.kernels.length, products };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
