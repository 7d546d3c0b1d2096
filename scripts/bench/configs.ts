// The benchmark's model sizes and how many floating-point operations a trained
// token costs. No tfjs here: the peer's page imports this too, and must not pull
// in the studio's copy of tfjs.

import { MLP_RATIO, type ModelConfig } from '../../src/model/config';

export type ConfigId = 'S' | 'M';

export interface BenchConfig {
  id: ConfigId;
  model: ModelConfig;
  batchSize: number;
}

/** The two sizes. M is the peer's default model. */
export const CONFIGS: Record<ConfigId, BenchConfig> = {
  S: { id: 'S', model: { vocabSize: 512, contextLength: 64, width: 128, layers: 4, heads: 4 }, batchSize: 16 },
  M: { id: 'M', model: { vocabSize: 2000, contextLength: 128, width: 256, layers: 6, heads: 4 }, batchSize: 8 },
};

/** Prompt length and new tokens of the generation benchmark. */
export const GEN_PROMPT = 32;
export const GEN_NEW = 128;

/**
 * The generation benchmark needs prompt + 128 new tokens inside the context, or the
 * window slides and every token is a full recompute in both modes. So it runs the
 * same shape with the context widened to 160 (only the position table grows).
 */
export function generationConfig(c: BenchConfig): ModelConfig {
  return { ...c.model, contextLength: Math.max(c.model.contextLength, GEN_PROMPT + GEN_NEW) };
}

/**
 * Floating-point operations of one trained token, counting matrix products only
 * (LayerNorm, GELU, softmax and the optimizer are a few percent and left out):
 * - forward, per token: 2 * (12 * L * d^2) for the four projections of each block
 *   (qkv 3d^2, out d^2, MLP 2 * 4d^2), 2 * d * V for the tied LM head, and
 *   2 * 2 * T * d per block for the scores (q k^T) and the weighted values over the
 *   whole T x T window as computed (the causal half is masked, not skipped);
 * - training = forward + backward = 3 x forward (nanoGPT's / PaLM's 6N rule).
 */
export function trainFlopsPerToken(c: ModelConfig): number {
  const { width: d, layers: L, vocabSize: V, contextLength: T } = c;
  const projections = 2 * (2 * MLP_RATIO + 4) * L * d * d; // 2 * 12 L d^2 at MLP_RATIO 4
  const head = 2 * d * V;
  const attention = 2 * 2 * L * T * d;
  return 3 * (projections + head + attention);
}

