// npm run experiment -- <flan|self-instruct|mix> [--quick] [--model dir]
// [--steps N] [--lr X] [--seed N] [--lora-rank R --lora-alpha A --lora-targets all|attention]
// [--share X --taught N --old-examples N --rehearse-share X --rehearse train|all (mix)]
// [--temperature X --shape strict|pool --pair-epochs N --consistency A/S --propose-only (self-instruct)]
// [--arms list --no-before (flan, mix: one run split over processes)]: the
// seed's experiments on the shipped models, with the same code the studio's
// lessons run (src/experiments/). Prints a table and one `- [x] claim` /
// `- [ ] claim` line per claim, and writes the result as JSON to
// build/experiments/<name>[-quick][-overrides].json. Seeded: the same command gives the same
// numbers on the same backend. Ctrl-C stops between steps and writes nothing;
// the models and datasets are only read.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatResult, type ExperimentEnv, type ExperimentResult } from '../src/experiments/common';
import { FLAN_FULL, FLAN_QUICK, readFlanCountries, runFlan } from '../src/experiments/flan';
import { MIX_FULL, MIX_QUICK, runMix } from '../src/experiments/mix';
import { runSelfInstruct, SELF_INSTRUCT_FULL, SELF_INSTRUCT_QUICK } from '../src/experiments/selfInstruct';
import type { LoraSpec } from '../src/model/lora';
import { loraSpecFor, loraSpecProblems } from '../src/model/lora';
import { messageOf } from '../src/util/errors';
import { atomicWrite, formatDuration, initNodeBackend, loadModelDir, numberFlag, parseArgs, readDataset, templateById } from './lib/node';

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
 * The flan experiment's countries, as the studio's lesson step reads them:
 * public/datasets/flan-countries.json (written by `npm run flan-data` from the corpus's
 * source and the shipped split, so the experiment asks about the same held-out
 * countries as the shipped evaluation sets).
 */
function flanCountries() {
  const path = join(DATA, 'flan-countries.json');
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run flan-data to write it.`);
  return readFlanCountries(JSON.parse(readFileSync(path, 'utf8')), path);
}

/**
 * A run's settings with the overrides given on the command line (`--steps`, `--lr`;
 * for mix `--share`; for self-instruct `--temperature` and `--propose-only`, which
 * stops once the pairs are written), so other settings can be tried without editing the defaults
 * the studio uses. Returns the settings and a tag naming the overrides for the output file.
 */
function withOverrides<S extends { steps: number; learningRate: number; seed: number; lora?: LoraSpec; instructionShare?: number; rehearsalShare?: number; oldExamples?: number; taughtCountries?: number; countries?: number; temperature?: number; measure?: boolean; shapeRules?: 'strict' | 'pool'; pairEpochs?: number; consistency?: { samples: number; agree: number }; arms?: readonly string[]; skipBefore?: boolean }>(name: Name, base: S): { settings: S; tag: string } {
  const settings = { ...base };
  const tags: string[] = [];
  if (flags.has('steps')) {
    const steps = numberFlag(flags, 'steps', base.steps);
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a whole number of steps >= 1, got "${flags.get('steps')}".`);
    settings.steps = steps;
    tags.push(`steps${steps}`);
  }
  if (flags.has('seed')) {
    const seed = numberFlag(flags, 'seed', base.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number >= 0, got "${flags.get('seed')}".`);
    settings.seed = seed;
    tags.push(`seed${seed}`);
  }
  if (flags.has('lr')) {
    const lr = numberFlag(flags, 'lr', base.learningRate);
    if (!(lr > 0 && lr < 1)) throw new Error(`--lr must be a learning rate between 0 and 1, got "${flags.get('lr')}".`);
    settings.learningRate = lr;
    tags.push(`lr${flags.get('lr')}`);
  }
  if (flags.has('lora-targets') && !flags.has('lora-rank') && !flags.has('lora-alpha')) throw new Error('--lora-targets needs --lora-rank (and optionally --lora-alpha): it says where the adapters go.');
  if (flags.has('lora-rank') || flags.has('lora-alpha')) {
    // Given alone, the alpha keeps the settings' rank (or 8) and the rank gets alpha twice its size, as the studio's Train panel does.
    const rank = numberFlag(flags, 'lora-rank', base.lora?.rank ?? 8);
    const targetSet = flags.get('lora-targets') ?? 'all';
    if (targetSet !== 'all' && targetSet !== 'attention') throw new Error(`--lora-targets must be "all" (every attention and MLP projection) or "attention" (got "${targetSet}").`);
    const spec: LoraSpec = loraSpecFor(rank, numberFlag(flags, 'lora-alpha', flags.has('lora-rank') ? 2 * rank : (base.lora?.alpha ?? 2 * rank)), targetSet);
    const [problem] = loraSpecProblems(spec);
    if (problem) throw new Error(`--${problem.field === 'loraRank' ? 'lora-rank' : 'lora-alpha'}: ${problem.message}`);
    settings.lora = spec;
    tags.push(`lora${spec.rank}a${spec.alpha}${targetSet === 'attention' ? '-attention' : ''}`);
  }
  if (flags.has('share')) {
    if (name !== 'mix') throw new Error('--share (the share of instruction batches) applies to the mix experiment only.');
    const share = numberFlag(flags, 'share', base.instructionShare ?? 0.5);
    if (!(share > 0 && share < 1)) throw new Error(`--share must be between 0 and 1 (exclusive), got "${flags.get('share')}".`);
    settings.instructionShare = share;
    tags.push(`share${flags.get('share')}`);
  }
  if (flags.has('rehearse') && !flags.has('rehearse-share')) throw new Error('--rehearse (which known countries the mixed arm replays) needs --rehearse-share X (the share of its batches).');
  if (flags.has('rehearse-share')) {
    if (name !== 'mix') throw new Error('--rehearse-share (known-country prose replayed in the mixed arm) applies to the mix experiment only.');
    const r = numberFlag(flags, 'rehearse-share', 0);
    if (!(r > 0 && r < 1)) throw new Error(`--rehearse-share must be between 0 and 1 (exclusive), got "${flags.get('rehearse-share')}".`);
    settings.rehearsalShare = r;
    tags.push(`rehearse${flags.get('rehearse') ?? 'all'}${flags.get('rehearse-share')}`);
  }
  if (flags.has('old-examples')) {
    if (name !== 'mix') throw new Error('--old-examples (instruction examples about known countries in the mixed arm) applies to the mix experiment only.');
    const n = numberFlag(flags, 'old-examples', base.oldExamples ?? 400);
    if (!Number.isInteger(n) || n < 10) throw new Error(`--old-examples must be a whole number >= 10, got "${flags.get('old-examples')}".`);
    settings.oldExamples = n;
    tags.push(`old${n}`);
  }
  if (flags.has('taught')) {
    if (name !== 'mix') throw new Error('--taught (invented countries asked about in the mixed arm\'s instructions) applies to the mix experiment only.');
    const taught = numberFlag(flags, 'taught', base.taughtCountries ?? 6);
    const countries = base.countries ?? 24;
    if (!Number.isInteger(taught) || taught < 1 || taught >= countries) throw new Error(`--taught must be a whole number from 1 to ${countries - 1} (of ${countries} invented countries, the rest are asked after), got "${flags.get('taught')}".`);
    settings.taughtCountries = taught;
    tags.push(`taught${taught}`);
  }
  if (flags.has('temperature')) {
    if (name !== 'self-instruct') throw new Error('--temperature (of the proposals) applies to the self-instruct experiment only.');
    const t = numberFlag(flags, 'temperature', base.temperature ?? 0.8);
    if (!(t > 0 && t <= 2)) throw new Error(`--temperature must be above 0 and at most 2, got "${flags.get('temperature')}".`);
    settings.temperature = t;
    tags.push(`t${flags.get('temperature')}`);
  }
  if (flags.has('arms')) {
    const known = name === 'flan' ? ['a', 'b', 'c'] : name === 'mix' ? ['prose', 'mix'] : [];
    const arms = (flags.get('arms') ?? '').split(',').filter(Boolean);
    if (known.length === 0) throw new Error('--arms applies to the flan and mix experiments only.');
    const unknown = arms.filter((a) => !known.includes(a));
    if (arms.length === 0 || unknown.length > 0) throw new Error(`--arms takes a comma-separated list of ${known.join(', ')}; got "${flags.get('arms')}".`);
    (settings as { arms?: readonly string[] }).arms = arms;
    tags.push(`arms-${arms.join('')}`);
  }
  if (flags.has('no-before')) {
    if (name === 'self-instruct') throw new Error('--no-before applies to the flan and mix experiments only.');
    settings.skipBefore = true;
    tags.push('no-before');
  }
  if (flags.has('shape')) {
    if (name !== 'self-instruct') throw new Error('--shape (the proposals\' shape checks) applies to the self-instruct experiment only.');
    const rules = flags.get('shape');
    if (rules !== 'strict' && rules !== 'pool') throw new Error(`--shape is strict or pool, got "${rules}".`);
    settings.shapeRules = rules;
    tags.push(`shape-${rules}`);
  }
  if (flags.has('pair-epochs')) {
    if (name !== 'self-instruct') throw new Error('--pair-epochs (passes over the kept pairs in the pairs-alone arm) applies to the self-instruct experiment only.');
    const e = numberFlag(flags, 'pair-epochs', base.pairEpochs ?? 2);
    if (!Number.isInteger(e) || e < 1) throw new Error(`--pair-epochs must be a whole number of passes >= 1, got "${flags.get('pair-epochs')}".`);
    settings.pairEpochs = e;
    tags.push(`pair-epochs${e}`);
  }
  if (flags.has('consistency')) {
    if (name !== 'self-instruct') throw new Error('--consistency (agreement of sampled answers with the greedy one) applies to the self-instruct experiment only.');
    const m = /^(\d+)\/(\d+)$/.exec(flags.get('consistency') ?? '');
    if (!m) throw new Error(`--consistency takes AGREE/SAMPLES, e.g. 3/4 (got "${flags.get('consistency')}").`);
    settings.consistency = { agree: Number(m[1]), samples: Number(m[2]) };
    tags.push(`consistency${m[1]}of${m[2]}`);
  }
  if (flags.has('propose-only')) {
    if (name !== 'self-instruct') throw new Error('--propose-only applies to the self-instruct experiment only.');
    settings.measure = false;
    tags.push('propose-only');
  }
  return { settings, tag: tags.join('-') };
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

async function run(name: Name, quick: boolean, suffix: string, signal: AbortSignal): Promise<ExperimentResult> {
  switch (name) {
    case 'flan': {
      const env = loadEnv(flags.get('model') ?? 'public/models/base', signal);
      return runFlan(env, flanCountries(), withOverrides(name, quick ? FLAN_QUICK : FLAN_FULL).settings, quick);
    }
    case 'self-instruct': {
      const env = loadEnv(flags.get('model') ?? 'public/models/tuned', signal);
      const tuneExamples = readDataset(join(DATA, 'geo-tune.json'));
      const countries = flanCountries();
      const result = await runSelfInstruct(
        env,
        { seedTasks: tuneExamples, heldOut: readDataset(join(DATA, 'geo-eval-heldout-capitals.json')), tuneExamples, facts: [...countries.train, ...countries.heldOut] },
        withOverrides(name, quick ? SELF_INSTRUCT_QUICK : SELF_INSTRUCT_FULL).settings,
        quick,
      );
      // The kept pairs as Alpaca JSON: import them in the studio's Data tab to review, edit and keep.
      const out = join('build', 'experiments', `self-instruct-pairs${suffix}.json`);
      atomicWrite(out, `${JSON.stringify(result.pairs.map((p) => ({ instruction: p.instruction, input: '', output: p.response })), null, 1)}\n`);
      console.log(`  kept pairs written: ${out}`);
      const { pairs: _pairs, ...rest } = result;
      return rest;
    }
    case 'mix': {
      const env = loadEnv(flags.get('model') ?? 'public/models/tuned', signal);
      const countries = flanCountries();
      // Rehearsal replays every country's facts, as pretraining had them, or (`train`) the train countries' only.
      const which = flags.get('rehearse') ?? 'all';
      if (which !== 'train' && which !== 'all') throw new Error(`--rehearse is train or all, got "${which}".`);
      const rehearsal = which === 'all' ? [...countries.train, ...countries.heldOut] : countries.train;
      return runMix(
        env,
        { tuneExamples: readDataset(join(DATA, 'geo-tune.json')), heldOut: readDataset(join(DATA, 'geo-eval-heldout-capitals.json')), avoid: realNames(), heldOutFacts: countries.heldOut, rehearsal },
        withOverrides(name, quick ? MIX_QUICK : MIX_FULL).settings,
        quick,
      );
    }
  }
}

async function main(): Promise<void> {
  const name = positional[0];
  if (!name || !(EXPERIMENTS as readonly string[]).includes(name)) {
    console.error(`usage: npm run experiment -- <${EXPERIMENTS.join('|')}> [--quick] [--model dir] [--steps N] [--lr X] [--seed N] [--lora-rank R --lora-alpha A --lora-targets all|attention] [--share X --taught N --old-examples N --rehearse-share X --rehearse train|all (mix)] [--temperature X] [--shape strict|pool] [--pair-epochs N] [--consistency A/S] [--propose-only] (self-instruct) [--arms list] [--no-before] (flan, mix)`);
    process.exit(2);
  }
  const quick = flags.has('quick');
  // Checked before the model loads, so a bad flag is refused at once.
  const { tag } = withOverrides(name as Name, name === 'flan' ? FLAN_QUICK : name === 'mix' ? MIX_QUICK : SELF_INSTRUCT_QUICK);
  const suffix = `${quick ? '-quick' : ''}${tag ? `-${tag}` : ''}`;
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\nstopping after the current step…');
    controller.abort();
  });
  const backend = await initNodeBackend();
  const started = Date.now();
  console.log(`experiment ${process.argv.slice(2).join(' ')} on tfjs ${backend}, ${new Date().toISOString()}`);
  const result = await run(name as Name, quick, suffix, controller.signal);
  const seconds = (Date.now() - started) / 1000;
  const out = join('build', 'experiments', `${name}${suffix}.json`);
  atomicWrite(out, `${JSON.stringify({ ...result, date: new Date().toISOString(), seconds: Math.round(seconds), backend }, null, 1)}\n`);
  console.log(`\n${process.argv.slice(2).join(' ')}: ${formatDuration(seconds)} on tfjs ${backend}\n`);
  for (const s of result.samples) console.log(`sample [${s.arm}] ${s.text}`);
  console.log(`\n${formatResult(result)}\n\nwritten: ${out}`);
}

main().catch((e: unknown) => {
  console.error(`experiment: ${messageOf(e)}`);
  process.exit(1);
});
