// An invented domain for the "your own domain" experiment (mix): made-up countries
// with made-up capitals and currencies, written as prose, that the shipped models
// cannot know. Generated from a seed, so the same seed gives the same domain byte
// for byte; every word of it is ours (licensed with the project).

import { factSentences } from '../corpus/build';
import { RELATIONS, type CountryFacts } from '../corpus/facts';
import { expandTask } from '../data/expand';
import type { InstructionExample } from '../data/schema';
import { Random } from '../util/random';

export interface InventedCountry {
  name: string;
  capital: string;
  currency: string;
}

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'kl', 'tr', 'st', 'th'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 'th', 'rk'];
const COUNTRY_ENDS = ['ia', 'an', 'or', 'esh', 'avia', 'und'];
const CAPITAL_ENDS = ['ville', 'burg', 'holm', 'polis', 'mar', 'ka'];

function syllable(rng: Random): string {
  return ONSETS[rng.int(ONSETS.length)]! + VOWELS[rng.int(VOWELS.length)]! + CODAS[rng.int(CODAS.length)]!;
}

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/**
 * `count` invented countries, each name, capital and currency distinct from every
 * other and from `avoid` (e.g. the real countries and capitals the models know).
 */
export function inventDomain(seed: number, count: number, avoid: ReadonlySet<string> = new Set()): InventedCountry[] {
  if (!Number.isInteger(count) || count < 1 || count > 500) throw new Error(`An invented domain has 1 to 500 countries (got ${count}).`);
  const rng = new Random(seed);
  const used = new Set([...avoid].map((w) => w.toLowerCase()));
  const fresh = (make: () => string): string => {
    for (;;) {
      const w = make();
      if (!used.has(w.toLowerCase())) {
        used.add(w.toLowerCase());
        return w;
      }
    }
  };
  const out: InventedCountry[] = [];
  for (let i = 0; i < count; i++) {
    const name = fresh(() => cap(syllable(rng) + syllable(rng).replace(/[aeiou]+$/, '') + COUNTRY_ENDS[rng.int(COUNTRY_ENDS.length)]!));
    const capital = fresh(() => cap(syllable(rng) + CAPITAL_ENDS[rng.int(CAPITAL_ENDS.length)]!));
    const currency = fresh(() => cap(syllable(rng) + syllable(rng)));
    out.push({ name, capital, currency });
  }
  return out;
}

// Statements in the register of the pretraining corpus's fact documents, in our own words.
const CAPITAL_STATEMENTS = [
  'The capital of {x} is {y}.',
  '{y} is the capital of {x}.',
  "{x}'s capital city is {y}.",
  'The government of {x} meets in {y}, its capital.',
  'Travellers to {x} usually arrive in {y}, the capital.',
];
const CURRENCY_STATEMENTS = ['The currency of {x} is the {y}.', 'In {x}, people pay with the {y}.', '{x} uses the {y} as its currency.', 'Prices in {x} are given in {y}.'];
const FILLER = [
  'The country has a long coastline and many small harbours.',
  'Its markets are busy from early morning.',
  'Farmers grow grain in the wide valleys of the north.',
  'The winters there are mild and the summers dry.',
  'Old stone bridges cross the rivers of the interior.',
  'A railway links the larger towns.',
  'Many people work in fishing and in trade.',
  'The hills in the south are covered with forest.',
];

/**
 * The domain as prose documents, separated by `separator`: each country described in
 * `docsPerCountry` short documents, the capital in every one and the currency in every
 * second, in varied phrasings among neutral sentences.
 */
export function domainProse(domain: readonly InventedCountry[], seed: number, docsPerCountry = 6, separator = '<|endoftext|>'): string {
  const rng = new Random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const fill = (t: string, x: string, y: string) => t.replaceAll('{x}', x).replaceAll('{y}', y);
  const docs: string[] = [];
  for (const c of domain) {
    for (let d = 0; d < docsPerCountry; d++) {
      const sentences = [fill(pick(CAPITAL_STATEMENTS), c.name, c.capital)];
      if (d % 2 === 0) sentences.push(fill(pick(CURRENCY_STATEMENTS), c.name, c.currency));
      rng.shuffle(sentences);
      const fillers = rng.int(3);
      for (let f = 0; f < fillers; f++) sentences.splice(rng.int(sentences.length + 1), 0, pick(FILLER));
      docs.push(`${rng.next() < 0.5 ? `About ${c.name}\n` : ''}${sentences.join(' ')}`);
    }
  }
  rng.shuffle(docs);
  return docs.join(separator) + separator;
}

/**
 * Fact documents about real countries in the register of the pretraining corpus (its
 * statements, our neutral filler): rehearsal text that a mixed run can replay beside
 * the new domain's prose, so the sentences that state the known facts keep their
 * endings. Each document states the capital and every second other relation.
 */
export function rehearsalProse(countries: readonly CountryFacts[], seed: number, docsPerCountry = 2, separator = '<|endoftext|>'): string {
  const rng = new Random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const docs: string[] = [];
  for (const c of countries) {
    for (let d = 0; d < docsPerCountry; d++) {
      const sentences = factSentences(c, RELATIONS.filter((r, i) => r === 'capital' || (d + i) % 2 === 0), rng);
      if (rng.next() < 0.5) sentences.splice(rng.int(sentences.length + 1), 0, pick(FILLER));
      docs.push(`${rng.next() < 0.5 ? `About ${c.name}\n` : ''}${sentences.join(' ')}`);
    }
  }
  rng.shuffle(docs);
  return docs.join(separator) + separator;
}

/** Text probes of the domain's facts: the prompt a fact sentence starts with, and the word that should follow. */
export function domainProbes(domain: readonly InventedCountry[]): Array<{ prompt: string; answer: string; relation: 'capital' | 'currency' }> {
  return domain.flatMap((c) => [
    { prompt: `The capital of ${c.name} is`, answer: c.capital, relation: 'capital' as const },
    { prompt: `The currency of ${c.name} is the`, answer: c.currency, relation: 'currency' as const },
  ]);
}

/** Questions about the domain's capitals, in the tuned question phrasings. */
export function domainQuestions(domain: readonly InventedCountry[], templates: readonly string[] = ['What is the capital of {x}?']): InstructionExample[] {
  return expandTask({
    category: 'invented-capital',
    rows: domain.map((c) => ({ x: c.name, y: c.capital })),
    templates,
  });
}
