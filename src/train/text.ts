// Plain text as next-token training data, the same way for the studio's worker
// and for `npm run pretrain`: documents separated by <|endoftext|> are encoded
// one by one with the end-of-text id after each, and part of the text is held
// out for validation (whole documents when there are enough, else the tail).

import type { Tokenizer } from '../tokenizer/types';
import { SPECIAL_TOKENS } from '../tokenizer/types';
import { TokenStreamBatches, type Batch } from './batches';

export interface TextDataOptions {
  batchSize: number;
  contextLength: number;
  seed: number;
  /** Share of the text held out for validation; 0 holds out nothing. */
  valFraction: number;
  /** Cap on validation batches (8 when absent). */
  maxEvalBatches?: number;
}

export interface TextData {
  source: TokenStreamBatches;
  evalBatches: Batch[];
  trainTokens: number;
  valTokens: number;
}

/** Turns text into a batch sampler and validation batches; throws with a message a user can act on. */
export function prepareTextData(text: string, tokenizer: Tokenizer, o: TextDataOptions): TextData {
  if (text.trim().length === 0) throw new Error('The training text is empty: paste or type some text to learn from.');
  const docs = text.split(SPECIAL_TOKENS.endOfText).filter((d) => d.length > 0);
  const encode = (ds: string[]) => Int32Array.from(ds.flatMap((d) => [...tokenizer.encode(d), tokenizer.eosId]));
  let train: Int32Array;
  let val: Int32Array;
  const every = o.valFraction > 0 ? Math.round(1 / o.valFraction) : 0;
  if (every >= 2 && docs.length >= 2 * every) {
    // Every k-th document is held out whole, so validation never sees half a document.
    train = encode(docs.filter((_, i) => i % every !== 0));
    val = encode(docs.filter((_, i) => i % every === 0));
  } else {
    const tokens = encode(docs);
    const valLen = Math.floor(tokens.length * o.valFraction);
    // Hold out the tail when there is enough text for both parts.
    const hasVal = valLen >= Math.min(o.contextLength, 16) + 1 && tokens.length - valLen >= 2;
    train = hasVal ? tokens.subarray(0, tokens.length - valLen) : tokens;
    val = hasVal ? tokens.subarray(tokens.length - valLen) : new Int32Array(0);
  }
  const source = new TokenStreamBatches(train, o.batchSize, o.contextLength, o.seed);
  const evalBatches = val.length >= 2 ? TokenStreamBatches.evaluationBatches(val, o.batchSize, o.contextLength, o.maxEvalBatches) : [];
  return { source, evalBatches, trainTokens: train.length, valTokens: val.length };
}
