import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCorpus, corpusText, neutralSentences, STATEMENTS } from './build';
import { HELDOUT_TEMPLATES, question, RELATIONS, sourceProblems, TEMPLATE_POOL, type CountryFacts } from './facts';
import { instructionSets, PROSE_PROMPTS, proseRecallSet, splitCountries, TUNED_RELATIONS, UNTUNED_RELATION } from './split';
import { writeCorpus } from '../../scripts/corpus';

const country = (code: string, name: string, capital: string, continent: string, currency: string, language: string, phone: string): CountryFacts => ({
  code,
  name,
  capital,
  continent,
  currency,
  language,
  callingCode: `+${phone}`,
  domain: `.${code.toLowerCase()}`,
  currencyCode: `${code}X`,
  code3: `${code}Q`,
});
const facts: CountryFacts[] = [
  country('AA', 'Aland', 'Alpha', 'Europe', 'Aland Mark', 'Alandic', '901'),
  country('BB', 'Borduria', 'Szohod', 'Europe', 'Bord Crown', 'Bordurian', '902'),
  country('CC', 'Carpania', 'Carpa City', 'Asia', 'Carp Dollar', 'Carpanese', '903'),
  country('DD', 'Delmar', 'Delos', 'Africa', 'Del Franc', 'Delmari', '904'),
];
const filler = Array.from({ length: 20 }, (_, i) => `Neutral sentence number ${'abcdefghijklmnopqrst'[i]} says nothing in particular here.`);

describe('corpus builder', () => {
  const opts = { seed: 5, docsPerCountry: 10, quizSheets: 20, proseDocs: 10 };

  it('is deterministic: same inputs and seed give the same text, another seed another', () => {
    expect(corpusText(buildCorpus(facts, filler, opts))).toBe(corpusText(buildCorpus(facts, filler, opts)));
    expect(corpusText(buildCorpus(facts, filler, opts))).not.toBe(corpusText(buildCorpus(facts, filler, { ...opts, seed: 6 })));
  });

  it('states every fact several times, and never puts an answer after a question', () => {
    const c = buildCorpus(facts, filler, opts);
    const factsText = c.documents.filter((d) => d.kind === 'facts').map((d) => d.text).join('\n');
    for (const f of facts) {
      for (const r of RELATIONS) {
        const n = factsText.split(f[r]).length - 1;
        expect(n, `${f.name} ${r}`).toBeGreaterThanOrEqual(r === 'capital' ? 8 : 4);
      }
    }
    const quizzes = c.documents.filter((d) => d.kind === 'quiz');
    const poolQuestions = new Set(RELATIONS.flatMap((r) => TEMPLATE_POOL[r].flatMap((t) => facts.map((f) => question(t, f)))));
    expect(quizzes).toHaveLength(20);
    for (const q of quizzes) {
      // Every line after the title is a pool question, numbered or not, with nothing after it.
      for (const l of q.text.split('\n').slice(1)) expect(poolQuestions.has(l.replace(/^(\d+\. |Question \d+: |Q\d+\. )/, '')), l).toBe(true);
      expect(q.text).not.toMatch(/Answer/i);
      for (const f of facts) expect(q.text).not.toContain(f.capital);
    }
    expect(corpusText(c)).not.toMatch(/Answer:/);
  });

  it('keeps only neutral filler: no digits, no fact names, sensible length', () => {
    const s = neutralSentences(['The law was passed in 1990. We met the people of Borduria today in the hall. Our farmers grew more wheat this year than ever before in memory.'], facts);
    expect(s).toEqual(['Our farmers grew more wheat this year than ever before in memory.']);
  });

  it('splits countries reproducibly and keeps held-out countries and the untuned relation out of tuning data', () => {
    const split = splitCountries(facts, 3);
    expect(splitCountries(facts, 3)).toEqual(split);
    expect(split.train.length + split.heldOut.length).toBe(4);
    const sets = instructionSets(split);
    const tune = sets['geo-tune.json']!.records;
    for (const h of split.heldOut) expect(tune.some((r) => r.instruction.includes(h.name))).toBe(false);
    expect(tune.some((r) => r.category === UNTUNED_RELATION)).toBe(false);
    const unseen = sets['geo-eval-heldout-capitals-unseen-phrasings.json']!.records;
    const tunedPhrasings = new Set(tune.map((r) => r.instruction));
    expect(unseen.length).toBeGreaterThan(0);
    for (const r of unseen) expect(tunedPhrasings.has(r.instruction)).toBe(false);
  });

  it('has a FLAN-style pool of at least 12 phrasings per relation and a held-out pool of at least 8', () => {
    for (const r of RELATIONS) {
      expect(new Set(TEMPLATE_POOL[r]).size, r).toBeGreaterThanOrEqual(12);
      expect(new Set(HELDOUT_TEMPLATES[r]).size, r).toBeGreaterThanOrEqual(8);
      for (const t of [...TEMPLATE_POOL[r], ...HELDOUT_TEMPLATES[r]]) expect(t).toContain('{x}');
      // Form varies: without a question mark, lower case, the country first.
      expect(TEMPLATE_POOL[r].some((t) => !t.endsWith('?'))).toBe(true);
      expect(TEMPLATE_POOL[r].some((t) => /^[a-z]/.test(t))).toBe(true);
      expect(TEMPLATE_POOL[r].some((t) => t.startsWith('{x}'))).toBe(true);
    }
  });

  it('keeps every held-out phrasing out of the corpus, the quiz sheets and the tuning data', () => {
    const split = splitCountries(facts, 3);
    const sets = instructionSets(split);
    const text = corpusText(buildCorpus(facts, filler, { ...opts, quizSheets: 200 }));
    const tuning = sets['geo-tune.json']!.records.map((r) => r.instruction);
    for (const r of RELATIONS) {
      for (const t of HELDOUT_TEMPLATES[r]) {
        expect(TEMPLATE_POOL[r]).not.toContain(t);
        for (const c of facts) {
          const q = question(t, c);
          expect(text, q).not.toContain(q);
          expect(tuning, q).not.toContain(q);
        }
        // No pool phrasing opens the way a held-out one does ("Please state the capital of ...").
        const opening = t.split('{x}')[0]!;
        if (opening.length > 0) for (const p of TEMPLATE_POOL[r]) expect(p.startsWith(opening), `${p} / ${t}`).toBe(false);
      }
    }
    // The pool is what the quiz sheets ask: every relation's pool shows up.
    for (const r of RELATIONS) expect(TEMPLATE_POOL[r].some((t) => facts.some((c) => text.includes(question(t, c)))), r).toBe(true);
  });

  it('balances the tuning data over tuned relations and pool phrasings', () => {
    const split = splitCountries(facts, 3);
    const tune = instructionSets(split)['geo-tune.json']!.records;
    expect(new Set(tune.map((r) => r.category))).toEqual(new Set(TUNED_RELATIONS));
    const perRelation = TUNED_RELATIONS.map((r) => tune.filter((x) => x.category === r).length);
    expect(new Set(perRelation).size).toBe(1);
    for (const r of tune) expect(facts.find((c) => r.instruction.includes(c.name))![r.category as keyof CountryFacts]).toBe(r.output);
  });

  it('asks the base model to complete each fact as it was stated in prose', () => {
    for (const r of RELATIONS) expect(STATEMENTS[r]).toContain(`${PROSE_PROMPTS[r]} {y}.`);
    const recall = proseRecallSet(splitCountries(facts, 3));
    expect(recall).toHaveLength(RELATIONS.length * 2);
    expect(recall).toContainEqual(expect.objectContaining({ output: facts.find((c) => recall[0]!.instruction.includes(c.name))!.capital }));
  });

  it('names the file and field when the source package changed', () => {
    expect(sourceProblems({ countries: {}, continents: { EU: 'Europe' }, currencies: {}, languages: {}, alpha3: {} })).toEqual(
      expect.arrayContaining([
        expect.stringContaining('countries.min.json'),
        'currencies.min.json: field "EUR.name" is missing',
        'languages.min.json: field "fr.name" is missing',
        expect.stringContaining('countries.2to3.min.json: field "FR"'),
      ]),
    );
    const countries = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`C${i}`, { name: 'N', capital: 'C', continent: 'EU', currency: ['EUR'], languages: ['fr'], phone: [1] }]));
    delete (countries.C7 as Partial<(typeof countries)['C7']>).phone;
    expect(sourceProblems({ countries, continents: { EU: 'Europe' }, currencies: { EUR: { name: 'Euro' } }, languages: { fr: { name: 'French' } }, alpha3: { FR: 'FRA' } })).toEqual([
      'countries.min.json C7: field "phone" is missing or not an array',
    ]);
  });

  it('writes the corpus, tokenizer, datasets and a sources file with licences', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
    const stats = writeCorpus({ corpusDir: join(dir, 'corpus'), datasetsDir: join(dir, 'datasets'), vocabSize: 600 });
    expect(readdirSync(join(dir, 'corpus')).sort()).toEqual(['SOURCES.md', 'corpus.txt', 'stats.json', 'tokenizer.json']);
    const sources = readFileSync(join(dir, 'corpus', 'SOURCES.md'), 'utf8');
    expect(sources).toMatch(/countries-list .* MIT/);
    expect(sources).toMatch(/datasets-sotu .* Apache-2\.0/);
    expect(stats.countries).toBeGreaterThan(150);
    expect(readdirSync(join(dir, 'datasets'))).toContain('geo-tune.json');
    // Same run twice: byte-identical corpus.
    const again = mkdtempSync(join(tmpdir(), 'corpus-'));
    writeCorpus({ corpusDir: join(again, 'corpus'), datasetsDir: join(again, 'datasets'), vocabSize: 600 });
    expect(readFileSync(join(again, 'corpus', 'corpus.txt'), 'utf8')).toBe(readFileSync(join(dir, 'corpus', 'corpus.txt'), 'utf8'));
    expect(readFileSync(join(again, 'corpus', 'tokenizer.json'), 'utf8')).toBe(readFileSync(join(dir, 'corpus', 'tokenizer.json'), 'utf8'));
  }, 120_000);
});
