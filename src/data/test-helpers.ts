// Fakes and helpers for src/data tests (not shipped code paths).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SPECIAL_TOKENS, type Tokenizer } from '../tokenizer/types';
import { importDataset, type ImportOptions } from './import';
import type { Example } from './schema';

/**
 * A byte-level tokenizer: ids 0..255 are UTF-8 bytes, 256 is <|endoftext|>,
 * 257 is <|pad|>. Special-token text becomes its id only with allowSpecial.
 */
export function byteTokenizer(): Tokenizer {
  const EOS = 256;
  const PAD = 257;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return {
    vocabSize: 258,
    eosId: EOS,
    padId: PAD,
    encode(text: string, opts?: { allowSpecial?: boolean }): number[] {
      if (!opts?.allowSpecial) return Array.from(encoder.encode(text));
      const out: number[] = [];
      const re = /<\|endoftext\|>|<\|pad\|>/g;
      let last = 0;
      for (const m of text.matchAll(re)) {
        out.push(...encoder.encode(text.slice(last, m.index)));
        out.push(m[0] === SPECIAL_TOKENS.endOfText ? EOS : PAD);
        last = (m.index ?? 0) + m[0].length;
      }
      out.push(...encoder.encode(text.slice(last)));
      return out;
    },
    decode(ids: readonly number[]): string {
      let out = '';
      let bytes: number[] = [];
      const flush = (): void => {
        if (bytes.length) out += decoder.decode(new Uint8Array(bytes));
        bytes = [];
      };
      for (const id of ids) {
        if (id === EOS || id === PAD) {
          flush();
          out += id === EOS ? SPECIAL_TOKENS.endOfText : SPECIAL_TOKENS.pad;
        } else bytes.push(id);
      }
      flush();
      return out;
    },
    toJSON: () => ({ fake: 'byte' }),
  };
}

/**
 * A byte tokenizer that also merges a few frequent pairs into single ids
 * (greedy, left to right), like a tiny BPE. Encoding "a" + "b" separately can
 * give different ids than encoding "ab", so it shows that prompt/training
 * equality does not rely on byte-level luck.
 */
export function mergingTokenizer(): Tokenizer {
  const base = byteTokenizer();
  const merges = ['\n\n', ':\n', ' t', 'th', 'he', 'e ', 'an', 'in', '##', '|>', '<|'];
  const mergeIds = new Map(merges.map((m, k) => [m, 258 + k]));
  const idToText = new Map(merges.map((m, k) => [258 + k, m]));
  return {
    vocabSize: 258 + merges.length,
    eosId: base.eosId,
    padId: base.padId,
    encode(text: string, opts?: { allowSpecial?: boolean }): number[] {
      const out: number[] = [];
      const pieces = opts?.allowSpecial ? text.split(/(<\|endoftext\|>|<\|pad\|>)/) : [text];
      for (const piece of pieces) {
        if (piece === SPECIAL_TOKENS.endOfText) out.push(base.eosId);
        else if (piece === SPECIAL_TOKENS.pad) out.push(base.padId);
        else {
          let i = 0;
          while (i < piece.length) {
            const pair = piece.slice(i, i + 2);
            const id = pair.length === 2 ? mergeIds.get(pair) : undefined;
            if (id !== undefined) {
              out.push(id);
              i += 2;
            } else {
              const cp = piece.codePointAt(i) as number;
              const ch = String.fromCodePoint(cp);
              out.push(...base.encode(ch));
              i += ch.length;
            }
          }
        }
      }
      return out;
    },
    decode(ids: readonly number[]): string {
      let out = '';
      let pending: number[] = [];
      const flush = (): void => {
        if (pending.length) out += base.decode(pending);
        pending = [];
      };
      for (const id of ids) {
        const merged = idToText.get(id);
        if (merged !== undefined) {
          flush();
          out += merged;
        } else pending.push(id);
      }
      flush();
      return out;
    },
    toJSON: () => ({ fake: 'merging' }),
  };
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
}

export function readFixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** Imports a fixture and fails the test with the import's message when it does not succeed. */
export function importOk(text: string, opts: ImportOptions): { examples: Example[]; warnings: string[]; format: string } {
  const result = importDataset(text, opts);
  if (!result.ok) throw new Error(`expected import to succeed: ${result.error.message}`);
  return result;
}

/** Imports and returns the error, failing when the import succeeds. */
export function importErr(text: string, opts: ImportOptions) {
  const result = importDataset(text, opts);
  if (result.ok) throw new Error(`expected import to fail, got ${result.examples.length} examples`);
  return result.error;
}
