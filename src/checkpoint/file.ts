// Encoding and decoding a whole checkpoint: parameters, AdamW moments and
// metadata (layout in format.ts). The worker and the Node scripts use this to
// save and resume; the UI thread reads files with readInfo (info.ts), which
// needs no tf.

import { fromHfConfig, toHfConfig, type ModelConfig } from '../model/config';
import type { HostTensor } from '../model/gpt';
import { assertLoraState, type LoraState } from '../model/lora';
import { parameterShapes } from '../model/params';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../model/safetensors';
import type { RunCapture } from '../train/session';
import type { CapturedCheckpoint, CheckpointInfo } from './info';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CheckpointFileError, checkVersion, isStudioCheckpoint, LORA_PREFIX, META, MOMENT_PREFIX, PLAIN_CHECKPOINT_VERSION } from './format';

export interface OptimizerState {
  step: number;
  m: Map<string, HostTensor>;
  v: Map<string, HostTensor>;
}

export interface Checkpoint {
  config: ModelConfig;
  weights: Map<string, HostTensor>;
  optimizer?: OptimizerState;
  /** A LoRA run's adapters and the unmerged weights under them; `weights` are then the merged model. */
  lora?: LoraState;
  /** Free-form string metadata (META keys: name, step, tokenizer, run, ...). */
  meta: Record<string, string>;
}

/** Writes the parameters in HF order, then the moments, then any LoRA state, with the format's metadata over `ck.meta`. */
export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  const entries: Array<[string, StoredTensor]> = [];
  for (const [name] of parameterShapes(ck.config)) {
    const w = ck.weights.get(name);
    if (!w) throw new Error(`Cannot save: parameter "${name}" is missing.`);
    entries.push([name, { dtype: 'F32', shape: w.shape, data: w.data }]);
  }
  if (ck.optimizer) {
    for (const [prefix, src] of [[MOMENT_PREFIX.m, ck.optimizer.m], [MOMENT_PREFIX.v, ck.optimizer.v]] as const) {
      for (const [name, t] of src) entries.push([`${prefix}${name}`, { dtype: 'F32', shape: t.shape, data: t.data }]);
    }
  }
  if (ck.lora) {
    for (const [prefix, src] of [[LORA_PREFIX.adapter, ck.lora.adapters], [LORA_PREFIX.base, ck.lora.base]] as const) {
      for (const [name, t] of src) entries.push([`${prefix}${name}`, { dtype: 'F32', shape: t.shape, data: t.data }]);
    }
  }
  const metadata: Record<string, string> = {
    ...ck.meta,
    [META.format]: CHECKPOINT_FORMAT,
    [META.version]: String(ck.lora ? CHECKPOINT_VERSION : PLAIN_CHECKPOINT_VERSION),
    [META.config]: JSON.stringify(toHfConfig(ck.config)),
  };
  if (ck.lora) metadata[META.lora] = JSON.stringify({ rank: ck.lora.rank, alpha: ck.lora.alpha, ...(ck.lora.targets ? { targets: ck.lora.targets } : {}) });
  if (ck.optimizer) metadata[META.optimizerStep] = String(ck.optimizer.step);
  return writeSafetensors(entries, metadata);
}

/**
 * Reads a checkpoint, or a plain HF model.safetensors. `configJson` (an HF
 * config.json) is needed when the file has no config in its metadata, as plain
 * HF files do. Throws a SafetensorsError for a file that is not safetensors and
 * a CheckpointFileError for one that does not hold a model of its config.
 */
export function decodeCheckpoint(bytes: ArrayBuffer | Uint8Array, configJson?: string): Checkpoint {
  const file = readSafetensors(bytes);
  const meta = { ...file.metadata };
  if (isStudioCheckpoint(meta)) checkVersion(meta, 'This checkpoint');
  let config: ModelConfig;
  try {
    const json = configJson ?? meta[META.config];
    if (!json) throw new Error('the file has no config in its metadata and no config.json was given');
    config = fromHfConfig(JSON.parse(json) as Record<string, unknown>);
  } catch (e) {
    throw new CheckpointFileError(`Cannot read the model config: ${(e as Error).message}.`);
  }
  const weights = new Map<string, HostTensor>();
  const m = new Map<string, HostTensor>();
  const v = new Map<string, HostTensor>();
  const adapters = new Map<string, HostTensor>();
  const base = new Map<string, HostTensor>();
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') continue;
    const host = { shape: t.shape, data: t.data as Float32Array };
    if (name.startsWith(LORA_PREFIX.adapter)) adapters.set(name.slice(LORA_PREFIX.adapter.length), host);
    else if (name.startsWith(LORA_PREFIX.base)) base.set(name.slice(LORA_PREFIX.base.length), host);
    else if (name.startsWith(MOMENT_PREFIX.v)) v.set(name.slice(MOMENT_PREFIX.v.length), host);
    else if (name.startsWith(MOMENT_PREFIX.m)) m.set(name.slice(MOMENT_PREFIX.m.length), host);
    // HF files may carry the tied LM head (kept only when the config unties it) and may drop the "transformer." prefix.
    else if (name === 'lm_head.weight') {
      if (config.tiedHead === false) weights.set(name, host);
    } else weights.set(name.startsWith('transformer.') ? name : `transformer.${name}`, host);
  }
  for (const [name, shape] of parameterShapes(config)) {
    const w = weights.get(name);
    if (!w) throw new CheckpointFileError(`The checkpoint has no tensor "${name}": it is not a GPT-2 model of this config.`);
    if (w.shape.join() !== shape.join()) {
      throw new CheckpointFileError(`Tensor "${name}" has shape [${w.shape.join(', ')}] but the config needs [${shape.join(', ')}].`);
    }
  }
  const ck: Checkpoint = { config, weights, meta };
  const optimizerStep = meta[META.optimizerStep];
  if (m.size > 0 && optimizerStep !== undefined) ck.optimizer = { step: Number(optimizerStep), m, v };
  const loraMeta = meta[META.lora];
  if (loraMeta !== undefined) {
    try {
      const spec = JSON.parse(loraMeta) as Omit<LoraState, 'adapters' | 'base'>;
      const lora: LoraState = { rank: spec.rank, alpha: spec.alpha, ...(spec.targets !== undefined ? { targets: spec.targets } : {}), adapters, base };
      assertLoraState(config, lora);
      ck.lora = lora;
    } catch (e) {
      throw new CheckpointFileError(`The checkpoint's LoRA adapters cannot be used: ${(e as Error).message} The merged model in it still loads as a plain GPT-2 in other tools.`);
    }
  }
  return ck;
}

/** A session's capture as a checkpoint file and what the file says about itself. */
export function encodeCapture(c: RunCapture): CapturedCheckpoint {
  const bytes = encodeCheckpoint({
    config: c.config,
    weights: c.weights,
    ...(c.optimizer ? { optimizer: c.optimizer } : {}),
    ...(c.lora ? { lora: c.lora } : {}),
    meta: {
      [META.step]: String(c.step),
      [META.name]: c.name,
      ...(c.named ? { [META.named]: 'true' } : {}),
      [META.tokenizer]: c.tokenizerJson,
      [META.createdAt]: String(c.createdAt),
      ...(c.run ? { [META.run]: JSON.stringify(c.run) } : {}),
    },
  });
  const info: CheckpointInfo = { name: c.name, ...(c.named ? { named: true } : {}), step: c.step, config: c.config, hasOptimizer: c.optimizer !== null, run: c.run, createdAt: c.createdAt };
  return { reason: c.reason, bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, info };
}
