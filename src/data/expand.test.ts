import { describe, expect, it } from 'vitest';
import { ExpandError, expandTask } from './expand';
import { computeStats, formatHistogram, formatStats, histogram, summarize } from './stats';
import { findDuplicates } from './dedupe';
import { PLAIN_TEMPLATE } from './templates';
import { byteTokenizer, importOk, readFixture } from './test-helpers';

const capitals = [
  { x: 'France', y: 'Paris' },
  { x: 'Japan', y: 'Tokyo' },
  { x: 'Kenya', y: 'Nairobi' },
];
const templates = ['What is the capital of {x}?', 'Name the capital city of {x}.', "{x}'s capital is which city?"];

describe('expandTask (FLAN-style)', () => {
  it('makes one example per row per template, with the category set', () => {
    const out = expandTask({ category: 'capitals', rows: capitals, templates });
    expect(out).toHaveLength(9);
    expect(out.map((e) => e.instruction).slice(0, 3)).toEqual([
      'What is the capital of France?',
      'Name the capital city of France.',
      "France's capital is which city?",
    ]);
    expect(out.every((e) => e.category === 'capitals' && e.source === 'flan:capitals')).toBe(true);
    expect(out[4]).toMatchObject({ id: 'flan:capitals:2:2', response: 'Tokyo' });
  });

  it('uses a response template and other row fields', () => {
    const out = expandTask({
      category: 'definitions',
      rows: [{ word: 'arid', meaning: 'very dry' }],
      templates: ['Define "{word}".'],
      responseTemplate: '"{word}" means {meaning}.',
    });
    expect(out[0]).toMatchObject({ instruction: 'Define "arid".', response: '"arid" means very dry.' });
  });

  it('draws a seeded sample of templates per row', () => {
    const a = expandTask({ category: 'capitals', rows: capitals, templates, templatesPerRow: 1, seed: 3 });
    const b = expandTask({ category: 'capitals', rows: capitals, templates, templatesPerRow: 1, seed: 3 });
    expect(a).toHaveLength(3);
    expect(a).toEqual(b);
    const seeds = [1, 2, 3, 4, 5, 6].map((seed) => expandTask({ category: 'c', rows: capitals, templates, templatesPerRow: 1, seed }).map((e) => e.id).join());
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('names the row and field a template needs but the row lacks', () => {
    expect(() => expandTask({ category: 'c', rows: [{ x: 'a', y: 'b' }, { x: 'c' } as never], templates: ['{x}?'] })).toThrow(
      'Task "c", row 2, template 1 (response): the template uses {y}, but the row has no "y" field (it has {x}).',
    );
    expect(() => expandTask({ category: 'c', rows: capitals, templates: [] })).toThrow(ExpandError);
  });

  it('produces near-duplicates by ROUGE-L, as templated data does: the report shows it', () => {
    const out = expandTask({ category: 'capitals', rows: capitals, templates: ['What is the capital of {x}?'] });
    expect(findDuplicates(out).near).toBe(2);
  });
});

describe('stats', () => {
  it('counts examples, categories and lengths', () => {
    const { examples } = importOk(readFixture('dolly.jsonl'), { fileName: 'dolly.jsonl' });
    const s = computeStats(examples, { tokenizer: byteTokenizer(), template: PLAIN_TEMPLATE });
    expect(s.examples).toBe(4);
    expect(s.withInput).toBe(2);
    expect(s.categories.map((c) => c.name).sort()).toEqual(['brainstorming', 'closed_qa', 'open_qa', 'summarization']);
    expect(s.instructionWords.min).toBe(6); // "Summarise the paragraph in one sentence."
    expect(s.tokens?.min).toBeGreaterThan(0);
    const text = formatStats(s);
    expect(text).toContain('Examples: 4');
    expect(text).toContain('Response words (histogram):');
  });

  it('summarises and buckets values', () => {
    expect(summarize([3, 1, 2, 10])).toEqual({ min: 1, max: 10, mean: 4, median: 2.5, total: 16 });
    const h = histogram([1, 4, 5, 19, 20, 5000]);
    expect(h.map((b) => b.count)).toEqual([2, 1, 1, 1, 0, 0, 0, 0, 1]);
    expect(h[0]?.label).toBe('0-4');
    expect(h[8]?.label).toBe('1000+');
    expect(formatHistogram(h).split('\n')[0]).toBe('      0-4 | 2 ########################################');
  });
});
