import { describe, expect, it } from 'vitest';
import { fromHfConfig, paramCount, PRESETS, toHfConfig, validateConfig, type ModelConfig } from './config';

const ok: ModelConfig = { vocabSize: 512, contextLength: 64, width: 128, layers: 4, heads: 4 };

describe('model config', () => {
  it('accepts every preset', () => {
    for (const p of PRESETS) expect(validateConfig(p.config)).toEqual([]);
  });

  it('counts parameters like GPT-2 (the S config has 0.87M)', () => {
    expect(paramCount(ok)).toBe(867_072);
  });

  it('names the value and the reason for each problem', () => {
    const msgs = (c: Partial<ModelConfig>) => validateConfig(c).map((p) => `${p.field}: ${p.message}`);
    expect(msgs({ ...ok, width: 130 })).toEqual([expect.stringMatching(/^width: width = 130 is not divisible by heads = 4.*try 128/)]);
    expect(msgs({ ...ok, contextLength: 0 })).toEqual([expect.stringMatching(/^contextLength: contextLength = 0 is out of range/)]);
    expect(msgs({ ...ok, layers: 2.5 })).toEqual([expect.stringMatching(/^layers: layers must be a whole number/)]);
    expect(msgs({ ...ok, heads: undefined })).toEqual([expect.stringMatching(/^heads: heads is missing/)]);
    expect(validateConfig(ok, { tokenizerVocab: 600 })[0]!.message).toMatch(/smaller than the tokenizer's 600/);
    expect(validateConfig(ok, { batchSize: 0 })[0]!.field).toBe('batchSize');
  });

  it('refuses a model too large for the device limits, naming the buffer', () => {
    const limits = { maxBufferBytes: 2 ** 27, maxBindingBytes: 2 ** 27, memoryBudgetBytes: 2 ** 30 };
    const big: ModelConfig = { vocabSize: 50257, contextLength: 1024, width: 768, layers: 12, heads: 12 };
    const problems = validateConfig(big, { batchSize: 8, limits });
    expect(problems.map((p) => p.field)).toEqual(['memory', 'memory']);
    expect(problems[0]!.message).toMatch(/logits .* needs 1570\.5 MiB in one buffer, but the device allows at most 128\.0 MiB/);
    expect(validateConfig(ok, { batchSize: 8, limits })).toEqual([]);
  });

  it('maps to and from Hugging Face GPT-2 config.json', () => {
    const hf = toHfConfig(ok);
    expect(hf).toMatchObject({ model_type: 'gpt2', n_embd: 128, n_head: 4, n_layer: 4, n_positions: 64, vocab_size: 512, tie_word_embeddings: true });
    expect(fromHfConfig(hf)).toEqual(ok);
    expect(() => fromHfConfig({ ...hf, n_head: 3 })).toThrow(/not divisible/);
  });
});
