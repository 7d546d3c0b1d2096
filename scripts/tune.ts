// npm run tune: instruction-tunes a model folder on an instruction dataset with
// the studio's own code (src/train/instructions.ts, the same Trainer the worker runs),
// and writes the tuned model folder.
//
//   npm run tune -- --model public/models/base --data public/datasets/geo-tune.json --out public/models/tuned

import { join } from 'node:path';
import { Trainer } from '../src/train/trainer';
import { messageOf } from '../src/util/errors';
import { AdamW } from '../src/train/optimizer';
import { prepareInstructionData } from '../src/train/instructions';
import { evaluate } from '../src/train/step';
import { scaleOutFiles } from '../src/checkpoint/scaleOut';
import { atomicWrite, formatDuration, initNodeBackend, loadModelDir, numberFlag, parseArgs, readDataset, saveModelDir, templateById } from './lib/node';

const { flags } = parseArgs(process.argv.slice(2));

async function main(): Promise<void> {
  const modelDir = flags.get('model');
  const dataPath = flags.get('data');
  const outDir = flags.get('out');
  if (!modelDir || !dataPath || !outDir) {
    console.error('usage: npm run tune -- --model <dir> --data <dataset file> --out <dir> [--steps 80] [--lr 1e-4] [--batch 32] [--template plain] [--seed 1] [--train-on-inputs] [--pack]');
    process.exit(2);
  }
  const o = {
    steps: numberFlag(flags, 'steps', 80),
    learningRate: numberFlag(flags, 'lr', 1e-4),
    batchSize: numberFlag(flags, 'batch', 32),
    warmupSteps: numberFlag(flags, 'warmup', 5),
    minLrRatio: 0.1,
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
  console.log(`tune on ${backend}: ${modelDir} + ${dataPath} (${data.summary}); ${o.steps} steps x ${o.batchSize} rows, lr ${o.learningRate}, template ${o.template}`);
  const optimizer = new AdamW(base.model.params);
  const log: Array<[number, number]> = [];
  const valLog: Array<[number, number]> = [];
  let seconds = 0;
  await new Trainer(base.model, optimizer, data.source, o, {
    onStep: (i) => {
      seconds = i.elapsedSec;
      log.push([i.step, Math.round(i.loss * 1e4) / 1e4]);
      if (i.step % 10 === 0 || i.step === o.steps) {
        console.log(`step ${String(i.step).padStart(4)}/${o.steps}  loss ${i.loss.toFixed(4)}  ${i.tokensPerSec.toFixed(0)} tok/s  ETA ${i.etaSec === null ? '-' : formatDuration(i.etaSec)}`);
      }
    },
    onEval: (e) => {
      valLog.push([e.step, Math.round(e.valLoss * 1e4) / 1e4]);
      console.log(`step ${String(e.step).padStart(4)}/${o.steps}  validation loss ${e.valLoss.toFixed(4)}`);
    },
  }, data.evalBatches).run();
  const valLoss = data.evalBatches.length > 0 ? await evaluate(base.model, data.evalBatches) : NaN;
  const trainLoss = log.slice(-10).reduce((a, [, l]) => a + l, 0) / Math.min(10, log.length);
  const baseSteps = Number(base.meta.step ?? 0);
  const card = `# Instruct Studio instruction-tuned model

The base model (${modelDir}) fine-tuned on instruction-response pairs, so that asked a
question it answers instead of continuing with more questions.

| | |
|---|---|
| base | ${modelDir} (${baseSteps} pretraining steps) |
| config | vocab ${base.config.vocabSize}, context ${base.config.contextLength}, width ${base.config.width}, ${base.config.layers} layers, ${base.config.heads} heads |
| data | ${dataPath}: ${data.summary} ${data.trainExamples} train / ${data.valExamples} validation examples |
| template | ${o.template}; loss on ${o.trainOnInputs ? 'prompt and response' : 'response tokens only (plus the end-of-text token)'}${o.pack ? ', packed' : ''} |
| training | ${o.steps} steps x ${o.batchSize} rows of ${base.config.contextLength} tokens, AdamW lr ${o.learningRate} (${o.warmupSteps} warm-up steps, cosine to ${o.learningRate * o.minLrRatio}), clip ${o.gradClip}, seed ${o.seed} |
| final losses | train ${trainLoss.toFixed(4)} (mean of the last 10 steps), validation ${Number.isFinite(valLoss) ? valLoss.toFixed(4) : 'n/a'} |
| compute | ${formatDuration(seconds)} on tfjs ${backend} in Node |

Licence: CC0-1.0 (weights), by the Instruct Studio team; the data's sources are listed in public/datasets/README.md.

## Reproduce
\`\`\`sh
npm run tune -- --model ${modelDir} --data ${dataPath} --out ${outDir} --steps ${o.steps} --lr ${o.learningRate} --batch ${o.batchSize} --template ${o.template} --seed ${o.seed}${o.trainOnInputs ? ' --train-on-inputs' : ''}${o.pack ? ' --pack' : ''}
\`\`\`
`;
  await saveModelDir(outDir, base.model, base.tokenizer, { step: String(baseSteps + o.steps), kind: 'tuned', template: o.template, valLoss: String(valLoss), trainLoss: trainLoss.toFixed(4) }, card);
  atomicWrite(join(outDir, 'training-log.json'), `${JSON.stringify({ settings: o, loss: log, validation: valLog })}\n`);
  // The scale-out bundle: this data as TRL JSONL, train_trl.py with these settings, accelerate configs.
  const bundle = scaleOutFiles(examples, templateById(o.template), { steps: o.steps, learningRate: o.learningRate, batchSize: o.batchSize, warmupSteps: o.warmupSteps, trainOnInputs: o.trainOnInputs });
  for (const [name, text] of Object.entries(bundle)) atomicWrite(join(outDir, name), text);
  console.log(`done: train loss ${trainLoss.toFixed(4)}, validation loss ${valLoss.toFixed(4)} -> ${outDir}/`);
}

main().catch((e: unknown) => {
  console.error(`tune: ${messageOf(e)}`);
  process.exit(1);
});
