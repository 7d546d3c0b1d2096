// Seeded random numbers computed in JavaScript, so weight init and sampling are
// identical on every tfjs backend (tf.random* is not). The generator itself is the
// project's one mulberry32 (src/util/random.ts); this adds normal draws and a
// saveable state for checkpoints.

import { Random } from '../util/random';

export class Rng extends Random {
  private spareNormal: number | null = null;

  constructor(seed: number) {
    // Mix the seed so nearby seeds (1, 2, 3) start far apart.
    super((Math.imul(seed | 0, 0x9e3779b1) ^ 0x85ebca6b) >>> 0);
  }

  /** Standard normal via Box-Muller; the second value is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** The generator's full state, for checkpoints that resume exactly. */
  getState(): { state: number; spareNormal: number | null } {
    return { state: this.state, spareNormal: this.spareNormal };
  }

  setState(s: { state: number; spareNormal: number | null }): void {
    this.state = s.state >>> 0;
    this.spareNormal = s.spareNormal;
  }
}
