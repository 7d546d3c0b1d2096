import type { HostTensor } from '../model/gpt';

/**
 * A running mean of weight snapshots (readWeights maps of one model): the
 * tail average that `npm run tune -- --average-from S` writes. Sums are kept
 * in float64 so that a mean over hundreds of steps loses nothing to rounding.
 */
export class WeightAverage {
  private readonly sums = new Map<string, { shape: number[]; data: Float64Array }>();
  private n = 0;

  /** How many snapshots have been added. */
  get count(): number {
    return this.n;
  }

  add(weights: Map<string, HostTensor>): void {
    if (this.n > 0 && weights.size !== this.sums.size) throw new Error(`A snapshot of ${weights.size} tensors cannot join an average of ${this.sums.size}.`);
    for (const [name, w] of weights) {
      let acc = this.sums.get(name);
      if (!acc) {
        if (this.n > 0) throw new Error(`Tensor ${name} is not in the earlier snapshots.`);
        acc = { shape: w.shape.slice(), data: new Float64Array(w.data.length) };
        this.sums.set(name, acc);
      } else if (acc.shape.join() !== w.shape.join()) {
        throw new Error(`Tensor ${name} has shape [${w.shape.join(', ')}] here and [${acc.shape.join(', ')}] in the earlier snapshots.`);
      }
      const sum = acc.data;
      const x = w.data;
      for (let k = 0; k < x.length; k++) sum[k]! += x[k]!;
    }
    this.n++;
  }

  /** The element-wise mean of every snapshot added. */
  mean(): Map<string, HostTensor> {
    if (this.n === 0) throw new Error('No snapshot was added, so there is no mean.');
    const n = this.n;
    return new Map([...this.sums].map(([name, acc]) => [name, { shape: acc.shape.slice(), data: Float32Array.from(acc.data, (s) => s / n) }]));
  }
}
