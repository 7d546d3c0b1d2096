// Autoregressive generation: prompt ids in, new token ids out, one at a time.
// Knows only token ids, never text (the caller decodes).

import * as tf from '@tensorflow/tfjs';
import { disposeCache, type GPT, type KVCache } from './gpt';
import { Rng } from './random';
import { sampleToken, type SamplingOptions } from './sampling';

export interface GenerationOptions extends SamplingOptions {
  maxTokens: number;
  seed: number;
  /** Generation ends after emitting one of these ids (it is yielded first). */
  stopIds?: readonly number[];
  /** Use the key/value cache (default) or recompute the whole window per token. */
  useCache?: boolean;
  /** Checked before each token; returning true ends generation. */
  shouldStop?: () => boolean;
}

/**
 * Yields new token ids. With the cache, the prompt is run once (prefill) and each
 * new token costs one single-position step; once the sequence outgrows the context,
 * the window slides and is recomputed, exactly as the uncached path does, so both
 * paths produce the same tokens for the same seed.
 */
export async function* generateTokens(model: GPT, promptIds: readonly number[], o: GenerationOptions): AsyncGenerator<number> {
  const C = model.config.contextLength;
  if (promptIds.length === 0) throw new Error('The prompt is empty: give at least one token to continue from.');
  const rng = new Rng(o.seed);
  const seq = promptIds.slice();
  const useCache = o.useCache ?? true;
  let cache: KVCache | null = null;
  try {
    for (let n = 0; n < o.maxTokens; n++) {
      if (o.shouldStop?.()) return;
      let logitsT: tf.Tensor1D;
      if (!useCache) {
        logitsT = model.lastLogits(seq.slice(-C));
      } else if (cache === null || seq.length > C) {
        // (Re)fill from the last C tokens: at the start, and whenever the window slides.
        if (cache) disposeCache(cache);
        const r = model.prefill(seq.slice(-C));
        cache = r.cache;
        logitsT = r.logits;
      } else {
        logitsT = model.decodeStep(seq[seq.length - 1]!, seq.length - 1, cache);
      }
      const logits = (await logitsT.data()) as Float32Array;
      logitsT.dispose();
      const next = sampleToken(logits, o, rng);
      seq.push(next);
      yield next;
      if (o.stopIds?.includes(next)) return;
    }
  } finally {
    if (cache) disposeCache(cache);
  }
}
