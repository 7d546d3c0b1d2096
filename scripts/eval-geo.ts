// npm run eval:geo: the shipped models' lesson measured against issue 14's targets,
// on the geo-* sets from `npm run corpus`, in one run:
//   base model   recall of every relation from prose (sentence completion), and what it
//                does with held-out questions: answered, or continued with a question
//                (greedy and under the studio's default sampling);
//   tuned model  held-out countries in held-out phrasings (per relation, per phrasing),
//                held-out capitals in held-out phrasings, the relation never tuned against
//                its majority-answer baseline, train countries in tuned phrasings.
// Prints a table, `- [x] target: measured` lines, and writes JSON to build/eval/.
//
//   npm run eval:geo -- [--base public/models/base] [--tuned public/models/tuned] [--every 1] [--no-sampling]

import { mkdirSync, writeFileSync } from 'node:fs';
import { evaluateModel, majorityBaseline, totalsOf, type EvalReport, type EvalRow } from '../src/eval/evaluate';
import { DEFAULT_GENERATE_OPTIONS } from '../src/model/sampling';
import { PLAIN_TEMPLATE } from '../src/data/templates';
import { RELATIONS } from '../src/corpus/facts';
import { TUNED_RELATIONS, UNTUNED_RELATION } from '../src/corpus/split';
import { messageOf } from '../src/util/errors';
import { formatDuration, initNodeBackend, loadModelDir, numberFlag, parseArgs, groupBy, pickRows } from './lib/node';

const { flags } = parseArgs(process.argv.slice(2));
const baseDir = flags.get('base') ?? 'public/models/base';
const tunedDir = flags.get('tuned') ?? 'public/models/tuned';
const every = numberFlag(flags, 'every', 1);
const D = 'public/datasets';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

interface SetRun {
  file: string;
  report: EvalReport;
  /** The phrasing label of each row (from the record's `source`). */
  phrasings: string[];
}

async function run(dir: string, file: string, o: { prose?: boolean; sampled?: boolean; limit?: number } = {}): Promise<SetRun> {
  const path = `${D}/${file}`;
  const { examples, phrasings } = pickRows(path, every, o.limit);
  const { model, tokenizer } = loadModelDir(dir);
  const t0 = Date.now();
  const { temperature, topK, topP, seed } = DEFAULT_GENERATE_OPTIONS;
  const report = await evaluateModel(
    model,
    tokenizer,
    examples,
    { template: PLAIN_TEMPLATE, prose: o.prose, maxTokens: o.prose ? 10 : 16, ...(o.sampled ? { sampling: { temperature, topK, topP, seed } } : {}) },
  );
  model.dispose();
  console.log(`  ${dir} on ${file}${o.prose ? ' (prose)' : ''}${o.sampled ? ' (sampled)' : ''}: ${report.rows.length} rows in ${formatDuration((Date.now() - t0) / 1000)}`);
  return { file, report, phrasings: phrasings ?? examples.map(() => '') };
}

const byKey = (r: SetRun, key: (row: EvalRow, k: number) => string) => groupBy(r.report.rows, key);

async function main(): Promise<void> {
  const t0 = Date.now();
  await initNodeBackend();
  console.log(`eval:geo: base ${baseDir}, tuned ${tunedDir}${every > 1 ? `, every ${every}th row` : ''}`);
  const recall = await run(baseDir, 'geo-eval-prose-recall.json', { prose: true });
  const baseQ = await run(baseDir, 'geo-eval-heldout-phrasings.json');
  const baseSampled = flags.has('no-sampling') ? null : await run(baseDir, 'geo-eval-heldout-phrasings.json', { sampled: true });
  const heldout = await run(tunedDir, 'geo-eval-heldout-phrasings.json');
  const capitals = await run(tunedDir, 'geo-eval-heldout-capitals-unseen-phrasings.json');
  const tunedPhrasings = await run(tunedDir, 'geo-eval-heldout-capitals.json');
  const untuned = await run(tunedDir, `geo-eval-untuned-${UNTUNED_RELATION}.json`);
  const train = await run(tunedDir, 'geo-eval-train-capitals.json', { limit: Math.ceil(192 / every) });

  const recallBy = byKey(recall, (r) => r.category ?? '');
  const heldBy = byKey(heldout, (r) => r.category ?? '');
  console.log('\n| relation | base recall from prose | tuned, held-out countries x held-out phrasings | ratio |');
  console.log('|---|---|---|---|');
  const ratios: Record<string, number> = {};
  for (const rel of RELATIONS) {
    const rec = totalsOf(recallBy.get(rel) ?? []).exactMatch;
    const rows = heldBy.get(rel);
    const tuned = rows ? totalsOf(rows).exactMatch : NaN;
    if (rows && rec > 0) ratios[rel] = tuned / rec;
    console.log(`| ${rel}${rel === UNTUNED_RELATION ? ' (never tuned)' : ''} | ${pct(rec)} | ${rows ? pct(tuned) : 'see below'} | ${ratios[rel] !== undefined ? ratios[rel]!.toFixed(2) : rows ? 'n/a (no recall)' : ''} |`);
  }
  console.log('\n| held-out phrasing | example | tuned exact match |');
  console.log('|---|---|---|');
  for (const [label, rows] of byKey(heldout, (_, k) => heldout.phrasings[k]!)) console.log(`| ${label} | ${rows[0]!.question} | ${pct(totalsOf(rows).exactMatch)} (n=${rows.length}) |`);

  const cap = capitals.report.totals.exactMatch;
  const untunedExact = untuned.report.totals.exactMatch;
  // Prose recall is measured on held-out countries; the never-tuned set asks about every country, so the ratio is indicative.
  const untunedRecall = totalsOf(recallBy.get(UNTUNED_RELATION) ?? []).exactMatch;
  const majority = majorityBaseline(untuned.report.rows);
  const baseExact = baseQ.report.totals.exactMatch;
  const baseQuestion = baseQ.report.totals.questionLike;
  const minRatio = Math.min(...TUNED_RELATIONS.map((r) => ratios[r] ?? 0));
  // A relation the base model cannot recall at all has no ratio; it counts as failing the target.
  const worst = TUNED_RELATIONS.find((r) => ratios[r] === minRatio);
  console.log('');
  console.log(`held-out countries, held-out phrasings, all tuned relations: ${pct(heldout.report.totals.exactMatch)} (n=${heldout.report.rows.length})`);
  console.log(`held-out countries, pool (tuned) phrasings, capitals: ${pct(tunedPhrasings.report.totals.exactMatch)} (n=${tunedPhrasings.report.rows.length})`);
  console.log(`train countries, tuned phrasings, capitals: ${pct(train.report.totals.exactMatch)} (n=${train.report.rows.length}) (reported; steps are chosen by held-out accuracy)`);
  console.log(`never-tuned relation (${UNTUNED_RELATION}): ${pct(untunedExact)} (n=${untuned.report.rows.length}); majority-answer baseline ${pct(majority.share)} (always "${majority.answer}"); the base model's recall of it from prose ${pct(untunedRecall)}${untunedRecall > 0 ? `, ratio ${(untunedExact / untunedRecall).toFixed(2)}` : ''}`);
  if (baseSampled) console.log(`base model under the studio's default sampling (temperature ${DEFAULT_GENERATE_OPTIONS.temperature}, top-k ${DEFAULT_GENERATE_OPTIONS.topK}, top-p ${DEFAULT_GENERATE_OPTIONS.topP}): exact ${pct(baseSampled.report.totals.exactMatch)}, continues with a question ${pct(baseSampled.report.totals.questionLike)}`);
  console.log('');
  const check = (ok: boolean, target: string, measured: string) => console.log(`- [${ok ? 'x' : ' '}] ${target}: ${measured}`);
  check(cap >= 0.9, 'held-out capitals in held-out phrasings >= 90% exact match', pct(cap));
  check(minRatio >= 0.9, 'every tuned relation >= 90% of the base model\'s recall from prose', `lowest ${worst} ${minRatio.toFixed(2)}`);
  check(untunedExact > majority.share, `never-tuned relation (${UNTUNED_RELATION}) above the majority-answer baseline`, `${pct(untunedExact)} vs ${pct(majority.share)}`);
  check(untunedExact >= 0.5, `never-tuned relation >= 50% (stretch)`, pct(untunedExact));
  check(baseExact <= 0.05, 'base model answers <= 5% of held-out questions (greedy)', pct(baseExact));
  check(baseQuestion >= 0.8, 'base model continues >= 80% of held-out questions with a question (greedy)', pct(baseQuestion));
  const outDir = 'build/eval';
  mkdirSync(outDir, { recursive: true });
  const out = `${outDir}/geo-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const strip = (r: SetRun | null) => r && { file: r.file, totals: r.report.totals, byCategory: r.report.byCategory, rows: r.report.rows.map((row, k) => ({ ...row, phrasing: r.phrasings[k] })) };
  writeFileSync(
    out,
    `${JSON.stringify({ base: baseDir, tuned: tunedDir, every, ratios, majority, recall: strip(recall), baseQuestions: strip(baseQ), baseSampled: strip(baseSampled), heldout: strip(heldout), capitals: strip(capitals), tunedPhrasings: strip(tunedPhrasings), untuned: strip(untuned), train: strip(train) }, null, 1)}\n`,
  );
  console.log(`\n${formatDuration((Date.now() - t0) / 1000)} in all; JSON: ${out}`);
}

main().catch((e: unknown) => {
  console.error(`eval:geo: ${messageOf(e)}`);
  process.exit(1);
});
