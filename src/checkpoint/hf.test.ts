// The Hugging Face export: a folder transformers loads, without optimizer state.

import { describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { fromHfConfig } from '../model/config';
import { initParameters } from '../model/gpt';
import { readSafetensors } from '../model/safetensors';
import { TINY_CONFIG as config, TINY_TOKENIZER as tokenizer, tinyCheckpoint } from './fixtures';
import { hfZip } from './hf';

describe('hfZip', () => {
  it('exports a complete Hugging Face folder: weights without optimizer state, tokenizer, metadata, scale-out bundle', () => {
    const zip = hfZip('Tuned!', tinyCheckpoint({ name: 'Tuned!' }));
    expect(zip.fileName).toBe('tuned.zip');
    const files = unzipSync(zip.bytes);
    expect(Object.keys(files).filter((f) => !f.endsWith('/')).sort()).toEqual(
      [
        'README.md',
        'SCALE_OUT.md',
        'accelerate_deepspeed_zero2.yaml',
        'accelerate_multi_gpu.yaml',
        'config.json',
        'generation_config.json',
        'model.safetensors',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'train_trl.py',
      ].map((f) => `tuned/${f}`),
    );
    const tc = JSON.parse(strFromU8(files['tuned/tokenizer_config.json']!)) as Record<string, unknown>;
    expect(tc).toMatchObject({ eos_token: '<|endoftext|>', pad_token: '<|pad|>', model_max_length: config.contextLength });
    expect(tc.chat_template).toContain('Question: ');
    expect(JSON.parse(strFromU8(files['tuned/config.json']!))).toMatchObject({ bos_token_id: 256, eos_token_id: 256, pad_token_id: 257 });
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

  it('writes the tuning data as TRL JSONL when it is given', () => {
    const example = { id: '1', source: 't', kind: 'instruction' as const, instruction: 'Capital of France?', response: 'Paris' };
    const files = unzipSync(hfZip('T', tinyCheckpoint(), [example]).bytes);
    expect(strFromU8(files['t/data/prompt_completion.jsonl']!)).toBe('{"prompt":"Question: Capital of France?\\nAnswer:","completion":" Paris<|endoftext|>"}\n');
    expect(strFromU8(files['t/data/messages.jsonl']!)).toContain('"role":"assistant","content":"Paris"');
  });

  it('refuses a file that is not a studio checkpoint, naming the checkpoint', () => {
    expect(() => hfZip('Broken', new Uint8Array(4))).toThrow(/The checkpoint "Broken" is not a usable checkpoint/);
  });
});
