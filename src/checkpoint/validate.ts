// The import check: a checkpoint file is stored only when loading it would
// work. readInfo (info.ts) checks the container, the format, the config and
// the number of values; this adds what the worker's load needs and what makes a
// model usable after it: the config buildable, every tensor of the config
// present under its name with its shape and float32 data, the optimizer moments
// whole, the tokenizer readable and no larger than the model's vocabulary, the
// weights finite, and the step and run metadata in range. Tf-free, so it runs
// on the UI thread before anything is written.

import { validateConfig, type ModelConfig } from '../model/config';
import { parameterShapes } from '../model/params';
import type { SafetensorsFile, StoredTensor } from '../model/safetensors';
import { BpeTokenizer } from '../tokenizer/bpe';
import { DEFAULT_TRAIN_OPTIONS, trainOptionProblems } from '../train/options';
import { messageOf } from '../util/errors';
import { loraShapes, loraSpecProblems, loraTargets, loraTargetsProblem, type LoraSpec } from '../model/lora';
import { CheckpointFileError, LORA_PREFIX, META, MOMENT_PREFIX } from './format';
import { describeFile, parseFile, type CheckpointFile } from './info';

/** No studio run gets near this many steps (a run has at most 1,000,000); a larger count is a damaged or forged file. */
export const MAX_CHECKPOINT_STEP = 100_000_000;

/**
 * Reads a file to import and checks that it would load and run: the checked
 * file, or a CheckpointFileError that names `fileName`, the tensor or field,
 * and what is wrong.
 */
export function readImportable(bytes: ArrayBuffer | Uint8Array, fileName = 'The file'): CheckpointFile {
  const file = parseFile(bytes, fileName);
  const checked = describeFile(file, fileName);
  const config = checked.info.config;
  checkConfig(config, fileName);
  checkTensors(file, config, checked.info.hasOptimizer, loraSpecOf(file.metadata, config, fileName), fileName);
  checkTokenizer(checked.tokenizerJson, config, fileName);
  checkMetadata(file.metadata, checked, fileName);
  return checked;
}

function refuse(fileName: string, what: string): never {
  throw new CheckpointFileError(`${fileName} cannot be loaded: ${what}`);
}

function checkConfig(config: ModelConfig, fileName: string): void {
  const problems = validateConfig(config);
  if (problems.length > 0) refuse(fileName, `its config cannot be built. ${problems.map((p) => p.message).join(' ')}`);
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Index of the first value that is NaN or infinite, or -1. */
function firstNonFinite(data: StoredTensor['data']): number {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) return i;
  }
  return -1;
}

/** A LoRA run's rank, alpha and targets from the metadata; null for a file of a full run. */
function loraSpecOf(meta: Record<string, string>, config: ModelConfig, fileName: string): LoraSpec | null {
  const raw = meta[META.lora];
  if (raw === undefined) return null;
  let spec: { rank: unknown; alpha: unknown; targets?: unknown };
  try {
    spec = JSON.parse(raw) as { rank: unknown; alpha: unknown; targets?: unknown };
  } catch {
    refuse(fileName, `its LoRA settings ${JSON.stringify(raw)} are not valid JSON.`);
  }
  const problems = loraSpecProblems(spec ?? {}, config.width).map((p) => p.message);
  const targetsProblem = loraTargetsProblem(spec?.targets);
  if (targetsProblem) problems.push(targetsProblem);
  if (problems.length > 0) refuse(fileName, `its LoRA settings are out of range. ${problems.join(' ')}`);
  return spec as LoraSpec;
}

function checkTensors(file: SafetensorsFile, config: ModelConfig, hasOptimizer: boolean, lora: LoraSpec | null, fileName: string): void {
  const shapes = new Map(parameterShapes(config));
  // A LoRA run keeps its adapters and the weights under them; its moments are the adapters'.
  const adapters = new Map(lora ? loraShapes(config, lora.rank, lora.targets) : []);
  const base = new Map(lora ? loraTargets(config, lora.targets).map((t): [string, number[]] => [t.weight, [t.inSize, t.outSize]]) : []);
  const trained = lora ? adapters : shapes;
  const expected = (name: string): number[] | undefined => {
    if (name.startsWith(MOMENT_PREFIX.v)) return trained.get(name.slice(MOMENT_PREFIX.v.length));
    if (name.startsWith(MOMENT_PREFIX.m)) return trained.get(name.slice(MOMENT_PREFIX.m.length));
    if (name.startsWith(LORA_PREFIX.adapter)) return adapters.get(name.slice(LORA_PREFIX.adapter.length));
    if (name.startsWith(LORA_PREFIX.base)) return base.get(name.slice(LORA_PREFIX.base.length));
    return shapes.get(name);
  };
  for (const [name, t] of file.tensors) {
    const shape = expected(name);
    if (!shape) refuse(fileName, `it holds a tensor "${name}" that is no parameter (or optimizer moment) of its config (${describeConfig(config)}).`);
    if (t.dtype !== 'F32') refuse(fileName, `tensor "${name}" holds ${t.dtype} values; the model needs float32 (F32, F16 or BF16 in the file).`);
    if (t.shape.join() !== shape.join()) {
      refuse(fileName, `tensor "${name}" has shape ${shapeText(t.shape)} but its config (${describeConfig(config)}) needs ${shapeText(shape)}.`);
    }
    const bad = firstNonFinite(t.data);
    if (bad >= 0) {
      refuse(fileName, `tensor "${name}" holds ${String(t.data[bad])} at index ${bad}; a model with NaN or infinite values only produces garbage. Import an earlier checkpoint of the run.`);
    }
  }
  for (const [name] of shapes) {
    if (!file.tensors.has(name)) refuse(fileName, `it has no tensor "${name}", which its config needs.`);
  }
  for (const [name] of adapters) {
    if (!file.tensors.has(`${LORA_PREFIX.adapter}${name}`)) refuse(fileName, `its LoRA state has no adapter "${name}".`);
  }
  for (const [name] of base) {
    if (!file.tensors.has(`${LORA_PREFIX.base}${name}`)) refuse(fileName, `its LoRA state has no base weight "${name}".`);
  }
  if (!hasOptimizer) return;
  for (const [name] of trained) {
    for (const prefix of [MOMENT_PREFIX.m, MOMENT_PREFIX.v]) {
      if (!file.tensors.has(`${prefix}${name}`)) refuse(fileName, `its optimizer state has no "${prefix}${name}", so its run cannot continue.`);
    }
  }
}

function describeConfig(c: ModelConfig): string {
  return `vocabulary ${c.vocabSize}, context ${c.contextLength}, width ${c.width}, ${c.layers} layers, ${c.heads} heads`;
}

function checkTokenizer(json: string, config: ModelConfig, fileName: string): void {
  let tokenizer: BpeTokenizer;
  try {
    tokenizer = BpeTokenizer.fromJSON(JSON.parse(json));
  } catch (e) {
    refuse(fileName, `its tokenizer cannot be read (${messageOf(e)}).`);
  }
  if (tokenizer.vocabSize > config.vocabSize) {
    refuse(fileName, `its tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary only ${config.vocabSize}: every token id needs an embedding row.`);
  }
}

/** A whole number in [0, max], from a metadata string; undefined when absent. */
function wholeField(meta: Record<string, string>, key: string, max: number, fileName: string): number | undefined {
  const raw = meta[key];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < 0 || v > max) {
    refuse(fileName, `its "${key}" is ${JSON.stringify(raw)}; it must be a whole number from 0 to ${max.toLocaleString('en-US')}.`);
  }
  return v;
}

function checkMetadata(meta: Record<string, string>, checked: CheckpointFile, fileName: string): void {
  wholeField(meta, META.step, MAX_CHECKPOINT_STEP, fileName);
  wholeField(meta, META.optimizerStep, MAX_CHECKPOINT_STEP, fileName);
  wholeField(meta, META.createdAt, Number.MAX_SAFE_INTEGER, fileName);
  const run = checked.info.run;
  if (!run) return;
  // Settings added after the file was written take their defaults, as a resume does.
  const problems = trainOptionProblems({ ...DEFAULT_TRAIN_OPTIONS, ...run.options });
  if (problems.length > 0) refuse(fileName, `its run settings are out of range. ${problems.map((p) => p.message).join(' ')}`);
  if (run.totalSteps !== run.options.steps) refuse(fileName, `its run says ${run.totalSteps} steps in all but its settings say ${run.options.steps}.`);
  if (run.runStep > run.totalSteps) refuse(fileName, `its run is at step ${run.runStep} of ${run.totalSteps}.`);
  if (run.runStep > checked.info.step) refuse(fileName, `its run is at step ${run.runStep} but the model has had only ${checked.info.step} steps.`);
  const bad = [...run.lossHistory, ...run.valHistory].find((p) => !Number.isFinite(p.loss) || !Number.isInteger(p.step) || p.step < 0 || p.step > run.totalSteps);
  if (bad) refuse(fileName, `its loss history has a point ${JSON.stringify(bad)} outside the run.`);
}
