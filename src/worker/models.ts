// Turning what a request names into a model's parts: the tokenizer for a new
// model, and the weights and tokenizer of a file to load. Each refusal names
// the value or file that is wrong.

import type { ModelConfig } from '../model/config';
import { BpeTokenizer } from '../tokenizer/bpe';
import type { TokenizerSpec } from '../tokenizer/types';
import { decodeCheckpoint, type Checkpoint } from '../checkpoint/file';
import { messageOf } from '../util/errors';
import { META } from '../checkpoint/format';
import { EngineError } from './errors';

/** 256 byte tokens plus <|endoftext|> and <|pad|>. */
const MIN_BPE_VOCAB = 258;

/** The tokenizer a new model gets: trained on text, or read from tokenizer.json. */
export function tokenizerFor(spec: TokenizerSpec, config: ModelConfig): BpeTokenizer {
  if (spec.kind === 'bpe-train' && config.vocabSize < MIN_BPE_VOCAB) {
    throw new EngineError(
      'invalid-config',
      `vocabSize = ${config.vocabSize} is too small for a byte-level tokenizer: it needs at least ${MIN_BPE_VOCAB} ids (256 bytes and 2 special tokens), plus room for learned merges.`,
    );
  }
  let tokenizer: BpeTokenizer;
  try {
    tokenizer = spec.kind === 'json' ? BpeTokenizer.fromJSON(JSON.parse(spec.json)) : BpeTokenizer.train(spec.text, { vocabSize: config.vocabSize });
  } catch (e) {
    throw new EngineError('bad-input', `Tokenizer: ${messageOf(e)}`);
  }
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new EngineError('invalid-config', `vocabSize = ${config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} tokens: every token id needs an embedding row.`);
  }
  return tokenizer;
}

/** The checkpoint and tokenizer in a file to load (config and tokenizer from the metadata when not given). */
export function openModelFiles(name: string, safetensors: ArrayBuffer, configJson: string, tokenizerJson: string): { ck: Checkpoint; tokenizer: BpeTokenizer } {
  let ck: Checkpoint;
  let tokenizer: BpeTokenizer;
  try {
    ck = decodeCheckpoint(safetensors, configJson || undefined);
    const json = tokenizerJson || ck.meta[META.tokenizer];
    if (!json) throw new Error('no tokenizer.json was given and the checkpoint has none in its metadata');
    tokenizer = BpeTokenizer.fromJSON(JSON.parse(json));
  } catch (e) {
    throw new EngineError('bad-input', `Cannot load "${name}": ${messageOf(e)}`);
  }
  if (tokenizer.vocabSize > ck.config.vocabSize) {
    throw new EngineError('bad-input', `Cannot load "${name}": its tokenizer has ${tokenizer.vocabSize} tokens but the model only ${ck.config.vocabSize}.`);
  }
  return { ck, tokenizer };
}
