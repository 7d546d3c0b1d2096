// LoRA (Hu et al. 2021): a tuning mode that freezes the model and trains, beside
// each projection W (in, out) of attention and MLP, two small matrices A (in, r)
// and B (r, out), so the projection becomes  x W + (alpha / r) (x A) B.  B starts
// at zero, so a fresh adapter leaves the model exactly as it was; merged, the
// model is a plain GPT-2 with W' = W + (alpha / r) A B. Plain TypeScript (no tf):
// names, shapes, initialisation and the one check of rank and alpha.

import { mlpWidthOf, type ModelConfig } from './config';
import type { HostTensor } from './gpt';
import { Rng } from './random';

/** Rank r of the adapters and alpha: the update B A is scaled by alpha / r. */
export interface LoraSpec {
  rank: number;
  alpha: number;
  /** The projections adapted, as LORA_TARGETS suffixes; every one of them when absent. */
  targets?: readonly LoraTarget[];
}

/**
 * Everything that rebuilds a model with adapters exactly: the spec, the adapter
 * matrices by name, and the frozen base values of the adapted weights (a model's
 * weights as read elsewhere are merged, so the base must be kept apart).
 */
export interface LoraState extends LoraSpec {
  adapters: Map<string, HostTensor>;
  base: Map<string, HostTensor>;
}

/** The projections that can get adapters, as name suffixes within a block. */
export const LORA_TARGETS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/**
 * Named sets of targets: 'all' (the default), or 'attention' only, which leaves the
 * MLPs (where much of a model's factual recall sits) exactly as pretrained.
 */
export type LoraTargetSet = 'all' | 'attention';
export const LORA_TARGET_SETS: Record<LoraTargetSet, readonly LoraTarget[]> = {
  all: LORA_TARGETS,
  attention: ['attn.c_attn', 'attn.c_proj'],
};

/** The spec for adapters of `rank` and `alpha` on a named set; 'all' leaves `targets` out, as specs saved before the sets did. */
export function loraSpecFor(rank: number, alpha: number, set: LoraTargetSet = 'all'): LoraSpec {
  return { rank, alpha, ...(set === 'attention' ? { targets: LORA_TARGET_SETS.attention } : {}) };
}

/** Why `targets` cannot name adapted projections; null when it can. */
export function loraTargetsProblem(targets: unknown): string | null {
  if (targets === undefined) return null;
  const known = LORA_TARGETS as readonly unknown[];
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => known.includes(t)) || new Set(targets).size !== targets.length) {
    return `LoRA targets must be a non-empty list of distinct projections from ${LORA_TARGETS.join(', ')} (got ${JSON.stringify(targets) ?? 'nothing'}).`;
  }
  return null;
}

/** Name of a projection's A or B matrix: `transformer.h.0.attn.c_attn.lora_A`. */
export function adapterName(projection: string, which: 'A' | 'B'): string {
  return `${projection}.lora_${which}`;
}

/** The adapted projections of a config with their (in, out) sizes, block by block. */
export function loraTargets(c: ModelConfig, targets: readonly LoraTarget[] = LORA_TARGETS): Array<{ projection: string; weight: string; inSize: number; outSize: number }> {
  const d = c.width;
  const f = mlpWidthOf(c);
  const sizes: Record<(typeof LORA_TARGETS)[number], [number, number]> = {
    'attn.c_attn': [d, 3 * d],
    'attn.c_proj': [d, d],
    'mlp.c_fc': [d, f],
    'mlp.c_proj': [f, d],
  };
  const out = [];
  for (let i = 0; i < c.layers; i++) {
    for (const t of LORA_TARGETS) {
      if (!targets.includes(t)) continue;
      const projection = `transformer.h.${i}.${t}`;
      const [inSize, outSize] = sizes[t];
      out.push({ projection, weight: `${projection}.weight`, inSize, outSize });
    }
  }
  return out;
}

/** Every adapter matrix's name and shape: A (in, r), then B (r, out), per projection. */
export function loraShapes(c: ModelConfig, rank: number, targets?: readonly LoraTarget[]): Array<[string, number[]]> {
  return loraTargets(c, targets).flatMap(({ projection, inSize, outSize }): Array<[string, number[]]> => [
    [adapterName(projection, 'A'), [inSize, rank]],
    [adapterName(projection, 'B'), [rank, outSize]],
  ]);
}

/** Trainable values with adapters of `rank`: r (in + out) per adapted projection. */
export function loraParamCount(c: ModelConfig, rank: number, targets?: readonly LoraTarget[]): number {
  return loraTargets(c, targets).reduce((n, t) => n + rank * (t.inSize + t.outSize), 0);
}

/**
 * Fresh adapters from `seed`, as PEFT initialises them: A uniform in
 * +-1/sqrt(in) (kaiming-uniform with a = sqrt 5), B zeros. A projection's A is
 * the same whichever other projections are adapted.
 */
export function initLora(c: ModelConfig, rank: number, seed: number, targets?: readonly LoraTarget[]): Map<string, HostTensor> {
  const rng = new Rng(seed);
  const chosen = new Set(loraTargets(c, targets).map((t) => t.projection));
  const out = new Map<string, HostTensor>();
  for (const { projection, inSize, outSize } of loraTargets(c)) {
    const a = new Float32Array(inSize * rank);
    const bound = 1 / Math.sqrt(inSize);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    if (!chosen.has(projection)) continue;
    out.set(adapterName(projection, 'A'), { shape: [inSize, rank], data: a });
    out.set(adapterName(projection, 'B'), { shape: [rank, outSize], data: new Float32Array(rank * outSize) });
  }
  return out;
}

/**
 * Why `spec`'s `field` cannot adapt a model of width `width` (any width up to 4096
 * when not given); null when it can.
 */
export function loraFieldProblem(field: 'loraRank' | 'loraAlpha', spec: { rank: unknown; alpha: unknown }, width?: number): string | null {
  const shownValue = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : 'nothing');
  if (field === 'loraRank') {
    const r = spec.rank;
    const maxRank = width ?? 4096;
    if (typeof r === 'number' && Number.isInteger(r) && r >= 1 && r <= maxRank) return null;
    if (width !== undefined && typeof r === 'number' && Number.isInteger(r) && r > width) {
      return `LoRA rank ${r} is larger than the model's width (${width}): choose 1 to ${width}; 4 to 16 is usual.`;
    }
    return `LoRA rank must be a whole number from 1 to ${maxRank} (got ${shownValue(r)}); 4 to 16 is usual.`;
  }
  const a = spec.alpha;
  if (typeof a === 'number' && Number.isFinite(a) && a > 0 && a <= 10_000) return null;
  return `LoRA alpha must be above 0 and at most 10,000 (got ${shownValue(a)}); twice the rank is usual.`;
}

/** Why `spec` cannot adapt a model of width `width`, by field; empty when it can. */
export function loraSpecProblems(spec: { rank: unknown; alpha: unknown }, width?: number): Array<{ field: 'loraRank' | 'loraAlpha'; message: string }> {
  const out: Array<{ field: 'loraRank' | 'loraAlpha'; message: string }> = [];
  for (const field of ['loraRank', 'loraAlpha'] as const) {
    const message = loraFieldProblem(field, spec, width);
    if (message) out.push({ field, message });
  }
  return out;
}

/** Checks that `state` holds every adapter and base weight of `c` with the right shapes; throws naming the first that does not. */
export function assertLoraState(c: ModelConfig, state: LoraState): void {
  const [p] = loraSpecProblems(state, c.width);
  if (p) throw new Error(p.message);
  const targetsProblem = loraTargetsProblem(state.targets);
  if (targetsProblem) throw new Error(targetsProblem);
  for (const [name, shape] of loraShapes(c, state.rank, state.targets)) {
    const t = state.adapters.get(name);
    if (!t) throw new Error(`The LoRA adapter "${name}" is missing.`);
    if (t.shape.join() !== shape.join()) throw new Error(`The LoRA adapter "${name}" has shape [${t.shape.join(', ')}] but rank ${state.rank} needs [${shape.join(', ')}].`);
  }
  for (const { weight, inSize, outSize } of loraTargets(c, state.targets)) {
    const t = state.base.get(weight);
    if (!t) throw new Error(`The base weight "${weight}" under the LoRA adapters is missing.`);
    if (t.shape.join() !== [inSize, outSize].join()) throw new Error(`The base weight "${weight}" has shape [${t.shape.join(', ')}], expected [${inSize}, ${outSize}].`);
  }
}
