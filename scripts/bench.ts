// npm run bench: training and generation speed of the studio's engine on every
// backend it supports, against @genai-fi/nanogpt (the closest peer) and against
// plain tfjs, in one run, so the ratios compare like with like.
//
//   npm run bench                 S and M, every backend (long on emulated GPUs)
//   npm run bench -- --quick      S only, few steps (< 5 min on 2 CPU cores)
//   npm run bench -- --headed     the browser part in a normal Chromium window on
//                                 the machine's real GPU (needs a display)
//   other flags: --configs S,M  --backends node,wasm,webgl,webgpu  --no-peer
//                --no-generation / --generation (also on webgpu in --quick)  --no-training
//                --note "text kept in the report"  --out file.json
//                --check-only: only the kernel check of each backend (no timing)
//                --plain / --no-plain: also time plain tfjs on webgpu and webgl (the
//                studio's kernels off: their before/after), on by default in the full run
//                --profile [--repeats 3]: where one training step's time goes
//                (phases and kernel launches) instead of the benchmark
//   npm run bench -- --lesson     time to the lesson's outcome (see scripts/bench/lesson.ts):
//                --backends node,webgl,webgpu  --arms reference,bucket,pack,lesson (also reference-all: the reference with logits at every position)
//                --lesson-settings steps=40,batch=16,lr=3e-4,warmup=4,minlr=1,pack=false,tuning=lora,rank=8,alpha=16,logits=all
//                (default: the page's settings; more entries separated by ';' add arms lesson2, lesson3, ...)  --check-every 10
//                --max-steps N (cap every arm, for a slow machine)
//                --arms ...,lora  --lora-settings rank=8,alpha=16,lr=1e-3: the lesson arm tuned with LoRA
//   npm run bench -- --lora       full tuning vs LoRA, step by step, wasm in this process
//                (see scripts/bench/lora.ts): --lora-settings rank=8,alpha=16,rounds=8
//
// wasm runs in this Node process; webgpu, webgl and wasm in Chromium run in pages
// built from bench/ (ours in a Web Worker as in the app; the peer in a page of its
// own, since it bundles its own tfjs). Results: a Markdown table on stdout and
// JSON in bench-results/.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { build, preview, type PreviewServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../playwright.config';
import type { ConfigId } from './bench/configs';
import type { BackendId, Job, JobResult, Measurement, PeerJob, PeerResult } from './bench/jobs';
import { CHECK_TOLERANCE } from './bench/check';
import type { ProfileResult } from './bench/profile';
import { runMeasurement } from './bench/run';
import { jobLabel, planJobs, studioKernelsFor, type PlannedJob } from './bench/plan';
import { checks, renderReport, type Entry, type KernelCheck, type Machine } from './bench/report';
import { formatDuration, initNodeBackend, parseArgs } from './lib/node';
import { SHIPPED_TUNE_OPTIONS } from '../src/store/startup';
import type { TrainOptions } from '../src/train/options';
import { DEFAULT_ARMS, DEFAULT_LESSON, renderLessonReport, runLessonArm, type LessonArm, type LessonArmResult, type LessonBackendResult, type LessonDriver, type LessonFiles, type LessonSettings } from './bench/lesson';
import { DEFAULT_LORA_STEPS, loraStepBench, renderLoraSteps } from './bench/lora';
import { StudioEngine } from '../src/worker/engine';
import type { WorkerEvent } from '../src/worker/protocol';
import { messageOf } from '../src/util/errors';

const { flags } = parseArgs(process.argv.slice(2));
const quick = flags.has('quick');
const headed = flags.has('headed');
const configs = (flags.get('configs') ?? (quick ? 'S' : 'S,M')).split(',') as ConfigId[];
const backends = (flags.get('backends') ?? 'node,wasm,webgl,webgpu').split(',') as Array<BackendId | 'node'>;
for (const c of configs) if (c !== 'S' && c !== 'M') throw new Error(`--configs: unknown config "${c}" (use S, M or S,M).`);
for (const b of backends) if (!['node', 'wasm', 'webgl', 'webgpu'].includes(b)) throw new Error(`--backends: unknown backend "${b}" (use node, wasm, webgl, webgpu).`);

const started = Date.now();
const elapsed = (): string => formatDuration((Date.now() - started) / 1000).padStart(6);
const say = (msg: string): void => console.log(`[${elapsed()}] ${msg}`);

/** The browser side: built pages served on 127.0.0.1 (a secure context, for WebGPU) and one Chromium. */
class BrowserRunner {
  private constructor(
    private readonly server: PreviewServer,
    readonly browser: Browser,
    private readonly origin: string,
  ) {}

  static async start(): Promise<BrowserRunner> {
    const configFile = 'bench/vite.config.ts';
    say('building the benchmark pages (bench/ -> build/bench) ...');
    await build({ configFile, logLevel: 'warn' });
    const server = await preview({ configFile, preview: { host: '127.0.0.1', port: 4190, strictPort: false } });
    const origin = server.resolvedUrls?.local[0]?.replace(/\/$/, '');
    if (!origin) throw new Error('The preview server did not report its address.');
    // Headed: the machine's real GPU, so none of the SwiftShader fallback flags.
    const args = headed ? chromiumArgs.filter((a) => a !== '--enable-unsafe-swiftshader') : chromiumArgs;
    const browser = await chromium.launch({ executablePath: chromiumPath(), args, headless: !headed });
    say(`Chromium ${browser.version()} ${headed ? 'headed' : 'headless'}, pages at ${origin}`);
    return new BrowserRunner(server, browser, origin);
  }

  private async open(file: string): Promise<Page> {
    const page = await this.browser.newPage();
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[bench] ')) say(`    ${text.slice(8)}`);
      else if (m.type() === 'error') say(`    [page error] ${text.split('\n')[0]}`);
    });
    page.on('pageerror', (e) => say(`    [page error] ${e.message}`));
    await page.goto(`${this.origin}/${file}`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    return page;
  }

  async ours(job: Job): Promise<JobResult> {
    const page = await this.open('ours.html');
    try {
      return await page.evaluate((j) => (window as unknown as { runJob(j: Job): Promise<JobResult> }).runJob(j), job);
    } finally {
      await page.close();
    }
  }

  async lesson(backend: BackendId, settings: LessonSettings): Promise<LessonBackendResult> {
    const page = await this.open('lesson.html');
    try {
      const r = await page.evaluate(
        ([b, s]) => (window as unknown as { runLesson(b: BackendId, s: LessonSettings): Promise<{ backend: string; adapter?: string; arms: LessonBackendResult['arms'] }> }).runLesson(b, s),
        [backend, settings] as const,
      );
      return { where: backend, ...(r.adapter ? { adapter: r.adapter } : {}), arms: r.arms };
    } finally {
      await page.close();
    }
  }

  async peer(job: PeerJob): Promise<Awaited<ReturnType<PeerRun>>> {
    const page = await this.open('peer.html');
    try {
      return await page.evaluate((j) => (window as unknown as { runPeer: PeerRun }).runPeer(j), job);
    } finally {
      await page.close();
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
    await new Promise<void>((resolve) => this.server.httpServer.close(() => resolve()));
  }
}

type PeerRun = (j: PeerJob) => Promise<{ device: JobResult['device']; peer: PeerResult }>;

function toJob(j: PlannedJob): Job {
  return j.kind === 'train'
    ? { kind: 'train', backend: j.backend, config: j.config, warmupSteps: j.warmupSteps, steps: j.steps, studioKernels: studioKernelsFor(j.impl) }
    : { kind: 'generate', backend: j.backend, config: j.config, skipUncached: j.skipUncached, studioKernels: studioKernelsFor(j.impl) };
}

function summarise(e: Entry): string {
  if (e.train) return `${e.train.tokensPerSec.toFixed(1)} tok/s, ${e.train.gflops.toFixed(2)} GFLOP/s`;
  if (e.peer) return `${e.peer.tokensPerSec.toFixed(1)} tok/s (its own log says ${e.peer.reportedTokensPerSec.toFixed(1)})`;
  if (e.generate) return `cached ${e.generate.cached.tokensPerSec.toFixed(1)} tok/s, uncached ${e.generate.uncached ? `${e.generate.uncached.tokensPerSec.toFixed(1)} tok/s` : 'skipped'}`;
  return e.error ?? '';
}

function printProfile(label: string, p: ProfileResult): void {
  console.log(`\n${label}: forward+loss ${p.forwardMs.toFixed(0)} ms, +backward ${p.forwardBackwardMs.toFixed(0)} ms, full step ${p.stepMs.toFixed(0)} ms (optimizer ~${(p.stepMs - p.forwardBackwardMs).toFixed(0)} ms); ${p.launches} kernel launches per step`);
  for (const k of p.kernels.slice(0, 30)) console.log(`  ${k.name.padEnd(24)} x${String(k.count).padStart(4)}  ${k.ms.toFixed(1).padStart(8)} ms`);
  if (p.programs.length > 0) {
    const n = p.programs.reduce((s, x) => s + x.count, 0);
    const what = label.includes('webgpu')
      ? `WebGPU programs dispatched per step: ${n}`
      : `WebGL programs drawn per step: ${n} tfjs programs + ${p.directDraws} multi-target draws outside tfjs (products, AdamW) = ${n + p.directDraws} draws`;
    console.log(`\n  ${what}`);
    for (const x of p.programs.slice(0, 60)) console.log(`  ${x.name.padEnd(100)} x${String(x.count).padStart(4)}`);
    console.log(`\n  the same by the tf kernel (op) that ran them:`);
    for (const x of p.programsByKernel) console.log(`  ${x.name.padEnd(40)} x${String(x.count).padStart(4)}`);
  }
  const total = p.products.reduce((s, x) => s + x.ms * x.count, 0);
  console.log(`\n  matrix products timed alone: ${total.toFixed(0)} ms per step (${((100 * total) / p.stepMs).toFixed(0)}% of the step)`);
  for (const x of p.products) {
    const shapes = `[${x.a}] x [${x.b}] -> [${x.out}]`;
    console.log(`  ${x.kernel.padEnd(18)} ${shapes.padEnd(44)} x${String(x.count).padStart(3)}  ${x.ms.toFixed(1).padStart(7)} ms each  ${x.gflops.toFixed(2).padStart(6)} GFLOP/s`);
  }
}

/** --profile: phases and kernel launches of one training step per backend, instead of the benchmark. */
async function profile(): Promise<void> {
  const repeats = Number(flags.get('repeats') ?? 3);
  let runner: BrowserRunner | null = null;
  try {
    for (const config of configs) {
      for (const b of backends) {
        const job: Job = { kind: 'profile', backend: b === 'node' ? 'wasm' : b, config, repeats };
        const label = `${config} ${b === 'node' ? 'wasm (Node)' : b}`;
        say(`profiling ${label} ...`);
        let r: Measurement;
        if (b === 'node') {
          await initNodeBackend('wasm');
          r = await runMeasurement(job, (m) => say(`    ${m}`));
        } else {
          runner ??= await BrowserRunner.start();
          r = await runner.ours(job);
        }
        if (r.kind === 'profile') printProfile(label, r.profile);
      }
    }
  } finally {
    await runner?.close();
  }
}

async function main(): Promise<void> {
  const machine: Machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadBefore: os.loadavg()[0]!,
  };
  const note = flags.get('note');
  if (note) machine.note = note;
  const plainOnGpu = flags.has('plain') || (!quick && !flags.has('no-plain'));
  const jobs = planJobs({
    quick,
    configs,
    backends,
    peer: !flags.has('no-peer'),
    training: !flags.has('no-training'),
    generation: flags.has('generation') ? 'always' : flags.has('no-generation') ? 'never' : 'default',
    plainOnGpu,
  });
  say(`${quick ? 'quick' : 'full'} run: ${jobs.length} measurements on ${machine.cpu} (${machine.cores} cores), load ${machine.loadBefore.toFixed(2)}`);
  if (machine.loadBefore > machine.cores * 0.5) say('note: the machine is busy; absolute figures will be low, ratios within this run still compare.');

  // Node first: it needs no browser. Then Chromium, one fresh page per measurement.
  const order = [...jobs.filter((j) => j.target === 'node'), ...jobs.filter((j) => j.target === 'chromium')];
  const entries: Entry[] = [];
  const kernelChecks: KernelCheck[] = [];
  let runner: BrowserRunner | null = null;
  try {
    for (const [i, j] of order.entries()) {
      const where = j.target === 'node' ? 'wasm (Node)' : j.backend === 'wasm' ? 'wasm (Chromium)' : j.backend;
      if (!kernelChecks.some((c) => c.where === where)) {
        // Before timing a backend, prove our kernels give plain tfjs's values and gradients there.
        const check: KernelCheck = { where };
        try {
          let r: Measurement;
          if (j.target === 'node') {
            await initNodeBackend('wasm');
            r = await runMeasurement({ kind: 'check', backend: 'wasm' });
          } else {
            runner ??= await BrowserRunner.start();
            r = await runner.ours({ kind: 'check', backend: j.backend });
          }
          if (r.kind === 'check') check.result = r.check;
        } catch (err) {
          check.error = messageOf(err);
        }
        kernelChecks.push(check);
        const worst = check.result ? Math.max(...check.result.cases.map((c) => c.maxRelDiff)) : NaN;
        say(`kernel check on ${where}: ${check.error ?? `${check.result!.ok ? 'ok' : 'MISMATCH'}, largest relative difference ${worst.toExponential(1)}`}`);
        for (const c of check.result?.cases ?? []) if (c.maxRelDiff > CHECK_TOLERANCE) say(`    over ${CHECK_TOLERANCE}: ${c.name}: ${c.maxRelDiff.toExponential(2)}`);
      }
      if (flags.has('check-only')) continue;
      say(`[${i + 1}/${order.length}] ${jobLabel(j)}${j.kind === 'train' ? ` (${j.warmupSteps} warm-up + ${j.steps} timed steps)` : ''}`);
      const t0 = Date.now();
      const entry: Entry = { job: j, wallSeconds: 0 };
      try {
        if (j.target === 'node') {
          await initNodeBackend('wasm');
          const r = await runMeasurement(toJob(j), (m) => say(`    ${m}`));
          entry.device = { backend: 'wasm' };
          if (r.kind === 'train') entry.train = r.train;
          if (r.kind === 'generate') entry.generate = r.generate;
        } else {
          runner ??= await BrowserRunner.start();
          machine.chromium = runner.browser.version();
          if (j.kind === 'train' && j.impl === 'peer') {
            if (j.backend === 'wasm') throw new Error('@genai-fi/nanogpt has no wasm backend.');
            const r = await runner.peer({ backend: j.backend, config: j.config, warmupSteps: j.warmupSteps, steps: j.steps });
            entry.device = r.device;
            entry.peer = r.peer;
          } else {
            const r = await runner.ours(toJob(j));
            entry.device = r.device;
            if (r.kind === 'train') entry.train = r.train;
            if (r.kind === 'generate') entry.generate = r.generate;
          }
        }
      } catch (err) {
        entry.error = messageOf(err);
      }
      entry.wallSeconds = (Date.now() - t0) / 1000;
      entries.push(entry);
      say(`    => ${summarise(entry)} (${formatDuration(entry.wallSeconds)})`);
    }
  } finally {
    await runner?.close();
  }
  machine.loadAfter = os.loadavg()[0]!;

  const report = renderReport(entries, machine, kernelChecks);
  console.log(`\n${report}\n`);
  const date = new Date().toISOString().replace(/[:.]/g, '-');
  const out = flags.get('out') ?? join('bench-results', `bench-${date}${quick ? '-quick' : ''}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  const json = { date: new Date().toISOString(), quick, headed, machine, checks: checks(entries, kernelChecks), kernelChecks, entries, report };
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  say(`wrote ${out}; total ${formatDuration((Date.now() - started) / 1000)}`);
  if (entries.some((e) => e.error) || kernelChecks.some((c) => !c.result?.ok)) process.exitCode = 1;
}

/** The keys --lesson-settings accepts; anything else is refused rather than silently ignored. */
const LESSON_KEYS = ['steps', 'batch', 'lr', 'warmup', 'minlr', 'pack', 'continue', 'tuning', 'rank', 'alpha', 'logits'] as const;

/** One lesson arm from one --lesson-settings entry ("steps=25,lr=1e-3"), over the page's first-visit settings. */
function lessonArm(id: string, entry: string): LessonArm {
  const kv = new Map(entry.split(',').filter(Boolean).map((p) => p.split('=') as [string, string]));
  for (const k of kv.keys()) {
    if (!(LESSON_KEYS as readonly string[]).includes(k)) throw new Error(`--lesson-settings: unknown key "${k}" in "${entry}" (use ${LESSON_KEYS.join(', ')}).`);
  }
  const shipped: Partial<TrainOptions> = SHIPPED_TUNE_OPTIONS;
  const num = (k: string, fallback: number) => {
    if (!kv.has(k)) return fallback;
    const v = Number(kv.get(k));
    if (!Number.isFinite(v)) throw new Error(`--lesson-settings: ${k}=${kv.get(k)} is not a number.`);
    return v;
  };
  const tuning = kv.get('tuning') ?? shipped.tuning ?? 'full';
  if (tuning !== 'full' && tuning !== 'lora') throw new Error(`--lesson-settings: tuning=${tuning} (use full or lora).`);
  const options: LessonArm['options'] = {
    steps: num('steps', shipped.steps!),
    batchSize: num('batch', shipped.batchSize!),
    learningRate: num('lr', shipped.learningRate!),
    warmupSteps: num('warmup', shipped.warmupSteps!),
    ...(kv.has('minlr') ? { minLrRatio: num('minlr', 0.1) } : {}),
    tuning,
    ...(tuning === 'lora' ? { loraRank: num('rank', shipped.loraRank ?? 8), loraAlpha: num('alpha', shipped.loraAlpha ?? 2 * num('rank', shipped.loraRank ?? 8)) } : {}),
  };
  const pack = kv.get('pack') !== 'false';
  const logits = kv.get('logits') ?? 'masked';
  if (logits !== 'masked' && logits !== 'all') throw new Error(`--lesson-settings: logits=${logits} (use masked or all).`);
  const how = tuning === 'lora' ? `LoRA r=${options.loraRank} alpha ${options.loraAlpha}, ` : '';
  return {
    id,
    label: `${id}: ${how}${options.steps} steps x ${options.batchSize}, lr ${options.learningRate}, warm-up ${options.warmupSteps}${options.minLrRatio !== undefined ? `, floor ${options.minLrRatio}` : ''}, ${pack ? 'packed, bucketed' : 'bucketed'}${logits === 'all' ? ', logits at every position' : ''}`,
    options,
    padding: 'bucket',
    pack,
    ...(logits === 'all' ? { logits } : {}),
    continueTo: num('continue', 160),
  };
}

/**
 * The lesson arms asked for: --arms ids. The 'lesson' arm is the page's first-visit settings
 * (packed, as the page packs by default), each overridable with --lesson-settings; more
 * entries separated by ';' add arms lesson2, lesson3, ... (candidates timed in one process).
 */
function lessonArms(): LessonArm[] {
  const wanted = (flags.get('arms') ?? 'reference,bucket,pack,lesson').split(',');
  const entries = (flags.get('lesson-settings') ?? '').split(';');
  const lessons = entries.map((e, i) => lessonArm(i === 0 ? 'lesson' : `lesson${i + 1}`, e));
  const lesson = lessons[0]!;
  const lk = new Map((flags.get('lora-settings') ?? '').split(',').filter(Boolean).map((p) => p.split('=') as [string, string]));
  const lnum = (k: string, fallback: number) => (lk.has(k) ? Number(lk.get(k)) : fallback);
  const rank = lnum('rank', 8);
  const alpha = lnum('alpha', 2 * rank);
  // The lesson arm's data, steps and schedule, tuned with adapters on the frozen model.
  const lora: LessonArm = {
    ...lesson,
    id: 'lora',
    label: `${lesson.label.replace(/^lesson: (LoRA [^,]*, )?/, 'LoRA r=' + rank + ' alpha ' + alpha + ': ').replace(/lr [^,]+/, `lr ${lnum('lr', 1e-3)}`)}`,
    options: { ...lesson.options, learningRate: lnum('lr', 1e-3), tuning: 'lora', loraRank: rank, loraAlpha: alpha },
  };
  const all = [...DEFAULT_ARMS, ...lessons, lora];
  const maxSteps = flags.has('max-steps') ? Number(flags.get('max-steps')) : undefined;
  // 'lesson' brings its candidates with it.
  const ids = [...new Set(wanted.flatMap((id) => (id === 'lesson' ? lessons.map((l) => l.id) : [id])))];
  return ids.map((id) => {
    const arm = all.find((a) => a.id === id);
    if (!arm) throw new Error(`--arms: unknown arm "${id}" (use ${all.map((a) => a.id).join(', ')}).`);
    return maxSteps ? { ...arm, maxSteps } : arm;
  });
}

/** The app's engine in this process, driven through the same protocol calls as the worker. */
function nodeDriver(engine: StudioEngine, listeners: Set<(e: WorkerEvent) => void>): LessonDriver {
  return {
    call: (type, body) => engine.call(type, body),
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    programs: async () => undefined,
  };
}

/** --lesson: time to the lesson's outcome per backend and settings. */
async function lessonBench(): Promise<void> {
  const backendsWanted = (flags.get('backends') ?? 'node,webgl,webgpu').split(',') as Array<BackendId | 'node'>;
  const settings: LessonSettings = {
    ...DEFAULT_LESSON,
    ...(flags.has('check-every') ? { checkEvery: Number(flags.get('check-every')) } : {}),
    arms: lessonArms(),
  };
  const machine: Machine = { cpu: os.cpus()[0]?.model ?? 'unknown CPU', cores: os.cpus().length, os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version, loadBefore: os.loadavg()[0]! };
  const note = flags.get('note');
  if (note) machine.note = note;
  say(`lesson run: ${settings.arms.map((a) => a.id).join(', ')} on ${backendsWanted.join(', ')}; load ${machine.loadBefore.toFixed(2)} on ${machine.cores} cores`);
  const buf = readFileSync('public/models/base/model.safetensors');
  const files: LessonFiles = {
    safetensors: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    configJson: readFileSync('public/models/base/config.json', 'utf8'),
    tokenizerJson: readFileSync('public/models/base/tokenizer.json', 'utf8'),
    datasetText: readFileSync('public/datasets/geo-tune.json', 'utf8'),
    heldOutText: readFileSync('public/datasets/geo-eval-heldout-capitals.json', 'utf8'),
  };
  const results: LessonBackendResult[] = [];
  let runner: BrowserRunner | null = null;
  const loads: number[] = [];
  const timer = setInterval(() => loads.push(os.loadavg()[0]!), 30_000);
  try {
    for (const b of backendsWanted) {
      say(`lesson on ${b === 'node' ? 'wasm (Node)' : b} ...`);
      if (b === 'node') {
        const listeners = new Set<(e: WorkerEvent) => void>();
        const engine = new StudioEngine((e) => {
          for (const l of listeners) l(e);
        });
        await engine.call('init', { backend: 'wasm' });
        const d = nodeDriver(engine, listeners);
        const arms: LessonBackendResult['arms'] = [];
        for (const arm of settings.arms) {
          try {
            arms.push(await runLessonArm(d, files, arm, settings, (m) => say(`    ${m}`)));
          } catch (e) {
            say(`    ${arm.id} failed: ${messageOf(e)}`);
            arms.push({ arm, error: messageOf(e) });
          }
        }
        results.push({ where: 'wasm (Node)', arms });
      } else {
        runner ??= await BrowserRunner.start();
        machine.chromium = runner.browser.version();
        results.push(await runner.lesson(b, settings));
      }
      for (const a of results[results.length - 1]!.arms) {
        if ('error' in a) continue;
        const r = a as LessonArmResult;
        say(`    => ${r.arm.id}: ${r.secondsToOutcome !== null ? `outcome at step ${r.stepsToOutcome} after ${formatDuration(r.secondsToOutcome)}` : `no outcome in ${r.steps} steps`}, ${r.secPerStep.toFixed(2)} s/step, lengths ${r.batchLengths.join('/')}`);
      }
    }
  } finally {
    clearInterval(timer);
    await runner?.close();
  }
  machine.loadAfter = os.loadavg()[0]!;
  const { text, checks: lessonChecks } = renderLessonReport(results, settings);
  const loadLine = `Load average (1 min) ${machine.loadBefore.toFixed(1)} before, ${machine.loadAfter.toFixed(1)} after${loads.length > 0 ? `, ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} during` : ''}, on ${machine.cores} cores (${machine.cpu}).`;
  console.log(`\n${text}\n\n${loadLine}\n`);
  const date = new Date().toISOString().replace(/[:.]/g, '-');
  const out = flags.get('out') ?? join('bench-results', `bench-${date}-lesson.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), lesson: true, headed, machine, loads, settings, checks: lessonChecks, results, report: text }, null, 2)}\n`);
  say(`wrote ${out}; total ${formatDuration((Date.now() - started) / 1000)}`);
  if (results.some((r) => r.arms.some((a) => 'error' in a))) process.exitCode = 1;
}

/** --lora: full tuning vs LoRA step by step on wasm in this process (scripts/bench/lora.ts). */
async function loraBench(): Promise<void> {
  const kv = new Map((flags.get('lora-settings') ?? '').split(',').filter(Boolean).map((p) => p.split('=') as [string, string]));
  const num = (k: string, fallback: number) => (kv.has(k) ? Number(kv.get(k)) : fallback);
  const rank = num('rank', DEFAULT_LORA_STEPS.rank);
  const settings = { ...DEFAULT_LORA_STEPS, rank, alpha: num('alpha', 2 * rank), rounds: num('rounds', DEFAULT_LORA_STEPS.rounds), batchSize: num('batch', DEFAULT_LORA_STEPS.batchSize) };
  const backend = await initNodeBackend('wasm');
  const loadBefore = os.loadavg()[0]!;
  say(`full vs LoRA r=${settings.rank} on ${backend} (Node); load ${loadBefore.toFixed(2)} on ${os.cpus().length} cores`);
  const result = await loraStepBench(settings, (m) => say(`    ${m}`));
  const text = renderLoraSteps(result, `${backend} (Node)`);
  const loadLine = `Load average (1 min) ${loadBefore.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after, on ${os.cpus().length} cores.`;
  console.log(`\n${text}\n\n${loadLine}\n`);
  const date = new Date().toISOString().replace(/[:.]/g, '-');
  const out = flags.get('out') ?? join('bench-results', `bench-${date}-lora.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), lora: true, loadBefore, loadAfter: os.loadavg()[0], result, report: text }, null, 2)}\n`);
  say(`wrote ${out}; total ${formatDuration((Date.now() - started) / 1000)}`);
}

(flags.has('lesson') ? lessonBench() : flags.has('lora') ? loraBench() : flags.has('profile') ? profile() : main()).catch((e) => {
  console.error(messageOf(e));
  process.exit(1);
});
