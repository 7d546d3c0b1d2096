// Byte-level BPE, as in GPT-2: text -> UTF-8 bytes -> 256 byte tokens, then learned
// merges of adjacent tokens inside each pre-token ("word"). Every byte has a token, so
// any text encodes losslessly and there is no unknown token.
//
// The on-disk form is Hugging Face's tokenizer.json (model.type "BPE" with a ByteLevel
// pre-tokenizer), so a tokenizer trained here loads in `tokenizers`/transformers and a
// GPT-2 style tokenizer.json from the Hub loads here.
//
// Plain TypeScript on purpose: it runs unchanged in Node, in the trainer Worker and on
// the page (TextEncoder/TextDecoder are the only platform APIs used).

import { SPECIAL_TOKENS, type Tokenizer } from './types';
import { messageOf } from '../util/errors';
import { escapeRegExp } from '../util/text';

// ---------------------------------------------------------------------------------------
// GPT-2's bytes <-> unicode alphabet
// ---------------------------------------------------------------------------------------

/**
 * GPT-2 writes each byte as one printable character so that vocab and merges are plain
 * strings: bytes that are already visible Latin-1 characters stand for themselves, the
 * rest (controls, space, 0x7F-0xA0, 0xAD) are shifted to U+0100.. in byte order. That is
 * why a leading space shows up as "Ġ" (byte 0x20 -> U+0120) in GPT-2 vocabularies.
 */
const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const visible = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars.push(String.fromCharCode(visible ? b : 256 + shifted++));
  }
  return chars;
})();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** Byte-level string of `bytes` ("Ġthe" for " the"). */
function bytesToSymbols(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/** Inverse of `bytesToSymbols`; undefined when a character is outside the 256-char alphabet. */
function symbolsToBytes(symbols: string): Uint8Array | undefined {
  const out = new Uint8Array(symbols.length); // every alphabet char is one UTF-16 unit
  for (let i = 0; i < symbols.length; i++) {
    const b = CHAR_TO_BYTE.get(symbols[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Pre-tokenisation
// ---------------------------------------------------------------------------------------

/**
 * GPT-2's split pattern (the one HF's ByteLevel pre-tokenizer uses with use_regex: true):
 * English contractions, letters with an optional leading space, numbers likewise, runs of
 * other symbols likewise, then whitespace. `\s+(?!\S)` leaves the last space of a run to
 * the following word, so " the" stays one word after several spaces. Every character falls
 * in one class, so the matches concatenate back to the input exactly. Merges are learned
 * and applied inside one match only: they never cross a word boundary.
 *
 * "Whitespace" is Unicode's White_Space property, as in Hugging Face's tokenizers, not
 * JavaScript's `\s`: `\s` also counts U+FEFF (a format character) and misses U+0085
 * (NEXT LINE), so `\s` would split text around those two differently from HF.
 */
const PRETOKEN_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** The pre-tokens ("words") of `text`, in order; BPE merges never cross their boundaries. */
export function preTokenize(text: string): string[] {
  return Array.from(text.matchAll(PRETOKEN_PATTERN), (m) => m[0]);
}

/** Matches any of `contents`, longest first so a token that prefixes another never wins. */
function alternation(contents: readonly string[]): RegExp | undefined {
  if (contents.length === 0) return undefined;
  const sorted = [...contents].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  return new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
}

/** Calls `onText` for each piece of `text` between matches of `re` and `onMatch` for each match. */
function splitOn(
  text: string,
  re: RegExp | undefined,
  onText: (piece: string) => void,
  onMatch: (match: string) => void,
): void {
  if (!re) {
    onText(text);
    return;
  }
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) onText(text.slice(last, m.index));
    onMatch(m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) onText(text.slice(last));
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

/**
 * Pairs of ids are packed into one number for Map keys: left * 2^21 + right stays below
 * 2^42, well inside exact double range, and ordering the keys orders the pairs
 * lexicographically (left first), which training uses to break ties.
 */
const MAX_IDS = 2 ** 21;
const pairKey = (left: number, right: number): number => left * MAX_IDS + right;
const pairLeft = (key: number): number => Math.floor(key / MAX_IDS);
const pairRight = (key: number): number => key % MAX_IDS;

/** Binary heap; `before(a, b)` is true when `a` must come out first. */
class BinaryHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(item, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const child = r < items.length && this.before(items[r]!, items[l]!) ? r : l;
      if (!this.before(items[child]!, last)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

const utf8Encoder = new TextEncoder();

/**
 * Non-fatal so partial UTF-8 (a prefix of an emoji while streaming) becomes U+FFFD instead
 * of throwing; ignoreBOM so a text that starts with U+FEFF keeps it (lossless round trip).
 */
function newUtf8Decoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
}
const utf8Decoder = newUtf8Decoder();

/** Bytes the decoder emits for an id that has no token: U+FFFD, as for any bad byte. */
const REPLACEMENT_BYTES = new Uint8Array([0xef, 0xbf, 0xbd]);

/**
 * Length of the valid UTF-8 sequence starting at `bytes[i]`, or 0 when the byte there does
 * not begin one (stray continuation byte, truncated sequence, overlong form, surrogate,
 * beyond U+10FFFF). Used to show a token's bytes as text where they are text.
 */
function utf8SequenceAt(bytes: Uint8Array, i: number): { length: number; codePoint: number } | undefined {
  const lead = bytes[i]!;
  if (lead < 0x80) return { length: 1, codePoint: lead };
  let extra: number;
  let min: number;
  if (lead >= 0xc2 && lead <= 0xdf) [extra, min] = [1, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef) [extra, min] = [2, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4) [extra, min] = [3, 0x10000];
  else return undefined;
  if (i + extra >= bytes.length) return undefined;
  let cp = lead & (0x3f >> extra);
  for (let k = 1; k <= extra; k++) {
    const c = bytes[i + k]!;
    if ((c & 0xc0) !== 0x80) return undefined;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return { length: extra + 1, codePoint: cp };
}

function hexByte(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

// ---------------------------------------------------------------------------------------
// The tokenizer
// ---------------------------------------------------------------------------------------

export interface BpeTrainOptions {
  /** Total ids wanted: 256 bytes + 2 special tokens + learned merges. At least 258. */
  vocabSize: number;
  /** A pair must occur at least this often (counting repeats of a word) to be merged. Default 2. */
  minFrequency?: number;
  /**
   * Reports learned tokens: `done` of `total` (= vocabSize - 258). Called about 100 times,
   * and always last with (total, total), also when training stops early for lack of pairs.
   */
  onProgress?: (done: number, total: number) => void;
}

/** One entry of tokenizer.json's added_tokens, kept as read so toJSON writes it back. */
interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** Everything a BpeTokenizer is made of; built by `train` or `fromJSON`. */
interface BpeParts {
  /** vocab string per id: byte-level symbols, or the content of an added token. Gaps are undefined. */
  tokenStrings: (string | undefined)[];
  /** Bytes each id decodes to (UTF-8 of the content for added tokens). */
  tokenBytes: (Uint8Array | undefined)[];
  /** Merges by rank: [left id, right id, result id]. */
  merges: [number, number, number][];
  /** Tokens matched as a whole before pre-tokenisation when allowSpecial is set. */
  addedTokens: AddedToken[];
  eosId: number;
  padId: number;
  /** HF `ignore_merges`: a word that is itself in the vocab becomes that one id. */
  ignoreMerges: boolean;
}

/** Tokens the studio's own tokenizers always have, right after the 256 bytes. */
const STUDIO_SPECIALS = [SPECIAL_TOKENS.endOfText, SPECIAL_TOKENS.pad] as const;
const FIRST_MERGE_ID = 256 + STUDIO_SPECIALS.length;

/** Per-word encodings kept for reuse; words repeat a lot (Zipf), so this is most of encode's speed. */
const WORD_CACHE_LIMIT = 20_000;

function specialToken(id: number, content: string): AddedToken {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

export class BpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  readonly padId: number;

  private readonly tokenStrings: (string | undefined)[];
  private readonly tokenBytes: (Uint8Array | undefined)[];
  private readonly merges: [number, number, number][];
  /** pairKey(left, right) -> rank (index into `merges`); lower rank merges first. */
  private readonly ranks = new Map<number, number>();
  private readonly byteToId = new Int32Array(256);
  /** Byte-level string -> id for ordinary (non-added) tokens; used by ignore_merges. */
  private readonly symbolsToId = new Map<string, number>();
  private readonly addedTokens: AddedToken[];
  private readonly addedIds = new Map<string, number>();
  private readonly addedIdSet = new Set<number>();
  private readonly addedPattern: RegExp | undefined;
  private readonly ignoreMerges: boolean;
  private readonly wordCache = new Map<string, readonly number[]>();

  private constructor(parts: BpeParts) {
    this.tokenStrings = parts.tokenStrings;
    this.tokenBytes = parts.tokenBytes;
    this.merges = parts.merges;
    this.addedTokens = parts.addedTokens;
    this.eosId = parts.eosId;
    this.padId = parts.padId;
    this.ignoreMerges = parts.ignoreMerges;
    this.vocabSize = parts.tokenBytes.length;

    this.merges.forEach(([left, right], rank) => this.ranks.set(pairKey(left, right), rank));
    for (const t of this.addedTokens) {
      this.addedIds.set(t.content, t.id);
      this.addedIdSet.add(t.id);
    }
    this.addedPattern = alternation(this.addedTokens.map((t) => t.content));
    this.tokenStrings.forEach((s, id) => {
      if (s !== undefined && !this.isSpecial(id)) this.symbolsToId.set(s, id);
    });
    for (let b = 0; b < 256; b++) {
      const id = this.symbolsToId.get(BYTE_TO_CHAR[b]!);
      // fromJSON checks this before construction; train builds ids 0..255 itself.
      if (id === undefined) throw new Error(`BpeTokenizer: no token for byte ${hexByte(b)}`);
      this.byteToId[b] = id;
    }
  }

  // -------------------------------------------------------------------------------------
  // Training
  // -------------------------------------------------------------------------------------

  /**
   * Learns merges from `text`. Ids 0..255 are the bytes (id = byte value), 256 is
   * `<|endoftext|>`, 257 is `<|pad|>`, and learned tokens follow in the order they were
   * merged. Special-token strings in `text` are treated as separators (they are document
   * boundaries in a pretraining corpus), so no merge is learned from their characters.
   *
   * Pair counts are kept incrementally: each merge revisits only the words that contain the
   * merged pair (found through an index pair -> words) and a lazy max-heap yields the next
   * pair. Ties go to the smaller (left id, right id), so the same text always gives the
   * same tokenizer.
   */
  static train(text: string, opts: BpeTrainOptions): BpeTokenizer {
    const { vocabSize, onProgress } = opts;
    const minFrequency = opts.minFrequency ?? 2;
    if (!Number.isInteger(vocabSize) || vocabSize < FIRST_MERGE_ID || vocabSize > MAX_IDS) {
      throw new Error(
        `BpeTokenizer.train: vocabSize must be an integer from ${FIRST_MERGE_ID} (256 bytes + ` +
          `${STUDIO_SPECIALS.length} special tokens) to ${MAX_IDS}, got ${vocabSize}`,
      );
    }
    if (!Number.isInteger(minFrequency) || minFrequency < 1) {
      throw new Error(`BpeTokenizer.train: minFrequency must be an integer >= 1, got ${minFrequency}`);
    }

    // Vocabulary so far: bytes, then the specials.
    const tokenBytes: Uint8Array[] = [];
    for (let b = 0; b < 256; b++) tokenBytes.push(Uint8Array.of(b));
    for (const s of STUDIO_SPECIALS) tokenBytes.push(utf8Encoder.encode(s));
    // Learned tokens by their byte-level string, so a merge whose bytes already
    // exist reuses that id instead of adding a duplicate string to the vocab, as HF does.
    const idOfBytes = new Map<string, number>();
    for (let b = 0; b < 256; b++) idOfBytes.set(BYTE_TO_CHAR[b]!, b);

    // 1. Unique words and how often each occurs.
    const wordCounts = new Map<string, number>();
    const countWords = (piece: string): void => {
      for (const m of piece.matchAll(PRETOKEN_PATTERN)) {
        wordCounts.set(m[0], (wordCounts.get(m[0]) ?? 0) + 1);
      }
    };
    splitOn(text, alternation(STUDIO_SPECIALS), countWords, () => {});

    // 2. Each word as its current list of token ids (bytes to start with). Single-byte
    // words have no pairs and can never change, so they are left out.
    const words: number[][] = [];
    const counts: number[] = [];
    for (const [word, count] of wordCounts) {
      const bytes = utf8Encoder.encode(word);
      if (bytes.length < 2) continue;
      words.push(Array.from(bytes));
      counts.push(count);
    }
    wordCounts.clear();

    // 3. Pair counts over all words (weighted by word count) and pair -> words index.
    const pairCounts = new Map<number, number>();
    const wordsWithPair = new Map<number, Set<number>>();
    words.forEach((symbols, w) => {
      const count = counts[w]!;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = pairKey(symbols[i]!, symbols[i + 1]!);
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
        let set = wordsWithPair.get(key);
        if (!set) wordsWithPair.set(key, (set = new Set()));
        set.add(w);
      }
    });

    // 4. Lazy max-heap of [count, pairKey]: highest count first, then smallest key.
    // Entries are not updated in place. When a pair's count drops, its old entry stays;
    // on pop it no longer matches and is pushed again with the current count. When a count
    // rises a fresh entry is pushed. So each live pair always has an entry >= its count,
    // and an entry that matches its pair's current count when popped is the true maximum.
    type Entry = [count: number, key: number];
    const heap = new BinaryHeap<Entry>((a, b) => a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]));
    for (const [key, count] of pairCounts) if (count >= minFrequency) heap.push([count, key]);

    const merges: [number, number, number][] = [];
    const total = vocabSize - FIRST_MERGE_ID;
    const progressEvery = Math.max(1, Math.floor(total / 100));

    while (tokenBytes.length < vocabSize) {
      const entry = heap.pop();
      if (!entry) break; // no pair occurs minFrequency times any more
      const [entryCount, key] = entry;
      const count = pairCounts.get(key) ?? 0;
      if (count !== entryCount) {
        if (count < entryCount && count >= minFrequency) heap.push([count, key]);
        continue;
      }

      // The new token.
      const left = pairLeft(key);
      const right = pairRight(key);
      const leftBytes = tokenBytes[left]!;
      const rightBytes = tokenBytes[right]!;
      const bytes = new Uint8Array(leftBytes.length + rightBytes.length);
      bytes.set(leftBytes);
      bytes.set(rightBytes, leftBytes.length);
      const bytesKey = bytesToSymbols(bytes);
      let merged = idOfBytes.get(bytesKey);
      if (merged === undefined) {
        merged = tokenBytes.length;
        tokenBytes.push(bytes);
        idOfBytes.set(bytesKey, merged);
        const done = merged + 1 - FIRST_MERGE_ID;
        if (onProgress && done % progressEvery === 0 && done < total) onProgress(done, total);
      }
      merges.push([left, right, merged]);

      // Rewrite every word holding the pair; collect the net change of each pair's count.
      const delta = new Map<number, number>();
      const addDelta = (k: number, d: number): void => {
        delta.set(k, (delta.get(k) ?? 0) + d);
      };
      for (const w of [...(wordsWithPair.get(key) ?? [])]) {
        const old = words[w]!;
        const c = counts[w]!;
        const next: number[] = [];
        for (let i = 0; i < old.length; i++) {
          if (i + 1 < old.length && old[i] === left && old[i + 1] === right) {
            next.push(merged);
            i++; // left to right, non-overlapping: "a a a" with (a, a) -> "aa a"
          } else {
            next.push(old[i]!);
          }
        }
        words[w] = next;

        const after = new Set<number>();
        for (let i = 0; i + 1 < next.length; i++) {
          const k = pairKey(next[i]!, next[i + 1]!);
          addDelta(k, c);
          after.add(k);
          let set = wordsWithPair.get(k);
          if (!set) wordsWithPair.set(k, (set = new Set()));
          set.add(w);
        }
        for (let i = 0; i + 1 < old.length; i++) {
          const k = pairKey(old[i]!, old[i + 1]!);
          addDelta(k, -c);
          if (!after.has(k)) wordsWithPair.get(k)?.delete(w);
        }
      }
      for (const [k, d] of delta) {
        if (d === 0) continue;
        const updated = (pairCounts.get(k) ?? 0) + d;
        if (updated > 0) pairCounts.set(k, updated);
        else pairCounts.delete(k);
        if (d > 0 && updated >= minFrequency) heap.push([updated, k]);
      }
      // The merged pair is gone from every word (the new id is longer than both halves,
      // so it can never recreate it).
      pairCounts.delete(key);
      wordsWithPair.delete(key);
    }
    onProgress?.(total, total);

    const tokenStrings: string[] = tokenBytes.map((b, id) =>
      id >= 256 && id < FIRST_MERGE_ID ? STUDIO_SPECIALS[id - 256]! : bytesToSymbols(b),
    );
    return new BpeTokenizer({
      tokenStrings,
      tokenBytes,
      merges,
      addedTokens: STUDIO_SPECIALS.map((s, i) => specialToken(256 + i, s)),
      eosId: 256,
      padId: 257,
      ignoreMerges: false,
    });
  }

  // -------------------------------------------------------------------------------------
  // Encoding and decoding
  // -------------------------------------------------------------------------------------

  encode(text: string, opts: { allowSpecial?: boolean } = {}): number[] {
    const ids: number[] = [];
    const ordinary = (piece: string): void => {
      for (const m of piece.matchAll(PRETOKEN_PATTERN)) {
        for (const id of this.encodeWord(m[0])) ids.push(id);
      }
    };
    splitOn(text, opts.allowSpecial ? this.addedPattern : undefined, ordinary, (special) => {
      ids.push(this.addedIds.get(special)!);
    });
    return ids;
  }

  /** One pre-token to ids, through the cache. */
  private encodeWord(word: string): readonly number[] {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const ids = this.bpe(utf8Encoder.encode(word));
    if (this.wordCache.size >= WORD_CACHE_LIMIT) {
      // Evict the oldest entry (Maps iterate in insertion order).
      this.wordCache.delete(this.wordCache.keys().next().value!);
    }
    this.wordCache.set(word, ids);
    return ids;
  }

  /**
   * Applies merges to one word's bytes, lowest rank first and leftmost first among equal
   * ranks, the same order as HF's BPE model. The word is a linked list of tokens and the
   * candidate merges sit in a min-heap, so a long word (a paragraph of CJK text is one
   * \p{L}+ match) costs O(n log n) rather than a rescan per merge.
   */
  private bpe(bytes: Uint8Array): number[] {
    const n = bytes.length;
    const ids = Array.from(bytes, (b) => this.byteToId[b]!);
    if (n < 2) return ids;
    if (this.ignoreMerges) {
      const whole = this.symbolsToId.get(bytesToSymbols(bytes));
      if (whole !== undefined) return [whole];
    }

    const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Array.from({ length: n }, (_, i) => i - 1);
    const dead = -1; // ids[i] of a position merged into its left neighbour
    // Candidates packed as rank * 2^32 + position: a plain number min-heap orders them by
    // rank, then position (rank < 2^21 and position < 2^32 keep it below 2^53).
    const POS = 2 ** 32;
    const heap = new BinaryHeap<number>((a, b) => a < b);
    const consider = (pos: number): void => {
      const right = next[pos]!;
      if (right === -1) return;
      const rank = this.ranks.get(pairKey(ids[pos]!, ids[right]!));
      if (rank !== undefined) heap.push(rank * POS + pos);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);

    while (heap.size > 0) {
      const packed = heap.pop()!;
      const rank = Math.floor(packed / POS);
      const pos = packed - rank * POS;
      const right = next[pos]!;
      // Stale when an earlier merge consumed this position or changed the pair there.
      if (ids[pos] === dead || right === -1) continue;
      if (this.ranks.get(pairKey(ids[pos]!, ids[right]!)) !== rank) continue;

      ids[pos] = this.merges[rank]![2];
      ids[right] = dead;
      const after = next[right]!;
      next[pos] = after;
      if (after !== -1) prev[after] = pos;
      if (prev[pos]! !== -1) consider(prev[pos]!);
      consider(pos);
    }

    const out: number[] = [];
    for (let i = 0; i !== -1; i = next[i]!) out.push(ids[i]!); // position 0 is never merged away
    return out;
  }

  /**
   * The bytes `ids` stand for, concatenated. An id with no token (e.g. a padded model
   * vocab row above this tokenizer's vocabSize) yields U+FFFD's bytes.
   */
  decodeBytes(ids: readonly number[]): Uint8Array {
    let length = 0;
    for (const id of ids) length += (this.tokenBytes[id] ?? REPLACEMENT_BYTES).length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const id of ids) {
      const bytes = this.tokenBytes[id] ?? REPLACEMENT_BYTES;
      out.set(bytes, at);
      at += bytes.length;
    }
    return out;
  }

  /** Lossless for ids from `encode`; incomplete or invalid UTF-8 becomes U+FFFD, never an error. */
  decode(ids: readonly number[]): string {
    return utf8Decoder.decode(this.decodeBytes(ids));
  }

  /**
   * Each token's own text, for a token view. Bytes that are not valid UTF-8 on their own
   * (half an emoji) are shown as "<0xF0>"; special tokens as their content; ids without a
   * token as "<unknown id N>".
   */
  pieces(ids: readonly number[]): string[] {
    return ids.map((id) => {
      const bytes = this.tokenBytes[id];
      if (!bytes) return `<unknown id ${id}>`;
      let text = '';
      for (let i = 0; i < bytes.length; ) {
        const seq = utf8SequenceAt(bytes, i);
        if (seq) {
          text += String.fromCodePoint(seq.codePoint);
          i += seq.length;
        } else {
          text += hexByte(bytes[i]!);
          i++;
        }
      }
      return text;
    });
  }

  /** True for added tokens: `<|endoftext|>`, `<|pad|>` and any others a tokenizer.json lists. */
  isSpecial(id: number): boolean {
    return this.addedIdSet.has(id);
  }

  // -------------------------------------------------------------------------------------
  // tokenizer.json
  // -------------------------------------------------------------------------------------

  /** The Hugging Face tokenizer.json document (GPT-2's layout). */
  toJSON(): unknown {
    // fromEntries defines own properties, so even a token spelled "__proto__" survives.
    const vocab: Record<string, number> = Object.fromEntries(
      this.tokenStrings.flatMap((s, id) => (s === undefined ? [] : [[s, id] as const])),
    );
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.addedTokens.map((t) => ({ ...t })),
      normalizer: null,
      pre_tokenizer: byteLevel,
      // GPT-2's file has these two; with trim_offsets false the post-processor changes nothing.
      post_processor: { ...byteLevel, add_prefix_space: true, trim_offsets: false },
      decoder: { ...byteLevel, add_prefix_space: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: this.ignoreMerges,
        vocab,
        // Byte-level symbols never contain a space, so the classic "left right" form is unambiguous.
        merges: this.merges.map(([l, r]) => `${this.tokenStrings[l]} ${this.tokenStrings[r]}`),
      },
    };
  }

  /**
   * Reads a tokenizer.json document (parsed, or as a JSON string). Accepts files written by
   * `toJSON` and GPT-2 style ByteLevel BPE files from Hugging Face, merges as "a b" or as
   * ["a", "b"]. Throws an Error naming the field that is wrong; nothing is half-loaded.
   * Without `<|pad|>` the pad id falls back to the eos id (GPT-2's own convention).
   */
  static fromJSON(json: unknown): BpeTokenizer {
    const fail = (msg: string): never => {
      throw new Error(`tokenizer.json: ${msg}`);
    };
    const describe = (v: unknown): string =>
      v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `'${v}'` : typeof v;
    const isObject = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);

    let doc = json;
    if (typeof doc === 'string') {
      try {
        doc = JSON.parse(doc) as unknown;
      } catch (e) {
        fail(`not valid JSON (${messageOf(e)})`);
      }
    }
    if (!isObject(doc)) return fail(`expected a JSON object, got ${describe(doc)}`);

    const model = doc['model'];
    if (!isObject(model)) return fail(`model is missing (expected an object with type "BPE")`);
    if (model['type'] !== 'BPE') return fail(`model.type must be BPE, got ${String(model['type'])}`);
    for (const field of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
      const v = model[field];
      if (v !== undefined && v !== null && v !== '') {
        fail(`model.${field} must be empty for byte-level BPE, got '${String(v)}'`);
      }
    }
    if (doc['normalizer'] !== undefined && doc['normalizer'] !== null) {
      const got = JSON.stringify(doc['normalizer']);
      fail(`normalizer must be null: the studio encodes text unchanged, got ${got}`);
    }
    const pre = doc['pre_tokenizer'];
    if (!isObject(pre) || pre['type'] !== 'ByteLevel') {
      const got = isObject(pre) ? String(pre['type']) : describe(pre);
      fail(`pre_tokenizer must be ByteLevel (GPT-2 style), got ${got}`);
    } else if (pre['add_prefix_space'] === true || pre['use_regex'] === false) {
      fail(`pre_tokenizer must have add_prefix_space false and use_regex true, as GPT-2's does`);
    }

    // Vocab: id -> string and bytes.
    const vocab = model['vocab'];
    if (!isObject(vocab)) return fail(`model.vocab is missing (expected an object of token -> id)`);
    const tokenStrings: (string | undefined)[] = [];
    const setToken = (content: string, id: unknown, where: string): void => {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= MAX_IDS) {
        fail(`${where} must be an integer id from 0 to ${MAX_IDS - 1}, got ${JSON.stringify(id)}`);
      }
      const existing = tokenStrings[id as number];
      if (existing !== undefined && existing !== content) {
        fail(`id ${String(id)} is used by both '${existing}' and '${content}'`);
      }
      tokenStrings[id as number] = content;
    };
    for (const [token, id] of Object.entries(vocab)) setToken(token, id, `model.vocab['${token}']`);
    // Own properties only: a token named "constructor" must not find Object.prototype's.
    const vocabIdOf = (token: string): number | undefined =>
      Object.hasOwn(vocab, token) ? (vocab[token] as number) : undefined;

    // Added tokens: match as a whole, decode to their content.
    const addedTokens: AddedToken[] = [];
    const rawAdded = doc['added_tokens'] ?? [];
    if (!Array.isArray(rawAdded)) return fail(`added_tokens must be an array, got ${describe(rawAdded)}`);
    rawAdded.forEach((t: unknown, i) => {
      if (!isObject(t) || typeof t['content'] !== 'string' || t['content'] === '') {
        return fail(`added_tokens[${i}] must be an object with a non-empty string content`);
      }
      const content = t['content'];
      const vocabId = vocabIdOf(content);
      if (vocabId !== undefined && vocabId !== t['id']) {
        const [got, want] = [JSON.stringify(t['id']), JSON.stringify(vocabId)];
        fail(`added_tokens[${i}] '${content}' has id ${got} but model.vocab gives ${want}`);
      }
      setToken(content, t['id'], `added_tokens[${i}].id`);
      const flag = (name: string, dflt: boolean): boolean =>
        typeof t[name] === 'boolean' ? (t[name] as boolean) : dflt;
      addedTokens.push({
        id: t['id'] as number,
        content,
        single_word: flag('single_word', false),
        lstrip: flag('lstrip', false),
        rstrip: flag('rstrip', false),
        normalized: flag('normalized', false),
        special: flag('special', true),
      });
    });

    // The studio's specials: eos is required, pad falls back to eos.
    const idOf = (content: string): number | undefined =>
      addedTokens.find((t) => t.content === content)?.id ?? vocabIdOf(content);
    const eosId = idOf(SPECIAL_TOKENS.endOfText);
    if (eosId === undefined) {
      return fail(
        `no ${SPECIAL_TOKENS.endOfText} token in added_tokens or model.vocab; the studio needs it ` +
          `to end documents and responses (add it to added_tokens with special: true)`,
      );
    }
    const padId = idOf(SPECIAL_TOKENS.pad) ?? eosId;
    for (const [content, id] of [[SPECIAL_TOKENS.endOfText, eosId], [SPECIAL_TOKENS.pad, padId]] as const) {
      if (tokenStrings[id] === content && !addedTokens.some((t) => t.id === id)) {
        addedTokens.push(specialToken(id, content)); // a vocab-only eos must still match as a whole
      }
    }

    const addedIdSet = new Set(addedTokens.map((t) => t.id));
    const tokenBytes: (Uint8Array | undefined)[] = tokenStrings.map((s, id) => {
      if (s === undefined) return undefined;
      if (addedIdSet.has(id)) return utf8Encoder.encode(s);
      return (
        symbolsToBytes(s) ?? fail(`model.vocab token '${s}' (id ${id}) is not written in the byte-level alphabet`)
      );
    });
    const vocabIds = new Map<string, number>();
    tokenStrings.forEach((s, id) => {
      if (s !== undefined) vocabIds.set(s, id);
    });
    for (let b = 0; b < 256; b++) {
      if (!vocabIds.has(BYTE_TO_CHAR[b]!) || addedIdSet.has(vocabIds.get(BYTE_TO_CHAR[b]!)!)) {
        const symbol = BYTE_TO_CHAR[b]!;
        fail(`model.vocab lacks the token '${symbol}' for byte ${hexByte(b)}; byte-level BPE needs all 256`);
      }
    }

    // Merges, in rank order; a repeated pair keeps its first (lowest) rank.
    const rawMerges = model['merges'];
    if (!Array.isArray(rawMerges)) return fail(`model.merges is missing (expected an array)`);
    const merges: [number, number, number][] = [];
    const seen = new Set<number>();
    rawMerges.forEach((m: unknown, i) => {
      let pair: string[] | undefined;
      if (typeof m === 'string') pair = m.split(' ');
      else if (Array.isArray(m) && m.every((p) => typeof p === 'string')) pair = m as string[];
      if (!pair || pair.length !== 2) {
        return fail(`merge ${i} must be "left right" or ["left", "right"], got ${JSON.stringify(m)}`);
      }
      const [l, r] = pair as [string, string];
      const shown = `'${l} ${r}'`;
      const left = vocabIds.get(l) ?? fail(`merge ${i} ${shown} uses unknown token '${l}'`);
      const right = vocabIds.get(r) ?? fail(`merge ${i} ${shown} uses unknown token '${r}'`);
      const result =
        vocabIds.get(l + r) ?? fail(`merge ${i} ${shown} makes '${l + r}', which is not in model.vocab`);
      const key = pairKey(left, right);
      if (seen.has(key)) return;
      seen.add(key);
      merges.push([left, right, result]);
    });

    return new BpeTokenizer({
      tokenStrings,
      tokenBytes,
      merges,
      addedTokens,
      eosId,
      padId,
      ignoreMerges: model['ignore_merges'] === true,
    });
  }
}

/**
 * Turns a stream of ids into text as it becomes complete: bytes of a character split across
 * tokens (an emoji is 4 bytes, often 2-3 tokens) are held back until the character is whole,
 * so a UI appending each result never shows a broken glyph.
 */
export class StreamDecoder {
  private decoder = newUtf8Decoder();

  constructor(private readonly tokenizer: { decodeBytes(ids: readonly number[]): Uint8Array }) {}

  /** The text completed by `id` (possibly ''). */
  push(id: number): string {
    return this.decoder.decode(this.tokenizer.decodeBytes([id]), { stream: true });
  }

  /** Ends the stream: any incomplete trailing bytes come out as U+FFFD. Ready for reuse after. */
  flush(): string {
    return this.decoder.decode();
  }
}
