// The contract every tokenizer in the studio keeps. The model and the trainer
// know only token ids; text becomes ids here and nowhere else.

/** Special tokens the studio relies on, by their text form. */
export const SPECIAL_TOKENS = {
  /** Ends a document in pretraining text and ends every trained response. */
  endOfText: '<|endoftext|>',
  /** Fills unused positions when sequences are padded to a fixed length. */
  pad: '<|pad|>',
} as const;

export interface Tokenizer {
  /** Number of ids, special tokens included; the model's vocabSize must be at least this. */
  readonly vocabSize: number;
  /** Id of `<|endoftext|>`, used as the stop token for generation. */
  readonly eosId: number;
  /** Id of `<|pad|>`. */
  readonly padId: number;
  /**
   * Text to ids. Special-token strings inside `text` become their single ids only when
   * `allowSpecial` is true; otherwise they are encoded as plain bytes, so user text can
   * never inject a control token.
   */
  encode(text: string, opts?: { allowSpecial?: boolean }): number[];
  /** Ids to text; lossless for any ids produced by `encode`. */
  decode(ids: readonly number[]): string;
  /** The Hugging Face tokenizer.json document for this tokenizer. */
  toJSON(): unknown;
}

/** Where the tokenizer of a new model comes from. */
export type TokenizerSpec =
  /** Train a byte-level BPE on this text, up to the model's vocabSize. */
  | { kind: 'bpe-train'; text: string }
  /** A Hugging Face tokenizer.json document. */
  | { kind: 'json'; json: string };
