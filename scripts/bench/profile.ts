// Where a training step's time goes, on the backend already selected: the step is
// timed in phases (forward + loss, + backward, + optimizer), each ended by a readback,
// and one full step is run under tf.profile to count kernel launches by name (GPU
// backends run kernels asynchronously, so their per-kernel times are not reliable,
// but the launch counts are, and each launch costs a fixed overhead).

import * as tf from '@tensorflow/tfjs';
import { GPT } from '../../src/model/gpt';
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
    const info = await tf.profile(step);
    const byName = new Map<string, { count: number; ms: number }>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { count: 0, ms: 0 };
      e.count++;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      byName.set(k.name, e);
    }
    const kernels = [...byName].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.count - a.count);
    return { forwardMs: median(phases.f), forwardBackwardMs: median(phases.fb), stepMs: median(phases.s), kernels, launches: info.kernels.length };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
