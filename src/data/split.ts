// Train/validation split with a fixed seed: the same items and seed always
// give the same split, in Node, in a Worker and in the page.

import { Random } from '../util/random';

export interface SplitOptions {
  /** Share held out for validation, in [0, 1). */
  valFraction: number;
  seed: number;
}

/**
 * Holds out round(n * valFraction) items, at least one when the fraction is
 * above 0 and there are two or more items, and always leaves one to train on.
 * Both parts keep the original order.
 */
export function splitExamples<T>(items: readonly T[], opts: SplitOptions): { train: T[]; val: T[] } {
  const { valFraction } = opts;
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new Error(`valFraction must be at least 0 and below 1, got ${valFraction}`);
  }
  const n = items.length;
  let valCount = Math.round(n * valFraction);
  if (valFraction > 0 && n >= 2) valCount = Math.max(1, valCount);
  valCount = Math.min(valCount, Math.max(0, n - 1));
  const order = new Random(opts.seed).shuffle(items.map((_, k) => k));
  const isVal = new Uint8Array(n);
  for (let k = 0; k < valCount; k++) isVal[order[k] as number] = 1;
  const train: T[] = [];
  const val: T[] = [];
  items.forEach((item, k) => (isVal[k] ? val : train).push(item));
  return { train, val };
}
