// The Data tab's "phrasings" control: a dataset expanded through a template pool,
// FLAN-style, so each task is asked in several wordings. Two pools: generic
// instruction templates (our own, in the spirit of FLAN's: a request wrapped in
// different framings), which fit any dataset; and the geography pool (TEMPLATE_POOL),
// which rewrites a country question of one relation into that relation's other
// phrasings. The result is a new list; the dataset it came from is not changed.

import { TEMPLATE_POOL, RELATIONS, type Relation } from '../corpus/facts';
import type { Example, InstructionExample } from '../data/schema';
import { Random } from '../util/random';
import { escapeRegExp } from '../util/text';

/** Generic framings of any instruction ({instruction} is the original). Written for this studio. */
export const GENERIC_PHRASINGS: readonly string[] = [
  '{instruction}',
  'Please answer this: {instruction}',
  'Here is a request. {instruction}',
  '{instruction} Keep the answer short.',
  'Answer the following. {instruction}',
  'I would like to know something. {instruction}',
  'Respond briefly: {instruction}',
  'Task: {instruction}',
  '{instruction} Reply in a few words.',
  'Can you help? {instruction}',
  'Read the request and respond. {instruction}',
  'Quick one: {instruction}',
];

export type PhrasingPool = 'generic' | 'geo';

export const PHRASING_POOLS: ReadonlyArray<{ id: PhrasingPool; name: string; size: number }> = [
  { id: 'generic', name: 'Generic instruction framings (any dataset)', size: GENERIC_PHRASINGS.length },
  { id: 'geo', name: 'Country-question pool (capital, currency, … questions)', size: TEMPLATE_POOL.capital.length },
];

export interface ExpandReport {
  examples: Example[];
  /** Examples given new phrasings. */
  expanded: number;
  /** Examples kept as they were (conversations; for the geo pool, questions it does not recognise). */
  unchanged: number;
}

/** Each pool template of each relation as a pattern capturing the country. */
const GEO_PATTERNS: ReadonlyArray<{ relation: Relation; re: RegExp }> = RELATIONS.flatMap((relation) =>
  TEMPLATE_POOL[relation].map((t) => ({ relation, re: new RegExp(`^${escapeRegExp(t).replace('\\{x\\}', '(.+?)')}$`) })),
);

/** The relation and country of a question written in one of the pool's phrasings, or null. */
export function recogniseGeoQuestion(instruction: string): { relation: Relation; country: string } | null {
  for (const p of GEO_PATTERNS) {
    const m = p.re.exec(instruction.trim());
    if (m?.[1]) return { relation: p.relation, country: m[1] };
  }
  return null;
}

/** Why the control cannot expand with these settings, or null. */
export function phrasingsProblem(count: number, pool: PhrasingPool): string | null {
  const max = PHRASING_POOLS.find((p) => p.id === pool)?.size ?? 0;
  if (!Number.isInteger(count) || count < 2 || count > max) return `Phrasings per example must be a whole number from 2 to ${max} for this pool (got ${String(count)}).`;
  return null;
}

/**
 * Each instruction example in `count` phrasings (its own first, then a seeded choice of
 * the pool's others), with the same input and response. Ids are the original's with
 * `~p<k>` appended, so the copies are told apart and re-expanding is reproducible.
 */
export function expandPhrasings(examples: readonly Example[], pool: PhrasingPool, count: number, seed: number): ExpandReport {
  const problem = phrasingsProblem(count, pool);
  if (problem) throw new Error(problem);
  const rng = new Random(seed);
  const out: Example[] = [];
  let expanded = 0;
  let unchanged = 0;
  for (const ex of examples) {
    const wordings = ex.kind === 'instruction' ? phrasingsOf(ex, pool) : null;
    if (!wordings || wordings.length < 2) {
      out.push(ex);
      unchanged++;
      continue;
    }
    const [own, ...others] = wordings;
    const chosen = [own!, ...rng.sample(others, count - 1)];
    chosen.forEach((instruction, k) => out.push({ ...(ex as InstructionExample), id: k === 0 ? ex.id : `${ex.id}~p${k + 1}`, instruction }));
    expanded++;
  }
  return { examples: out, expanded, unchanged };
}

/** Every wording of an example in the pool, its own first; null when the pool does not apply. */
function phrasingsOf(ex: InstructionExample, pool: PhrasingPool): string[] | null {
  if (pool === 'generic') return GENERIC_PHRASINGS.map((t) => t.replace('{instruction}', ex.instruction));
  const q = recogniseGeoQuestion(ex.instruction);
  if (!q) return null;
  const all = TEMPLATE_POOL[q.relation].map((t) => t.replaceAll('{x}', q.country));
  return [ex.instruction.trim(), ...all.filter((w) => w !== ex.instruction.trim())];
}
