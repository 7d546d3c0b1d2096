// The import check on real malformed files: each is a checkpoint the studio
// wrote, then cut, reshaped or edited the way a damaged or hand-made file
// would be. Each is refused with a message naming the file and the tensor or
// field; the ones that used to pass import and fail only at Load are shown to
// fail at Load too (openModelFiles, the worker's own reader).

import { describe, expect, it } from 'vitest';
import { initParameters } from '../model/gpt';
import { initLora, LORA_TARGET_SETS, loraTargets } from '../model/lora';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../model/safetensors';
import { BpeTokenizer } from '../tokenizer/bpe';
import { openModelFiles } from '../worker/models';
import { TINY_TOKENIZER, tinyCheckpoint, tinyRunState } from './fixtures';
import { encodeCheckpoint } from './file';
import { CheckpointFileError, META } from './format';
import { readInfo } from './info';
import { readImportable } from './validate';

const good = () => tinyCheckpoint({ name: 'tiny', step: 4 });

/** The file with its tensors and metadata changed by `edit`, written again as safetensors. */
function rewrite(bytes: Uint8Array, edit: (tensors: Map<string, StoredTensor>, meta: Record<string, string>) => void): Uint8Array {
  const f = readSafetensors(bytes);
  const tensors = new Map(f.tensors);
  const meta = { ...f.metadata };
  edit(tensors, meta);
  return writeSafetensors(tensors, meta);
}

function transpose(t: StoredTensor): StoredTensor {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
  return { dtype: 'F32', shape: [c, r], data: out };
}

const refusal = (bytes: Uint8Array): string => {
  try {
    readImportable(bytes, '"bad.safetensors"');
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointFileError);
    return (e as Error).message;
  }
  throw new Error('the file was accepted');
};

/** True when the worker's load refuses the file. */
const loadFails = (bytes: Uint8Array): boolean => {
  try {
    openModelFiles('bad', bytes.slice().buffer as ArrayBuffer, '', '');
    return false;
  } catch {
    return true;
  }
};

describe('readImportable', () => {
  it('accepts what the studio writes, as readInfo reads it, and the worker loads it', () => {
    const bytes = good();
    expect(readImportable(bytes).info).toEqual(readInfo(bytes).info);
    expect(loadFails(bytes)).toBe(false);
    expect(readImportable(tinyCheckpoint({ withRun: false })).info.hasOptimizer).toBe(false);
  });

  it('refuses a truncated file, naming it', () => {
    const bytes = good();
    for (const cut of [0, 7, 100, Math.floor(bytes.length / 2), bytes.length - 1]) {
      expect(refusal(bytes.slice(0, cut))).toMatch(/^"bad.safetensors" is not a usable checkpoint\. /);
    }
  });

  it('refuses a transposed (or flattened) tensor, naming it and both shapes', () => {
    const name = 'transformer.h.0.attn.c_attn.weight';
    const transposed = rewrite(good(), (t) => t.set(name, transpose(t.get(name)!)));
    expect(refusal(transposed)).toBe(
      `"bad.safetensors" cannot be loaded: tensor "${name}" has shape [24, 8] but its config (vocabulary 260, context 8, width 8, 1 layers, 2 heads) needs [8, 24].`,
    );
    expect(loadFails(transposed)).toBe(true);
    const flat = rewrite(good(), (t) => {
      const w = t.get('transformer.wpe.weight')!;
      t.set('transformer.wpe.weight', { ...w, shape: [w.data.length] });
    });
    expect(refusal(flat)).toMatch(/tensor "transformer\.wpe\.weight" has shape \[64\] but its config .* needs \[8, 8\]\.$/);
    expect(loadFails(flat)).toBe(true);
  });

  it('refuses a config whose vocabulary and context are swapped (the same number of values)', () => {
    const swapped = rewrite(tinyCheckpoint({ withRun: false }), (_t, meta) => {
      const hf = JSON.parse(meta[META.config]!) as Record<string, number>;
      [hf.vocab_size, hf.n_positions] = [hf.n_positions!, hf.vocab_size!];
      hf.n_ctx = hf.n_positions;
      meta[META.config] = JSON.stringify(hf);
    });
    // readInfo counts values only, so it took this file; load did not.
    expect(() => readInfo(swapped)).not.toThrow();
    expect(loadFails(swapped)).toBe(true);
    expect(refusal(swapped)).toMatch(/tensor "transformer\.wte\.weight" has shape \[260, 8\] but its config \(vocabulary 8, context 260, /);
  });

  it('refuses a missing tensor, a tensor the config has no place for, and integer data', () => {
    expect(refusal(rewrite(good(), (t) => t.delete('transformer.ln_f.bias')))).toMatch(/^"bad.safetensors" is not a usable checkpoint|has no tensor|holds \d+ parameter values/);
    const extra = rewrite(tinyCheckpoint({ withRun: false }), (t) => {
      const bias = t.get('transformer.ln_f.bias')!;
      t.delete('transformer.ln_f.bias');
      t.set('transformer.ln_f.biases', bias);
    });
    expect(refusal(extra)).toMatch(/it holds a tensor "transformer\.ln_f\.biases" that is no parameter \(or optimizer moment\) of its config/);
    expect(loadFails(extra)).toBe(true);
    const ints = rewrite(tinyCheckpoint({ withRun: false }), (t) => {
      const w = t.get('transformer.ln_f.weight')!;
      t.set('transformer.ln_f.weight', { dtype: 'I32', shape: w.shape, data: new Int32Array(w.data.length) });
    });
    expect(refusal(ints)).toBe('"bad.safetensors" cannot be loaded: tensor "transformer.ln_f.weight" holds I32 values; the model needs float32 (F32, F16 or BF16 in the file).');
    expect(loadFails(ints)).toBe(true);
  });

  it('refuses optimizer state that lacks a moment', () => {
    const bytes = rewrite(good(), (t) => {
      // Same number of moment values, one tensor renamed away.
      const m = t.get('optimizer.exp_avg.transformer.wpe.weight')!;
      t.delete('optimizer.exp_avg.transformer.wpe.weight');
      t.set('optimizer.exp_avg.transformer.wpe.weights', m);
    });
    expect(refusal(bytes)).toMatch(/it holds a tensor "optimizer\.exp_avg\.transformer\.wpe\.weights" that is no parameter/);
    const missing = rewrite(good(), (t) => {
      const m = t.get('optimizer.exp_avg.transformer.wpe.weight')!;
      t.delete('optimizer.exp_avg.transformer.wpe.weight');
      t.set('optimizer.exp_avg_sq.transformer.wpe.weight', m);
    });
    expect(refusal(missing)).toMatch(/^"bad\.safetensors" holds \d+ optimizer values but needs \d+: the file is damaged or incomplete\.$/);
  });

  it('refuses a missing, empty, broken or too large tokenizer', () => {
    const noTokenizer = rewrite(good(), (_t, meta) => delete meta[META.tokenizer]);
    expect(refusal(noTokenizer)).toBe('"bad.safetensors" has no tokenizer in its metadata, so its token ids cannot be read.');
    expect(loadFails(noTokenizer)).toBe(true);
    const empty = rewrite(good(), (_t, meta) => (meta[META.tokenizer] = '{}'));
    expect(refusal(empty)).toBe('"bad.safetensors" cannot be loaded: its tokenizer cannot be read (tokenizer.json: model is missing (expected an object with type "BPE")).');
    expect(loadFails(empty)).toBe(true);
    const noBytes = rewrite(good(), (_t, meta) => {
      const doc = JSON.parse(TINY_TOKENIZER) as { model: { vocab: Record<string, number> } };
      delete doc.model.vocab['A'];
      meta[META.tokenizer] = JSON.stringify(doc);
    });
    expect(refusal(noBytes)).toMatch(/its tokenizer cannot be read \(tokenizer\.json: model\.vocab lacks the token 'A' for byte <0x41>; byte-level BPE needs all 256\)\.$/);
    expect(loadFails(noBytes)).toBe(true);
    const big = rewrite(good(), (_t, meta) => (meta[META.tokenizer] = JSON.stringify(BpeTokenizer.train('abcabcabd abd abc '.repeat(20), { vocabSize: 262 }).toJSON())));
    expect(refusal(big)).toBe('"bad.safetensors" cannot be loaded: its tokenizer has 262 tokens but the model\'s vocabulary only 260: every token id needs an embedding row.');
    expect(loadFails(big)).toBe(true);
  });

  it('refuses NaN or infinite weights, naming the tensor and the index', () => {
    const nan = rewrite(good(), (t) => {
      const w = t.get('transformer.h.0.mlp.c_fc.weight')!;
      const data = Float32Array.from(w.data);
      data[5] = NaN;
      t.set('transformer.h.0.mlp.c_fc.weight', { ...w, data });
    });
    expect(refusal(nan)).toMatch(/^"bad\.safetensors" cannot be loaded: tensor "transformer\.h\.0\.mlp\.c_fc\.weight" holds NaN at index 5; /);
    const inf = rewrite(good(), (t) => {
      const w = t.get('optimizer.exp_avg_sq.transformer.wte.weight')!;
      t.set('optimizer.exp_avg_sq.transformer.wte.weight', { ...w, data: new Float32Array(w.data.length).fill(Infinity) });
    });
    expect(refusal(inf)).toMatch(/tensor "optimizer\.exp_avg_sq\.transformer\.wte\.weight" holds Infinity at index 0/);
  });

  it('refuses a step, optimizer step or run out of range', () => {
    expect(refusal(rewrite(good(), (_t, m) => (m[META.step] = '1000000000')))).toBe(
      '"bad.safetensors" cannot be loaded: its "step" is "1000000000"; it must be a whole number from 0 to 100,000,000.',
    );
    expect(refusal(rewrite(good(), (_t, m) => (m[META.optimizerStep] = '2.5')))).toMatch(/its "optimizer_step" is "2\.5"/);
    expect(refusal(rewrite(good(), (_t, m) => (m[META.step] = '-3')))).toMatch(/its "step" is "-3"/);
    const runPast = rewrite(good(), (_t, m) => (m[META.run] = JSON.stringify({ ...tinyRunState(4), runStep: 30 })));
    expect(refusal(runPast)).toBe('"bad.safetensors" cannot be loaded: its run is at step 30 of 20.');
    const badOptions = rewrite(good(), (_t, m) => (m[META.run] = JSON.stringify({ ...tinyRunState(4), options: { ...tinyRunState(4).options, learningRate: -1 } })));
    expect(refusal(badOptions)).toMatch(/^"bad\.safetensors" cannot be loaded: its run settings are out of range\. /);
  });

  it('takes an older file whose run lacks settings added since (they default, as on resume)', () => {
    const older = rewrite(good(), (_t, m) => {
      const run = tinyRunState(4);
      const { gradClip: _g, ...options } = run.options as typeof run.options & { gradClip?: number };
      m[META.run] = JSON.stringify({ ...run, options });
    });
    expect(readImportable(older).info.run?.runStep).toBe(4);
  });

  it("accepts a LoRA run's file, and refuses one missing an adapter or with a reshaped base weight", () => {
    const cfg = { vocabSize: 260, contextLength: 8, width: 16, layers: 1, heads: 2 };
    const adapters = initLora(cfg, 2, 3);
    const base = new Map(loraTargets(cfg).map((t) => [t.weight, { shape: [t.inSize, t.outSize], data: new Float32Array(t.inSize * t.outSize).fill(0.5) }]));
    const moments = new Map([...adapters].map(([k, v]) => [k, { shape: v.shape, data: new Float32Array(v.data.length).fill(0.25) }]));
    const bytes = encodeCheckpoint({
      config: cfg,
      weights: initParameters(cfg, 6),
      optimizer: { step: 3, m: moments, v: moments },
      lora: { rank: 2, alpha: 4, adapters, base },
      meta: { [META.tokenizer]: TINY_TOKENIZER, [META.step]: '3' },
    });
    expect(readImportable(bytes).info.hasOptimizer).toBe(true);
    expect(loadFails(bytes)).toBe(false);
    const noAdapter = rewrite(bytes, (t) => {
      const b = t.get('lora.adapter.transformer.h.0.attn.c_proj.lora_B')!;
      t.delete('lora.adapter.transformer.h.0.attn.c_proj.lora_B');
      t.set('lora.adapter.transformer.h.0.attn.c_proj.lora_C', b);
    });
    expect(refusal(noAdapter)).toMatch(/it holds a tensor "lora\.adapter\.transformer\.h\.0\.attn\.c_proj\.lora_C" that is no parameter/);
    const reshaped = rewrite(bytes, (t) => {
      const w = t.get('lora.base.transformer.h.0.mlp.c_fc.weight')!;
      t.set('lora.base.transformer.h.0.mlp.c_fc.weight', transpose(w));
    });
    expect(refusal(reshaped)).toMatch(/tensor "lora\.base\.transformer\.h\.0\.mlp\.c_fc\.weight" has shape \[64, 16\] but its config .* needs \[16, 64\]\.$/);
    expect(loadFails(reshaped)).toBe(true);
  });

  it("accepts a run's file with adapters on the attention only, and refuses unknown targets naming them", () => {
    const cfg = { vocabSize: 260, contextLength: 8, width: 16, layers: 1, heads: 2 };
    const targets = LORA_TARGET_SETS.attention;
    const adapters = initLora(cfg, 2, 3, targets);
    const base = new Map(loraTargets(cfg, targets).map((t) => [t.weight, { shape: [t.inSize, t.outSize], data: new Float32Array(t.inSize * t.outSize).fill(0.5) }]));
    const bytes = encodeCheckpoint({ config: cfg, weights: initParameters(cfg, 6), lora: { rank: 2, alpha: 4, targets, adapters, base }, meta: { [META.tokenizer]: TINY_TOKENIZER, [META.step]: '3' } });
    expect(readImportable(bytes).info.config.width).toBe(16);
    expect(loadFails(bytes)).toBe(false);
    const unknown = rewrite(bytes, (_t, m) => {
      m[META.lora] = JSON.stringify({ rank: 2, alpha: 4, targets: ['attn.c_attn', 'attn.q'] });
    });
    expect(refusal(unknown)).toContain('its LoRA settings are out of range. LoRA targets must be a non-empty list of distinct projections from attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj (got ["attn.c_attn","attn.q"]).');
  });
});
