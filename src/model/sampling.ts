// Choosing the next token from logits, on the host, with a seeded generator:
// the same logits, settings and seed always give the same token on any backend.

import type { Rng } from './random';
import { fieldProblems, isWhole, type FieldProblem, type FieldRule } from '../util/rules';

export interface SamplingOptions {
  /** 0 means greedy (argmax). Higher values flatten the distribution. */
  temperature: number;
  /** Keep only the k most likely tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all. */
  topP: number;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * The probabilities sampling draws from after temperature, top-k and top-p, as
 * (token, probability) pairs sorted from most to least likely; they sum to 1.
 */
export function filteredDistribution(logits: ArrayLike<number>, o: SamplingOptions): Array<[number, number]> {
  const n = logits.length;
  const t = Math.max(o.temperature, 1e-6);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const k = o.topK > 0 ? Math.min(o.topK, n) : n;
  const kept = order.slice(0, k);
  const max = logits[kept[0]!]!;
  const weights = kept.map((i) => Math.exp((logits[i]! - max) / t));
  const total = weights.reduce((a, b) => a + b, 0);
  let probs: Array<[number, number]> = kept.map((id, j) => [id, weights[j]! / total]);
  if (o.topP < 1) {
    let cum = 0;
    let cut = probs.length;
    for (let j = 0; j < probs.length; j++) {
      cum += probs[j]![1];
      if (cum >= o.topP) {
        cut = j + 1;
        break;
      }
    }
    probs = probs.slice(0, Math.max(1, cut));
    const s = probs.reduce((a, [, p]) => a + p, 0);
    probs = probs.map(([id, p]) => [id, p / s]);
  }
  return probs;
}

/** Picks the next token id. Consumes exactly one random number unless greedy. */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  if (o.temperature <= 0) return argmax(logits);
  const probs = filteredDistribution(logits, o);
  const r = rng.next();
  let cum = 0;
  for (const [id, p] of probs) {
    cum += p;
    if (r < cum) return id;
  }
  return probs[probs.length - 1]![0];
}

/** What one generation asks for: how many tokens, how to sample them, when to stop. */
export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  seed: number;
  /** Stop at <|endoftext|>. */
  stopAtEos: boolean;
}

export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = {
  maxTokens: 64,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  seed: 42,
  stopAtEos: true,
};

export type GenerateOptionProblem = FieldProblem<GenerateOptions>;

const GENERATE_RULES: ReadonlyArray<FieldRule<GenerateOptions>> = [
  { field: 'temperature', ok: (o) => Number.isFinite(o.temperature) && o.temperature >= 0 && o.temperature <= 5, message: () => 'Temperature must be between 0 (always the likeliest token) and 5.' },
  { field: 'topK', ok: (o) => isWhole(o.topK, 0), message: () => 'Top-k must be a whole number, 0 or more (0 turns it off).' },
  { field: 'topP', ok: (o) => Number.isFinite(o.topP) && o.topP > 0 && o.topP <= 1, message: () => 'Top-p must be above 0 and at most 1 (1 turns it off).' },
  { field: 'maxTokens', ok: (o) => isWhole(o.maxTokens, 1, 4096), message: () => 'Max tokens must be a whole number from 1 to 4096.' },
  { field: 'seed', ok: (o) => Number.isInteger(o.seed), message: () => 'The seed must be a whole number.' },
];

/** Problems with generation settings, by field: the worker refuses with these and the panels show them. */
export function generateOptionProblems(o: GenerateOptions): GenerateOptionProblem[] {
  return fieldProblems(o, GENERATE_RULES);
}
