import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpuBackend } from '../test/tf';
import { learningRateAt } from './schedule';
import { sumPairwise } from '../model/fused';
import { AdamW } from './optimizer';
import { TokenStreamBatches } from './batches';
import { Trainer } from './trainer';
import { encodeCheckpoint, decodeCheckpoint } from '../checkpoint/file';
import { GPT } from '../model/gpt';
import type { ModelConfig } from '../model/config';

beforeAll(async () => {
  await useCpuBackend();
});

const cfg: ModelConfig = { vocabSize: 12, contextLength: 8, width: 16, layers: 1, heads: 2 };

describe('learning-rate schedule', () => {
  it('warms up linearly, peaks, and decays by cosine to the floor', () => {
    const o = { learningRate: 1e-3, warmupSteps: 10, totalSteps: 110, minLrRatio: 0.1 };
    expect(learningRateAt(0, o)).toBeCloseTo(1e-4, 10);
    expect(learningRateAt(9, o)).toBeCloseTo(1e-3, 10);
    expect(learningRateAt(10, o)).toBeCloseTo(1e-3, 10);
    expect(learningRateAt(60, o)).toBeCloseTo(0.55e-3, 10); // halfway: mean of peak and floor
    expect(learningRateAt(110, o)).toBeCloseTo(1e-4, 10);
    expect(learningRateAt(500, o)).toBeCloseTo(1e-4, 10);
  });
});

describe('AdamW', () => {
  it('matches a hand-computed first step, with decoupled decay on matrices only', () => {
    const params = new Map<string, tf.Variable>([
      ['w.weight', tf.variable(tf.tensor2d([[1, -2]]))],
      ['w.bias', tf.variable(tf.tensor1d([0.5]))],
    ]);
    const opt = new AdamW(params, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
    const grads = new Map<string, tf.Tensor>([
      ['w.weight', tf.tensor2d([[0.3, -0.4]])],
      ['w.bias', tf.tensor1d([0.2])],
    ]);
    const norm = opt.apply(grads, 0.01, 0);
    expect(norm.dataSync()[0]).toBeCloseTo(Math.sqrt(0.09 + 0.16 + 0.04), 6);
    // Step 1: m_hat = g, v_hat = g^2, so the Adam part is sign(g).
    const w = params.get('w.weight')!.dataSync();
    expect(w[0]).toBeCloseTo(1 - 0.01 * (1 + 0.1 * 1), 6);
    expect(w[1]).toBeCloseTo(-2 - 0.01 * (-1 + 0.1 * -2), 6);
    expect(params.get('w.bias')!.dataSync()[0]).toBeCloseTo(0.5 - 0.01, 6); // no decay on biases
    expect(opt.step).toBe(1);
  });

  it('follows the textbook AdamW update over several clipped, decayed steps', () => {
    // Reference: the formulas as written in Loshchilov & Hutter, on plain arrays.
    const opts = { beta1: 0.9, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 };
    const init = { 'l.weight': [0.5, -1.5, 2, 0.25], 'l.bias': [0.1, -0.2] };
    const params = new Map<string, tf.Variable>([
      ['l.weight', tf.variable(tf.tensor2d(init['l.weight'], [2, 2]))],
      ['l.bias', tf.variable(tf.tensor1d(init['l.bias']))],
    ]);
    const opt = new AdamW(params, opts);
    const ref = { p: structuredClone(init), m: { 'l.weight': [0, 0, 0, 0], 'l.bias': [0, 0] }, v: { 'l.weight': [0, 0, 0, 0], 'l.bias': [0, 0] } };
    const steps = [
      { g: { 'l.weight': [3, -4, 1, 0.5], 'l.bias': [2, -1] }, lr: 0.05, clip: 1 },
      { g: { 'l.weight': [-0.1, 0.2, 0.05, -0.3], 'l.bias': [0.01, 0.4] }, lr: 0.02, clip: 1 },
      { g: { 'l.weight': [1, 1, -1, 2], 'l.bias': [-0.5, 0.5] }, lr: 0.01, clip: 0 },
    ];
    steps.forEach((s, i) => {
      const t = i + 1;
      const all = [...s.g['l.weight'], ...s.g['l.bias']];
      const norm = Math.sqrt(all.reduce((a, x) => a + x * x, 0));
      const k = s.clip > 0 ? Math.min(1, s.clip / (norm + 1e-6)) : 1;
      for (const name of ['l.weight', 'l.bias'] as const) {
        ref.p[name] = ref.p[name].map((p, j) => {
          const g = s.g[name][j]! * k;
          ref.m[name][j] = opts.beta1 * ref.m[name][j]! + (1 - opts.beta1) * g;
          ref.v[name][j] = opts.beta2 * ref.v[name][j]! + (1 - opts.beta2) * g * g;
          const mHat = ref.m[name][j]! / (1 - opts.beta1 ** t);
          const vHat = ref.v[name][j]! / (1 - opts.beta2 ** t);
          const decay = name === 'l.weight' ? opts.weightDecay * p : 0;
          return p - s.lr * (mHat / (Math.sqrt(vHat) + opts.eps) + decay);
        });
      }
      const grads = new Map<string, tf.Tensor>([
        ['l.weight', tf.tensor2d(s.g['l.weight'], [2, 2])],
        ['l.bias', tf.tensor1d(s.g['l.bias'])],
      ]);
      const n = opt.apply(grads, s.lr, s.clip);
      expect(n.dataSync()[0]).toBeCloseTo(norm, 5);
      tf.dispose([n, ...grads.values()]);
      for (const name of ['l.weight', 'l.bias'] as const) {
        const got = Array.from(params.get(name)!.dataSync());
        got.forEach((x, j) => expect(x).toBeCloseTo(ref.p[name][j]!, 6));
        Array.from(opt.m.get(name)!.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(ref.m[name][j]!, 6));
        Array.from(opt.v.get(name)!.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(ref.v[name][j]!, 6));
      }
    });
    expect(opt.step).toBe(3);
  });

  it('sums any number of tensors pairwise (tf.addN breaks past 8 inputs on WebGPU)', () => {
    for (const n of [1, 2, 7, 8, 9, 16, 33]) {
      const xs = Array.from({ length: n }, (_, i) => tf.scalar(i + 1));
      expect(sumPairwise(xs).dataSync()[0]).toBe((n * (n + 1)) / 2);
    }
    expect(() => sumPairwise([])).toThrow();
  });

  it('clips the global gradient norm', () => {
    const params = new Map<string, tf.Variable>([['a', tf.variable(tf.tensor1d([0, 0]))]]);
    const opt = new AdamW(params, { beta1: 0, beta2: 0, eps: 0, weightDecay: 0 });
    // With beta1 = beta2 = 0 the first moment is the clipped gradient itself.
    opt.apply(new Map([['a', tf.tensor1d([30, 40])]]), 1, 5);
    expect(Array.from(opt.m.get('a')!.dataSync())).toEqual([3, 4].map((x) => expect.closeTo(x, 5)));
  });
});

describe('Trainer', () => {
  const tokens = Int32Array.from({ length: 120 }, (_, i) => [1, 2, 3, 4, 5, 6][i % 6]!);

  it('reports every step with falling loss, tokens/s and ETA, then evaluates', async () => {
    const model = GPT.create(cfg, 1);
    const opt = new AdamW(model.params);
    const steps: number[] = [];
    const etas: Array<number | null> = [];
    const elapsed: number[] = [];
    const losses: number[] = [];
    const evals: number[] = [];
    const trainer = new Trainer(
      model,
      opt,
      new TokenStreamBatches(tokens, 4, cfg.contextLength, 7),
      { steps: 60, learningRate: 1e-2, warmupSteps: 3, minLrRatio: 0.1, gradClip: 1, evalEvery: 20 },
      {
        onStep: (i) => {
          steps.push(i.step);
          losses.push(i.loss);
          expect(i.tokensPerSec).toBeGreaterThan(0);
          etas.push(i.etaSec);
          elapsed.push(i.elapsedSec);
        },
        onEval: (e) => {
          evals.push(e.valLoss);
        },
      },
      TokenStreamBatches.evaluationBatches(tokens, 4, cfg.contextLength),
    );
    expect(await trainer.run()).toBe('done');
    expect(steps).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(losses[59]!).toBeLessThan(losses[0]! * 0.5);
    expect(evals).toHaveLength(3);
    expect(evals[2]!).toBeLessThan(evals[0]!);
    // No ETA until two steps after the shader-compiling first one are timed; then one that runs down to 0.
    expect(etas.slice(0, 2)).toEqual([null, null]);
    expect(etas.slice(2).every((e) => e !== null && e >= 0)).toBe(true);
    expect(etas.at(-1)).toBe(0);
    expect(elapsed.every((e, k) => k === 0 || e >= elapsed[k - 1]!)).toBe(true);
    model.dispose();
    opt.dispose();
  });

  it('continues the elapsed time of a resumed run', async () => {
    const model = GPT.create(cfg, 1);
    const opt = new AdamW(model.params);
    const elapsed: number[] = [];
    const trainer = new Trainer(
      model,
      opt,
      new TokenStreamBatches(tokens, 2, cfg.contextLength, 7),
      { steps: 5, learningRate: 1e-2, warmupSteps: 1, minLrRatio: 0.1, gradClip: 1, evalEvery: 0, startStep: 3, startElapsedSec: 100 },
      { onStep: (i) => void elapsed.push(i.elapsedSec) },
    );
    expect(await trainer.run()).toBe('done');
    expect(elapsed).toHaveLength(2);
    expect(elapsed[0]!).toBeGreaterThan(100);
    expect(elapsed[1]!).toBeGreaterThan(elapsed[0]!);
    model.dispose();
    opt.dispose();
  });

  it('pauses between steps, resumes, and stops early', async () => {
    const model = GPT.create(cfg, 2);
    const opt = new AdamW(model.params);
    let trainer!: Trainer;
    const pauses: boolean[] = [];
    trainer = new Trainer(model, opt, new TokenStreamBatches(tokens, 2, cfg.contextLength, 1), {
      steps: 50, learningRate: 1e-3, warmupSteps: 0, minLrRatio: 0.1, gradClip: 1, evalEvery: 0,
    }, {
      onStep: (i) => {
        if (i.step === 3) trainer.pause();
        if (i.step === 5) trainer.stop();
      },
    });
    const done = trainer.run((p) => pauses.push(p));
    await new Promise((r) => setTimeout(r, 50));
    expect(trainer.state).toBe('paused');
    expect(trainer.step).toBe(3);
    trainer.resume();
    expect(await done).toBe('stopped');
    expect(trainer.step).toBe(5);
    expect(pauses).toEqual([true, false]);
    model.dispose();
    opt.dispose();
  });

  it('same seed and data give the same losses', async () => {
    const runOnce = async () => {
      const model = GPT.create(cfg, 3);
      const opt = new AdamW(model.params);
      const losses: number[] = [];
      await new Trainer(model, opt, new TokenStreamBatches(tokens, 2, cfg.contextLength, 5), {
        steps: 8, learningRate: 2e-3, warmupSteps: 2, minLrRatio: 0.1, gradClip: 1, evalEvery: 0,
      }, { onStep: (i) => void losses.push(i.loss) }).run();
      model.dispose();
      opt.dispose();
      return losses;
    };
    expect(await runOnce()).toEqual(await runOnce());
  });
});

describe('checkpoint', () => {
  it('restores weights and optimizer state bit-exactly and continues identically', async () => {
    const tokensB = Int32Array.from({ length: 60 }, (_, i) => (i * 5) % 12);
    const model = GPT.create(cfg, 4);
    const opt = new AdamW(model.params);
    const src = new TokenStreamBatches(tokensB, 2, cfg.contextLength, 9);
    const { trainStep } = await import('./step');
    for (let i = 0; i < 3; i++) (trainStep(model, opt, src.next(), 1e-3, 1)).dispose();
    const bytes = encodeCheckpoint({ config: cfg, weights: await model.readWeights(), optimizer: await opt.readState(), meta: { step: '3' } });
    const ck = decodeCheckpoint(bytes);
    expect(ck.config).toEqual(cfg);
    expect(ck.meta.step).toBe('3');
    expect(ck.optimizer!.step).toBe(3);
    const restored = GPT.fromWeights(ck.config, ck.weights);
    const opt2 = new AdamW(restored.params);
    opt2.loadState(ck.optimizer!);
    for (const [name, w] of await model.readWeights()) {
      expect(Array.from(ck.weights.get(name)!.data)).toEqual(Array.from(w.data));
    }
    const batch = src.next();
    const a = trainStep(model, opt, batch, 1e-3, 1);
    const b = trainStep(restored, opt2, batch, 1e-3, 1);
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    // The re-encoded checkpoint is byte-identical.
    expect(Array.from(encodeCheckpoint(ck))).toEqual(Array.from(bytes));
    a.dispose(); b.dispose();
    for (const d of [model, restored, opt, opt2]) d.dispose();
  });
});
