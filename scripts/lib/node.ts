// Shared helpers for the Node scripts: backend set-up, model folders (the
// Hugging Face layout: model.safetensors + config.json + tokenizer.json) and
// atomic file writes, so an interrupted script never leaves a half-written file.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { toHfConfig, type ModelConfig } from '../../src/model/config';
import { GPT } from '../../src/model/gpt';
import { BpeTokenizer } from '../../src/tokenizer/bpe';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/checkpoint/file';
import { importDataset } from '../../src/data/import';
import { decodeDatasetBytes } from '../../src/data/encoding';
import type { Example } from '../../src/data/schema';
import { BUILTIN_TEMPLATES, getTemplate, type PromptTemplate } from '../../src/data/templates';

/** wasm (SIMD) by default: ~20x faster than the pure-JS cpu backend here. */
export async function initNodeBackend(name = process.env.TFJS_BACKEND ?? 'wasm'): Promise<string> {
  if (!(await tf.setBackend(name))) throw new Error(`The tfjs backend "${name}" could not start.`);
  await tf.ready();
  return tf.getBackend();
}

export function atomicWrite(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export interface ModelDir {
  model: GPT;
  tokenizer: BpeTokenizer;
  config: ModelConfig;
  meta: Record<string, string>;
}

/** Loads a model folder; throws a message naming the missing or bad file. */
export function loadModelDir(dir: string): ModelDir {
  for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) {
    if (!existsSync(join(dir, f))) throw new Error(`${dir} is not a model folder: ${f} is missing (expected model.safetensors, config.json, tokenizer.json).`);
  }
  const ck = decodeCheckpoint(readFileSync(join(dir, 'model.safetensors')), readFileSync(join(dir, 'config.json'), 'utf8'));
  const tokenizer = BpeTokenizer.fromJSON(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
  if (tokenizer.vocabSize > ck.config.vocabSize) throw new Error(`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${ck.config.vocabSize}.`);
  return { model: GPT.fromWeights(ck.config, ck.weights), tokenizer, config: ck.config, meta: ck.meta };
}

/** Writes a model folder: weights only (no optimizer state), HF config, tokenizer and a model card. */
export async function saveModelDir(dir: string, model: GPT, tokenizer: BpeTokenizer, meta: Record<string, string>, card: string): Promise<void> {
  atomicWrite(join(dir, 'model.safetensors'), encodeCheckpoint({ config: model.config, weights: await model.readWeights(), meta }));
  atomicWrite(join(dir, 'config.json'), `${JSON.stringify(toHfConfig(model.config), null, 2)}\n`);
  atomicWrite(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
  atomicWrite(join(dir, 'README.md'), card);
}

/** --name value and --flag arguments. */
export function parseArgs(argv: string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (inline !== undefined) flags.set(k, inline);
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) flags.set(k, argv[++i]!);
      else flags.set(k, 'true');
    } else positional.push(a);
  }
  return { flags, positional };
}

export function numberFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${v}".`);
  return n;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Reads an instruction dataset file with the studio's importers; throws the importer's located message. */
export function readDataset(path: string): Example[] {
  if (!existsSync(path)) throw new Error(`${path}: no such file.`);
  const decoded = decodeDatasetBytes(readFileSync(path), path);
  if (!decoded.ok) throw new Error(decoded.error.message);
  const result = importDataset(decoded.text, { fileName: path, dedupe: { near: false } });
  if (!result.ok) throw new Error(result.error.message);
  return result.examples;
}

/** A built-in prompt template by id. */
export function templateById(id: string): PromptTemplate {
  const t = getTemplate(id);
  if (!t) throw new Error(`Unknown template "${id}": use one of ${BUILTIN_TEMPLATES.map((b) => b.id).join(', ')}.`);
  return t;
}
