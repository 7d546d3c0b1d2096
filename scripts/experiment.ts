// npm run experiment -- <flan|self-instruct|mix> [--quick] [--model dir]: the
// seed's experiments on the shipped models, with the same code the studio's
// lessons run (src/experiments/). Prints a table and one `- [x] claim` /
// `- [ ] claim` line per claim, and writes the result as JSON to
// build/experiments/<name>[-quick].json. Seeded: the same command gives the same
// numbers on the same backend. Ctrl-C stops between steps and writes nothing;
// the models and datasets are only read.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatResult, type ExperimentEnv, type ExperimentResult } from '../src/experiments/common';
import { FLAN_FULL, FLAN_QUICK, runFlan } from '../src/experiments/flan';
import { MIX_FULL, MIX_QUICK, runMix } from '../src/experiments/mix';
import { runSelfInstruct, SELF_INSTRUCT_FULL, SELF_INSTRUCT_QUICK } from '../src/experiments/selfInstruct';
import { splitCountries } from '../src/corpus/split';
import { loadSources, SPLIT_SEED } from './corpus';
import { messageOf } from '../src/util/errors';
import { atomicWrite, formatDuration, initNodeBackend, loadModelDir, parseArgs, readDataset, templateById } from './lib/node';

const EXPERIMENTS = ['flan', 'self-instruct', 'mix'] as const;
type Name = (typeof EXPERIMENTS)[number];

const { flags, positional } = parseArgs(process.argv.slice(2));
const DATA = 'public/datasets';

/** Every country, capital and currency name in the shipped geo datasets: the invented domain avoids them. */
function realNames(): Set<string> {
  const out = new Set<string>();
  const split = join(DATA, 'geo-split.json');
  if (existsSync(split)) {
    const s = JSON.parse(readFileSync(split, 'utf8')) as { train?: string[]; heldOut?: string[] };
    for (const n of [...(s.train ?? []), ...(s.heldOut ?? [])]) out.add(n);
  }
  for (const ex of readDataset(join(DATA, 'geo-tune.json'))) if (ex.kind === 'instruction') for (const w of ex.response.split(/\s+/)) out.add(w);
  return out;
}

/**
 * The countries of the shipped split (public/datasets/geo-split.json names them, so the
 * experiment asks about the same held-out countries as the shipped evaluation sets),
 * with their facts from the corpus's source.
 */
function countrySplit() {
  const { facts } = loadSources();
  const path = join(DATA, 'geo-split.json');
  if (!existsSync(path)) return splitCountries(facts, SPLIT_SEED);
  const s = JSON.parse(readFileSync(path, 'utf8')) as { train?: string[]; heldOut?: string[] };
  const byName = new Map(facts.map((c) => [c.name, c]));
  const pick = (names: string[] = []) => names.flatMap((n) => byName.get(n) ?? []);
  return { train: pick(s.train), heldOut: pick(s.heldOut) };
}

function loadEnv(dir: string, signal: AbortSignal): ExperimentEnv {
  const m = loadModelDir(dir);
  return {
    model: m.model,
    tokenizer: m.tokenizer,
    template: templateById(m.meta.template ?? 'plain'),
    signal,
    onProgress: (line) => console.log(`  ${line}`),
  };
}

async function run(name: Name, quick: boolean, signal: AbortSignal): Promise<ExperimentResult> {
  switch (name) {
    case 'flan': {
      const env = loadEnv(flags.get('model') ?? 'public/models/base', signal);
      return runFlan(env, countrySplit(), quick ? FLAN_QUICK : FLAN_FULL, quick);
    }
    case 'self-instruct': {
      const env = loadEnv(flags.get('model') ?? 'public/models/tuned', signal);
      const result = await runSelfInstruct(
        env,
        { seedTasks: readDataset(join(DATA, 'geo-tune.json')), heldOut: readDataset(join(DATA, 'geo-eval-heldout-capitals.json')) },
        quick ? SELF_INSTRUCT_QUICK : SELF_INSTRUCT_FULL,
        quick,
      );
      // The kept pairs as Alpaca JSON: import them in the studio's Data tab to review, edit and keep.
      const out = join('build', 'experiments', `self-instruct-pairs${quick ? '-quick' : ''}.json`);
      atomicWrite(out, `${JSON.stringify(result.pairs.map((p) => ({ instruction: p.instruction, input: '', output: p.response })), null, 1)}\n`);
      console.log(`  kept pairs written: ${out}`);
      const { pairs: _pairs, ...rest } = result;
      return rest;
    }
    case 'mix': {
      const env = loadEnv(flags.get('model') ?? 'public/models/tuned', signal);
      return runMix(
        env,
        { tuneExamples: readDataset(join(DATA, 'geo-tune.json')), heldOut: readDataset(join(DATA, 'geo-eval-heldout-capitals.json')), avoid: realNames() },
        quick ? MIX_QUICK : MIX_FULL,
        quick,
      );
    }
  }
}

async function main(): Promise<void> {
  const name = positional[0];
  if (!name || !(EXPERIMENTS as readonly string[]).includes(name)) {
    console.error(`usage: npm run experiment -- <${EXPERIMENTS.join('|')}> [--quick] [--model dir]`);
    process.exit(2);
  }
  const quick = flags.has('quick');
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\nstopping after the current step…');
    controller.abort();
  });
  const backend = await initNodeBackend();
  const started = Date.now();
  console.log(`experiment ${name}${quick ? ' --quick' : ''} on tfjs ${backend}, ${new Date().toISOString()}`);
  const result = await run(name as Name, quick, controller.signal);
  const seconds = (Date.now() - started) / 1000;
  const out = join('build', 'experiments', `${name}${quick ? '-quick' : ''}.json`);
  atomicWrite(out, `${JSON.stringify({ ...result, date: new Date().toISOString(), seconds: Math.round(seconds), backend }, null, 1)}\n`);
  console.log(`\n${name}${quick ? ' --quick' : ''}: ${formatDuration(seconds)} on tfjs ${backend}\n`);
  for (const s of result.samples) console.log(`sample [${s.arm}] ${s.text}`);
  console.log(`\n${formatResult(result)}\n\nwritten: ${out}`);
}

main().catch((e: unknown) => {
  console.error(`experiment: ${messageOf(e)}`);
  process.exit(1);
});
