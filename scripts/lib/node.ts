// Shared helpers for the Node scripts: backend set-up, model folders (the
// Hugging Face layout: model.safetensors + config.json + tokenizer.json) and
// atomic file writes, so an interrupted script never leaves a half-written file.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { ModelConfig } from '../../src/model/config';
import { hfMetadataFiles } from '../../src/checkpoint/hfMetadata';
import { GPT } from '../../src/model/gpt';
import { BpeTokenizer } from '../../src/tokenizer/bpe';
import { encodeCheckpoint } from '../../src/checkpoint/file';
import { readHfModel } from '../../src/checkpoint/hfImport';
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

/**
 * Loads a model folder: the studio's own or any Hugging Face GPT-2 folder, through
 * the same reader as the browser's import; throws a message naming the bad file and field.
 */
export function loadModelDir(dir: string): ModelDir {
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder.`);
  const files = new Map<string, Uint8Array>();
  for (const f of readdirSync(dir)) if (/\.(json|safetensors)$/.test(f)) files.set(f, readFileSync(join(dir, f)));
  try {
    const m = readHfModel(files);
    return { model: GPT.fromWeights(m.config, m.weights), tokenizer: m.tokenizer, config: m.config, meta: m.meta };
  } catch (e) {
    throw new Error(`${dir}/${(e as Error).message}`);
  }
}

/**
 * Writes a complete Hugging Face model folder: weights only (no optimizer state),
 * tokenizer.json, and config, generation config, tokenizer config (with the chat
 * template of `meta.template`, the studio's default when absent), special tokens
 * map and the model card.
 */
export async function saveModelDir(dir: string, model: GPT, tokenizer: BpeTokenizer, meta: Record<string, string>, card: string): Promise<void> {
  atomicWrite(join(dir, 'model.safetensors'), encodeCheckpoint({ config: model.config, weights: await model.readWeights(), meta }));
  atomicWrite(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
  writeModelMetadata(dir, model.config, tokenizer, meta.template, card);
}

/** Writes the metadata files of a model folder (not the weights or tokenizer.json). */
export function writeModelMetadata(dir: string, config: ModelConfig, tokenizer: BpeTokenizer, templateId: string | undefined, card: string): void {
  const template = templateId ? templateById(templateId) : undefined;
  for (const [name, text] of Object.entries(hfMetadataFiles({ config, tokenizer, template }, { body: card }))) {
    atomicWrite(join(dir, name), text);
  }
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

/** Phrasing labels from the records' `source` field, where the file is a JSON array of records that have one. */
export function phrasingLabels(path: string, n: number): string[] | null {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Array<{ source?: unknown }>;
    if (!Array.isArray(raw) || raw.length < n) return null;
    const labels = raw.slice(0, n).map((r) => (typeof r.source === 'string' ? r.source.split('/').pop()! : ''));
    return labels.every((l) => l) ? labels : null;
  } catch {
    return null;
  }
}

/**
 * Every `every`-th row of a dataset file, at most `limit` of them, with each kept row's
 * phrasing label (null when the file does not name its phrasings).
 */
export function pickRows(path: string, every: number, limit?: number): { examples: Example[]; phrasings: string[] | null } {
  const all = readDataset(path);
  const labels = phrasingLabels(path, all.length);
  const kept = all.map((_, i) => i).filter((i) => i % every === 0).slice(0, limit ?? all.length);
  return { examples: kept.map((i) => all[i]!), phrasings: labels ? kept.map((i) => labels[i]!) : null };
}

/** Rows grouped by a key, in the order keys first appear; rows with an empty key are left out. */
export function groupBy<T>(rows: readonly T[], key: (row: T, k: number) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  rows.forEach((row, k) => {
    const g = key(row, k);
    if (g) groups.set(g, [...(groups.get(g) ?? []), row]);
  });
  return groups;
}

/** A built-in prompt template by id. */
export function templateById(id: string): PromptTemplate {
  const t = getTemplate(id);
  if (!t) throw new Error(`Unknown template "${id}": use one of ${BUILTIN_TEMPLATES.map((b) => b.id).join(', ')}.`);
  return t;
}
