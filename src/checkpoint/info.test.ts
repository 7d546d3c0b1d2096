// readInfo: what the UI thread reads from a checkpoint file without tf, and the
// files it refuses, each with a message naming the file.

import { describe, expect, it } from 'vitest';
import { initParameters } from '../model/gpt';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import { encodeCheckpoint } from './file';
import { TINY_CONFIG as config, TINY_TOKENIZER as tokenizer, tinyCheckpoint } from './fixtures';
import { CHECKPOINT_FORMAT, CheckpointFileError, META } from './format';
import { readInfo } from './info';

function file(meta: Record<string, string> = {}): Uint8Array {
  return tinyCheckpoint({ name: 'tiny', step: 7, withRun: false, meta });
}

/** The same file with some metadata replaced. */
function withMeta(bytes: Uint8Array, patch: Record<string, string>): Uint8Array {
  const f = readSafetensors(bytes);
  return writeSafetensors(f.tensors, { ...f.metadata, ...patch });
}

describe('checkpoint files read without tfjs', () => {
  it('reads name, step, config, tokenizer and creation time', () => {
    const f = readInfo(file());
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
      expect(() => readInfo(bytes, 'model.safetensors')).toThrow(CheckpointFileError);
      expect(() => readInfo(bytes, 'model.safetensors')).toThrow(message);
    }
    // A file whose header lists fewer parameters than its config needs.
    const weights = initParameters(config, 1);
    const entries = [...weights].filter(([n]) => n !== 'transformer.ln_f.bias').map(([n, t]) => [n, { shape: t.shape, data: t.data }] as [string, { shape: number[]; data: Float32Array }]);
    const partial = writeSafetensors(entries, { format: CHECKPOINT_FORMAT, format_version: '1', config: JSON.stringify({ vocab_size: 260, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 }), [META.tokenizer]: tokenizer });
    expect(() => readInfo(partial, 'x')).toThrow(/damaged or incomplete/);
  });
});
