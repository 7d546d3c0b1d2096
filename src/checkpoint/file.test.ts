// encodeCheckpoint / decodeCheckpoint: the writer stamps the format the readers
// check, and plain Hugging Face files load given their config.json.

import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config';
import { initParameters } from '../model/gpt';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import { decodeCheckpoint, encodeCheckpoint } from './file';
import { tinyCheckpoint } from './fixtures';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, PLAIN_CHECKPOINT_VERSION } from './format';
import { initLora, LORA_TARGET_SETS, loraShapes, loraTargets } from '../model/lora';
import { readInfo } from './info';

describe('checkpoint encoding', () => {
  it('writes the format name and version that both readers check, and both refuse a newer version', () => {
    const bytes = tinyCheckpoint();
    const { metadata, tensors } = readSafetensors(bytes);
    expect(metadata.format).toBe(CHECKPOINT_FORMAT);
    // Files without LoRA state keep version 1's layout and number, so older studios read them.
    expect(metadata.format_version).toBe(String(PLAIN_CHECKPOINT_VERSION));
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

  it('keeps a LoRA run’s adapters, the base under them and their moments apart from the merged model, as version 2', () => {
    const cfg: ModelConfig = { vocabSize: 12, contextLength: 8, width: 16, layers: 1, heads: 2 };
    const weights = initParameters(cfg, 6);
    const adapters = initLora(cfg, 2, 3);
    const base = new Map(loraTargets(cfg).map((t) => [t.weight, { shape: [t.inSize, t.outSize], data: new Float32Array(t.inSize * t.outSize).fill(0.5) }]));
    const moments = new Map([...adapters].map(([k, v]) => [k, { shape: v.shape, data: new Float32Array(v.data.length).fill(0.25) }]));
    const bytes = encodeCheckpoint({ config: cfg, weights, optimizer: { step: 3, m: moments, v: moments }, lora: { rank: 2, alpha: 4, adapters, base }, meta: { tokenizer: '{}' } });
    const ck = decodeCheckpoint(bytes);
    expect(ck.meta.format_version).toBe(String(CHECKPOINT_VERSION));
    expect(ck.lora!.rank).toBe(2);
    expect(ck.lora!.alpha).toBe(4);
    expect([...ck.lora!.adapters.keys()]).toEqual(loraShapes(cfg, 2).map(([n]) => n));
    expect(Array.from(ck.lora!.base.get('transformer.h.0.mlp.c_fc.weight')!.data.slice(0, 3))).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(ck.weights.get('transformer.h.0.mlp.c_fc.weight')!.data)).toEqual(Array.from(weights.get('transformer.h.0.mlp.c_fc.weight')!.data));
    expect([...ck.optimizer!.m.keys()]).toEqual([...adapters.keys()]);
    const info = readInfo(bytes);
    expect(info.info.hasOptimizer).toBe(true);
    expect(info.weightNames.some((n) => n.startsWith('lora.'))).toBe(false);
    // A file missing an adapter says which.
    const { metadata, tensors } = readSafetensors(bytes);
    tensors.delete('lora.adapter.transformer.h.0.attn.c_proj.lora_B');
    expect(() => decodeCheckpoint(writeSafetensors(tensors, metadata))).toThrow('The LoRA adapter "transformer.h.0.attn.c_proj.lora_B" is missing.');
  });

  it('keeps which projections a LoRA run adapted, and needs only their adapters and base weights', () => {
    const cfg: ModelConfig = { vocabSize: 12, contextLength: 8, width: 16, layers: 1, heads: 2 };
    const targets = LORA_TARGET_SETS.attention;
    const adapters = initLora(cfg, 2, 3, targets);
    const base = new Map(loraTargets(cfg, targets).map((t) => [t.weight, { shape: [t.inSize, t.outSize], data: new Float32Array(t.inSize * t.outSize).fill(0.5) }]));
    const bytes = encodeCheckpoint({ config: cfg, weights: initParameters(cfg, 6), lora: { rank: 2, alpha: 4, targets, adapters, base }, meta: {} });
    const ck = decodeCheckpoint(bytes);
    expect(ck.lora!.targets).toEqual(['attn.c_attn', 'attn.c_proj']);
    expect([...ck.lora!.adapters.keys()]).toEqual(loraShapes(cfg, 2, targets).map(([n]) => n));
    expect([...ck.lora!.base.keys()]).toEqual(['transformer.h.0.attn.c_attn.weight', 'transformer.h.0.attn.c_proj.weight']);
    // Without the targets in its metadata, the same tensors read as a run that lost its MLP adapters.
    const { metadata, tensors } = readSafetensors(bytes);
    metadata.lora = JSON.stringify({ rank: 2, alpha: 4 });
    expect(() => decodeCheckpoint(writeSafetensors(tensors, metadata))).toThrow('The LoRA adapter "transformer.h.0.mlp.c_fc.lora_A" is missing.');
  });
});
