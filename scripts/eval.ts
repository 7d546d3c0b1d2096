// npm run eval: answers every question of an instruction dataset greedily with a
// model folder and prints each question, the answer, whether it matches, and totals:
// normalised exact match, ROUGE-L, and the share of outputs that continue with
// another question instead of answering. Answers are scored by src/eval/score.ts,
// the same scorer as the studio's batch comparison.
//
//   npm run eval -- --model public/models/tuned --data public/datasets/geo-eval-heldout-capitals.json

import { writeFileSync } from 'node:fs';
import { evaluateModel, type EvalTotals } from '../src/eval/evaluate';
import { messageOf } from '../src/util/errors';
import { initNodeBackend, loadModelDir, numberFlag, parseArgs, readDataset, templateById } from './lib/node';

const { flags } = parseArgs(process.argv.slice(2));

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const line = (name: string, t: EvalTotals) =>
  `${name.padEnd(14)} n=${String(t.count).padStart(4)}  exact match ${pct(t.exactMatch).padStart(6)}  ROUGE-L ${t.rougeL.toFixed(3)}  continues with a question ${pct(t.questionLike).padStart(6)}`;

async function main(): Promise<void> {
  const modelDir = flags.get('model');
  const dataPath = flags.get('data');
  if (!modelDir || !dataPath) {
    console.error('usage: npm run eval -- --model <dir> --data <Alpaca JSON/JSONL or any supported dataset> [--template plain] [--max-tokens 16] [--limit N] [--quiet] [--json out.json]');
    process.exit(2);
  }
  const examples = readDataset(dataPath);
  const limit = numberFlag(flags, 'limit', examples.length);
  const template = templateById(flags.get('template') ?? 'plain');
  await initNodeBackend();
  const { model, tokenizer } = loadModelDir(modelDir);
  const quiet = flags.has('quiet');
  const report = await evaluateModel(model, tokenizer, examples.slice(0, limit), {
    template,
    maxTokens: numberFlag(flags, 'max-tokens', 16),
    onRow: (r, i, n) => {
      if (quiet) return;
      const mark = r.exact ? 'OK  ' : r.question_like ? 'Q?  ' : 'MISS';
      console.log(`${String(i + 1).padStart(4)}/${n} ${mark} ${r.question}  ->  ${JSON.stringify(r.answer)}  (expected ${JSON.stringify(r.reference)})`);
    },
  });
  console.log(`\n${modelDir} on ${dataPath} (template ${template.id}, greedy)`);
  console.log(line('total', report.totals));
  for (const [cat, t] of Object.entries(report.byCategory)) console.log(line(cat, t));
  const out = flags.get('json');
  if (out) writeFileSync(out, `${JSON.stringify({ model: modelDir, data: dataPath, template: template.id, ...report }, null, 1)}\n`);
}

main().catch((e: unknown) => {
  console.error(`eval: ${messageOf(e)}`);
  process.exit(1);
});
