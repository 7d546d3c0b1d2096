// AdamW (decoupled weight decay, Loshchilov & Hutter) with global gradient-norm
// clipping. New parameter values are all computed before any is assigned, so an
// error mid-step (a lost device, out of memory) leaves the model as it was.

import * as tf from '@tensorflow/tfjs';
import { adamwUpdate, sumOfSquares } from '../model/fused';
import { isDecayed, type HostTensor } from '../model/gpt';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 };

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
      const total = tf.sqrt(sumOfSquares([...grads.values()])) as tf.Scalar;
      const scale = clip > 0 ? tf.minimum(1, tf.div(clip, tf.add(total, 1e-6))) : tf.scalar(1);
      // AdamW as  m = b1 m + (1 - b1) s g,  v = b2 v + (1 - b2) s^2 g^2,
      // p = p (1 - lr wd) - lr (m c1) / (sqrt(v c2) + eps)
      //   = p (1 - lr wd) - (lr c1 / sqrt(c2)) m / (sqrt(v) + eps / sqrt(c2)),
      // with s the clipping factor and c1, c2 the bias corrections.
      const c1 = 1 / (1 - b1 ** t);
      const c2 = 1 / (1 - b2 ** t);
      const update = adamwUpdate({
        beta1: b1,
        beta2: b2,
        stepSize: (lr * c1) / Math.sqrt(c2),
        epsHat: eps / Math.sqrt(c2),
        decayKeep: 1 - lr * weightDecay,
        gScale: tf.mul(scale, 1 - b1), // s (1 - b1), on the device
        g2Scale: tf.mul(tf.square(scale), 1 - b2), // s^2 (1 - b2)
      });
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) throw new Error(`No gradient for parameter ${name}.`);
        const { m, v, param: next } = update(p, this.m.get(name)!, this.v.get(name)!, g, this.decay.has(name) && weightDecay > 0);
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
