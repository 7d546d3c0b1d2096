// The Hugging Face export: a folder transformers loads, without optimizer state.

import { describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { fromHfConfig } from '../model/config';
import { initParameters } from '../model/gpt';
import { readSafetensors } from '../model/safetensors';
import { TINY_CONFIG as config, TINY_TOKENIZER as tokenizer, tinyCheckpoint } from './fixtures';
import { hfZip } from './hf';

describe('hfZip', () => {
  it('exports a Hugging Face style folder: weights without optimizer state, config.json, tokenizer.json', () => {
    const zip = hfZip('Tuned!', tinyCheckpoint({ name: 'Tuned!' }));
    expect(zip.fileName).toBe('tuned.zip');
    const files = unzipSync(zip.bytes);
    expect(Object.keys(files).filter((f) => !f.endsWith('/')).sort()).toEqual(['tuned/config.json', 'tuned/model.safetensors', 'tuned/tokenizer.json']);
    const model = readSafetensors(files['tuned/model.safetensors']!);
    expect([...model.tensors.keys()].some((n) => n.startsWith('optimizer.'))).toBe(false);
    const weights = initParameters(config, 1);
    expect(model.tensors.size).toBe(weights.size);
    expect(Array.from(model.tensors.get('transformer.wte.weight')!.data)).toEqual(Array.from(weights.get('transformer.wte.weight')!.data));
    const hf = JSON.parse(strFromU8(files['tuned/config.json']!)) as Record<string, unknown>;
    expect(hf).toMatchObject({ model_type: 'gpt2', n_embd: 8 });
    expect(fromHfConfig(hf)).toEqual(config);
    expect(strFromU8(files['tuned/tokenizer.json']!)).toBe(tokenizer);
  });

  it('refuses a file that is not a studio checkpoint, naming the checkpoint', () => {
    expect(() => hfZip('Broken', new Uint8Array(4))).toThrow(/The checkpoint "Broken" is not a usable checkpoint/);
  });
});
