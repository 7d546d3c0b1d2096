import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCorpus, corpusText, neutralSentences } from './build';
import { QUESTIONS, RELATIONS, TUNING_ONLY_QUESTIONS, type CountryFacts } from './facts';
import { instructionSets, splitCountries, UNTUNED_RELATION } from './split';
import { writeCorpus } from '../../scripts/corpus';

const facts: CountryFacts[] = [
  { code: 'AA', name: 'Aland', capital: 'Alpha', continent: 'Europe', currency: 'Aland Mark', language: 'Alandic' },
  { code: 'BB', name: 'Borduria', capital: 'Szohod', continent: 'Europe', currency: 'Bord Crown', language: 'Bordurian' },
  { code: 'CC', name: 'Carpania', capital: 'Carpa City', continent: 'Asia', currency: 'Carp Dollar', language: 'Carpanese' },
  { code: 'DD', name: 'Delmar', capital: 'Delos', continent: 'Africa', currency: 'Del Franc', language: 'Delmari' },
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
    expect(quizzes).toHaveLength(20);
    for (const q of quizzes) {
      for (const l of q.text.split('\n').slice(1)) expect(l.endsWith('?') || l.endsWith('.')).toBe(true);
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
    expect(QUESTIONS.capital.length).toBeGreaterThan(3);
    // Tuning-only phrasings are in the tuning data, and in no quiz sheet or evaluation set.
    const quizPhrasings = Object.values(QUESTIONS).flat();
    const tuningOnly = Object.values(TUNING_ONLY_QUESTIONS).flat();
    expect(tuningOnly.length).toBeGreaterThan(0);
    for (const t of tuningOnly) expect(quizPhrasings).not.toContain(t);
    expect(tune.filter((r) => r.source.includes('tuning-phrasing')).length).toBe(split.train.length * tuningOnly.length);
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
