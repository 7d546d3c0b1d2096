// npm run tune: instruction-tunes a model folder on an instruction dataset with
// the studio's own code (src/train/instructions.ts, the same Trainer the worker runs),
// and writes the tuned model folder.
//
//   npm run tune -- --model public/models/base --data public/datasets/geo-tune.json --out public/models/tuned
//
// --heldout <dataset> --heldout-every 20 measures greedy exact match on that set
// (every --heldout-stride-th row) during training; with --keep-best the folder written
// is the model at the best held-out step, and the card names that step. With a
// constant learning rate after warm-up (--min-lr-ratio 1) the model at step N of a
// longer run is the model of a run of N steps, so the card's command reproduces it.
//
// --mix-text <file> --instruction-share 0.5 draws the given share of batches from the
// dataset and the rest from plain text (e.g. the pretraining corpus), so tuning
// rehearses what the base model read. --lora-rank 8 --lora-alpha 16 trains LoRA
// adapters instead of every weight; the folder written holds the merged model.
//
// --average-from S writes the mean of the weights after every step from S to the
// last (a tail average): the step-to-step swing of a constant learning rate is
// smoothed instead of picked from. With --keep-best the average is measured on the
// held-out rows too and is one more candidate.

import { join } from 'node:path';
import { evaluateModel } from '../src/eval/evaluate';
import { GPT } from '../src/model/gpt';
import { Trainer } from '../src/train/trainer';
import { messageOf } from '../src/util/errors';
import { AdamW } from '../src/train/optimizer';
import { prepareInstructionData } from '../src/train/instructions';
import { prepareTextData } from '../src/train/text';
import { MixedBatches } from '../src/train/mix';
import { WeightAverage } from '../src/train/average';
import { loraSpecFor } from '../src/model/lora';
import { readFileSync } from 'node:fs';
import { evaluate } from '../src/train/step';
import { scaleOutFiles } from '../src/checkpoint/scaleOut';
import { atomicWrite, formatDuration, initNodeBackend, loadModelDir, numberFlag, parseArgs, readDataset, saveModelDir, templateById } from './lib/node';

const { flags } = parseArgs(process.argv.slice(2));

async function main(): Promise<void> {
  const modelDir = flags.get('model');
  const dataPath = flags.get('data');
  const outDir = flags.get('out');
  if (!modelDir || !dataPath || !outDir) {
    console.error('usage: npm run tune -- --model <dir> --data <dataset file> --out <dir> [--steps 80] [--lr 1e-4] [--batch 32] [--warmup 5] [--min-lr-ratio 0.1] [--template plain] [--seed 1] [--train-on-inputs] [--pack] [--heldout <dataset> --heldout-every 20 --heldout-stride 8 [--keep-best]] [--mix-text <text file> --instruction-share 0.5] [--lora-rank 8 --lora-alpha 16 [--lora-targets all|attention]] [--average-from S]');
    process.exit(2);
  }
  const o = {
    steps: numberFlag(flags, 'steps', 80),
    learningRate: numberFlag(flags, 'lr', 1e-4),
    batchSize: numberFlag(flags, 'batch', 32),
    warmupSteps: numberFlag(flags, 'warmup', 5),
    minLrRatio: numberFlag(flags, 'min-lr-ratio', 0.1),
    gradClip: 1,
    seed: numberFlag(flags, 'seed', 1),
    evalEvery: numberFlag(flags, 'eval-every', 20),
    template: flags.get('template') ?? 'plain',
    trainOnInputs: flags.has('train-on-inputs'),
    pack: flags.has('pack'),
  };
  const backend = await initNodeBackend();
  const base = loadModelDir(modelDir);
  const examples = readDataset(dataPath);
  const data = prepareInstructionData(examples, base.tokenizer, {
    template: templateById(o.template),
    contextLength: base.config.contextLength,
    batchSize: o.batchSize,
    seed: o.seed,
    trainOnInputs: o.trainOnInputs,
    pack: o.pack,
    overflow: 'truncate',
    valFraction: 0.05,
  });
  const mixPath = flags.get('mix-text');
  const share = numberFlag(flags, 'instruction-share', 0.5);
  const source = mixPath
    ? new MixedBatches(prepareTextData(readFileSync(mixPath, 'utf8'), base.tokenizer, { batchSize: o.batchSize, contextLength: base.config.contextLength, seed: o.seed, valFraction: 0 }).source, data.source, share)
    : data.source;
  const targetSet = flags.get('lora-targets') ?? 'all';
  if (targetSet !== 'all' && targetSet !== 'attention') {
    console.error(`--lora-targets must be "all" (every attention and MLP projection) or "attention" (got "${targetSet}").`);
    process.exit(2);
  }
  const lora = flags.has('lora-rank')
    ? loraSpecFor(numberFlag(flags, 'lora-rank', 8), numberFlag(flags, 'lora-alpha', 16), targetSet)
    : null;
  if (lora) base.model.attachLora(lora, o.seed);
  const mixNote = mixPath ? `, ${share} of batches from the dataset and the rest from ${mixPath}` : '';
  const loraNote = lora ? `, LoRA rank ${lora.rank} alpha ${lora.alpha} on ${targetSet === 'attention' ? 'attention projections only' : 'every projection'} (${base.model.trainableCount} trainable parameters)` : '';
  console.log(`tune on ${backend}: ${modelDir} + ${dataPath} (${data.summary}); ${o.steps} steps x ${o.batchSize} rows, lr ${o.learningRate}, template ${o.template}${mixNote}${loraNote}`);
  const heldoutPath = flags.get('heldout');
  const heldoutEvery = numberFlag(flags, 'heldout-every', 20);
  const heldoutStride = numberFlag(flags, 'heldout-stride', 8);
  const heldout = heldoutPath ? readDataset(heldoutPath).filter((_, i) => i % heldoutStride === 0) : [];
  const keepBest = flags.has('keep-best');
  const averageFrom = flags.has('average-from') ? numberFlag(flags, 'average-from', 1) : null;
  if (averageFrom !== null && !(Number.isInteger(averageFrom) && averageFrom >= 1 && averageFrom <= o.steps)) {
    console.error(`--average-from must be a step from 1 to --steps (${o.steps}); got ${flags.get('average-from')}.`);
    process.exit(2);
  }
  // The mean of the merged weights after each step from averageFrom on.
  const tail = new WeightAverage();
  if (keepBest && !heldoutPath) throw new Error('--keep-best needs --heldout <dataset> to choose the best step by.');
  const heldoutLog: Array<[number, number]> = [];
  let best: { step: number; exact: number; weights: Awaited<ReturnType<GPT['readWeights']>> } | null = null;
  const heldoutExact = async () => (await evaluateModel(base.model, base.tokenizer, heldout, { template: templateById(o.template), maxTokens: 12 })).totals.exactMatch;
  const measureHeldout = async (step: number) => {
    const exact = await heldoutExact();
    heldoutLog.push([step, Math.round(exact * 1e4) / 1e4]);
    console.log(`step ${String(step).padStart(4)}/${o.steps}  held-out exact match ${(exact * 100).toFixed(1)}% (${heldout.length} rows of ${heldoutPath})`);
    if (keepBest && (!best || exact > best.exact)) best = { step, exact, weights: await base.model.readWeights() };
  };
  const optimizer = new AdamW(base.model.trainable);
  const log: Array<[number, number]> = [];
  const valLog: Array<[number, number]> = [];
  let seconds = 0;
  await new Trainer(base.model, optimizer, source, o, {
    onStep: async (i) => {
      seconds = i.elapsedSec;
      if (averageFrom !== null && i.step >= averageFrom) {
        tail.add(await base.model.readWeights());
      }
      log.push([i.step, Math.round(i.loss * 1e4) / 1e4]);
      if (i.step % 10 === 0 || i.step === o.steps) {
        console.log(`step ${String(i.step).padStart(4)}/${o.steps}  loss ${i.loss.toFixed(4)}  ${i.tokensPerSec.toFixed(0)} tok/s  ETA ${i.etaSec === null ? '-' : formatDuration(i.etaSec)}`);
      }
      if (heldout.length > 0 && (i.step % heldoutEvery === 0 || i.step === o.steps)) await measureHeldout(i.step);
    },
    onEval: (e) => {
      valLog.push([e.step, Math.round(e.valLoss * 1e4) / 1e4]);
      console.log(`step ${String(e.step).padStart(4)}/${o.steps}  validation loss ${e.valLoss.toFixed(4)}`);
    },
  }, data.evalBatches).run();
  // The folder holds a plain GPT-2: adapters are folded into the weights.
  base.model.mergeLora();
  let chosen = best as { step: number; exact: number; weights: Awaited<ReturnType<GPT['readWeights']>> } | null;
  let average: { exact: number | null } | null = null;
  if (averageFrom !== null) {
    base.model.writeWeights(tail.mean());
    const exact = heldout.length > 0 ? await heldoutExact() : null;
    if (exact !== null) console.log(`mean of the weights after steps ${averageFrom}-${o.steps} (${tail.count} steps): held-out exact match ${(exact * 100).toFixed(1)}%`);
    // Only --keep-best gives a step to compare with.
    if (!chosen || exact === null || exact >= chosen.exact) {
      average = { exact };
      chosen = null;
    } else {
      console.log(`the mean scores below step ${chosen.step} (${(chosen.exact * 100).toFixed(1)}%), so that step is kept`);
    }
  }
  // The model holds the last step's weights, or the mean where one was measured.
  if (chosen && (chosen.step !== o.steps || averageFrom !== null)) {
    console.log(`keeping the model at step ${chosen.step} (best held-out exact match ${(chosen.exact * 100).toFixed(1)}%)`);
    base.model.writeWeights(chosen.weights);
  }
  const stepsKept = chosen?.step ?? o.steps;
  const valLoss = data.evalBatches.length > 0 ? await evaluate(base.model, data.evalBatches) : NaN;
  const kept = log.filter(([step]) => step <= stepsKept);
  const trainLoss = kept.slice(-10).reduce((a, [, l]) => a + l, 0) / Math.min(10, kept.length);
  const baseSteps = Number(base.meta.step ?? 0);
  const card = `# Instruct Studio instruction-tuned model

The base model (${modelDir}) fine-tuned on instruction-response pairs, so that asked a
question it answers instead of continuing with more questions.

| | |
|---|---|
| base | ${modelDir} (${baseSteps} pretraining steps) |
| config | vocab ${base.config.vocabSize}, context ${base.config.contextLength}, width ${base.config.width}, ${base.config.layers} layers, ${base.config.heads} heads |
| data | ${dataPath}: ${data.summary} ${data.trainExamples} train / ${data.valExamples} validation examples |
| template | ${o.template}; loss on ${o.trainOnInputs ? 'prompt and response' : 'response tokens only (plus the end-of-text token)'}${o.pack ? ', packed' : ''} |${mixPath ? `\n| mixed with text | ${share} of batches from the dataset, the rest from ${mixPath} (next-token loss on every token) |` : ''}${lora ? `\n| LoRA | rank ${lora.rank}, alpha ${lora.alpha} on ${targetSet === 'attention' ? 'the attention projections only (the MLPs stay as pretrained)' : 'every attention and MLP projection'}, merged into the weights written here |` : ''}
| training | ${stepsKept} steps${stepsKept !== o.steps ? ` (the best held-out step of a ${o.steps}-step run)` : ''} x ${o.batchSize} rows of ${base.config.contextLength} tokens, AdamW lr ${o.learningRate} (${o.warmupSteps} warm-up steps, ${o.minLrRatio === 1 ? 'then constant' : `cosine to ${o.learningRate * o.minLrRatio}`}), clip ${o.gradClip}, seed ${o.seed}${average ? `; the weights written are the mean of the weights after each of steps ${averageFrom}-${o.steps}${average.exact !== null ? ` (held-out exact match of the mean: ${(average.exact * 100).toFixed(1)}%)` : ''}` : ''} |${heldoutLog.length > 0 ? `\n| held-out exact match during tuning | ${heldoutLog.map(([st, x]) => `step ${st}: ${(x * 100).toFixed(1)}%`).join(', ')} (${heldout.length} rows of ${heldoutPath}) |` : ''}
| final losses | train ${trainLoss.toFixed(4)} (mean of the last 10 steps), validation ${Number.isFinite(valLoss) ? valLoss.toFixed(4) : 'n/a'} |
| compute | ${formatDuration(seconds)} on tfjs ${backend} in Node |

Licence: CC0-1.0 (weights), by the Instruct Studio team; the data's sources are listed in public/datasets/README.md.

## Reproduce
\`\`\`sh
npm run tune -- --model ${modelDir} --data ${dataPath} --out ${outDir} --steps ${o.steps} --lr ${o.learningRate} --batch ${o.batchSize} --warmup ${o.warmupSteps} --min-lr-ratio ${o.minLrRatio} --template ${o.template} --seed ${o.seed}${o.trainOnInputs ? ' --train-on-inputs' : ''}${o.pack ? ' --pack' : ''}${mixPath ? ` --mix-text ${mixPath} --instruction-share ${share}` : ''}${lora ? ` --lora-rank ${lora.rank} --lora-alpha ${lora.alpha}${targetSet === 'attention' ? ' --lora-targets attention' : ''}` : ''}${heldoutPath ? ` --heldout ${heldoutPath} --heldout-every ${heldoutEvery} --heldout-stride ${heldoutStride}${keepBest ? ' --keep-best' : ''}` : ''}${averageFrom !== null ? ` --average-from ${averageFrom}` : ''}
\`\`\`
`;
  await saveModelDir(outDir, base.model, base.tokenizer, { step: String(baseSteps + stepsKept), kind: 'tuned', template: o.template, valLoss: String(valLoss), trainLoss: trainLoss.toFixed(4) }, card);
  atomicWrite(join(outDir, 'training-log.json'), `${JSON.stringify({ settings: o, stepsKept, averageFrom: average ? averageFrom : null, averageHeldout: average?.exact ?? null, loss: log, validation: valLog, heldout: heldoutLog })}\n`);
  // The scale-out bundle: this data as TRL JSONL, train_trl.py with these settings, accelerate configs.
  const bundle = scaleOutFiles(examples, templateById(o.template), { steps: stepsKept, learningRate: o.learningRate, batchSize: o.batchSize, warmupSteps: o.warmupSteps, trainOnInputs: o.trainOnInputs });
  for (const [name, text] of Object.entries(bundle)) atomicWrite(join(outDir, name), text);
  console.log(`done: train loss ${trainLoss.toFixed(4)}, validation loss ${valLoss.toFixed(4)} -> ${outDir}/`);
}

main().catch((e: unknown) => {
  console.error(`tune: ${messageOf(e)}`);
  process.exit(1);
});
