// Public API of the tokenizer module: text <-> token ids, and tokenizer.json in and out.
export { SPECIAL_TOKENS, type Tokenizer } from './types';
export { BpeTokenizer, StreamDecoder, preTokenize, type BpeTrainOptions } from './bpe';
