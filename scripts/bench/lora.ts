// Full tuning against LoRA step by step, in one process on one backend: the
// shipped base model twice (one trains in full, one trains rank-r adapters), the
// lesson's batches (geo-tune, default template, packed, bucketed, batch 16), and
// the two kinds of step interleaved (alternating which goes first) so load on a
// shared machine falls on both alike. Each step is timed with its one readback.

import { loadModelDir } from '../lib/node';
import { readDataset } from '../lib/node';
import { DEFAULT_TEMPLATE } from '../../src/data/templates';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/train/optimizer';
import { prepareInstructionData } from '../../src/train/instructions';
import { trainStep } from '../../src/train/step';
import type { Batch } from '../../src/train/batches';

export interface LoraStepSettings {
  modelDir: string;
  datasetPath: string;
  rank: number;
  alpha: number;
  /** Timed steps of each kind (after one untimed step each). */
  rounds: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export const DEFAULT_LORA_STEPS: LoraStepSettings = {
  modelDir: 'public/models/base',
  datasetPath: 'public/datasets/geo-tune.json',
  rank: 8,
  alpha: 16,
  rounds: 8,
  batchSize: 16,
  learningRate: 3e-4,
  seed: 1234,
};

export interface LoraStepKind {
  trainable: number;
  /** Values of AdamW state (two moments per trainable value). */
  optimizerValues: number;
  secs: number[];
  medianSec: number;
  meanSec: number;
  losses: number[];
}

export interface LoraStepResult {
  settings: LoraStepSettings;
  params: number;
  tokensPerStep: number;
  full: LoraStepKind;
  lora: LoraStepKind;
  /** Full's median seconds per step over LoRA's. */
  speedup: number;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timedStep(model: GPT, opt: AdamW, batch: Batch, lr: number): Promise<{ sec: number; loss: number }> {
  const t0 = performance.now();
  const out = trainStep(model, opt, batch, lr, 1);
  const [loss] = Array.from(await out.data());
  out.dispose();
  return { sec: (performance.now() - t0) / 1000, loss: loss! };
}

/** Runs the interleaved comparison on the current tfjs backend. */
export async function loraStepBench(s: LoraStepSettings, say: (m: string) => void): Promise<LoraStepResult> {
  const dir = loadModelDir(s.modelDir);
  const full = dir.model;
  const lora = GPT.fromWeights(dir.config, await full.readWeights());
  lora.attachLora({ rank: s.rank, alpha: s.alpha }, s.seed);
  const examples = readDataset(s.datasetPath);
  const { source } = prepareInstructionData(examples, dir.tokenizer, {
    template: DEFAULT_TEMPLATE,
    contextLength: dir.config.contextLength,
    batchSize: s.batchSize,
    seed: s.seed,
    trainOnInputs: false,
    pack: true,
    overflow: 'truncate',
    valFraction: 0,
  });
  const batches = Array.from({ length: s.rounds + 1 }, () => source.next());
  const kinds = { full: { model: full, opt: new AdamW(full.trainable) }, lora: { model: lora, opt: new AdamW(lora.trainable) } };
  const secs = { full: [] as number[], lora: [] as number[] };
  const losses = { full: [] as number[], lora: [] as number[] };
  for (let r = 0; r <= s.rounds; r++) {
    // Alternate which kind goes first, so a slow spell of the machine is shared.
    const order = r % 2 === 0 ? (['full', 'lora'] as const) : (['lora', 'full'] as const);
    for (const k of order) {
      const { sec, loss } = await timedStep(kinds[k].model, kinds[k].opt, batches[r]!, s.learningRate);
      losses[k].push(loss);
      if (r > 0) secs[k].push(sec); // the first step of each compiles and allocates: left out
    }
    say(`round ${r}${r === 0 ? ' (untimed)' : ''}: full ${losses.full.at(-1)!.toFixed(3)}, lora ${losses.lora.at(-1)!.toFixed(3)}${r > 0 ? `; ${secs.full.at(-1)!.toFixed(2)} s vs ${secs.lora.at(-1)!.toFixed(2)} s` : ''}`);
  }
  const kind = (k: 'full' | 'lora'): LoraStepKind => {
    const trainable = kinds[k].model.trainableCount;
    return { trainable, optimizerValues: 2 * trainable, secs: secs[k], medianSec: median(secs[k]), meanSec: secs[k].reduce((a, b) => a + b, 0) / secs[k].length, losses: losses[k] };
  };
  const result: LoraStepResult = {
    settings: s,
    params: full.parameterCount,
    tokensPerStep: batches.slice(1).reduce((a, b) => a + b.batchSize * b.seqLen, 0) / s.rounds,
    full: kind('full'),
    lora: kind('lora'),
    speedup: 0,
  };
  result.speedup = result.full.medianSec / result.lora.medianSec;
  for (const k of Object.values(kinds)) {
    k.opt.dispose();
    k.model.dispose();
  }
  return result;
}

/** The comparison as a Markdown table. */
export function renderLoraSteps(r: LoraStepResult, backend: string): string {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const row = (label: string, k: LoraStepKind) =>
    `| ${label} | ${fmt(k.trainable)} (${((100 * k.trainable) / r.params).toFixed(1)}%) | ${fmt(k.optimizerValues)} | ${k.medianSec.toFixed(2)} | ${k.meanSec.toFixed(2)} | ${k.losses[0]!.toFixed(3)} -> ${k.losses.at(-1)!.toFixed(3)} |`;
  return [
    `### Full tuning vs LoRA rank ${r.settings.rank} (alpha ${r.settings.alpha}), ${backend}, ${r.settings.rounds} interleaved steps each, ${r.tokensPerStep.toFixed(0)} tokens a step`,
    '',
    '| tuning | trainable parameters | AdamW state values | s/step (median) | s/step (mean) | loss, first -> last step |',
    '|---|---:|---:|---:|---:|---|',
    row('full', r.full),
    row(`LoRA r=${r.settings.rank}`, r.lora),
    '',
    `LoRA step time: ${r.speedup.toFixed(2)}x faster than full (median); ${fmt(r.params)} parameters in the model.`,
  ].join('\n');
}
