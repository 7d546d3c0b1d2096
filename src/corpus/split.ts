// The train / held-out split of countries and the instruction datasets built from it.
// Tuning data covers TRAIN countries only, for the tuned relations only, with the
// tuned phrasings only. Held-out countries' facts appear only in pretraining prose.

import { Random } from '../util/random';
import { QUESTIONS, question, RELATIONS, TUNED_PHRASINGS, TUNING_ONLY_QUESTIONS, type CountryFacts, type Relation } from './facts';

/** The relation never seen in tuning: measures transfer to an untuned task (FLAN's claim). */
export const UNTUNED_RELATION: Relation = 'language';
export const TUNED_RELATIONS: readonly Relation[] = RELATIONS.filter((r) => r !== UNTUNED_RELATION);

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

function records(countries: readonly CountryFacts[], relation: Relation, phrasings: readonly number[], source: string): AlpacaRecord[] {
  return fromTemplates(countries, relation, phrasings.map((p) => ({ template: QUESTIONS[relation][p]!, label: `phrasing-${p + 1}` })), source);
}

function fromTemplates(countries: readonly CountryFacts[], relation: Relation, templates: ReadonlyArray<{ template: string; label: string }>, source: string): AlpacaRecord[] {
  const out: AlpacaRecord[] = [];
  for (const c of countries) {
    for (const t of templates) {
      out.push({ instruction: question(t.template, c), input: '', output: c[relation], category: relation, source: `${source}/${t.label}` });
    }
  }
  return out;
}

/** The tuning-only phrasings of a relation, labelled tuning-phrasing-1, -2, ... */
const tuningOnly = (r: Relation) => (TUNING_ONLY_QUESTIONS[r] ?? []).map((template, i) => ({ template, label: `tuning-phrasing-${i + 1}` }));

const tuned = Array.from({ length: TUNED_PHRASINGS }, (_, i) => i);
const all = (r: Relation) => Array.from({ length: QUESTIONS[r].length }, (_, i) => i);
const unseen = (r: Relation) => all(r).slice(TUNED_PHRASINGS);

/** Every instruction set shipped for the lesson, by file name. */
export function instructionSets(split: CountrySplit): Record<string, { description: string; records: AlpacaRecord[] }> {
  return {
    'geo-tune.json': {
      description: `Tuning data: ${split.train.length} train countries x ${TUNED_RELATIONS.join(', ')} x ${TUNED_PHRASINGS} phrasings (also asked in quiz sheets of the corpus) + ${TUNING_ONLY_QUESTIONS.capital?.length ?? 0} tuning-only phrasings. Never ${UNTUNED_RELATION}, never a held-out country, never a phrasing of the unseen-phrasings evaluation.`,
      records: TUNED_RELATIONS.flatMap((r) => [...records(split.train, r, tuned, 'train'), ...fromTemplates(split.train, r, tuningOnly(r), 'train')]),
    },
    'geo-eval-train-capitals.json': {
      description: 'Capital questions about the train countries, with the tuned phrasings.',
      records: records(split.train, 'capital', tuned, 'train'),
    },
    'geo-eval-heldout-capitals.json': {
      description: 'Capital questions about held-out countries (facts seen only in pretraining prose), with every phrasing.',
      records: records(split.heldOut, 'capital', all('capital'), 'heldout'),
    },
    'geo-eval-heldout-capitals-unseen-phrasings.json': {
      description: 'Capital questions about held-out countries, only with phrasings never used in tuning.',
      records: records(split.heldOut, 'capital', unseen('capital'), 'heldout'),
    },
    'geo-eval-heldout-continents.json': {
      description: 'Continent questions about held-out countries.',
      records: records(split.heldOut, 'continent', tuned, 'heldout'),
    },
    'geo-eval-heldout-currencies.json': {
      description: 'Currency questions about held-out countries.',
      records: records(split.heldOut, 'currency', tuned, 'heldout'),
    },
    [`geo-eval-untuned-${UNTUNED_RELATION}.json`]: {
      description: `${UNTUNED_RELATION} questions (a relation never tuned) about all countries.`,
      records: records([...split.train, ...split.heldOut], UNTUNED_RELATION, [0], 'untuned'),
    },
  };
}
