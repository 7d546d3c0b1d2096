import { describe, expect, it } from 'vitest';
import { detectFormat } from './detect';
import { readFixture } from './test-helpers';

describe('detectFormat', () => {
  const cases: Array<[string, string, string]> = [
    ['alpaca.json', 'alpaca', 'json'],
    ['alpaca.jsonl', 'alpaca', 'jsonl'],
    ['dolly.jsonl', 'dolly', 'jsonl'],
    ['seed_tasks.jsonl', 'self-instruct', 'jsonl'],
    ['oasst_flat.jsonl', 'oasst', 'jsonl'],
    ['oasst_trees.jsonl', 'oasst', 'jsonl'],
    ['messages.jsonl', 'messages', 'jsonl'],
    ['sharegpt.json', 'sharegpt', 'json'],
    ['qa.csv', 'csv', 'delimited'],
    ['qa.tsv', 'tsv', 'delimited'],
  ];
  for (const [file, format, container] of cases) {
    it(`recognises ${file} as ${format}`, () => {
      const d = detectFormat(readFixture(file), file);
      expect(d.format).toBe(format);
      expect(d.container).toBe(container);
      expect(d.confidence).toBeGreaterThanOrEqual(0.9);
      expect(d.reason.length).toBeGreaterThan(10);
    });
  }

  it('detects from content, not the file name', () => {
    expect(detectFormat(readFixture('dolly.jsonl'), 'upload.txt').format).toBe('dolly');
    expect(detectFormat(readFixture('sharegpt.json'), 'data.jsonl').format).toBe('sharegpt');
  });

  it('sniffs tab-separated text without a telling name, with lower confidence', () => {
    const d = detectFormat('prompt\tcompletion\nHi\tHello\n', 'paste.txt');
    expect(d.format).toBe('tsv');
    expect(d.confidence).toBeLessThan(0.9);
  });

  it('guesses from field names when the JSON is broken, with low confidence', () => {
    const broken = '[{"instruction": "a", "input": "", "output": "b"},';
    const d = detectFormat(broken, 'x.json');
    expect(d.format).toBe('alpaca');
    expect(d.confidence).toBe(0.5);
    expect(d.reason).toContain('not valid JSON');
  });

  it('returns no format, with the fields it saw, for unknown records', () => {
    const d = detectFormat('{"question": "a", "answer": "b"}\n', 'x.jsonl');
    expect(d.format).toBeNull();
    expect(d.reason).toContain('"question", "answer"');
  });

  it('lowers confidence when records disagree', () => {
    const text = ['{"instruction": "a", "output": "b"}', '{"instruction": "a", "response": "b"}', '{"instruction": "c", "output": "d"}'].join('\n');
    const d = detectFormat(text, 'mixed.jsonl');
    expect(d.format).toBe('alpaca');
    expect(d.confidence).toBeLessThan(0.9);
    expect(d.reason).toContain('2 of the first 3');
  });

  it('says an empty file is empty', () => {
    expect(detectFormat('  \n', 'e.json')).toMatchObject({ format: null, reason: 'the file is empty' });
  });
});
