import { describe, expect, it } from 'vitest';
import { TEMPLATE_POOL } from '../corpus/facts';
import type { Example } from '../data/schema';
import { expandPhrasings, GENERIC_PHRASINGS, phrasingsProblem, recogniseGeoQuestion } from './phrasings';

const ex = (id: string, instruction: string, response: string): Example => ({ id, source: 't', kind: 'instruction', instruction, response });

describe('phrasings', () => {
  it('expands each instruction into N wordings, its own first, responses unchanged, reproducibly', () => {
    const data = [ex('a', 'Say hi.', 'hi'), ex('b', 'Name a colour.', 'red')];
    const r = expandPhrasings(data, 'generic', 3, 1);
    expect(r.examples).toHaveLength(6);
    expect(r.examples.map((e) => e.id)).toEqual(['a', 'a~p2', 'a~p3', 'b', 'b~p2', 'b~p3']);
    expect(r.examples[0]).toEqual(data[0]);
    expect(r.examples.slice(0, 3).every((e) => e.kind === 'instruction' && e.response === 'hi' && e.instruction.includes('Say hi.'))).toBe(true);
    expect(new Set(r.examples.slice(0, 3).map((e) => (e.kind === 'instruction' ? e.instruction : ''))).size).toBe(3);
    expect(expandPhrasings(data, 'generic', 3, 1)).toEqual(r);
    expect(r).toMatchObject({ expanded: 2, unchanged: 0 });
  });

  it('rewrites a country question through its relation\'s pool and leaves other examples as they were', () => {
    const q = TEMPLATE_POOL.currency[3]!.replace('{x}', 'Peru');
    expect(recogniseGeoQuestion(q)).toEqual({ relation: 'currency', country: 'Peru' });
    const r = expandPhrasings([ex('p', q, 'Sol'), ex('o', 'Say hi.', 'hi')], 'geo', 4, 2);
    expect(r).toMatchObject({ expanded: 1, unchanged: 1 });
    const peru = r.examples.filter((e) => e.id.startsWith('p'));
    expect(peru).toHaveLength(4);
    for (const e of peru) expect(e.kind === 'instruction' && TEMPLATE_POOL.currency.map((t) => t.replace('{x}', 'Peru')).includes(e.instruction)).toBe(true);
  });

  it('refuses a count outside 2..the pool size, naming the range', () => {
    expect(phrasingsProblem(1, 'generic')).toMatch(`from 2 to ${GENERIC_PHRASINGS.length}`);
    expect(phrasingsProblem(99, 'geo')).toMatch(`from 2 to ${TEMPLATE_POOL.capital.length}`);
    expect(() => expandPhrasings([], 'generic', 0, 1)).toThrow(/whole number from 2/);
  });
});
