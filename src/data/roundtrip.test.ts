import { describe, expect, it } from 'vitest';
import { exportAlpacaJson, exportMessagesJsonl } from './export';
import { importOk, readFixture } from './test-helpers';
import type { Example } from './schema';

/** Everything but `source`, which records the file an example was last read from. */
function content(examples: Example[]): unknown[] {
  return examples.map(({ source: _source, ...rest }) => rest);
}

const FIXTURES = [
  'alpaca.json',
  'alpaca.jsonl',
  'dolly.jsonl',
  'seed_tasks.jsonl',
  'oasst_flat.jsonl',
  'oasst_trees.jsonl',
  'messages.jsonl',
  'sharegpt.json',
  'qa.csv',
  'qa.tsv',
];

describe('import -> export -> import', () => {
  for (const file of FIXTURES) {
    it(`${file} through Alpaca JSON keeps every single-turn example exactly (ids, categories, system prompts, languages)`, () => {
      const first = importOk(readFixture(file), { fileName: file }).examples;
      const out = exportAlpacaJson(first);
      const second = importOk(out.text, { fileName: 'out.json' });
      expect(second.format).toBe('alpaca');
      const singles = first.filter((e) => e.kind === 'instruction');
      const back = second.examples.filter((e) => first.find((f) => f.id === e.id)?.kind === 'instruction');
      expect(content(back)).toEqual(content(singles));
      expect(second.examples).toHaveLength(first.length);
      const multi = first.length - singles.length;
      if (multi > 0) expect(out.warnings[0]).toContain(`${multi} multi-turn conversation`);
      else expect(out.warnings).toEqual([]);
    });

    it(`${file} through messages JSONL keeps every example without input exactly`, () => {
      const first = importOk(readFixture(file), { fileName: file }).examples;
      const out = exportMessagesJsonl(first);
      const second = importOk(out.text, { fileName: 'out.jsonl' });
      expect(second.format).toBe('messages');
      expect(second.examples).toHaveLength(first.length);
      const noInput = first.filter((e) => e.kind === 'conversation' || e.input === undefined);
      const back = second.examples.filter((e) => noInput.some((f) => f.id === e.id));
      expect(content(back)).toEqual(content(noInput));
      // with an input, the text survives joined into the user turn
      first.forEach((f, k) => {
        if (f.kind === 'instruction' && f.input !== undefined) {
          const b = second.examples[k];
          expect(b?.kind === 'instruction' && b.instruction).toBe(`${f.instruction}\n\n${f.input}`);
        }
      });
    });
  }

  it('Alpaca output is exporter-stable: exporting the re-imported examples gives the same text', () => {
    const first = importOk(readFixture('dolly.jsonl'), { fileName: 'dolly.jsonl' }).examples;
    const text1 = exportAlpacaJson(first).text;
    const text2 = exportAlpacaJson(importOk(text1, { fileName: 'a.json' }).examples).text;
    expect(text2).toBe(text1);
    const m1 = exportMessagesJsonl(first).text;
    expect(exportMessagesJsonl(importOk(m1, { fileName: 'm.jsonl' }).examples).text).toBe(m1);
  });

  it('writes Alpaca records with the standard three fields first and input "" when there is none', () => {
    const first = importOk(readFixture('alpaca.jsonl'), { fileName: 'a.jsonl' }).examples;
    const records = JSON.parse(exportAlpacaJson(first).text) as Array<Record<string, unknown>>;
    expect(Object.keys(records[0] as object).slice(0, 3)).toEqual(['instruction', 'input', 'output']);
    expect(records[0]?.['input']).toBe('');
  });

  it('writes a multi-turn conversation to Alpaca with earlier turns as a transcript in input', () => {
    const first = importOk(readFixture('messages.jsonl'), { fileName: 'm.jsonl' }).examples;
    const records = JSON.parse(exportAlpacaJson(first).text) as Array<Record<string, string>>;
    expect(records[0]).toMatchObject({
      instruction: 'And 30%?',
      input: 'User: What is 15% of 80?\n\nAssistant: 15% of 80 is 12, because 0.15 × 80 = 12.',
      output: 'Twice as much: 24.',
      system: 'You are a patient maths tutor.',
    });
  });

  it('keeps HTML-like text literally through export and import', () => {
    const nasty = '<img src=x onerror=alert(1)><script>document.cookie</script>';
    const first = importOk(JSON.stringify([{ instruction: nasty, output: nasty }]), { fileName: 'x.json' }).examples;
    for (const text of [exportAlpacaJson(first).text, exportMessagesJsonl(first).text]) {
      const back = importOk(text, { fileName: text.startsWith('[') ? 'x.json' : 'x.jsonl' }).examples[0];
      expect(back?.kind === 'instruction' && [back.instruction, back.response]).toEqual([nasty, nasty]);
    }
  });
});
