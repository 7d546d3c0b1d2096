// Time to the lesson's outcome: the studio's own lesson tuning (the shipped base
// model, the country-facts starter set, the settings the page prepares on a
// first visit) driven through the worker protocol exactly as the app drives it,
// timed from Start until the tuned model answers "What is the capital of
// France?" with Paris (greedy) and gets >= 80% exact match on the first 50
// held-out capital questions. The outcome is checked every `checkEvery` steps
// with the run paused; evaluation time is counted apart from training time.
//
// The same code drives the app's Web Worker from a benchmark page and the
// engine itself in Node (wasm): it only sends protocol requests and reads
// protocol events. No tfjs here.

import { packSequences } from '../../src/data/batching';
import { importDataset } from '../../src/data/import';
import { encodeExamples } from '../../src/data/sequences';
import { BpeTokenizer } from '../../src/tokenizer/bpe';
import type { Example } from '../../src/data/schema';
import { DEFAULT_TEMPLATE } from '../../src/data/templates';
import { evalQuestion, scoreAnswer } from '../../src/eval/score';
import type { GenerateOptions } from '../../src/model/sampling';
import { LESSON_PROMPT, SHIPPED_TUNE_OPTIONS } from '../../src/store/startup';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../../src/train/options';
import type { TrainingData } from '../../src/train/run';
import type { Replies, Requests, RequestType, WorkerEvent } from '../../src/worker/protocol';

/** One way of tuning, timed to the outcome. */
export interface LessonArm {
  id: string;
  label: string;
  /** Overrides of the page's first-visit settings (DEFAULT_TRAIN_OPTIONS with SHIPPED_TUNE_OPTIONS). */
  options: Partial<Pick<TrainOptions, 'steps' | 'batchSize' | 'learningRate' | 'warmupSteps' | 'tuning' | 'loraRank' | 'loraAlpha' | 'minLrRatio'>>;
  padding: 'bucket' | 'context';
  pack: boolean;
  /** Where the LM head and the loss run: the masked positions (the default) or every position (as the issue's engine did). */
  logits?: 'masked' | 'all';
  /** If the outcome is not reached by the end of the run, train again (the Train button) up to this many steps in all. */
  continueTo?: number;
  /** Stop this arm after this many steps in all, outcome or not (to fit a slow machine). */
  maxSteps?: number;
}

export interface LessonSettings {
  arms: LessonArm[];
  checkEvery: number;
  /** Held-out questions (the first N of geo-eval-heldout-capitals.json). */
  heldOut: number;
  /** Exact match needed on them. */
  target: number;
  maxTokens: number;
}

/** The first-visit settings the issue measured against (before the lesson settings were chosen from these runs). */
export const ISSUE_SETTINGS = { steps: 80, batchSize: 16, learningRate: 1e-4, warmupSteps: 8 } as const;

/** The reference: the issue's first-visit settings, rows padded to the context, no packing, continued to 320 steps. */
export const REFERENCE_ARM: LessonArm = { id: 'reference', label: 'reference: 80 steps x 16, lr 1e-4, padded to 64', options: { ...ISSUE_SETTINGS }, padding: 'context', pack: false, continueTo: 320 };

export const DEFAULT_ARMS: LessonArm[] = [
  REFERENCE_ARM,
  { id: 'bucket', label: 'reference padded to the longest row (8-token buckets)', options: { ...ISSUE_SETTINGS }, padding: 'bucket', pack: false, continueTo: 320 },
  { id: 'pack', label: 'reference packed, bucketed', options: { ...ISSUE_SETTINGS }, padding: 'bucket', pack: true, continueTo: 320 },
  // The reference's step as the issue's engine took it: the LM head and the loss at all 1,024 positions.
  { ...REFERENCE_ARM, id: 'reference-all', label: 'reference, logits at every position', logits: 'all' },
];

export const DEFAULT_LESSON: Omit<LessonSettings, 'arms'> = { checkEvery: 10, heldOut: 50, target: 0.8, maxTokens: 10 };

/** What an arm's run needs from outside: the shipped files, read by the caller. */
export interface LessonFiles {
  safetensors: ArrayBuffer;
  configJson: string;
  tokenizerJson: string;
  /** public/datasets/geo-tune.json (the lesson's starter dataset). */
  datasetText: string;
  /** public/datasets/geo-eval-heldout-capitals.json. */
  heldOutText: string;
}

/** The protocol, from the caller's side: one reply per request, and the stream of events. */
export interface LessonDriver {
  call<K extends RequestType>(type: K, body: Requests[K]): Promise<Replies[K]>;
  onEvent(listener: (e: WorkerEvent) => void): () => void;
  /** Shader programs compiled so far by the backend (undefined where it has none). */
  programs?(): Promise<number | undefined>;
}

export interface LessonCheck {
  step: number;
  /** Training wall time from Start to this check, evaluations left out. */
  trainSec: number;
  evalSec: number;
  france: string;
  paris: boolean;
  /** Exact-match share over the held-out questions scored (all of them unless it could no longer reach the target). */
  exact: number;
  scored: number;
  reached: boolean;
}

export interface LessonArmResult {
  arm: LessonArm;
  options: TrainOptions;
  /** Training wall time from Start to the first check where the outcome held; null if never within the steps. */
  secondsToOutcome: number | null;
  stepsToOutcome: number | null;
  /** Exact match at the outcome (or at the last check). */
  heldOutExact: number;
  checks: LessonCheck[];
  steps: number;
  trainSec: number;
  evalSec: number;
  /** Seconds per step after the first step of each run (shader compiles left out). */
  secPerStep: number;
  firstStepSec: number;
  losses: number[];
  /** Distinct batch lengths trained (each a new shape to compile). */
  batchLengths: number[];
  /** Shader programs compiled during the arm's training (webgl, webgpu). */
  programsCompiled?: number;
  tokensPerStep: number;
  /** Examples one step trains on: the batch size, times the examples per row when packed. */
  examplesPerStep: number;
  dataSummary?: string;
}

const GREEDY: Omit<GenerateOptions, 'maxTokens'> = { temperature: 0, topK: 0, topP: 1, seed: 0, stopAtEos: true };

/** Reads the shipped files into examples the way the studio imports its starters. */
export function lessonExamples(files: LessonFiles, heldOut: number): { train: Example[]; heldOut: Example[] } {
  const train = importDataset(files.datasetText, { fileName: 'geo-tune.json', dedupe: {} });
  if (!train.ok) throw new Error(train.error.message);
  const held = importDataset(files.heldOutText, { fileName: 'geo-eval-heldout-capitals.json', dedupe: { near: false } });
  if (!held.ok) throw new Error(held.error.message);
  return { train: train.examples, heldOut: held.examples.slice(0, heldOut) };
}

/** Greedy answers to the lesson's question and the held-out questions, scored as `npm run eval` scores them. */
async function checkOutcome(d: LessonDriver, heldOut: readonly Example[], s: Omit<LessonSettings, 'arms'>): Promise<Omit<LessonCheck, 'step' | 'trainSec' | 'evalSec'>> {
  const format = { template: DEFAULT_TEMPLATE };
  const options = { ...GREEDY, maxTokens: s.maxTokens };
  const france = await d.call('generate', { prompt: LESSON_PROMPT, options, format });
  const paris = scoreAnswer(france.text, 'Paris', DEFAULT_TEMPLATE);
  let correct = 0;
  let scored = 0;
  const needed = Math.ceil(s.target * heldOut.length);
  // Until Paris is answered the outcome cannot hold; score the held-out set only then.
  if (paris.correct) {
    for (const ex of heldOut) {
      const q = evalQuestion(ex);
      const r = await d.call('generate', { prompt: q.question, options, format: { ...format, ...(q.input ? { input: q.input } : {}) } });
      if (scoreAnswer(r.text, q.reference, DEFAULT_TEMPLATE).correct) correct++;
      scored++;
      if (correct + (heldOut.length - scored) < needed) break; // the target is out of reach at this check
    }
  }
  const exact = scored > 0 ? correct / scored : 0;
  return { france: paris.answer, paris: paris.correct, exact, scored, reached: paris.correct && scored === heldOut.length && correct >= needed };
}

/** Runs one arm from a freshly loaded base model to its outcome (or its last step). */
export async function runLessonArm(d: LessonDriver, files: LessonFiles, arm: LessonArm, s: Omit<LessonSettings, 'arms'>, say: (m: string) => void): Promise<LessonArmResult> {
  const { train: examples, heldOut } = lessonExamples(files, s.heldOut);
  // A fresh base model: loading replaces the main model and forgets the optimizer.
  await d.call('loadModel', { name: 'base', safetensors: files.safetensors.slice(0), configJson: files.configJson, tokenizerJson: files.tokenizerJson });
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...SHIPPED_TUNE_OPTIONS, ...arm.options };
  const data: TrainingData = { kind: 'instructions', examples, template: DEFAULT_TEMPLATE, trainOnInputs: false, pack: arm.pack, overflow: 'truncate', padding: arm.padding, ...(arm.logits ? { logits: arm.logits } : {}) };
  // Examples per row as the run lays them out (all examples; the 10% validation split packs alike).
  const contextLength = (JSON.parse(files.configJson) as { n_ctx?: number; n_positions?: number }).n_positions ?? 64;
  const tokenizer = BpeTokenizer.fromJSON(JSON.parse(files.tokenizerJson));
  const { sequences } = encodeExamples(examples, DEFAULT_TEMPLATE, tokenizer, { contextLength, trainOnInputs: false, overflow: 'truncate' });
  const examplesPerRow = sequences.length / packSequences(sequences, { contextLength, pack: arm.pack }).length;
  const limit = Math.min(arm.maxSteps ?? Infinity, Math.max(options.steps, arm.continueTo ?? 0));

  const checks: LessonCheck[] = [];
  const losses: number[] = [];
  const lengths = new Set<number>();
  let lengthSum = 0;
  const stepSecs: number[] = [];
  const firstSecs: number[] = [];
  let evalSec = 0;
  let done = 0; // steps before the current run
  let reached: LessonCheck | null = null;
  let dataSummary: string | undefined;
  const programsBefore = await d.programs?.();
  const start = performance.now();
  const trainSecNow = () => (performance.now() - start) / 1000 - evalSec;

  let lastElapsed = 0;
  let pausing = false;
  let checkedAt = -1;
  let onPaused: ((step: number) => void) | null = null;
  const off = d.onEvent((e) => {
    if (e.type === 'dataReport') dataSummary = e.summary;
    if (e.type === 'trainProgress') {
      const step = done + e.step;
      losses.push(e.loss);
      if (e.seqLen !== undefined) {
        lengths.add(e.seqLen);
        lengthSum += e.seqLen;
      }
      (e.step === 1 ? firstSecs : stepSecs).push(e.elapsedSec - lastElapsed);
      lastElapsed = e.elapsedSec;
      if (step % 10 === 0) say(`${arm.id}: step ${step}, loss ${e.loss.toFixed(3)}, ${(trainSecNow()).toFixed(0)} s training`);
      if (step >= limit && e.step < e.totalSteps) {
        // The cap stops the run where it stands; shortening the run would change its schedule.
        d.call('stop', {}).catch(() => undefined);
      } else if (!pausing && step % s.checkEvery === 0 && e.step < e.totalSteps) {
        pausing = true;
        // Lands after the step in flight; refused (and ignored) if the run ended first.
        d.call('pause', {}).catch(() => undefined);
      }
    }
    if (e.type === 'trainState' && e.state === 'paused') onPaused?.(done + e.step);
  });

  const check = async (step: number): Promise<LessonCheck> => {
    const trainSec = trainSecNow();
    const t0 = performance.now();
    const r = await checkOutcome(d, heldOut, s);
    const sec = (performance.now() - t0) / 1000;
    evalSec += sec;
    const c: LessonCheck = { step, trainSec, evalSec: sec, ...r };
    checks.push(c);
    checkedAt = step;
    say(`${arm.id}: check at step ${step} after ${trainSec.toFixed(0)} s training: France -> ${JSON.stringify(r.france)}, held-out ${(100 * r.exact).toFixed(0)}% of ${r.scored}${r.reached ? ' -- OUTCOME' : ''} (eval ${sec.toFixed(0)} s)`);
    return c;
  };

  try {
    let runSteps = options.steps;
    while (!reached && runSteps > 0 && done < limit) {
      lastElapsed = 0;
      pausing = false;
      onPaused = (step) => {
        void (async () => {
          const c = await check(step);
          pausing = false;
          if (c.reached) {
            reached = c;
            await d.call('stop', {});
          } else {
            await d.call('resume', {});
          }
        })();
      };
      const r = await d.call('train', { data, options: { ...options, steps: runSteps } });
      done += r.step;
      if (!reached && checkedAt !== done) {
        const c = await check(done);
        if (c.reached) reached = c;
      }
      runSteps = (arm.continueTo ?? 0) - done;
    }
  } finally {
    off();
  }
  const programsAfter = await d.programs?.();
  const last = checks[checks.length - 1];
  const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const secPerStep = mean(stepSecs);
  const final = reached as LessonCheck | null;
  return {
    arm,
    options,
    secondsToOutcome: final ? final.trainSec : null,
    stepsToOutcome: final ? final.step : null,
    heldOutExact: (final ?? last)?.exact ?? 0,
    checks,
    steps: done,
    trainSec: trainSecNow(),
    evalSec,
    secPerStep,
    firstStepSec: mean(firstSecs),
    losses,
    batchLengths: [...lengths].sort((a, b) => a - b),
    ...(programsBefore !== undefined && programsAfter !== undefined ? { programsCompiled: programsAfter - programsBefore } : {}),
    examplesPerStep: options.batchSize * examplesPerRow,
    tokensPerStep: options.batchSize * (losses.length > 0 && lengthSum > 0 ? lengthSum / losses.length : 64),
    ...(dataSummary ? { dataSummary } : {}),
  };
}

/** One backend's arms, as the report needs them. */
export interface LessonBackendResult {
  where: string;
  adapter?: string;
  arms: Array<LessonArmResult | { arm: LessonArm; error: string }>;
}

const fmtSec = (s: number | null | undefined) => (s === null || s === undefined || !Number.isFinite(s) ? '-' : s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

/** Markdown tables and target lines for a lesson run. */
export function renderLessonReport(results: LessonBackendResult[], s: Omit<LessonSettings, 'arms'>): { text: string; checks: Array<{ target: string; measured: string; pass: boolean }> } {
  const lines: string[] = [];
  const checks: Array<{ target: string; measured: string; pass: boolean }> = [];
  lines.push(`### Time to the lesson's outcome (Paris, and >= ${(100 * s.target).toFixed(0)}% exact match on ${s.heldOut} held-out capitals; checked every ${s.checkEvery} steps)`);
  lines.push('');
  lines.push('| backend | settings | steps to outcome | time to outcome (training) | evaluation time | s/step | examples/step | s per 100 examples | first step | batch lengths | programs compiled | held-out exact match | vs reference |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|');
  for (const r of results) {
    const ref = r.arms.find((a): a is LessonArmResult => !('error' in a) && a.arm.id === 'reference');
    for (const a of r.arms) {
      if ('error' in a) {
        lines.push(`| ${r.where} | ${a.arm.label} | error: ${a.error.split('\n')[0]} | | | | | | | | | | |`);
        continue;
      }
      const outcome = a.secondsToOutcome !== null ? fmtSec(a.secondsToOutcome) : `not within ${a.steps} steps (${fmtSec(a.trainSec)})`;
      const perExample = (x: LessonArmResult) => x.secPerStep / x.examplesPerStep;
      const ratio =
        ref && ref !== a && ref.secondsToOutcome !== null && a.secondsToOutcome !== null
          ? `${(ref.secondsToOutcome / a.secondsToOutcome).toFixed(2)}x`
          : ref && ref !== a
            ? `${(ref.secPerStep / a.secPerStep).toFixed(2)}x per step, ${(perExample(ref) / perExample(a)).toFixed(2)}x per example`
            : '-';
      lines.push(
        `| ${r.where} | ${a.arm.label} | ${a.stepsToOutcome ?? '-'} | ${outcome} | ${fmtSec(a.evalSec)} | ${a.secPerStep.toFixed(2)} | ${a.examplesPerStep.toFixed(1)} | ${((100 * a.secPerStep) / a.examplesPerStep).toFixed(1)} | ${fmtSec(a.firstStepSec)} | ${a.batchLengths.join(', ')} | ${a.programsCompiled ?? '-'} | ${(100 * a.heldOutExact).toFixed(0)}% | ${ratio} |`,
      );
    }
    const lesson = r.arms.find((a): a is LessonArmResult => !('error' in a) && a.arm.id === 'lesson');
    // The issue's target names webgpu and webgl; wasm's line is the same ratio on the CPU.
    if (ref && lesson) {
      const both = ref.secondsToOutcome !== null && lesson.secondsToOutcome !== null;
      const ratio = both ? ref.secondsToOutcome! / lesson.secondsToOutcome! : NaN;
      checks.push({
        target: `time to outcome with the lesson settings >= 5x shorter than today's (${r.where})`,
        measured: both ? `${ratio.toFixed(2)}x (${fmtSec(ref.secondsToOutcome)} -> ${fmtSec(lesson.secondsToOutcome)}), held-out ${(100 * ref.heldOutExact).toFixed(0)}% -> ${(100 * lesson.heldOutExact).toFixed(0)}%` : `not measured: ${ref.secondsToOutcome === null ? 'the reference' : 'the lesson settings'} did not reach the outcome within the steps run`,
        pass: both && ratio >= 5 && lesson.heldOutExact >= ref.heldOutExact,
      });
    }
  }
  lines.push('');
  for (const c of checks) lines.push(`- [${c.pass ? 'x' : ' '}] ${c.target}: ${c.measured}`);
  return { text: lines.join('\n'), checks };
}
