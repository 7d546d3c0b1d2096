import { describe, expect, it } from 'vitest';
import { BpeTokenizer, SPECIAL_TOKENS, StreamDecoder, preTokenize } from './index';

// A small mixed-script corpus: enough repetition for a few hundred merges.
const TRAIN_TEXT = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away.',
  "Instruction: What is the capital of France?\nResponse: The capital of France is Paris.",
  "Instruction: Name three colours.\nResponse: Red, green and blue. Don't forget yellow!",
  'Le café est très chaud. Où est la bibliothèque ? Ça va très bien, merci.',
  'Über den Wolken muß die Freiheit wohl grenzenlos sein. Schöne Grüße!',
  '东京是日本的首都。我喜欢学习语言。今天天气很好。',
  'Emoji time: 😀 😀 🎉 👍🏽 👨‍👩‍👧‍👦 🇫🇷 🇯🇵 — and numbers 12345, 3.14159, 2024.',
  'def add(a, b):\n    return a + b\n\n\tindented\twith\ttabs   and   spaces',
]
  .join('\n')
  .repeat(6);

const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Deterministic PRNG (mulberry32) so the random round trips are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Random text over ASCII, Latin-1, the rest of the BMP and astral planes; never a lone surrogate. */
function randomText(next: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const r = next();
    let cp: number;
    if (r < 0.4) cp = 0x20 + Math.floor(next() * 95);
    else if (r < 0.5) cp = [0x09, 0x0a, 0x0d, 0x20, 0xa0, 0xfeff, 0x200d][Math.floor(next() * 7)]!;
    else if (r < 0.65) cp = 0x80 + Math.floor(next() * 0x780);
    else if (r < 0.85) {
      cp = 0x800 + Math.floor(next() * (0x10000 - 0x800));
      if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800; // skip the surrogate block
    } else cp = 0x10000 + Math.floor(next() * (0x110000 - 0x10000));
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** Pseudo-language text: Zipf-ish words from a random syllable inventory. */
function generatedCorpus(chars: number, seed: number): string {
  const next = rng(seed);
  const syllables = Array.from({ length: 300 }, () => {
    const c = 'bcdfghklmnprstvwz'[Math.floor(next() * 17)]!;
    const v = 'aeiouyäé'[Math.floor(next() * 8)]!;
    return c + v + (next() < 0.3 ? 'n' : '');
  });
  const words = Array.from({ length: 5000 }, () => {
    let w = '';
    const n = 1 + Math.floor(next() * 4);
    for (let i = 0; i < n; i++) w += syllables[Math.floor(next() * next() * syllables.length)];
    return w;
  });
  const out: string[] = [];
  let length = 0;
  while (length < chars) {
    const w = words[Math.floor(next() * next() * next() * words.length)]!;
    const sep = next() < 0.08 ? '.\n' : next() < 0.1 ? ', ' : ' ';
    out.push(w, sep);
    length += w.length + sep.length;
  }
  return out.join('');
}

/**
 * Reference trainer written for clarity, not speed: recount every pair of every word at
 * each step and take the highest count, ties to the smallest (left id, right id). Returns
 * merges in tokenizer.json form so it can be compared with the real trainer's output.
 */
function naiveMerges(text: string, vocabSize: number): string[] {
  const pattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;
  const symbolOf = Object.entries((untrained.toJSON() as Doc).model.vocab)
    .filter(([, id]) => id < 256)
    .sort((x, y) => x[1] - y[1])
    .map(([s]) => s);
  const counts = new Map<string, number>();
  for (const piece of text.split(/<\|endoftext\|>|<\|pad\|>/)) {
    for (const m of piece.matchAll(pattern)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  }
  const words = [...counts].map(([w, c]) => ({ ids: Array.from(bytesOf(w)), c }));
  const strings = symbolOf.slice(); // id -> byte-level string; 256 and 257 are never merged
  strings.push('<|endoftext|>', '<|pad|>');
  const merges: string[] = [];
  let size = 258;
  while (size < vocabSize) {
    const pairs = new Map<number, number>();
    for (const { ids, c } of words) {
      for (let i = 0; i + 1 < ids.length; i++) {
        const k = ids[i]! * 2 ** 21 + ids[i + 1]!;
        pairs.set(k, (pairs.get(k) ?? 0) + c);
      }
    }
    let best = -1;
    let bestCount = 1; // minFrequency 2
    for (const [k, n] of pairs) if (n > bestCount || (n === bestCount && n >= 2 && k < best)) [best, bestCount] = [k, n];
    if (best < 0) break;
    const [l, r] = [Math.floor(best / 2 ** 21), best % 2 ** 21];
    const joined = strings[l]! + strings[r]!;
    let merged = strings.indexOf(joined, 258);
    if (merged < 0) {
      merged = strings.push(joined) - 1;
      size++;
    }
    merges.push(`${strings[l]} ${strings[r]}`);
    for (const w of words) {
      const out: number[] = [];
      for (let i = 0; i < w.ids.length; i++) {
        if (w.ids[i] === l && w.ids[i + 1] === r) {
          out.push(merged);
          i++;
        } else out.push(w.ids[i]!);
      }
      w.ids = out;
    }
  }
  return merges;
}

/**
 * Reference encoder: in each pre-token, repeatedly merge every occurrence of the adjacent
 * pair with the lowest merge rank (the textbook BPE loop), using only the tokenizer.json.
 */
function naiveEncode(doc: Doc, text: string): number[] {
  const pattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;
  const byteSymbol = Object.entries(doc.model.vocab)
    .filter(([, id]) => id < 256)
    .sort((x, y) => x[1] - y[1])
    .map(([s]) => s);
  const rank = new Map(doc.model.merges.map((m, i) => [m as string, i]));
  const ids: number[] = [];
  for (const m of text.matchAll(pattern)) {
    let parts = Array.from(bytesOf(m[0]), (b) => byteSymbol[b]!);
    for (;;) {
      let best: string | undefined;
      for (let i = 0; i + 1 < parts.length; i++) {
        const pair = `${parts[i]} ${parts[i + 1]}`;
        if (rank.has(pair) && (best === undefined || rank.get(pair)! < rank.get(best)!)) best = pair;
      }
      if (best === undefined) break;
      const out: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && `${parts[i]} ${parts[i + 1]}` === best) {
          out.push(parts[i]! + parts[i + 1]!);
          i++;
        } else out.push(parts[i]!);
      }
      parts = out;
    }
    for (const p of parts) ids.push(doc.model.vocab[p]!);
  }
  return ids;
}

const untrained = BpeTokenizer.train('', { vocabSize: 258 });
const trained = BpeTokenizer.train(TRAIN_TEXT, { vocabSize: 400 });
const reloaded = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(trained.toJSON())));

type Doc = {
  added_tokens: { id: number; content: string }[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  model: { type: string; vocab: Record<string, number>; merges: unknown[]; ignore_merges?: boolean };
};
/** A fresh, mutable copy of `trained`'s tokenizer.json. */
const trainedDoc = (): Doc => JSON.parse(JSON.stringify(trained.toJSON())) as Doc;

describe('round trips (decode(encode(text)) === text)', () => {
  const cases: [string, string][] = [
    ['ASCII', 'Hello, world! What is the capital of France? 42 + 58 = 100.'],
    ['accents', 'Ça va très bien — naïve café, Grüße, ñandú, Ångström'],
    ['decomposed accents', 'e\u0301 a\u0308 o\u0302'],
    ['CJK', '東京は日本の首都です。我喜欢学习语言。한국어 텍스트'],
    ['emoji', '😀🎉 👍🏽 thumbs'],
    ['ZWJ family and flags', '👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵🇺🇸'],
    ['whitespace', 'a\nb\r\n\tc    d  \n\n   e\t\t \u00a0f   '],
    ['only spaces', '     '],
    ['byte order mark first', '\ufeffstarts with a BOM'],
    ['special-token text', 'a <|endoftext|> b <|pad|>'],
    ['empty', ''],
  ];
  const tokenizers: [string, BpeTokenizer][] = [
    ['untrained', untrained],
    ['trained', trained],
    ['reloaded', reloaded],
  ];
  for (const [tname, tok] of tokenizers) {
    it.each(cases)(`${tname}: %s`, (_name, text) => {
      expect(tok.decode(tok.encode(text))).toBe(text);
      expect(tok.decode(tok.encode(text, { allowSpecial: true }))).toBe(text);
    });
  }

  it('random Unicode text, astral planes included (seeded)', () => {
    const next = rng(1234);
    for (let i = 0; i < 200; i++) {
      const text = randomText(next, 1 + Math.floor(next() * 80));
      for (const [, tok] of tokenizers) expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });

  it('encodes like the textbook lowest-rank-first BPE loop', () => {
    const doc = trained.toJSON() as Doc;
    const next = rng(5);
    const texts = [TRAIN_TEXT, 'aaaaaaa bbbbbb the the thethe', ...Array.from({ length: 50 }, () => randomText(next, 60))];
    for (const text of texts) expect(trained.encode(text)).toEqual(naiveEncode(doc, text));
  });

  it('the training text itself', () => {
    expect(trained.decode(trained.encode(TRAIN_TEXT))).toBe(TRAIN_TEXT);
  });

  it('decodeBytes gives the UTF-8 bytes of the text', () => {
    const text = 'héllo 👋 世界';
    expect(Array.from(trained.decodeBytes(trained.encode(text)))).toEqual(Array.from(bytesOf(text)));
  });
});

describe('pre-tokenization follows Unicode White_Space, as Hugging Face tokenizers does', () => {
  // Expected splits are those of HF tokenizers' ByteLevel pre-tokenizer (checked against the
  // Python library by `npm run test:interop`). JavaScript's \s would give the other column.
  const cases: Array<[string, string, string[], string[]]> = [
    ['U+0085 (NEXT LINE) is whitespace', 'end.\u0085Next', ['end', '.', '\u0085', 'Next'], ['end', '.\u0085', 'Next']],
    ['U+0085 after a space', 'a \u0085b', ['a', ' ', '\u0085', 'b'], ['a', ' \u0085', 'b']],
    ['U+FEFF (BOM) is a symbol, not whitespace', 'a \ufeffb', ['a', ' \ufeff', 'b'], ['a', ' ', '\ufeff', 'b']],
    ['U+FEFF after a run of spaces', '\ufeff\ufeffword  \ufeff', ['\ufeff\ufeff', 'word', ' ', ' \ufeff'], ['\ufeff\ufeff', 'word', '  ', '\ufeff']],
    ['other White_Space characters', 'a\u00a0\u2028b\u3000 c', ['a', '\u00a0', '\u2028', 'b', '\u3000', ' c'], ['a', '\u00a0', '\u2028', 'b', '\u3000', ' c']],
  ];
  it.each(cases)('%s', (_name, text, hf, jsWhitespace) => {
    expect(preTokenize(text)).toEqual(hf);
    expect(preTokenize(text).join('')).toBe(text);
    // The test can fail: the split JavaScript's \s gives differs except where both agree.
    if (hf.join('|') !== jsWhitespace.join('|')) expect(preTokenize(text)).not.toEqual(jsWhitespace);
  });

  it('merges never join a U+0085 to the symbol before it', () => {
    const tok = BpeTokenizer.train('end.\u0085 '.repeat(50), { vocabSize: 300 });
    const pieces = tok.pieces(tok.encode('end.\u0085Next'));
    expect(pieces.some((p) => p.includes('.') && p.includes('\u0085'))).toBe(false);
    expect(tok.decode(tok.encode('end.\u0085Next \ufeff'))).toBe('end.\u0085Next \ufeff');
  });
});

describe('training', () => {
  it('gives exactly the requested vocab size when the text has enough pairs', () => {
    expect(trained.vocabSize).toBe(400);
    const vocab = (trained.toJSON() as Doc).model.vocab;
    expect(Object.keys(vocab)).toHaveLength(400);
    expect(new Set(Object.values(vocab)).size).toBe(400);
  });

  it('stops early when no pair reaches minFrequency', () => {
    const tok = BpeTokenizer.train('abcdefg', { vocabSize: 1000 }); // every pair occurs once
    expect(tok.vocabSize).toBe(258);
    expect(BpeTokenizer.train('abcdefg', { vocabSize: 1000, minFrequency: 1 }).vocabSize).toBeGreaterThan(258);
  });

  it('lays out ids as bytes, then <|endoftext|> and <|pad|>, then merges', () => {
    expect(trained.eosId).toBe(256);
    expect(trained.padId).toBe(257);
    expect(trained.encode('A')).toEqual([65]);
    expect(trained.pieces([256, 257])).toEqual([SPECIAL_TOKENS.endOfText, SPECIAL_TOKENS.pad]);
  });

  it('empty text gives just the bytes and the special tokens', () => {
    expect(untrained.vocabSize).toBe(258);
    expect(untrained.encode('hi there')).toEqual(Array.from(bytesOf('hi there')));
  });

  it('merges shorten the encoding of the training text compared with bytes', () => {
    const ids = trained.encode(TRAIN_TEXT);
    expect(ids.length).toBeLessThan(bytesOf(TRAIN_TEXT).length * 0.6);
  });

  it('is deterministic: the same text twice gives the same tokenizer.json', () => {
    const again = BpeTokenizer.train(TRAIN_TEXT, { vocabSize: 400 });
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(trained.toJSON()));
  });

  it('learns the same merges as a naive trainer that recounts every pair each step', () => {
    const text = TRAIN_TEXT + generatedCorpus(20_000, 3);
    const vocabSize = 700;
    const fast = (BpeTokenizer.train(text, { vocabSize }).toJSON() as Doc).model.merges;
    expect(fast).toEqual(naiveMerges(text, vocabSize));
    expect(fast.length).toBeGreaterThanOrEqual(vocabSize - 258);
  });

  it('breaks count ties by the smallest (left id, right id)', () => {
    // Words "ab", " cd" x2, " ab": pairs (a,b), (Ġ,c), (c,d) all occur twice; (Ġ,c) = (32, 99) is smallest.
    const tok = BpeTokenizer.train('ab cd ab cd', { vocabSize: 259 });
    expect((tok.toJSON() as Doc).model.merges).toEqual(['Ġ c']);
  });

  it('never merges across a word boundary', () => {
    const tok = BpeTokenizer.train('hello world, hello there. '.repeat(50), { vocabSize: 320, minFrequency: 1 });
    const learned = tok.pieces(Array.from({ length: tok.vocabSize - 258 }, (_, i) => 258 + i));
    expect(learned.length).toBeGreaterThan(0);
    // A space can only start a word, so a learned token never has a space after another character,
    // and never mixes letters with punctuation.
    for (const piece of learned) {
      expect(piece).not.toMatch(/\S /u);
      expect(piece).not.toMatch(/\p{L}[^\s\p{L}]|[^\s\p{L}]\p{L}/u);
    }
  });

  it('does not learn merges from special-token text in the corpus', () => {
    const tok = BpeTokenizer.train('one doc<|endoftext|>another doc<|endoftext|>'.repeat(30), { vocabSize: 300 });
    for (const piece of tok.pieces(Array.from({ length: tok.vocabSize - 258 }, (_, i) => 258 + i))) {
      expect(piece).not.toContain('|');
    }
  });

  it('reports progress up to (total, total)', () => {
    const calls: [number, number][] = [];
    BpeTokenizer.train(TRAIN_TEXT, { vocabSize: 358, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls.at(-1)).toEqual([100, 100]);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThan(calls[i - 1]![0]);
  });

  it.each([257, 0, -5, 300.5, Number.NaN])('rejects vocabSize %s, naming the value', (vocabSize) => {
    expect(() => BpeTokenizer.train('abc', { vocabSize })).toThrow(`got ${vocabSize}`);
    expect(() => BpeTokenizer.train('abc', { vocabSize })).toThrow(/vocabSize must be an integer from 258/);
  });

  it('rejects minFrequency below 1', () => {
    expect(() => BpeTokenizer.train('abc', { vocabSize: 300, minFrequency: 0 })).toThrow(
      'minFrequency must be an integer >= 1, got 0',
    );
  });

  it('trains on ~200 KB of generated text with a 2000 vocab (speed sanity)', { timeout: 120_000 }, () => {
    const text = generatedCorpus(200_000, 7);
    const tok = BpeTokenizer.train(text, { vocabSize: 2000 });
    expect(tok.vocabSize).toBe(2000);
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(text);
    expect(ids.length).toBeLessThan(bytesOf(text).length / 2);
  });
});

describe('special tokens', () => {
  const text = `first${SPECIAL_TOKENS.endOfText}second${SPECIAL_TOKENS.pad}`;

  it('allowSpecial: true turns the special strings into their single ids', () => {
    const ids = trained.encode(SPECIAL_TOKENS.endOfText, { allowSpecial: true });
    expect(ids).toEqual([trained.eosId]);
    const mixed = trained.encode(text, { allowSpecial: true });
    expect(mixed.filter((id) => id === trained.eosId)).toHaveLength(1);
    expect(mixed.at(-1)).toBe(trained.padId);
  });

  it('without allowSpecial the same text is ordinary bytes, so user text cannot inject eos', () => {
    for (const ids of [trained.encode(text), trained.encode(text, { allowSpecial: false })]) {
      expect(ids).not.toContain(trained.eosId);
      expect(ids).not.toContain(trained.padId);
      expect(trained.decode(ids)).toBe(text);
    }
  });

  it('isSpecial marks only the added tokens', () => {
    expect(trained.isSpecial(trained.eosId)).toBe(true);
    expect(trained.isSpecial(trained.padId)).toBe(true);
    expect(trained.isSpecial(65)).toBe(false);
    expect(trained.isSpecial(300)).toBe(false);
  });
});

describe('decoding partial UTF-8', () => {
  const emoji = '👍'; // F0 9F 91 8D

  it('decode of half a character gives U+FFFD instead of throwing', () => {
    const ids = untrained.encode(emoji);
    expect(ids).toHaveLength(4);
    expect(untrained.decode(ids.slice(0, 2))).toBe('\ufffd');
    expect(untrained.decode(ids)).toBe(emoji);
  });

  it('StreamDecoder emits an emoji split across byte tokens whole, once complete', () => {
    const stream = new StreamDecoder(untrained);
    const out = untrained.encode(`a${emoji}b`).map((id) => stream.push(id));
    expect(out).toEqual(['a', '', '', '', emoji, 'b']);
    expect(stream.flush()).toBe('');
  });

  it('StreamDecoder output concatenates to the full text', () => {
    const text = 'Héllo 👨‍👩‍👧 世界 🇫🇷!';
    for (const tok of [untrained, trained]) {
      const stream = new StreamDecoder(tok);
      const parts = tok.encode(text).map((id) => stream.push(id));
      expect(parts.join('') + stream.flush()).toBe(text);
      expect(parts.some((p) => p.includes('\ufffd'))).toBe(false);
    }
  });

  it('StreamDecoder.flush turns trailing incomplete bytes into U+FFFD', () => {
    const stream = new StreamDecoder(untrained);
    for (const id of untrained.encode(emoji).slice(0, 3)) expect(stream.push(id)).toBe('');
    expect(stream.flush()).toBe('\ufffd');
  });

  it('ids without a token decode to U+FFFD', () => {
    expect(trained.decode([72, 100_000, 105])).toBe('H\ufffdi');
    expect(trained.pieces([100_000])).toEqual(['<unknown id 100000>']);
  });
});

describe('pieces', () => {
  it('shows each token as text, and bytes that are not UTF-8 alone as <0xNN>', () => {
    expect(untrained.pieces(untrained.encode('a€'))).toEqual(['a', '<0xE2>', '<0x82>', '<0xAC>']);
    const ids = trained.encode('The capital');
    expect(trained.pieces(ids).join('')).toBe('The capital');
  });

  it('keeps valid characters and marks only the broken bytes in a mixed token', () => {
    // é is C3 A9. Pairs (a, C3) and (C3, A9) both occur 3 times; the tie goes to (97, 195),
    // whose token GPT-2's alphabet writes 'aÃ': a valid 'a' then half of é.
    const tok = BpeTokenizer.train('aé aé aé', { vocabSize: 259 });
    const id = (tok.toJSON() as Doc).model.vocab['aÃ'];
    expect(id).toBe(258);
    expect(tok.pieces([id!])).toEqual(['a<0xC3>']);
  });
});

describe('tokenizer.json', () => {
  const samples = [TRAIN_TEXT, 'Unseen words: quixotic zephyr 🦊 ünïcödé', randomText(rng(99), 300)];

  it('has the Hugging Face layout', () => {
    const doc = trained.toJSON() as Record<string, unknown> & Doc;
    expect(doc['version']).toBe('1.0');
    expect(doc.pre_tokenizer).toEqual({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect(doc['decoder']).toMatchObject({ type: 'ByteLevel' });
    expect(doc.model).toMatchObject({ type: 'BPE', dropout: null, unk_token: null, fuse_unk: false, byte_fallback: false });
    expect(doc.added_tokens).toEqual([
      { id: 256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 257, content: '<|pad|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ]);
    expect(doc.model.vocab['Ġ']).toBe(32); // GPT-2's byte alphabet: space is written Ġ
    expect(doc.model.vocab['!']).toBe(33);
    expect(doc.model.merges.every((m) => typeof m === 'string' && m.split(' ').length === 2)).toBe(true);
  });

  it('toJSON -> JSON.stringify -> fromJSON encodes identically and writes the same document', () => {
    for (const text of samples) {
      expect(reloaded.encode(text)).toEqual(trained.encode(text));
      expect(reloaded.encode(text, { allowSpecial: true })).toEqual(trained.encode(text, { allowSpecial: true }));
    }
    expect(JSON.stringify(reloaded.toJSON())).toBe(JSON.stringify(trained.toJSON()));
    expect([reloaded.vocabSize, reloaded.eosId, reloaded.padId]).toEqual([400, 256, 257]);
  });

  it('accepts the document as a JSON string', () => {
    expect(BpeTokenizer.fromJSON(JSON.stringify(trained.toJSON())).encode(samples[1]!)).toEqual(
      trained.encode(samples[1]!),
    );
  });

  it('loads merges written as [left, right] arrays (newer HF) the same as "left right"', () => {
    const doc = trainedDoc();
    doc.model.merges = doc.model.merges.map((m) => (m as string).split(' '));
    const tok = BpeTokenizer.fromJSON(doc);
    for (const text of samples) expect(tok.encode(text)).toEqual(trained.encode(text));
  });

  it('loads a GPT-2 style file without <|pad|>: eos from <|endoftext|>, pad falls back to eos', () => {
    const doc = trainedDoc();
    // GPT-2 keeps <|endoftext|> as the last id and has no pad token.
    delete doc.model.vocab['<|pad|>'];
    doc.added_tokens = doc.added_tokens.filter((t) => t.content === '<|endoftext|>');
    const tok = BpeTokenizer.fromJSON(doc);
    expect(tok.eosId).toBe(256);
    expect(tok.padId).toBe(256);
    expect(tok.encode('<|endoftext|>', { allowSpecial: true })).toEqual([256]);
    expect(tok.encode(samples[0]!)).toEqual(trained.encode(samples[0]!));
  });

  it('finds <|endoftext|> in model.vocab alone and still matches it as one special token', () => {
    const doc = trainedDoc();
    doc.added_tokens = [];
    const tok = BpeTokenizer.fromJSON(doc);
    expect(tok.encode('x<|endoftext|>', { allowSpecial: true })).toEqual([120, 256]);
    expect(tok.encode('x<|endoftext|>')).not.toContain(256);
    expect(tok.padId).toBe(257);
  });

  it('honours ignore_merges: a word that is itself in the vocab becomes that id', () => {
    const doc = trainedDoc();
    const abcId = untrained.vocabSize + 200; // a token no merge path produces
    doc.model.vocab = Object.fromEntries(Object.entries(doc.model.vocab).filter(([, id]) => id < 258));
    doc.model.vocab['ab'] = 258;
    doc.model.vocab['abc'] = abcId;
    doc.model.merges = ['a b'];
    expect(BpeTokenizer.fromJSON(doc).encode('abc')).toEqual([258, 99]);
    doc.model.ignore_merges = true;
    expect(BpeTokenizer.fromJSON(doc).encode('abc')).toEqual([abcId]);
    expect(BpeTokenizer.fromJSON(doc).vocabSize).toBe(abcId + 1);
  });

  const malformed: [string, (doc: Doc) => unknown, string][] = [
    ['null', () => null, 'tokenizer.json: expected a JSON object, got null'],
    ['an array', () => [], 'tokenizer.json: expected a JSON object, got an array'],
    ['a number', () => 42, 'tokenizer.json: expected a JSON object, got number'],
    ['invalid JSON text', () => '{"model": ', 'tokenizer.json: not valid JSON'],
    ['no model', () => ({ version: '1.0' }), 'tokenizer.json: model is missing'],
    [
      'a WordPiece model',
      (d) => ({ ...d, model: { ...d.model, type: 'WordPiece' } }),
      'tokenizer.json: model.type must be BPE, got WordPiece',
    ],
    [
      'no vocab',
      (d) => ({ ...d, model: { type: 'BPE', merges: [] } }),
      'tokenizer.json: model.vocab is missing (expected an object of token -> id)',
    ],
    [
      'no merges',
      (d) => ({ ...d, model: { type: 'BPE', vocab: d.model.vocab } }),
      'tokenizer.json: model.merges is missing (expected an array)',
    ],
    [
      'a merge with an unknown token',
      (d) => {
        d.model.merges[17] = 'x qqq';
        return d;
      },
      "tokenizer.json: merge 17 'x qqq' uses unknown token 'qqq'",
    ],
    [
      'a merge whose result is not in the vocab',
      (d) => {
        d.model.merges[3] = 'q z';
        return d;
      },
      "tokenizer.json: merge 3 'q z' makes 'qz', which is not in model.vocab",
    ],
    [
      'a merge that is not a pair',
      (d) => {
        d.model.merges[0] = 'abc';
        return d;
      },
      'tokenizer.json: merge 0 must be "left right" or ["left", "right"], got "abc"',
    ],
    [
      'a negative id',
      (d) => {
        d.model.vocab['Ġ'] = -1;
        return d;
      },
      "tokenizer.json: model.vocab['Ġ'] must be an integer id from 0 to 2097151, got -1",
    ],
    [
      'two tokens with one id',
      (d) => {
        d.model.vocab['b'] = 97;
        return d;
      },
      "tokenizer.json: id 97 is used by both 'a' and 'b'",
    ],
    [
      'no <|endoftext|> anywhere',
      (d) => {
        delete d.model.vocab['<|endoftext|>'];
        d.added_tokens = d.added_tokens.filter((t) => t.content !== '<|endoftext|>');
        return d;
      },
      'tokenizer.json: no <|endoftext|> token in added_tokens or model.vocab; the studio needs it',
    ],
    [
      'a missing byte token',
      (d) => {
        delete d.model.vocab['Ā'];
        return d;
      },
      "tokenizer.json: model.vocab lacks the token 'Ā' for byte <0x00>; byte-level BPE needs all 256",
    ],
    [
      'a vocab token outside the byte alphabet',
      (d) => {
        d.model.vocab['▁hello'] = 5000;
        return d;
      },
      "tokenizer.json: model.vocab token '▁hello' (id 5000) is not written in the byte-level alphabet",
    ],
    [
      'a Metaspace pre-tokenizer',
      (d) => ({ ...d, pre_tokenizer: { type: 'Metaspace' } }),
      'tokenizer.json: pre_tokenizer must be ByteLevel (GPT-2 style), got Metaspace',
    ],
    [
      'a normalizer',
      (d) => ({ ...d, normalizer: { type: 'NFC' } }),
      'tokenizer.json: normalizer must be null',
    ],
    [
      'added_tokens that is not an array',
      (d) => ({ ...d, added_tokens: {} }),
      'tokenizer.json: added_tokens must be an array, got object',
    ],
    [
      'an added token whose id disagrees with the vocab',
      (d) => {
        d.added_tokens[0]!.id = 300;
        return d;
      },
      "tokenizer.json: added_tokens[0] '<|endoftext|>' has id 300 but model.vocab gives 256",
    ],
  ];
  it.each(malformed)('rejects %s with a specific message', (_name, make, message) => {
    expect(() => BpeTokenizer.fromJSON(make(trainedDoc()))).toThrow(message);
  });

  it('the untouched document loads (so each failure above comes from its one change)', () => {
    expect(() => BpeTokenizer.fromJSON(trainedDoc())).not.toThrow();
  });
});
