// A checkpoint is one safetensors file: the model's parameters under their HF
// names, optionally the AdamW moments under "optimizer.exp_avg.<name>" and
// "optimizer.exp_avg_sq.<name>", and metadata (format version, config, step).
// The parameters alone are a valid HF GPT-2 model.safetensors.

import { fromHfConfig, toHfConfig, type ModelConfig } from '../model/config';
import { parameterShapes, type HostTensor } from '../model/gpt';
import { readSafetensors, SafetensorsError, writeSafetensors, type StoredTensor } from '../model/safetensors';

export const CHECKPOINT_FORMAT = 'instruct-studio';
export const CHECKPOINT_VERSION = 1;

export interface OptimizerState {
  step: number;
  m: Map<string, HostTensor>;
  v: Map<string, HostTensor>;
}

export interface Checkpoint {
  config: ModelConfig;
  weights: Map<string, HostTensor>;
  optimizer?: OptimizerState;
  /** Free-form string metadata (training step, template, data hash, ...). */
  meta: Record<string, string>;
}

export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  const entries: Array<[string, StoredTensor]> = [];
  for (const [name] of parameterShapes(ck.config)) {
    const w = ck.weights.get(name);
    if (!w) throw new Error(`Cannot save: parameter "${name}" is missing.`);
    entries.push([name, { dtype: 'F32', shape: w.shape, data: w.data }]);
  }
  if (ck.optimizer) {
    for (const [prefix, src] of [['optimizer.exp_avg', ck.optimizer.m], ['optimizer.exp_avg_sq', ck.optimizer.v]] as const) {
      for (const [name, t] of src) entries.push([`${prefix}.${name}`, { dtype: 'F32', shape: t.shape, data: t.data }]);
    }
  }
  const metadata: Record<string, string> = {
    ...ck.meta,
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    config: JSON.stringify(toHfConfig(ck.config)),
  };
  if (ck.optimizer) metadata.optimizer_step = String(ck.optimizer.step);
  return writeSafetensors(entries, metadata);
}

/**
 * Reads a checkpoint. `configJson` (an HF config.json) is needed when the file has
 * no config in its metadata, as plain HF model.safetensors files do.
 */
export function decodeCheckpoint(bytes: ArrayBuffer | Uint8Array, configJson?: string): Checkpoint {
  const file = readSafetensors(bytes);
  const meta = { ...file.metadata };
  const version = meta.format_version !== undefined ? Number(meta.format_version) : undefined;
  if (meta.format === CHECKPOINT_FORMAT && version !== undefined && version > CHECKPOINT_VERSION) {
    throw new SafetensorsError(
      `This checkpoint was written by a newer Instruct Studio (format version ${version}; this one reads up to ${CHECKPOINT_VERSION}). Update the studio to open it.`,
    );
  }
  let config: ModelConfig;
  try {
    const json = configJson ?? meta.config;
    if (!json) throw new Error('the file has no config in its metadata and no config.json was given');
    config = fromHfConfig(JSON.parse(json) as Record<string, unknown>);
  } catch (e) {
    throw new SafetensorsError(`Cannot read the model config: ${(e as Error).message}.`);
  }
  const weights = new Map<string, HostTensor>();
  const m = new Map<string, HostTensor>();
  const v = new Map<string, HostTensor>();
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') continue;
    const host = { shape: t.shape, data: t.data as Float32Array };
    if (name.startsWith('optimizer.exp_avg_sq.')) v.set(name.slice('optimizer.exp_avg_sq.'.length), host);
    else if (name.startsWith('optimizer.exp_avg.')) m.set(name.slice('optimizer.exp_avg.'.length), host);
    else if (name !== 'lm_head.weight') weights.set(name.startsWith('transformer.') ? name : `transformer.${name}`, host);
  }
  for (const [name, shape] of parameterShapes(config)) {
    const w = weights.get(name);
    if (!w) throw new SafetensorsError(`The checkpoint has no tensor "${name}": it is not a GPT-2 model of this config.`);
    if (w.shape.join() !== shape.join()) {
      throw new SafetensorsError(`Tensor "${name}" has shape [${w.shape.join(', ')}] but the config needs [${shape.join(', ')}].`);
    }
  }
  const ck: Checkpoint = { config, weights, meta };
  if (m.size > 0 && meta.optimizer_step !== undefined) ck.optimizer = { step: Number(meta.optimizer_step), m, v };
  return ck;
}
