// npm run eval: answers every question of an instruction dataset greedily with a
// model folder and prints each question, the answer, whether it matches, and totals:
// normalised exact match, ROUGE-L, and the share of outputs that continue with
// another question instead of answering. Answers are scored by src/eval/score.ts,
// the same scorer as the studio's batch comparison.
//
//   npm run eval -- --model public/models/tuned --data public/datasets/geo-eval-heldout-capitals.json
//   npm run eval -- --model public/models/tuned --data public/datasets/geo-eval-heldout-phrasings.json --by phrasing
//   npm run eval -- --model public/models/base --data public/datasets/geo-eval-prose-recall.json --prose
//
// --by phrasing groups rows by the phrasing named in each record's `source`
// ("heldout/heldout-phrasing-3"); --by category (the default) by relation. Every
// group also shows its majority-answer baseline: the share of rows whose reference
// is the group's most common one, i.e. what always giving that answer would score.

import { existsSync, writeFileSync } from 'node:fs';
import { evaluateModel, majorityBaseline, totalsOf, type EvalTotals } from '../src/eval/evaluate';
import { messageOf } from '../src/util/errors';
import { initNodeBackend, loadModelDir, numberFlag, parseArgs, groupBy, pickRows, templateById } from './lib/node';

const { flags } = parseArgs(process.argv.slice(2));

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const line = (name: string, t: EvalTotals, extra = '') =>
  `${name.padEnd(22)} n=${String(t.count).padStart(4)}  exact match ${pct(t.exactMatch).padStart(6)}  ROUGE-L ${t.rougeL.toFixed(3)}  continues with a question ${pct(t.questionLike).padStart(6)}${extra}`;

async function main(): Promise<void> {
  const modelDir = flags.get('model');
  const dataPath = flags.get('data');
  const by = flags.get('by') ?? 'category';
  if (!modelDir || !dataPath || !['category', 'phrasing'].includes(by)) {
    console.error(
      'usage: npm run eval -- --model <dir> --data <Alpaca JSON/JSONL or any supported dataset> [--template plain] [--prose] [--by category|phrasing] [--every K] [--max-tokens 16] [--limit N] [--quiet] [--json out.json]',
    );
    process.exit(2);
  }
  if (!existsSync(modelDir)) throw new Error(`${modelDir}: no such model folder.`);
  const every = numberFlag(flags, 'every', 1);
  const { examples, phrasings } = pickRows(dataPath, every, flags.has('limit') ? numberFlag(flags, 'limit', 0) : undefined);
  if (by === 'phrasing' && !phrasings) throw new Error(`${dataPath}: --by phrasing needs a JSON array whose records name their phrasing in "source" (as the geo-*.json sets do).`);
  const template = templateById(flags.get('template') ?? 'plain');
  const prose = flags.has('prose');
  await initNodeBackend();
  const { model, tokenizer } = loadModelDir(modelDir);
  const quiet = flags.has('quiet');
  const report = await evaluateModel(model, tokenizer, examples, {
    template,
    prose,
    maxTokens: numberFlag(flags, 'max-tokens', prose ? 10 : 16),
    onRow: (r, i, n) => {
      if (quiet) return;
      const mark = r.exact ? 'OK  ' : r.question_like ? 'Q?  ' : 'MISS';
      console.log(`${String(i + 1).padStart(4)}/${n} ${mark} ${r.question}  ->  ${JSON.stringify(prose ? r.raw : r.answer)}  (expected ${JSON.stringify(r.reference)})`);
    },
  });
  const groups = groupBy(report.rows, (r, k) => (by === 'phrasing' ? phrasings![k]! : (r.category ?? '')));
  console.log(`\n${modelDir} on ${dataPath} (${prose ? 'sentence completion, no template' : `template ${template.id}`}, greedy${every > 1 ? `, every ${every}th row` : ''})`);
  console.log(line('total', report.totals));
  const byGroup: Record<string, EvalTotals & { majority: { answer: string; share: number }; example: string }> = {};
  for (const [key, rows] of groups) {
    const majority = majorityBaseline(rows);
    byGroup[key] = { ...totalsOf(rows), majority, example: rows[0]!.question };
    console.log(line(key, byGroup[key], `  majority ${pct(majority.share)} (${JSON.stringify(majority.answer)})${by === 'phrasing' ? `  e.g. ${JSON.stringify(rows[0]!.question)}` : ''}`));
  }
  const out = flags.get('json');
  if (out) writeFileSync(out, `${JSON.stringify({ model: modelDir, data: dataPath, template: prose ? 'none' : template.id, prose, by, every, ...report, byGroup }, null, 1)}\n`);
}

main().catch((e: unknown) => {
  console.error(`eval: ${messageOf(e)}`);
  process.exit(1);
});
