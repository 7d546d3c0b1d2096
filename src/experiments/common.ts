// What the three experiments (flan, self-instruct, mix) share: tuning a fresh copy
// of a model with the studio's own Trainer, the two measurements (questions answered
// through a template, facts completed as text), a stop signal, and the report every
// experiment returns and prints the same way in Node and in the studio.

import { evaluateModel, type EvalReport } from '../eval/evaluate';
import { normalizeAnswer } from '../eval/metrics';
import type { Example, InstructionExample } from '../data/schema';
import type { PromptTemplate } from '../data/templates';
import { generateTokens } from '../model/generate';
import { GPT } from '../model/gpt';
import { loraSpecProblems, type LoraSpec } from '../model/lora';
import type { Tokenizer } from '../tokenizer/types';
import type { BatchSource } from '../train/batches';
import { AdamW } from '../train/optimizer';
import { Trainer } from '../train/trainer';
import { prepareInstructionData } from '../train/instructions';

/** What an experiment runs on. The starting model is never trained: each arm trains a fresh copy. */
export interface ExperimentEnv {
  /** The starting model, read-only: measured before tuning and copied for each arm. */
  model: GPT;
  tokenizer: Tokenizer;
  /** The template the starting model was tuned with (questions are asked in it). */
  template: PromptTemplate;
  /** Progress lines for a log or a status line. */
  onProgress?(line: string): void;
  /** Stops the run between steps and between questions; nothing has been written then. */
  signal?: AbortSignal;
}

/** How each arm is tuned: the same for every arm of an experiment, so only the data differs. */
export interface TuneSettings {
  steps: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  seed: number;
  /**
   * Train LoRA adapters of this rank and alpha on the frozen copy instead of every
   * parameter (merged before the copy is measured); absent: full tuning.
   */
  lora?: LoraSpec;
}

export interface Claim {
  holds: boolean;
  text: string;
}

/** One experiment's result: its settings, one row per arm, the claims checked, and samples to read. */
export interface ExperimentResult {
  experiment: string;
  quick: boolean;
  settings: Record<string, unknown>;
  columns: Array<{ key: string; label: string }>;
  rows: Array<{ arm: string; label: string; values: Record<string, number> }>;
  claims: Claim[];
  /** Outputs to read, e.g. generated instructions or answers, to judge quality by eye. */
  samples: Array<{ arm: string; text: string }>;
  /** What the numbers mean and what limits them, in a sentence or two. */
  notes: string[];
  /** Pairs the experiment wrote (self-instruct's kept pairs), for the user to review, edit and keep. */
  pairs?: InstructionExample[];
}

export class ExperimentStopped extends Error {
  constructor() {
    super('The experiment was stopped; nothing was saved and the models and datasets are as they were.');
    this.name = 'ExperimentStopped';
  }
}

/** The experiment's inputs cannot be used (too few examples, nothing trainable): said so before any tuning. */
export class ExperimentInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExperimentInputError';
  }
}

/** Runs `f`, turning whatever it throws into an ExperimentInputError with the same message. */
export function asInputProblem<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ExperimentInputError(e instanceof Error ? e.message : String(e));
  }
}

/** An arm's instruction data: every arm is prepared the same way (responses only, unpacked, no validation split), so only the examples differ. */
export function armData(examples: readonly Example[], env: Pick<ExperimentEnv, 'tokenizer' | 'template' | 'model'>, s: Pick<TuneSettings, 'batchSize' | 'seed'>) {
  return asInputProblem(() =>
    prepareInstructionData(examples, env.tokenizer, {
      template: env.template,
      contextLength: env.model.config.contextLength,
      batchSize: s.batchSize,
      seed: s.seed,
      trainOnInputs: false,
      pack: false,
      overflow: 'truncate',
      valFraction: 0,
    }),
  );
}

/** Why `s` cannot tune copies of `model` (a LoRA rank or alpha it cannot take), or null: checked before any arm runs. */
export function tuneSettingsProblem(s: TuneSettings, model: GPT): string | null {
  if (!s.lora) return null;
  const [p] = loraSpecProblems(s.lora, model.config.width);
  return p ? p.message : null;
}

export function checkStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ExperimentStopped();
}

/** A fresh trainable copy of `model` (its weights copied, the original untouched). */
export async function copyModel(model: GPT): Promise<GPT> {
  return GPT.fromWeights(model.config, await model.readWeights());
}

/**
 * Tunes `model` in place on `source` with AdamW and the Trainer the studio and `npm run tune`
 * use: every parameter, or LoRA adapters (`s.lora`) merged into the weights at the end.
 */
export async function tune(model: GPT, source: BatchSource, s: TuneSettings, env: Pick<ExperimentEnv, 'onProgress' | 'signal'>, label: string): Promise<{ finalLoss: number }> {
  if (s.lora) model.attachLora(s.lora, s.seed);
  const optimizer = new AdamW(model.trainable);
  const losses: number[] = [];
  try {
    await new Trainer(
      model,
      optimizer,
      source,
      { steps: s.steps, learningRate: s.learningRate, warmupSteps: s.warmupSteps, minLrRatio: 0.1, gradClip: 1, evalEvery: 0 },
      {
        beforeStep: () => checkStopped(env.signal),
        onStep: (i) => {
          losses.push(i.loss);
          if (i.step === 1 || i.step % 25 === 0 || i.step === s.steps) env.onProgress?.(`${label}: step ${i.step}/${s.steps}, loss ${i.loss.toFixed(3)}`);
        },
      },
    ).run();
  } finally {
    optimizer.dispose();
  }
  // Measured as a plain model, as the shipped LoRA-tuned model is.
  model.mergeLora();
  checkStopped(env.signal);
  const tail = losses.slice(-10);
  return { finalLoss: tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length) };
}

/** Greedy answers to `examples` through the template, scored by the studio's one scorer. */
export async function askAll(model: GPT, env: ExperimentEnv, examples: readonly Example[], maxTokens = 12): Promise<EvalReport> {
  return evaluateModel(model, env.tokenizer, examples, {
    template: env.template,
    maxTokens,
    onRow: () => checkStopped(env.signal),
  });
}

/** Greedy continuation of raw text (no template), decoded; stops at end-of-text or a line break. */
export async function continueText(model: GPT, tokenizer: Tokenizer, prompt: string, maxTokens: number): Promise<string> {
  const ids = tokenizer.encode(prompt).slice(-model.config.contextLength);
  const out: number[] = [];
  for await (const id of generateTokens(model, ids, { maxTokens, temperature: 0, topK: 0, topP: 1, seed: 0, stopIds: [tokenizer.eosId] })) {
    if (id === tokenizer.eosId) break;
    out.push(id);
  }
  return tokenizer.decode(out).split('\n')[0]!;
}

/** Whether a continuation begins with `answer` as whole words (normalised as exact match is). */
export function completesWith(continuation: string, answer: string): boolean {
  const c = normalizeAnswer(continuation);
  const a = normalizeAnswer(answer);
  return a !== '' && (c === a || c.startsWith(`${a} `));
}

/** Share of text probes the model completes with the expected words. */
export async function textRecall(model: GPT, env: Pick<ExperimentEnv, 'tokenizer' | 'signal'>, probes: ReadonlyArray<{ prompt: string; answer: string }>): Promise<{ share: number; outputs: string[] }> {
  let hits = 0;
  const outputs: string[] = [];
  for (const p of probes) {
    checkStopped(env.signal);
    const cont = await continueText(model, env.tokenizer, p.prompt, 6);
    outputs.push(cont);
    if (completesWith(cont, p.answer)) hits++;
  }
  return { share: probes.length === 0 ? 0 : hits / probes.length, outputs };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The result as a plain-text table, then one `- [x] claim` / `- [ ] claim` line per claim, as `npm run bench` ends. */
export function formatResult(r: ExperimentResult): string {
  const head = ['arm', ...r.columns.map((c) => c.label)];
  const body = r.rows.map((row) => [row.label, ...r.columns.map((c) => (row.values[c.key] === undefined ? '-' : c.key.endsWith('Count') ? String(row.values[c.key]) : pct(row.values[c.key]!)))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line), ''];
  for (const n of r.notes) out.push(n);
  if (r.notes.length > 0) out.push('');
  for (const c of r.claims) out.push(`- [${c.holds ? 'x' : ' '}] ${c.text}`);
  return out.join('\n');
}

export { pct as formatShare };
