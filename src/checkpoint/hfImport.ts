// Reads a Hugging Face GPT-2 model folder (model.safetensors, config.json,
// tokenizer.json, optionally tokenizer_config.json), from a dropped folder or
// zip in the browser or from disk in Node, into what the studio builds a
// model from. Every check runs before any tensor is created: a bad folder is
// refused whole, with the file and the field that are wrong, and nothing is
// stored. float16 and bfloat16 weights are widened to float32 as they are read.

import { fromHfConfig, UnsupportedConfigError, validateConfig, type DeviceLimits, type ModelConfig } from '../model/config';
import type { HostTensor } from '../model/gpt';
import { parameterShapes } from '../model/params';
import { readSafetensors } from '../model/safetensors';
import { BpeTokenizer } from '../tokenizer/bpe';
import { chatTemplateOf } from '../data/chatTemplate';
import { BUILTIN_TEMPLATES } from '../data/templates';
import { messageOf } from '../util/errors';
import { unzipSync } from 'fflate';
import { encodeCheckpoint } from './file';
import { META } from './format';

/** A refusal naming the file and, where one is to blame, the field. */
export class HfImportError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'HfImportError';
  }
}

/** Zip files start with a local file header, "PK\x03\x04". */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * The files of a zipped HF folder (at the top or in one folder, as the studio's
 * HF zip has them). Only the files a model needs are inflated.
 */
export function unzipHfFolder(bytes: Uint8Array, zipName: string): Map<string, Uint8Array> {
  const wanted = new Set(['config.json', 'tokenizer.json', 'model.safetensors', 'tokenizer_config.json']);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (f) => wanted.has(f.name.split('/').pop()!) });
  } catch (e) {
    throw new HfImportError(zipName, undefined, `is not a readable zip (${messageOf(e)}).`);
  }
  const out = new Map<string, Uint8Array>();
  for (const [path, data] of Object.entries(entries)) {
    const name = path.split('/').pop()!;
    if (out.has(name)) throw new HfImportError(zipName, name, `holds more than one ${name}: zip one model folder at a time.`);
    out.set(name, data);
  }
  return out;
}

export interface HfModel {
  config: ModelConfig;
  /** Parameters under the studio's (HF GPT-2) names, float32. */
  weights: Map<string, HostTensor>;
  tokenizer: BpeTokenizer;
  /** The safetensors metadata (the studio's own exports keep step, template, ... there). */
  meta: Record<string, string>;
  /** The built-in template whose chat template tokenizer_config.json carries, if any. */
  templateId?: string;
}

const REQUIRED = ['config.json', 'tokenizer.json', 'model.safetensors'] as const;

/**
 * Not parameters: buffers HF saved with older GPT-2 checkpoints (the causal mask), and
 * the AdamW moments of a studio checkpoint file placed in a folder as model.safetensors.
 */
const IGNORED = /\.attn\.(masked_)?bias$|^optimizer\./;

function text(file: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HfImportError(file, undefined, 'is not UTF-8 text.');
  }
}

function json(file: string, bytes: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text(file, bytes));
  } catch (e) {
    if (e instanceof HfImportError) throw e;
    throw new HfImportError(file, undefined, `is not valid JSON (${messageOf(e)}).`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HfImportError(file, undefined, 'must hold a JSON object.');
  return v as Record<string, unknown>;
}

/**
 * Files by name (a folder's or a zip's; paths are reduced to their last part) to a
 * studio model. `limits`: refuse a model the device cannot hold before reading weights.
 */
export function readHfModel(files: ReadonlyMap<string, Uint8Array>, opts: { limits?: DeviceLimits } = {}): HfModel {
  const byName = new Map<string, Uint8Array>();
  for (const [path, bytes] of files) byName.set(path.split('/').pop()!, bytes);
  for (const f of REQUIRED) {
    if (!byName.has(f)) {
      throw new HfImportError(f, undefined, `is missing: a Hugging Face GPT-2 folder needs ${REQUIRED.join(', ')} (tokenizer_config.json optional).`);
    }
  }

  // 1. The config, and whether the device can hold the model, before any weight is read.
  const hf = json('config.json', byName.get('config.json')!);
  let config: ModelConfig;
  try {
    config = fromHfConfig(hf);
  } catch (e) {
    if (e instanceof UnsupportedConfigError) throw new HfImportError('config.json', e.field, e.message);
    throw new HfImportError('config.json', undefined, messageOf(e));
  }
  if (opts.limits) {
    const problems = validateConfig(config, { limits: opts.limits, batchSize: 1 });
    if (problems.length > 0) throw new HfImportError('config.json', 'memory', problems.map((p) => p.message).join(' '));
  }

  // 2. The tokenizer, which must fit the model's embedding.
  let tokenizer: BpeTokenizer;
  try {
    tokenizer = BpeTokenizer.fromJSON(text('tokenizer.json', byName.get('tokenizer.json')!));
  } catch (e) {
    throw new HfImportError('tokenizer.json', undefined, messageOf(e).replace(/^tokenizer\.json: /, ''));
  }
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new HfImportError('tokenizer.json', 'vocab_size', `has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}: every token needs an embedding row.`);
  }
  let templateId: string | undefined;
  const tc = byName.get('tokenizer_config.json');
  if (tc) {
    const chat = json('tokenizer_config.json', tc).chat_template;
    if (typeof chat === 'string') templateId = BUILTIN_TEMPLATES.find((t) => chatTemplateOf(t) === chat)?.id;
  }

  // 3. The weights: every parameter the config needs, in its shape, nothing unknown.
  let file;
  try {
    file = readSafetensors(byName.get('model.safetensors')!);
  } catch (e) {
    throw new HfImportError('model.safetensors', undefined, messageOf(e));
  }
  const expected = new Map(parameterShapes(config));
  const weights = new Map<string, HostTensor>();
  for (const [raw, t] of file.tensors) {
    if (IGNORED.test(raw)) continue;
    const name = raw.startsWith('transformer.') || raw === 'lm_head.weight' ? raw : `transformer.${raw}`;
    if (name === 'lm_head.weight' && config.tiedHead !== false) continue; // tied: the head is wte
    const shape = expected.get(name);
    if (!shape) {
      throw new HfImportError('model.safetensors', raw, `has a tensor "${raw}" that a GPT-2 model of this config.json does not have.`);
    }
    if (t.dtype !== 'F32') throw new HfImportError('model.safetensors', raw, `tensor "${raw}" is ${t.dtype}; weights must be floating point.`);
    if (t.shape.join() !== shape.join()) {
      throw new HfImportError(
        'model.safetensors',
        raw,
        `tensor "${raw}" has shape [${t.shape.join(', ')}] but config.json (n_embd ${config.width}, vocab_size ${config.vocabSize}, n_positions ${config.contextLength}) needs [${shape.join(', ')}].`,
      );
    }
    weights.set(name, { shape: t.shape, data: t.data as Float32Array });
  }
  for (const [name, shape] of expected) {
    if (!weights.has(name)) {
      const why = name === 'lm_head.weight' ? ' (config.json has tie_word_embeddings false)' : '';
      throw new HfImportError('model.safetensors', name, `has no tensor "${name}" [${shape.join(', ')}]${why}.`);
    }
  }
  const out: HfModel = { config, weights, tokenizer, meta: file.metadata };
  if (templateId) out.templateId = templateId;
  return out;
}

/**
 * An HF folder's files as a studio checkpoint file (weights, config and tokenizer;
 * step 0, no optimizer state), ready to store, load, compare, tune and export.
 */
export function hfCheckpointFromFiles(
  files: ReadonlyMap<string, Uint8Array>,
  opts: { name: string; limits?: DeviceLimits; now?: number },
): { bytes: Uint8Array; model: HfModel } {
  const model = readHfModel(files, opts.limits ? { limits: opts.limits } : {});
  const tokenizerJson = new TextDecoder().decode([...files].find(([p]) => p.split('/').pop() === 'tokenizer.json')![1]);
  const meta: Record<string, string> = {
    [META.name]: opts.name,
    [META.step]: '0',
    [META.tokenizer]: tokenizerJson,
    [META.createdAt]: String(opts.now ?? Date.now()),
  };
  if (model.templateId) meta.template = model.templateId;
  return { bytes: encodeCheckpoint({ config: model.config, weights: model.weights, meta }), model };
}
