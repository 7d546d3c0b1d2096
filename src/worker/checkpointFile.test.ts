import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, encodeCheckpoint } from '../train/checkpoint';
import { initParameters } from '../model/gpt';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import type { ModelConfig } from '../model/config';
import { CHECKPOINT_FORMAT_NAME, CHECKPOINT_FORMAT_VERSION, CheckpointFileError, dataFingerprint, META, readCheckpointFile } from './checkpointFile';
import { PLAIN_TEMPLATE } from '../data/templates';

const config: ModelConfig = { vocabSize: 260, contextLength: 8, width: 8, layers: 1, heads: 2 };
const tokenizer = JSON.stringify({ model: { type: 'BPE' } });

function file(meta: Record<string, string> = {}, drop?: string): Uint8Array {
  const weights = initParameters(config, 1);
  if (drop) weights.delete(drop);
  return encodeCheckpoint({ config, weights, meta: { [META.name]: 'tiny', [META.step]: '7', [META.tokenizer]: tokenizer, [META.createdAt]: '1700000000000', ...meta } });
}

/** The same file with some metadata replaced. */
function withMeta(bytes: Uint8Array, patch: Record<string, string>): Uint8Array {
  const f = readSafetensors(bytes);
  return writeSafetensors(f.tensors, { ...f.metadata, ...patch });
}

describe('checkpoint files read without tfjs', () => {
  it('uses the same format name and version as the writer', () => {
    expect(CHECKPOINT_FORMAT_NAME).toBe(CHECKPOINT_FORMAT);
    expect(CHECKPOINT_FORMAT_VERSION).toBe(CHECKPOINT_VERSION);
  });

  it('reads name, step, config, tokenizer and creation time', () => {
    const f = readCheckpointFile(file());
    expect(f.info).toMatchObject({ name: 'tiny', step: 7, config, hasOptimizer: false, run: null, createdAt: 1700000000000 });
    expect(f.tokenizerJson).toBe(tokenizer);
    expect(f.weightNames).toContain('transformer.wte.weight');
  });

  it('refuses truncated, foreign, incomplete and newer files with a message naming the file', () => {
    const good = file();
    const cases: Array<[Uint8Array, RegExp]> = [
      [good.subarray(0, good.length - 10), /model\.safetensors is not a usable checkpoint.*truncated/],
      [good.subarray(0, 5), /fewer than the 8-byte header/],
      [new TextEncoder().encode('{"instruction": "not a model"}'), /not a usable checkpoint/],
      [writeSafetensors([['w', { shape: [2], data: new Float32Array(2) }]], { format: 'pt' }), /not an Instruct Studio checkpoint/],
      [encodeCheckpoint({ config, weights: initParameters(config, 1), meta: {} }), /no tokenizer/],
      [withMeta(file(), { format_version: '99' }), /newer Instruct Studio/],
      [file({ [META.run]: '{"runStep": -1}' }), /unreadable run metadata/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => readCheckpointFile(bytes, 'model.safetensors')).toThrow(CheckpointFileError);
      expect(() => readCheckpointFile(bytes, 'model.safetensors')).toThrow(message);
    }
    // A file whose header lists fewer parameters than its config needs.
    const weights = initParameters(config, 1);
    const entries = [...weights].filter(([n]) => n !== 'transformer.ln_f.bias').map(([n, t]) => [n, { shape: t.shape, data: t.data }] as [string, { shape: number[]; data: Float32Array }]);
    const partial = writeSafetensors(entries, { format: CHECKPOINT_FORMAT, format_version: '1', config: JSON.stringify({ vocab_size: 260, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 }), [META.tokenizer]: tokenizer });
    expect(() => readCheckpointFile(partial, 'x')).toThrow(/damaged or incomplete/);
  });

  it('fingerprints data by content and encoding switches', () => {
    const a = dataFingerprint({ kind: 'text', text: 'abc' });
    expect(dataFingerprint({ kind: 'text', text: 'abc' })).toBe(a);
    expect(dataFingerprint({ kind: 'text', text: 'abd' })).not.toBe(a);
    const ex = [{ id: '1', source: 't', kind: 'instruction' as const, instruction: 'q', response: 'r' }];
    const d = { kind: 'instructions' as const, examples: ex, template: PLAIN_TEMPLATE, trainOnInputs: false, pack: false, overflow: 'truncate' as const };
    expect(dataFingerprint(d)).not.toBe(dataFingerprint({ ...d, trainOnInputs: true }));
    // Where the examples came from does not change what is learned.
    expect(dataFingerprint({ ...d, datasetId: 'x' })).toBe(dataFingerprint(d));
  });
});
