// What a checkpoint file says about itself. The engine writes checkpoints with
// src/train/checkpoint.ts (safetensors: weights, optional AdamW moments, string
// metadata) and adds the metadata keys below; the UI thread reads them back here
// without TensorFlow.js, to list, import and export checkpoints.

import { fromHfConfig, paramCount, type ModelConfig } from '../model/config';
import { readSafetensors, SafetensorsError } from '../model/safetensors';
import { hashString } from '../data/schema';
import type { CheckpointInfo } from '../checkpoint/info';
import type { RunState, TrainingData } from '../train/run';

/** Must equal CHECKPOINT_FORMAT in src/train/checkpoint.ts (kept here so this file needs no tf). */
export const CHECKPOINT_FORMAT_NAME = 'instruct-studio';
/** The newest format_version this reader understands; must equal CHECKPOINT_VERSION. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** Metadata keys the engine adds to a checkpoint, beside format, format_version, config and optimizer_step. */
export const META = {
  name: 'name',
  step: 'step',
  /** The HF tokenizer.json, so one file is enough to load the model again. */
  tokenizer: 'tokenizer',
  createdAt: 'created_at',
  /** JSON of RunState: present when a run has trained this model. */
  run: 'run',
} as const;

export class CheckpointFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFileError';
  }
}

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
export function readCheckpointFile(bytes: ArrayBuffer | Uint8Array, fileName = 'The file'): CheckpointFile {
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    const why = e instanceof SafetensorsError ? e.message : String(e);
    throw new CheckpointFileError(`${fileName} is not a usable checkpoint. ${why}`);
  }
  const meta = file.metadata;
  if (meta.format !== CHECKPOINT_FORMAT_NAME) {
    throw new CheckpointFileError(
      `${fileName} is a safetensors file but not an Instruct Studio checkpoint (its metadata has no "format": "${CHECKPOINT_FORMAT_NAME}"). ` +
        'Import checkpoints exported from this studio; to compare a plain Hugging Face model, add it to public/models.',
    );
  }
  const version = Number(meta.format_version);
  if (!Number.isInteger(version) || version < 1) throw new CheckpointFileError(`${fileName} has an unreadable format_version "${meta.format_version ?? ''}".`);
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointFileError(
      `${fileName} was written by a newer Instruct Studio (format version ${version}; this one reads up to ${CHECKPOINT_FORMAT_VERSION}). Update the studio to open it.`,
    );
  }
  let config: ModelConfig;
  try {
    config = fromHfConfig(JSON.parse(meta.config ?? 'null') as Record<string, unknown>);
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
  for (const [name, t] of file.tensors) {
    if (name.startsWith('optimizer.')) momentValues += t.data.length;
    else {
      weightNames.push(name);
      weightValues += t.data.length;
    }
  }
  const expected = paramCount(config);
  if (weightValues !== expected) {
    throw new CheckpointFileError(`${fileName} holds ${weightValues} parameter values but its config needs ${expected}: the file is damaged or incomplete.`);
  }
  const hasOptimizer = momentValues > 0 && meta.optimizer_step !== undefined;
  if (hasOptimizer && momentValues !== 2 * expected) {
    throw new CheckpointFileError(`${fileName} holds ${momentValues} optimizer values but needs ${2 * expected}: the file is damaged or incomplete.`);
  }
  let run: RunState | null = null;
  if (meta[META.run]) {
    try {
      run = parseRunState(JSON.parse(meta[META.run]!));
    } catch (e) {
      throw new CheckpointFileError(`${fileName} has unreadable run metadata: ${(e as Error).message}`);
    }
  }
  const step = Number(meta[META.step] ?? meta.optimizer_step ?? 0);
  const createdAt = Number(meta[META.createdAt] ?? 0);
  return {
    info: {
      name: meta[META.name] ?? 'Checkpoint',
      step: Number.isFinite(step) ? step : 0,
      config,
      hasOptimizer,
      run,
      createdAt: Number.isFinite(createdAt) ? createdAt : 0,
    },
    configJson: meta.config!,
    tokenizerJson,
    weightNames,
  };
}

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
  if (r.dataKind !== 'text' && r.dataKind !== 'instructions') throw new Error('"dataKind" must be text or instructions');
  return {
    runStep: int('runStep'),
    totalSteps: int('totalSteps'),
    options: r.options as RunState['options'],
    samplerState: r.samplerState,
    dataHash: r.dataHash,
    dataKind: r.dataKind,
    ...(typeof r.datasetId === 'string' ? { datasetId: r.datasetId } : {}),
    ...(typeof r.template === 'object' && r.template !== null ? { template: r.template as RunState['template'] } : {}),
    lossHistory: points('lossHistory'),
    valHistory: points('valHistory'),
  };
}

/**
 * Fingerprint of what a run learns from: the text, or the examples with the
 * template and encoding switches. Sampling settings live in TrainOptions.
 */
export function dataFingerprint(data: TrainingData): string {
  const canonical =
    data.kind === 'text'
      ? ['text', data.text]
      : ['instructions', data.examples, data.template, data.trainOnInputs, data.pack, data.overflow];
  return hashString(JSON.stringify(canonical));
}
