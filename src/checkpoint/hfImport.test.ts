import { describe, expect, it } from 'vitest';
import { HfImportError, readHfModel } from './hfImport';
import { hfMetadataFiles } from './hfMetadata';
import { initParameters } from '../model/gpt';
import { toHfConfig, type ModelConfig } from '../model/config';
import { writeSafetensors } from '../model/safetensors';
import { BpeTokenizer } from '../tokenizer/bpe';
import { PLAIN_TEMPLATE } from '../data/templates';

const enc = new TextEncoder();
const tokenizer = BpeTokenizer.train('the capital of France is Paris. '.repeat(20), { vocabSize: 270 });
const config: ModelConfig = { vocabSize: 272, contextLength: 8, width: 8, layers: 1, heads: 2 };

/** A folder as HF writes it: names without "transformer." are also accepted, as GPT2Model saves them. */
function folder(c: ModelConfig = config, opts: { rename?: (n: string) => string; extra?: Record<string, unknown> } = {}): Map<string, Uint8Array> {
  const weights = initParameters(c, 3);
  const tensors: Array<[string, { shape: number[]; data: Float32Array }]> = [...weights].map(([n, t]) => [opts.rename ? opts.rename(n) : n, t]);
  const files = new Map<string, Uint8Array>();
  files.set('model.safetensors', writeSafetensors(tensors, { format: 'pt' }));
  files.set('config.json', enc.encode(JSON.stringify({ ...toHfConfig(c), ...opts.extra })));
  files.set('tokenizer.json', enc.encode(JSON.stringify(tokenizer.toJSON())));
  return files;
}

function refusal(files: Map<string, Uint8Array>, opts?: Parameters<typeof readHfModel>[1]): HfImportError {
  try {
    readHfModel(files, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(HfImportError);
    return e as HfImportError;
  }
  throw new Error('expected a refusal');
}

describe('reading a Hugging Face GPT-2 folder', () => {
  it('gives the weights, config and tokenizer it was written from', () => {
    const m = readHfModel(folder(config, { rename: (n) => n.replace(/^transformer\./, '') }));
    expect(m.config).toEqual(config);
    expect(Array.from(m.weights.get('transformer.h.0.mlp.c_fc.weight')!.data)).toEqual(Array.from(initParameters(config, 3).get('transformer.h.0.mlp.c_fc.weight')!.data));
    expect(m.tokenizer.vocabSize).toBe(tokenizer.vocabSize);
    expect(m.meta).toEqual({ format: 'pt' });
  });

  it("finds the studio template from an exported tokenizer_config.json's chat template", () => {
    const files = folder();
    const meta = hfMetadataFiles({ config, tokenizer, template: PLAIN_TEMPLATE });
    files.set('tokenizer_config.json', enc.encode(meta['tokenizer_config.json']!));
    expect(readHfModel(files).templateId).toBe('plain');
  });

  it('keeps an untied lm_head and requires it when the config unties the head', () => {
    const untied = { ...config, tiedHead: false };
    expect(readHfModel(folder(untied)).weights.has('lm_head.weight')).toBe(true);
    const files = folder(untied);
    files.set('model.safetensors', folder(config).get('model.safetensors')!);
    const e = refusal(files);
    expect(e.message).toMatch(/model\.safetensors: has no tensor "lm_head\.weight" .*tie_word_embeddings false/);
  });

  it.each(['config.json', 'tokenizer.json', 'model.safetensors'])('refuses a folder without %s, naming it', (name) => {
    const files = folder();
    files.delete(name);
    const e = refusal(files);
    expect(e.file).toBe(name);
    expect(e.message).toContain(`${name}: is missing`);
  });

  it('refuses an architecture other than GPT-2, naming config.json and model_type', () => {
    const e = refusal(folder(config, { extra: { model_type: 'llama', architectures: ['LlamaForCausalLM'] } }));
    expect([e.file, e.field]).toEqual(['config.json', 'model_type']);
    expect(e.message).toContain('model_type = "llama"');
  });

  it('refuses a safetensors header larger than the file', () => {
    const files = folder();
    const bytes = files.get('model.safetensors')!.slice();
    new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length * 10), true);
    files.set('model.safetensors', bytes);
    const e = refusal(files);
    expect(e.file).toBe('model.safetensors');
    expect(e.message).toMatch(/header claims \d+ bytes but the file has/);
  });

  it('refuses a tensor whose shape disagrees with the config, naming the tensor and the config', () => {
    const files = folder();
    files.set('config.json', enc.encode(JSON.stringify({ ...toHfConfig(config), n_positions: 16 })));
    const e = refusal(files);
    expect([e.file, e.field]).toEqual(['model.safetensors', 'transformer.wpe.weight']);
    expect(e.message).toContain('has shape [8, 8] but config.json (n_embd 8, vocab_size 272, n_positions 16) needs [16, 8]');
  });

  it('refuses a tokenizer larger than the embedding', () => {
    const e = refusal(folder({ ...config, vocabSize: 260 }));
    expect([e.file, e.field]).toEqual(['tokenizer.json', 'vocab_size']);
  });

  it('refuses a model too large for the device before reading any weight', () => {
    const files = folder({ ...config, vocabSize: 50257, contextLength: 1024, width: 768, layers: 12, heads: 12 });
    files.set('model.safetensors', new Uint8Array(4)); // never read: the size check comes first
    const e = refusal(files, { limits: { maxBufferBytes: 2 ** 26, maxBindingBytes: 2 ** 26, memoryBudgetBytes: 2 ** 28 } });
    expect([e.file, e.field]).toEqual(['config.json', 'memory']);
    expect(e.message).toMatch(/does not fit this device/);
  });
});
