import { describe, expect, it } from 'vitest';
import { describeEncodeReport, encodeExamples, fitToContext, trainedTargets } from './sequences';
import { batchIterator, evalBatches, makeBatch, packSequences } from './batching';
import { splitExamples } from './split';
import { Random } from '../util/random';
import { PLAIN_TEMPLATE } from './templates';
import { renderForTraining } from './render';
import { byteTokenizer } from './test-helpers';
import type { Example } from './schema';

const tok = byteTokenizer();
const ex = (id: string, instruction: string, response: string): Example => ({ id, source: 't', kind: 'instruction', instruction, response });

describe('fitting sequences to the context', () => {
  it('keeps sequences of up to T + 1 tokens as they are', () => {
    const fit = fitToContext([1, 2, 3, 4, 5], [0, 0, 1, 1, 1], 4);
    expect(fit).toEqual({ kept: true, ids: [1, 2, 3, 4, 5], mask: [0, 0, 1, 1, 1], truncated: false });
  });

  it("truncates: keeps the prompt head and as much response as fits", () => {
    const e = ex('a', 'Hi', 'A long answer that will not fit');
    const full = renderForTraining(e, PLAIN_TEMPLATE, tok);
    const T = full.promptLength + 5; // room for the prompt and 6 response tokens
    const { sequences, report } = encodeExamples([e], PLAIN_TEMPLATE, tok, { contextLength: T });
    const seq = sequences[0];
    expect(seq?.ids).toEqual(full.ids.slice(0, T + 1));
    expect(tok.decode(seq?.ids.slice(full.promptLength) ?? [])).toBe(' A lon');
    expect(seq?.truncated).toBe(true);
    expect(report).toMatchObject({ kept: 1, truncated: 1 });
  });

  it("drops instead of truncating with overflow 'drop', and counts it", () => {
    const e = ex('long', 'Hi', 'A long answer that will not fit');
    const short = ex('short', 'Hi', 'Yo');
    const { sequences, report } = encodeExamples([e, short], PLAIN_TEMPLATE, tok, { contextLength: 24, overflow: 'drop' });
    expect(sequences.map((s) => s.exampleId)).toEqual(['short']);
    expect(report.droppedTooLong).toEqual(['long']);
  });

  it('drops and counts an example whose prompt fills the context, never giving an all-zero mask', () => {
    const examples = [ex('fits', 'Hi', 'Hello'), ex('huge', 'x'.repeat(200), 'answer'), ex('edge', 'y'.repeat(30), 'z')];
    const edge = renderForTraining(examples[2] as Example, PLAIN_TEMPLATE, tok);
    // context so that "edge" keeps exactly its prompt plus nothing trained after position 0
    const T = edge.promptLength - 1;
    const { sequences, report } = encodeExamples(examples, PLAIN_TEMPLATE, tok, { contextLength: T });
    expect(report.droppedNoTrainedTokens).toEqual(['huge', 'edge']);
    expect(sequences.map((s) => s.exampleId)).toEqual(['fits']);
    for (const s of sequences) expect(trainedTargets(s.mask)).toBeGreaterThan(0);
    expect(describeEncodeReport(report)).toContain('2 left out because the prompt alone fills the context');
  });

  it('counts tokens and trained tokens', () => {
    const e = ex('a', 'Q', 'A');
    const r = renderForTraining(e, PLAIN_TEMPLATE, tok);
    const { report } = encodeExamples([e], PLAIN_TEMPLATE, tok, { contextLength: 100 });
    expect(report.tokens).toBe(r.ids.length);
    expect(report.trainedTokens).toBe(3); // " A" + eos
  });

  it('rejects a context length that is not a positive whole number', () => {
    expect(() => fitToContext([1], [1], 0)).toThrow(/contextLength/);
  });
});

describe('packing', () => {
  const seq = (id: string, n: number, firstTrained: number) => ({
    exampleId: id,
    ids: Array.from({ length: n }, (_, t) => 10 + t),
    mask: Array.from({ length: n }, (_, t) => (t >= firstTrained ? 1 : 0)),
    truncated: false,
  });

  it('puts short sequences together, best fit, within T + 1 tokens', () => {
    const rows = packSequences([seq('a', 6, 2), seq('b', 5, 2), seq('c', 3, 1), seq('d', 4, 1)], { contextLength: 8 });
    for (const r of rows) expect(r.ids.length).toBeLessThanOrEqual(9);
    expect(rows.map((r) => r.exampleIds)).toEqual([['a', 'c'], ['b', 'd']]);
  });

  it('numbers segments from 1 and restarts positions in each segment', () => {
    const [row] = packSequences([seq('a', 3, 1), seq('b', 2, 1)], { contextLength: 8 });
    expect(row?.segmentIds).toEqual([1, 1, 1, 2, 2]);
    expect(row?.positions).toEqual([0, 1, 2, 0, 1]);
  });

  it('gives one row per sequence without packing', () => {
    const rows = packSequences([seq('a', 3, 1), seq('b', 2, 1)], { contextLength: 8, pack: false });
    expect(rows.map((r) => r.exampleIds)).toEqual([['a'], ['b']]);
  });

  it('refuses a sequence that does not fit', () => {
    expect(() => packSequences([seq('a', 10, 1)], { contextLength: 8 })).toThrow(/fit it to the context first/);
  });

  it('never trains a target that crosses from one example into the next', () => {
    const rows = packSequences([seq('a', 3, 0), seq('b', 3, 0)], { contextLength: 6 });
    const b = makeBatch(rows, { batchSize: 1, contextLength: 6, padId: 257 });
    // row ids: a0 a1 a2 b0 b1 b2 ; inputs t=0..5, targets t+1
    expect(Array.from(b.ids)).toEqual([10, 11, 12, 10, 11, 12]);
    expect(Array.from(b.targets)).toEqual([11, 12, 10, 11, 12, 257]);
    // a2 -> b0 crosses the boundary, b2 has no target
    expect(Array.from(b.mask)).toEqual([1, 1, 0, 1, 1, 0]);
    expect(Array.from(b.segmentIds)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(Array.from(b.positions)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(b.trainedTokens).toBe(4);
  });
});

describe('batches', () => {
  const examples = Array.from({ length: 10 }, (_, k) => ex(`e${k}`, `Question ${k}?`, `Answer ${k}.`));
  const { sequences } = encodeExamples(examples, PLAIN_TEMPLATE, tok, { contextLength: 64 });
  const rows = packSequences(sequences, { contextLength: 64, pack: false });

  it('have fixed shapes B x T, pad with the pad id and mask 0, and shift targets by one', () => {
    const b = makeBatch(rows.slice(0, 2), { batchSize: 3, contextLength: 64, padId: tok.padId });
    expect(b.ids).toBeInstanceOf(Int32Array);
    expect(b.mask).toBeInstanceOf(Float32Array);
    expect(b.ids.length).toBe(3 * 64);
    expect(b.targets.length).toBe(3 * 64);
    expect(b.segmentIds.length).toBe(3 * 64);
    const row0 = rows[0]?.ids ?? [];
    expect(Array.from(b.ids.slice(0, row0.length))).toEqual(row0);
    expect(Array.from(b.targets.slice(0, row0.length - 1))).toEqual(row0.slice(1));
    expect(b.ids[row0.length]).toBe(tok.padId);
    expect(b.mask[row0.length]).toBe(0);
    expect(Array.from(b.mask.slice(128))).toEqual(new Array(64).fill(0)); // padding row
    expect(b.exampleIds).toEqual([['e0'], ['e1'], []]);
    // the mask is the rendered mask shifted by one: the target's own flag
    const m0 = rows[0]?.mask ?? [];
    expect(Array.from(b.mask.slice(0, m0.length - 1))).toEqual(m0.slice(1));
  });

  it('come in the same order for the same seed and a different order for another', () => {
    const take = (seed: number) => {
      const it = batchIterator(rows, { batchSize: 4, contextLength: 64, padId: tok.padId, seed });
      return Array.from({ length: 5 }, () => it.next().value?.exampleIds.flat().join(',') ?? '');
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it('visit every row once per epoch and never contain padding rows', () => {
    const it = batchIterator(rows, { batchSize: 4, contextLength: 64, padId: tok.padId, seed: 1 });
    const seen: string[] = [];
    for (let k = 0; k < 5; k++) {
      const b = it.next().value;
      expect(b?.exampleIds.every((ids) => ids.length === 1)).toBe(true);
      seen.push(...(b?.exampleIds.flat() ?? []));
    }
    expect(new Set(seen.slice(0, 10)).size).toBe(10);
    expect(new Set(seen.slice(10, 20)).size).toBe(10);
  });

  it('for evaluation, cover every row once in order', () => {
    const all = [...evalBatches(rows, { batchSize: 4, contextLength: 64, padId: tok.padId })];
    expect(all).toHaveLength(3);
    expect(all.flatMap((b) => b.exampleIds.flat())).toEqual(examples.map((e) => e.id));
  });
});

describe('train/validation split', () => {
  const items = Array.from({ length: 100 }, (_, k) => k);

  it('is the same for the same seed and differs for another', () => {
    const a = splitExamples(items, { valFraction: 0.1, seed: 42 });
    expect(splitExamples(items, { valFraction: 0.1, seed: 42 })).toEqual(a);
    expect(splitExamples(items, { valFraction: 0.1, seed: 43 }).val).not.toEqual(a.val);
    expect(a.val).toHaveLength(10);
    expect(a.train).toHaveLength(90);
    expect([...a.train, ...a.val].sort((x, y) => x - y)).toEqual(items);
  });

  it('holds out at least one of two or more, and always leaves one to train on', () => {
    expect(splitExamples([1, 2, 3], { valFraction: 0.01, seed: 1 }).val).toHaveLength(1);
    expect(splitExamples([1], { valFraction: 0.5, seed: 1 })).toEqual({ train: [1], val: [] });
    expect(splitExamples([1, 2], { valFraction: 0.9, seed: 1 }).train).toHaveLength(1);
    expect(splitExamples(items, { valFraction: 0, seed: 1 }).val).toEqual([]);
    expect(() => splitExamples(items, { valFraction: 1, seed: 1 })).toThrow(/valFraction/);
  });
});

describe('Random', () => {
  it('repeats its sequence for a seed, stays in range and shuffles to a permutation', () => {
    const a = new Random(123);
    const b = new Random(123);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.05);
    const r = new Random(5);
    const ints = Array.from({ length: 1000 }, () => r.int(6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const shuffled = new Random(9).shuffle(Array.from({ length: 50 }, (_, k) => k));
    expect([...shuffled].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, k) => k));
    expect(shuffled).not.toEqual(Array.from({ length: 50 }, (_, k) => k));
    expect(() => r.int(0)).toThrow();
  });
});
