// encodeCheckpoint / decodeCheckpoint: the writer stamps the format the readers
// check, and plain Hugging Face files load given their config.json.

import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config';
import { initParameters } from '../model/gpt';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import { decodeCheckpoint, encodeCheckpoint } from './file';
import { tinyCheckpoint } from './fixtures';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './format';
import { readInfo } from './info';

describe('checkpoint encoding', () => {
  it('writes the format name and version that both readers check, and both refuse a newer version', () => {
    const bytes = tinyCheckpoint();
    const { metadata, tensors } = readSafetensors(bytes);
    expect(metadata.format).toBe(CHECKPOINT_FORMAT);
    expect(metadata.format_version).toBe(String(CHECKPOINT_VERSION));
    expect(readInfo(bytes).info.hasOptimizer).toBe(true);
    expect(decodeCheckpoint(bytes).optimizer!.step).toBe(4);
    const newer = writeSafetensors(tensors, { ...metadata, format_version: String(CHECKPOINT_VERSION + 1) });
    expect(() => decodeCheckpoint(newer)).toThrow(/newer Instruct Studio.*Update the studio/);
    expect(() => readInfo(newer)).toThrow(/newer Instruct Studio.*Update the studio/);
  });

  it('loads a plain HF model.safetensors with names lacking "transformer." given its config.json', () => {
    const cfg: ModelConfig = { vocabSize: 12, contextLength: 8, width: 16, layers: 1, heads: 2 };
    const weights = initParameters(cfg, 6);
    const bytes = writeSafetensors([...weights].map(([k, v]) => [k.replace(/^transformer\./, ''), { shape: v.shape, data: v.data }]));
    const ck = decodeCheckpoint(bytes, JSON.stringify({ n_embd: 16, n_head: 2, n_layer: 1, n_positions: 8, vocab_size: 12 }));
    expect([...ck.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    expect(() => decodeCheckpoint(bytes)).toThrow(/no config/);
    expect(() => decodeCheckpoint(bytes, JSON.stringify({ n_embd: 16, n_head: 2, n_layer: 2, n_positions: 8, vocab_size: 12 }))).toThrow(/transformer.h.1/);
  });

  it('keeps an untied head (an imported HF model) through encode and decode, and drops a tied one', () => {
    const untied: ModelConfig = { vocabSize: 12, contextLength: 8, width: 16, layers: 1, heads: 2, tiedHead: false, activation: 'relu' };
    const weights = initParameters(untied, 7);
    const back = decodeCheckpoint(encodeCheckpoint({ config: untied, weights, meta: {} }));
    expect(back.config).toEqual(untied);
    expect(Array.from(back.weights.get('lm_head.weight')!.data)).toEqual(Array.from(weights.get('lm_head.weight')!.data));
    const tied = decodeCheckpoint(writeSafetensors([...weights].map(([k, v]) => [k, { shape: v.shape, data: v.data }])), JSON.stringify({ n_embd: 16, n_head: 2, n_layer: 1, n_positions: 8, vocab_size: 12 }));
    expect(tied.weights.has('lm_head.weight')).toBe(false);
  });
});
