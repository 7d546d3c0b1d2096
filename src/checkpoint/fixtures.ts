// Tiny checkpoint files for tests (not used by the app): what the engine
// writes, built without a model so tests of storage and of the file format
// need no training.

import type { ModelConfig } from '../model/config';
import { initParameters } from '../model/gpt';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import type { RunState } from '../train/run';
import { BpeTokenizer } from '../tokenizer/bpe';
import { encodeCheckpoint } from './file';
import { META } from './format';

export const TINY_CONFIG: ModelConfig = { vocabSize: 260, contextLength: 8, width: 8, layers: 1, heads: 2 };
/** A real (byte-level, no merges) tokenizer.json: exports read its special tokens. */
export const TINY_TOKENIZER = JSON.stringify(BpeTokenizer.train('', { vocabSize: 258 }).toJSON());

/** A run of 20 steps stopped at `runStep`, with one loss point per step (5, 4.9, 4.8, ...). */
export function tinyRunState(runStep: number): RunState {
  return {
    runStep,
    totalSteps: 20,
    options: { ...DEFAULT_TRAIN_OPTIONS, steps: 20 },
    samplerState: { state: 123, spareNormal: null },
    dataHash: 'abc123',
    dataKind: 'text',
    lossHistory: Array.from({ length: runStep }, (_, i) => ({ step: i + 1, loss: 5 - i * 0.1 })),
    valHistory: [],
  };
}

export interface TinyCheckpointOptions {
  step?: number;
  name?: string;
  /** Seed of the parameters. */
  seed?: number;
  width?: number;
  /** Include AdamW moments (all 0.5) and run metadata; default true. */
  withRun?: boolean;
  /** Metadata laid over the usual keys. */
  meta?: Record<string, string>;
}

/** A checkpoint file of TINY_CONFIG as the engine writes one: by default with optimizer moments and run metadata. */
export function tinyCheckpoint(o: TinyCheckpointOptions = {}): Uint8Array {
  const config = { ...TINY_CONFIG, width: o.width ?? TINY_CONFIG.width };
  const weights = initParameters(config, o.seed ?? 1);
  const step = o.step ?? 4;
  const withRun = o.withRun ?? true;
  const moments = new Map([...weights].map(([n, t]) => [n, { shape: t.shape, data: new Float32Array(t.data.length).fill(0.5) }]));
  return encodeCheckpoint({
    config,
    weights,
    ...(withRun ? { optimizer: { step, m: moments, v: moments } } : {}),
    meta: {
      [META.name]: o.name ?? 'Tiny model',
      [META.step]: String(step),
      [META.tokenizer]: TINY_TOKENIZER,
      [META.createdAt]: '1700000000000',
      ...(withRun ? { [META.run]: JSON.stringify(tinyRunState(step)) } : {}),
      ...o.meta,
    },
  });
}
