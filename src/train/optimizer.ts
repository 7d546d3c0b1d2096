// AdamW (decoupled weight decay, Loshchilov & Hutter) with global gradient-norm
// clipping. New parameter values are all computed before any is assigned, so an
// error mid-step (a lost device, out of memory) leaves the model as it was.

import * as tf from '@tensorflow/tfjs';
import { isDecayed, type HostTensor } from '../model/gpt';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 };

/**
 * Sum of many same-shaped tensors by pairwise adds. Not tf.addN: on WebGPU (tfjs 4.22)
 * it binds every input to one shader and silently yields garbage once that exceeds the
 * device's storage-buffer limit (8 on common adapters), which broke gradient clipping.
 */
export function sumPairwise(xs: tf.Tensor[]): tf.Tensor {
  if (xs.length === 0) throw new Error('sumPairwise needs at least one tensor.');
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}

export class AdamW {
  /** Completed update steps (Adam's t), kept for bias correction and checkpoints. */
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  private readonly decay = new Set<string>();

  constructor(
    private readonly params: Map<string, tf.Variable>,
    public options: AdamWOptions = DEFAULT_ADAMW,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      if (isDecayed(name, p.shape)) this.decay.add(name);
    }
  }

  /**
   * One update from `grads` (by parameter name). Gradients are scaled so their global
   * L2 norm is at most `clip` (0 = no clipping). Returns the norm before clipping as a
   * scalar tensor the caller owns, so it can be read back together with the loss.
   */
  apply(grads: Map<string, tf.Tensor>, lr: number, clip: number): tf.Scalar {
    const t = this.step + 1;
    const { beta1: b1, beta2: b2, eps, weightDecay } = this.options;
    const updates: Array<[tf.Variable, tf.Tensor]> = [];
    const norm = tf.tidy(() => {
      const sq = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      const total = tf.sqrt(sumPairwise(sq)) as tf.Scalar;
      const scale = clip > 0 ? tf.minimum(1, tf.div(clip, tf.add(total, 1e-6))) : tf.scalar(1);
      const c1 = 1 / (1 - b1 ** t);
      const c2 = 1 / (1 - b2 ** t);
      for (const [name, p] of this.params) {
        const g0 = grads.get(name);
        if (!g0) throw new Error(`No gradient for parameter ${name}.`);
        const g = tf.mul(g0, scale);
        const m = tf.add(tf.mul(this.m.get(name)!, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v.get(name)!, b2), tf.mul(tf.square(g), 1 - b2));
        let upd = tf.div(tf.mul(m, c1), tf.add(tf.sqrt(tf.mul(v, c2)), eps));
        if (this.decay.has(name) && weightDecay > 0) upd = tf.add(upd, tf.mul(p, weightDecay));
        const next = tf.sub(p, tf.mul(upd, lr));
        updates.push([this.m.get(name)!, tf.keep(m)], [this.v.get(name)!, tf.keep(v)], [p, tf.keep(next)]);
      }
      return total;
    });
    // Everything is computed; only now touch the variables.
    for (const [variable, value] of updates) {
      variable.assign(value);
      value.dispose();
    }
    this.step = t;
    return norm;
  }

  async readState(): Promise<{ step: number; m: Map<string, HostTensor>; v: Map<string, HostTensor> }> {
    const read = async (src: Map<string, tf.Variable>) => {
      const out = new Map<string, HostTensor>();
      for (const [k, t] of src) out.set(k, { shape: t.shape.slice(), data: (await t.data()) as Float32Array });
      return out;
    };
    return { step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  loadState(state: { step: number; m: Map<string, HostTensor>; v: Map<string, HostTensor> }): void {
    for (const [which, src] of [[this.m, state.m], [this.v, state.v]] as const) {
      for (const [name, variable] of which) {
        const h = src.get(name);
        if (!h) throw new Error(`Optimizer state is missing "${name}".`);
        if (h.data.length !== variable.size) throw new Error(`Optimizer state "${name}" has ${h.data.length} values, expected ${variable.size}.`);
        tf.tidy(() => variable.assign(tf.tensor(h.data, variable.shape, 'float32')));
      }
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
