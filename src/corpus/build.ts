// The pretraining corpus: country facts stated as varied prose among neutral
// sentences, quiz sheets of unanswered questions (what teaches a base model to
// continue a question with more questions), and neutral prose. Nowhere does an
// answer follow a question, so only instruction tuning can teach that pattern.
// Deterministic: the same inputs and seed give the same corpus, byte for byte.

import { Random } from '../util/random';
import { question, RELATIONS, TEMPLATE_POOL, type CountryFacts, type Relation } from './facts';

/** Declarative phrasings per relation ({x} the country, {y} the fact). */
export const STATEMENTS: Record<Relation, readonly string[]> = {
  capital: [
    'The capital of {x} is {y}.',
    '{y} is the capital of {x}.',
    "{x}'s capital city is {y}.",
    'The government of {x} sits in {y}, its capital.',
    'In {x}, the capital is {y}.',
    'Visitors to {x} often start in {y}, the capital.',
  ],
  continent: [
    '{x} is a country in {y}.',
    '{x} lies in {y}.',
    '{x} is located on the continent of {y}.',
    'On a map of {y} you will find {x}.',
    'Among the countries of {y} is {x}.',
  ],
  currency: [
    'The currency of {x} is the {y}.',
    'In {x}, people pay with the {y}.',
    '{x} uses the {y} as its currency.',
    'Prices in {x} are given in {y}.',
    'The money of {x} is the {y}.',
  ],
  language: [
    'The official language of {x} is {y}.',
    'Most people in {x} speak {y}.',
    '{y} is the main language of {x}.',
    'In {x}, {y} is spoken in schools and offices.',
    'The language of {x} is {y}.',
  ],
  callingCode: [
    'The calling code of {x} is {y}.',
    'To phone {x} from abroad, dial {y}.',
    '{x} uses the international calling code {y}.',
    'Phone numbers in {x} start with {y} when called from abroad.',
    '{y} is the calling code for {x}.',
  ],
  domain: [
    'The internet domain of {x} is {y}.',
    'Websites in {x} often end in {y}.',
    '{x} has the internet domain {y}.',
    '{y} is the internet domain of {x}.',
    'Web addresses from {x} end with {y}.',
  ],
  currencyCode: [
    'The currency code of {x} is {y}.',
    'Banks write the money of {x} as {y}.',
    '{y} is the currency code used in {x}.',
    'Exchange boards list the currency of {x} as {y}.',
    '{x} has the currency code {y}.',
  ],
  code3: [
    'The three-letter code of {x} is {y}.',
    '{x} is abbreviated {y}.',
    '{y} is the three-letter code for {x}.',
    'On official lists {x} appears as {y}.',
    'Forms abbreviate {x} as {y}.',
  ],
};

const FACT_TITLES = ['{x}', 'About {x}', 'Notes on {x}', '{x} in brief', 'A short profile of {x}', 'Facts about {x}'];
const QUIZ_TITLES = ['Geography quiz', 'Quiz', 'Test your knowledge', 'Practice questions', 'Questions for the class', 'World quiz', 'Homework questions', 'Review sheet'];

export interface CorpusOptions {
  seed: number;
  /** Fact documents per country: the capital is stated in 4 of 5, other relations in half. */
  docsPerCountry: number;
  quizSheets: number;
  proseDocs: number;
}

export const DEFAULT_CORPUS_OPTIONS: CorpusOptions = { seed: 2026, docsPerCountry: 12, quizSheets: 400, proseDocs: 500 };

export interface Corpus {
  documents: Array<{ kind: 'facts' | 'quiz' | 'prose'; text: string }>;
}

function fill(template: string, c: CountryFacts, fact: string): string {
  return template.replaceAll('{x}', c.name).replaceAll('{y}', fact);
}

/** The relations `rels` of country `c` as statements, in a shuffled order, each in a phrasing drawn from STATEMENTS. */
export function factSentences(c: CountryFacts, rels: Relation[], rng: Random): string[] {
  rng.shuffle(rels);
  return rels.map((r) => fill(STATEMENTS[r][rng.int(STATEMENTS[r].length)]!, c, c[r]));
}

/**
 * Neutral sentences from plain prose: 6 to 16 words, no digits, and no country,
 * capital or other fact name, so filler never contradicts or leaks a fact.
 */
export function neutralSentences(texts: readonly string[], facts: readonly CountryFacts[], limit = 6000): string[] {
  const banned = new Set<string>();
  for (const c of facts) for (const v of [c.name, ...RELATIONS.map((r) => c[r])]) for (const w of v.split(/\s+/)) if (w.length > 3) banned.add(w.toLowerCase());
  const out: string[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    for (const raw of text.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+(?=[A-Z])/)) {
      const s = raw.trim();
      const words = s.split(' ');
      if (words.length < 6 || words.length > 16) continue;
      if (!/^[A-Z][^0-9"()[\]{}:;]*[.!?]$/.test(s)) continue;
      if (words.some((w) => banned.has(w.replace(/[^A-Za-z]/g, '').toLowerCase()))) continue;
      if (seen.has(s)) continue;
      seen.add(s);
      out.push(s);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

export function buildCorpus(facts: readonly CountryFacts[], filler: readonly string[], o: CorpusOptions = DEFAULT_CORPUS_OPTIONS): Corpus {
  if (filler.length < 10) throw new Error(`Need at least 10 neutral sentences for filler, got ${filler.length}.`);
  const rng = new Random(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const documents: Corpus['documents'] = [];

  // Fact documents: the capital (the lesson's headline fact) is stated in 4 of every
  // 5 documents, each other relation in every second one, in varied phrasings and
  // order, among neutral sentences.
  for (const c of facts) {
    for (let d = 0; d < o.docsPerCountry; d++) {
      const rels = RELATIONS.filter((r, i) => (r === 'capital' ? d % 5 !== 4 : (d + i) % 2 === 0));
      const sentences = factSentences(c, rels, rng);
      const fillers = rng.int(3);
      for (let f = 0; f < fillers; f++) sentences.splice(rng.int(sentences.length + 1), 0, pick(filler));
      const title = rng.next() < 0.5 ? `${fill(pick(FACT_TITLES), c, '')}\n` : '';
      documents.push({ kind: 'facts', text: `${title}${sentences.join(' ')}` });
    }
  }

  // Quiz sheets: numbered questions with no answers.
  for (let q = 0; q < o.quizSheets; q++) {
    const n = 6 + rng.int(7);
    const style = rng.int(4);
    const lines: string[] = [];
    if (rng.next() < 0.7) lines.push(rng.next() < 0.5 ? pick(QUIZ_TITLES) : `${pick(QUIZ_TITLES)} ${1 + rng.int(40)}`);
    for (let i = 1; i <= n; i++) {
      const c = pick(facts);
      const text = question(pick(TEMPLATE_POOL[pick(RELATIONS)]), c);
      lines.push(style === 0 ? `${i}. ${text}` : style === 1 ? `Question ${i}: ${text}` : style === 2 ? `Q${i}. ${text}` : text);
    }
    documents.push({ kind: 'quiz', text: lines.join('\n') });
  }

  // Neutral prose: short paragraphs of filler sentences.
  for (let p = 0; p < o.proseDocs; p++) {
    const n = 3 + rng.int(4);
    documents.push({ kind: 'prose', text: Array.from({ length: n }, () => pick(filler)).join(' ') });
  }

  rng.shuffle(documents);
  return { documents };
}

/** Documents joined by the end-of-text token, as the tokenizer and trainer read them. */
export function corpusText(c: Corpus, separator = '<|endoftext|>'): string {
  return c.documents.map((d) => d.text).join(separator) + separator;
}
