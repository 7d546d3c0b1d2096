// The train / held-out split of countries and the instruction datasets built from it.
// Tuning data covers TRAIN countries only, for the tuned relations only, in phrasings
// of the template pool only. Held-out countries' facts appear only in pretraining
// prose; the held-out phrasings appear only in evaluation sets.

import { Random } from '../util/random';
import { HELDOUT_TEMPLATES, question, RELATIONS, TEMPLATE_POOL, type CountryFacts, type Relation } from './facts';

/** The relation never seen in tuning: measures transfer to an untuned task (FLAN's claim). */
export const UNTUNED_RELATION: Relation = 'code3';
export const TUNED_RELATIONS: readonly Relation[] = RELATIONS.filter((r) => r !== UNTUNED_RELATION);

/** Pool phrasings per (country, relation) in the tuning set. */
export const TUNING_PHRASINGS_PER_FACT = 4;

export interface CountrySplit {
  train: CountryFacts[];
  heldOut: CountryFacts[];
}

export function splitCountries(facts: readonly CountryFacts[], seed: number, heldOutFraction = 0.5): CountrySplit {
  const shuffled = new Random(seed).shuffle(facts.slice());
  const nHeld = Math.round(shuffled.length * heldOutFraction);
  const byName = (a: CountryFacts, b: CountryFacts) => a.name.localeCompare(b.name);
  return { heldOut: shuffled.slice(0, nHeld).sort(byName), train: shuffled.slice(nHeld).sort(byName) };
}

/** One Alpaca record; `category` names the relation, `source` the split and phrasing. */
export interface AlpacaRecord {
  instruction: string;
  input: string;
  output: string;
  category: string;
  source: string;
}

type Pool = 'pool' | 'heldout';
const templatesOf = (pool: Pool, r: Relation) => (pool === 'pool' ? TEMPLATE_POOL[r] : HELDOUT_TEMPLATES[r]);

function record(c: CountryFacts, r: Relation, pool: Pool, t: number, split: string): AlpacaRecord {
  return { instruction: question(templatesOf(pool, r)[t]!, c), input: '', output: c[r], category: r, source: `${split}/${pool}-phrasing-${t + 1}` };
}

/** Every phrasing of the pool for every country, phrasing by phrasing (the first rows are phrasing 1). */
function everyPhrasing(countries: readonly CountryFacts[], r: Relation, pool: Pool, split: string): AlpacaRecord[] {
  return templatesOf(pool, r).flatMap((_, t) => countries.map((c) => record(c, r, pool, t, split)));
}

/**
 * `k` phrasings per (country, relation), rotating through the pool so that every
 * phrasing is used about equally often: balanced like FLAN's mixtures.
 */
function rotating(countries: readonly CountryFacts[], relations: readonly Relation[], pool: Pool, k: number, split: string): AlpacaRecord[] {
  const out: AlpacaRecord[] = [];
  countries.forEach((c, ci) =>
    relations.forEach((r, ri) => {
      const n = templatesOf(pool, r).length;
      for (let j = 0; j < Math.min(k, n); j++) out.push(record(c, r, pool, ((ci + ri) * k + j) % n, split));
    }),
  );
  return out;
}

/** Every instruction set shipped for the lesson, by file name. */
export function instructionSets(split: CountrySplit): Record<string, { description: string; records: AlpacaRecord[] }> {
  const all = [...split.train, ...split.heldOut].sort((a, b) => a.name.localeCompare(b.name));
  return {
    'geo-tune.json': {
      description: `Tuning data: ${split.train.length} train countries x ${TUNED_RELATIONS.length} relations (${TUNED_RELATIONS.join(', ')}) x ${TUNING_PHRASINGS_PER_FACT} phrasings from a pool of ${TEMPLATE_POOL.capital.length} per relation, rotated so every phrasing is used equally. Never ${UNTUNED_RELATION}, never a held-out country, never a held-out phrasing.`,
      records: rotating(split.train, TUNED_RELATIONS, 'pool', TUNING_PHRASINGS_PER_FACT, 'train'),
    },
    'geo-eval-train-capitals.json': {
      description: 'Capital questions about the train countries, in every pool phrasing (phrasing by phrasing).',
      records: everyPhrasing(split.train, 'capital', 'pool', 'train'),
    },
    'geo-eval-heldout-capitals.json': {
      description: 'Capital questions about held-out countries (facts seen only in pretraining prose), in every pool phrasing, phrasing by phrasing: the first rows ask "What is the capital of ...?".',
      records: everyPhrasing(split.heldOut, 'capital', 'pool', 'heldout'),
    },
    'geo-eval-heldout-capitals-unseen-phrasings.json': {
      description: 'Capital questions about held-out countries, in the held-out phrasings that no tuning set, corpus document or quiz sheet contains.',
      records: everyPhrasing(split.heldOut, 'capital', 'heldout', 'heldout'),
    },
    'geo-eval-heldout-phrasings.json': {
      description: `Every tuned relation about held-out countries, two held-out phrasings per fact (rotating through the ${HELDOUT_TEMPLATES.capital.length}): the headline measure of following instructions never seen.`,
      records: rotating(split.heldOut, TUNED_RELATIONS, 'heldout', 2, 'heldout'),
    },
    'geo-eval-heldout-continents.json': {
      description: 'Continent questions about held-out countries, two pool phrasings each.',
      records: rotating(split.heldOut, ['continent'], 'pool', 2, 'heldout'),
    },
    'geo-eval-heldout-currencies.json': {
      description: 'Currency questions about held-out countries, two pool phrasings each.',
      records: rotating(split.heldOut, ['currency'], 'pool', 2, 'heldout'),
    },
    [`geo-eval-untuned-${UNTUNED_RELATION}.json`]: {
      description: `${UNTUNED_RELATION} questions (a relation never tuned) about every country, one pool and one held-out phrasing each.`,
      records: [...rotating(all, [UNTUNED_RELATION], 'pool', 1, 'untuned'), ...rotating(all, [UNTUNED_RELATION], 'heldout', 1, 'untuned')],
    },
  };
}

/** Sentence openings whose continuation is the fact: the base model's recall from prose. */
export const PROSE_PROMPTS: Record<Relation, string> = {
  capital: 'The capital of {x} is',
  continent: '{x} is located on the continent of',
  currency: 'The currency of {x} is the',
  language: 'The official language of {x} is',
  callingCode: 'The calling code of {x} is',
  domain: 'The internet domain of {x} is',
  currencyCode: 'The currency code of {x} is',
  code3: 'The three-letter code of {x} is',
};

/** Every relation of the held-out countries as a sentence to complete (evaluated as raw text). */
export function proseRecallSet(split: CountrySplit): AlpacaRecord[] {
  return RELATIONS.flatMap((r) => split.heldOut.map((c) => ({ instruction: question(PROSE_PROMPTS[r], c), input: '', output: c[r], category: r, source: 'heldout/prose' })));
}
