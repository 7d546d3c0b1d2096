import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lcsAtLeast, lcsLength, rougeL, rougeTokens } from './rouge';
import { describeDuplicates, dropDuplicates, exactKey, findDuplicates } from './dedupe';
import { Random } from '../util/random';
import { requestOf, type Example } from './schema';
import { importOk } from './test-helpers';

const ex = (id: string, instruction: string, response = 'r', input?: string): Example => {
  const e: Example = { id, source: 't', kind: 'instruction', instruction, response };
  if (input !== undefined) e.input = input;
  return e;
};

describe('rougeL', () => {
  it('matches hand-computed values', () => {
    // LCS("the cat sat on the mat", "the cat lay on the mat") = the cat on the mat = 5 of 6 words each
    const a = rougeL('The cat sat on the mat.', 'the cat lay on the mat');
    expect(a.precision).toBeCloseTo(5 / 6, 12);
    expect(a.recall).toBeCloseTo(5 / 6, 12);
    expect(a.f).toBeCloseTo(5 / 6, 12);
    // reference "a b c d", candidate "a c e": LCS "a c" = 2; P = 2/3, R = 2/4, F = 2PR/(P+R) = 4/7
    const b = rougeL('a b c d', 'a c e');
    expect(b.precision).toBeCloseTo(2 / 3, 12);
    expect(b.recall).toBeCloseTo(1 / 2, 12);
    expect(b.f).toBeCloseTo(4 / 7, 12);
    // order matters: "d c b a" vs "a b c d" share only one word in order
    expect(rougeL('a b c d', 'd c b a').f).toBeCloseTo(1 / 4, 12);
    // Self-Instruct's threshold case: 7 of 10 words in order on both sides -> exactly 0.7
    const t = rougeL('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10', 'w1 w2 w3 w4 w5 w6 w7 x y z');
    expect(t.f).toBeCloseTo(0.7, 12);
  });

  it('is 0 for nothing in common or empty text, 1 for the same words whatever the case and punctuation', () => {
    expect(rougeL('alpha beta', 'gamma delta')).toEqual({ precision: 0, recall: 0, f: 0 });
    expect(rougeL('', 'anything').f).toBe(0);
    expect(rougeL('What is the capital of France?', 'what is THE capital of france').f).toBe(1);
  });

  it('splits words in any script on letters and digits', () => {
    expect(rougeTokens("Qu'est-ce que c'est? 東京 2024")).toEqual(['qu', 'est', 'ce', 'que', 'c', 'est', '東京', '2024']);
    expect(lcsLength('ABCBDAB', 'BDCABA')).toBe(4);
  });
});

/** The obvious quadratic version of the same greedy rule, to check the indexed one against. */
function bruteForce(examples: Example[], threshold = 0.7) {
  const kept: Array<{ i: number; toks: string[] }> = [];
  const keys = new Map<string, number>();
  const out: Array<{ index: number; kind: string; score: number }> = [];
  examples.forEach((e, i) => {
    const key = exactKey(e);
    if (keys.has(key)) {
      out.push({ index: i, kind: 'exact', score: 1 });
      return;
    }
    keys.set(key, i);
    const toks = rougeTokens(requestOf(e));
    let best = 0;
    for (const k of kept) {
      const f = (2 * lcsLength(toks, k.toks)) / (toks.length + k.toks.length);
      if (f >= threshold && f > best) best = f;
    }
    if (best > 0) out.push({ index: i, kind: 'near', score: best });
    else if (toks.length > 0) kept.push({ i, toks });
  });
  return out;
}

function randomInstructions(n: number, seed: number, vocabSize: number, dupRate: number): Example[] {
  const rng = new Random(seed);
  // Zipf-like vocabulary: low word numbers are much more common.
  const word = (): string => `w${Math.floor(vocabSize ** rng.next())}`;
  const out: Example[] = [];
  for (let i = 0; i < n; i++) {
    const roll = rng.next();
    if (i > 0 && roll < dupRate) {
      const src = out[rng.int(out.length)] as Example & { instruction: string };
      out.push(ex(`e${i}`, src.instruction, src.kind === 'instruction' ? src.response : 'r'));
    } else if (i > 0 && roll < dupRate * 3) {
      const src = (out[rng.int(out.length)] as { instruction: string }).instruction.split(' ');
      src[rng.int(src.length)] = word();
      out.push(ex(`e${i}`, src.join(' '), `resp ${i}`));
    } else {
      const len = 4 + rng.int(14);
      out.push(ex(`e${i}`, Array.from({ length: len }, word).join(' '), `resp ${i}`));
    }
  }
  return out;
}

describe('findDuplicates', () => {
  it('reports exact duplicates (case and spacing ignored) and which record each repeats', () => {
    const r = findDuplicates([ex('a', 'Name a fruit.', 'Apple'), ex('b', 'List three colours.'), ex('c', 'name  a FRUIT.', 'apple')]);
    expect(r.pairs).toEqual([{ index: 2, id: 'c', duplicateOf: 0, duplicateOfId: 'a', inExisting: false, kind: 'exact', score: 1 }]);
    expect(r.exact).toBe(1);
  });

  it('reports near-duplicates at ROUGE-L >= 0.7 with their score, and not below', () => {
    const r = findDuplicates([
      ex('a', 'What is the capital city of France?'),
      ex('b', 'What is the capital city of Spain?'), // 6/7 words in order
      ex('c', 'Write a poem about the sea.'),
      ex('d', 'Write a short story about a dragon.'), // LCS "write a about" = 3 -> 2*3/13 < 0.7
    ]);
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0]).toMatchObject({ index: 1, duplicateOf: 0, kind: 'near' });
    expect(r.pairs[0]?.score).toBeCloseTo(6 / 7, 12);
    expect(describeDuplicates(r)).toBe('1 near-duplicate (ROUGE-L ≥ 0.7 with an earlier instruction).');
  });

  it('compares instruction and input together, so one instruction over different inputs is not a duplicate', () => {
    const r = findDuplicates([
      ex('a', 'Is the review positive or negative?', 'Negative', 'The soup was cold and the waiter ignored us.'),
      ex('b', 'Is the review positive or negative?', 'Positive', 'Lovely staff and the best bread I have had in years.'),
    ]);
    expect(r.pairs).toEqual([]);
  });

  it('checks new records against an existing dataset', () => {
    const existing = [ex('old1', 'Give me a synonym for happy.')];
    const r = findDuplicates([ex('new1', 'Give me a synonym for happy'), ex('new2', 'Explain photosynthesis.'), ex('new3', 'give me a synonym for happy.')], {
      existing,
    });
    expect(r.pairs).toEqual([
      { index: 0, id: 'new1', duplicateOf: 0, duplicateOfId: 'old1', inExisting: true, kind: 'near', score: 1 },
      { index: 2, id: 'new3', duplicateOf: 0, duplicateOfId: 'old1', inExisting: true, kind: 'exact', score: 1 },
    ]);
  });

  it('compares only with kept records, so dropping every reported one leaves no near-duplicate pair', () => {
    const examples = randomInstructions(400, 3, 60, 0.1);
    const report = findDuplicates(examples);
    const kept = dropDuplicates(examples, report);
    expect(kept.length).toBe(examples.length - report.pairs.length);
    expect(findDuplicates(kept).pairs).toEqual([]);
  });

  it('finds exactly what the quadratic comparison finds (the filters lose nothing)', () => {
    for (const [seed, vocab] of [
      [1, 30],
      [2, 200],
      [3, 12],
    ] as const) {
      const examples = randomInstructions(700, seed, vocab, 0.08);
      const fast = findDuplicates(examples, { maxCandidates: 1_000_000 });
      expect(fast.cappedSearches).toBe(0);
      const slow = bruteForce(examples);
      expect(fast.pairs.map((p) => ({ index: p.index, kind: p.kind, score: p.score }))).toEqual(slow);
      expect(slow.some((p) => p.kind === 'near')).toBe(true);
    }
  });

  it('handles 50,000 records, reporting progress', { timeout: 300_000 }, () => {
    const examples = randomInstructions(50_000, 11, 20_000, 0.02);
    const progress: string[] = [];
    const report = findDuplicates(examples, { onProgress: (p) => progress.push(`${p.phase}:${p.done}/${p.total}`) });
    expect(report.exact).toBeGreaterThan(500);
    expect(report.near).toBeGreaterThan(500);
    expect(progress).toContain('exact:50000/50000');
    expect(progress).toContain('near:50000/50000');
    expect(progress.filter((p) => p.startsWith('near:')).length).toBeGreaterThanOrEqual(50);
    // far fewer comparisons than the 1.25 billion pairs
    expect(report.comparisons).toBeLessThan(50_000_000);
  });

  it('stays bounded on heavily templated data by capping candidates, and says so', () => {
    const rows = Array.from({ length: 3000 }, (_, k) => ex(`t${k}`, `please tell me what the capital city of country number ${k} is`));
    const report = findDuplicates(rows, { maxCandidates: 50 });
    expect(report.near).toBe(2999); // every templated row repeats the first within ROUGE-L 0.7
    expect(report.comparisons).toBeLessThanOrEqual(3000 * 50);
  });

  it('runs inside importDataset and reports duplicates with the import', () => {
    const text = [
      '{"instruction": "Name a planet.", "input": "", "output": "Mars"}',
      '{"instruction": "Name a planet.", "input": "", "output": "Mars"}',
      '{"instruction": "Name a planet, please.", "input": "", "output": "Venus"}',
    ].join('\n');
    const r = importOk(text, { fileName: 'p.jsonl' });
    expect(r.examples).toHaveLength(3); // reported, not dropped
    const res = r as unknown as { duplicates: ReturnType<typeof findDuplicates> };
    expect(res.duplicates.pairs.map((p) => [p.index, p.kind])).toEqual([
      [1, 'exact'],
      [2, 'near'],
    ]);
  });

  it('decides two near-identical 1 MB requests exactly, without the quadratic DP', () => {
    const rnd = new Random(5);
    const words = Array.from({ length: 170_000 }, () => `w${rnd.int(5000)}`);
    const a = words.join(' ');
    const edited = words.slice();
    for (let k = 0; k < 50; k++) edited[rnd.int(edited.length)] = 'changed';
    const report = findDuplicates([ex('a', a), ex('b', edited.join(' '))]);
    expect(report.near).toBe(1);
    expect(report.cappedComparisons).toBe(0);
    expect(report.pairs[0]?.score).toBeGreaterThan(0.999);
  });

  it('says when long texts were scored on their first words only', () => {
    const rnd = new Random(6);
    const words = Array.from({ length: 20_000 }, () => `w${rnd.int(500)}`);
    const shuffled = words.slice().sort(() => rnd.next() - 0.5);
    const report = findDuplicates([ex('a', words.join(' ')), ex('b', shuffled.join(' '))], { lcsBudget: 100_000 });
    expect(report.cappedComparisons).toBe(1);
    expect(report.near).toBe(0);
  });
});

describe('lcsAtLeast', () => {
  it('agrees with the full DP wherever it answers, and never answers wrongly', () => {
    const seq = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 40 });
    fc.assert(
      fc.property(seq, seq, fc.integer({ min: 0, max: 45 }), fc.constantFrom(0, 30, 200, 1e9), (a, b, need, budget) => {
        const full = lcsLength(a, b);
        const r = lcsAtLeast(a, b, need, budget);
        if (r.kind === 'exact') return r.lcs === full && full >= need;
        if (r.kind === 'below') return full < need;
        return budget < 1e9;
      }),
      { numRuns: 3000 },
    );
  });
});
