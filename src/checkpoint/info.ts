// What a checkpoint says about itself: read from its safetensors header and
// metadata without tf, so lists, imports and exports on the UI thread never
// need the model. Whole-tensor encoding and decoding is in file.ts.

import { fromHfConfig, paramCount, type ModelConfig } from '../model/config';
import { readSafetensors, SafetensorsError, type SafetensorsFile } from '../model/safetensors';
import type { CheckpointReason, RunState } from '../train/run';
import { withTuningDefaults } from '../train/options';
import { CHECKPOINT_FORMAT, CheckpointFileError, checkVersion, isLoraTensor, isOptimizerTensor, isStudioCheckpoint, LORA_PREFIX, META } from './format';

export type { CheckpointReason };

export interface CheckpointInfo {
  name: string;
  /** True when the user gave the model this name (see META.named). */
  named?: boolean;
  /** Optimizer steps the model has had, across runs. */
  step: number;
  config: ModelConfig;
  hasOptimizer: boolean;
  /** Null when no run has trained this model since it was created or loaded. */
  run: RunState | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A checkpoint file and what it says about itself. */
export interface CapturedCheckpoint {
  reason: CheckpointReason;
  bytes: ArrayBuffer;
  info: CheckpointInfo;
}

/** A checked checkpoint file: its description and what an export needs. */
export interface CheckpointFile {
  info: CheckpointInfo;
  configJson: string;
  tokenizerJson: string;
  /** Parameter tensors (not optimizer moments), by name, as stored. */
  weightNames: string[];
}

/**
 * Reads and checks a checkpoint file: a complete safetensors file written by the
 * studio, with config, tokenizer and every parameter of that config. Throws a
 * CheckpointFileError that names `fileName` and says what is wrong.
 */
export function readInfo(bytes: ArrayBuffer | Uint8Array, fileName = 'The file'): CheckpointFile {
  return describeFile(parseFile(bytes, fileName), fileName);
}

/** The safetensors container of a checkpoint; a truncated or foreign file is a CheckpointFileError naming `fileName`. */
export function parseFile(bytes: ArrayBuffer | Uint8Array, fileName: string): SafetensorsFile {
  try {
    return readSafetensors(bytes);
  } catch (e) {
    const why = e instanceof SafetensorsError ? e.message : String(e);
    throw new CheckpointFileError(`${fileName} is not a usable checkpoint. ${why}`);
  }
}

/** readInfo on a file already parsed. */
export function describeFile(file: SafetensorsFile, fileName: string): CheckpointFile {
  const meta = file.metadata;
  if (!isStudioCheckpoint(meta)) {
    throw new CheckpointFileError(
      `${fileName} is a safetensors file but not an Instruct Studio checkpoint (its metadata has no "format": "${CHECKPOINT_FORMAT}"). ` +
        'Import checkpoints exported from this studio here; a Hugging Face model folder or zip goes in through "Import a Hugging Face GPT-2 model".',
    );
  }
  checkVersion(meta, fileName);
  let config: ModelConfig;
  try {
    config = fromHfConfig(JSON.parse(meta[META.config] ?? 'null') as Record<string, unknown>);
  } catch (e) {
    throw new CheckpointFileError(`${fileName} has no readable model config: ${(e as Error).message}`);
  }
  const tokenizerJson = meta[META.tokenizer];
  if (!tokenizerJson) throw new CheckpointFileError(`${fileName} has no tokenizer in its metadata, so its token ids cannot be read.`);
  try {
    JSON.parse(tokenizerJson);
  } catch {
    throw new CheckpointFileError(`${fileName} has a tokenizer that is not valid JSON.`);
  }
  // Every parameter of the config must be there, no more and no less.
  const weightNames: string[] = [];
  let weightValues = 0;
  let momentValues = 0;
  // A LoRA run's moments are its adapters'.
  let adapterValues = 0;
  for (const [name, t] of file.tensors) {
    if (isOptimizerTensor(name)) momentValues += t.data.length;
    else if (isLoraTensor(name)) {
      if (name.startsWith(LORA_PREFIX.adapter)) adapterValues += t.data.length;
    } else {
      weightNames.push(name);
      weightValues += t.data.length;
    }
  }
  const expected = paramCount(config);
  if (weightValues !== expected) {
    throw new CheckpointFileError(`${fileName} holds ${weightValues} parameter values but its config needs ${expected}: the file is damaged or incomplete.`);
  }
  const hasOptimizer = momentValues > 0 && meta[META.optimizerStep] !== undefined;
  const trained = meta[META.lora] !== undefined ? adapterValues : expected;
  if (hasOptimizer && momentValues !== 2 * trained) {
    throw new CheckpointFileError(`${fileName} holds ${momentValues} optimizer values but needs ${2 * trained}: the file is damaged or incomplete.`);
  }
  let run: RunState | null = null;
  if (meta[META.run]) {
    try {
      run = parseRunState(JSON.parse(meta[META.run]!));
    } catch (e) {
      throw new CheckpointFileError(`${fileName} has unreadable run metadata: ${(e as Error).message}`);
    }
  }
  const step = Number(meta[META.step] ?? meta[META.optimizerStep] ?? 0);
  const createdAt = Number(meta[META.createdAt] ?? 0);
  return {
    info: {
      name: meta[META.name] ?? 'Checkpoint',
      ...(meta[META.named] === 'true' && meta[META.name] ? { named: true } : {}),
      step: Number.isFinite(step) ? step : 0,
      config,
      hasOptimizer,
      run,
      createdAt: Number.isFinite(createdAt) ? createdAt : 0,
    },
    configJson: meta[META.config]!,
    tokenizerJson,
    weightNames,
  };
}

/** Checks the run metadata field by field, so a damaged file is refused rather than resumed wrongly. */
function parseRunState(raw: unknown): RunState {
  if (typeof raw !== 'object' || raw === null) throw new Error('not an object');
  const r = raw as Record<string, unknown>;
  const int = (k: string) => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`"${k}" must be a whole number`);
    return v;
  };
  const points = (k: string) => {
    const v = r[k] ?? [];
    if (!Array.isArray(v) || !v.every((p) => typeof p?.step === 'number' && typeof p?.loss === 'number')) throw new Error(`"${k}" must be a list of {step, loss}`);
    return v as RunState['lossHistory'];
  };
  if (typeof r.options !== 'object' || r.options === null) throw new Error('"options" is missing');
  if (typeof r.dataHash !== 'string') throw new Error('"dataHash" is missing');
  if (r.dataKind !== 'text' && r.dataKind !== 'instructions' && r.dataKind !== 'mix') throw new Error('"dataKind" must be text, instructions or mix');
  return {
    runStep: int('runStep'),
    totalSteps: int('totalSteps'),
    // Runs saved before LoRA trained in full and lack the tuning fields.
    options: withTuningDefaults(r.options as RunState['options']),
    samplerState: r.samplerState,
    dataHash: r.dataHash,
    dataKind: r.dataKind,
    ...(typeof r.datasetId === 'string' ? { datasetId: r.datasetId } : {}),
    ...(typeof r.template === 'object' && r.template !== null ? { template: r.template as RunState['template'] } : {}),
    lossHistory: points('lossHistory'),
    valHistory: points('valHistory'),
    ...(typeof r.elapsedSec === 'number' && Number.isFinite(r.elapsedSec) && r.elapsedSec >= 0 ? { elapsedSec: r.elapsedSec } : {}),
  };
}
