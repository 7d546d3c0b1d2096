// Property-based fuzzing of the importers (fast-check), at small sizes so
// the 2,000+ cases run in seconds in CI. What it proves for every generated
// or mutated file:
//  - importDataset and decodeDatasetBytes never throw on bad input;
//  - an import is all or nothing: a refusal carries a located message and no
//    examples, a success carries only valid examples, and a well-formed file
//    of N records gives exactly N examples (none silently dropped);
//  - export -> import -> export gives the same text back.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDatasetBytes } from './encoding';
import { exportAlpacaJson, exportMessagesJsonl } from './export';
import { importDataset, type ImportResult } from './import';
import { exampleProblems } from './schema';
import { formatDelimitedField } from './csv';

const FILE = 'fuzz';

// Field text: any Unicode, with the characters that break parsers (quotes,
// commas, tabs, newlines, backslashes, BOM, NUL, prototype keys) made likely.
const nasty = fc.constantFrom('"', ',', '\t', '\n', '\r\n', '\\', '\uFEFF', '\u0000', '__proto__', '{', '[', ' ', 'é', '你', '😀', '\u2028');
const fieldText = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) }, { weight: 1, arbitrary: nasty }), { maxLength: 6 })
  .map((parts) => parts.join(''));
// A field the importers accept as non-empty: it has a letter in it.
const required = fc.tuple(fieldText, fc.constantFrom('a', 'Z', 'ß', 'я'), fieldText).map(([a, l, b]) => `${a}${l}${b}`);

const alpacaRecord = fc.record({ instruction: required, input: fieldText, output: required });
const dollyRecord = fc.record({ instruction: required, context: fieldText, response: required, category: fc.constantFrom('open_qa', 'brainstorming') });
const messagesRecord = fc
  .array(fc.tuple(required, required), { minLength: 1, maxLength: 3 })
  .map((turns) => ({ messages: turns.flatMap(([u, a]) => [{ role: 'user', content: u }, { role: 'assistant', content: a }]) }));

type Rec = Record<string, unknown>;
interface FileCase {
  name: string;
  text: string;
  records: number;
}

const asJson = (records: Rec[]): string => JSON.stringify(records, null, 1);
const asJsonl = (records: Rec[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const asCsv = (records: Array<{ instruction: string; input: string; output: string }>): string =>
  ['instruction,input,output', ...records.map((r) => [r.instruction, r.input, r.output].map((f) => formatDelimitedField(f, ',')).join(','))].join('\n') + '\n';

const wellFormed: fc.Arbitrary<FileCase> = fc.oneof(
  fc.array(alpacaRecord, { minLength: 1, maxLength: 5 }).map((r) => ({ name: `${FILE}.json`, text: asJson(r), records: r.length })),
  fc.array(alpacaRecord, { minLength: 1, maxLength: 5 }).map((r) => ({ name: `${FILE}.jsonl`, text: asJsonl(r), records: r.length })),
  fc.array(dollyRecord, { minLength: 1, maxLength: 5 }).map((r) => ({ name: `${FILE}.jsonl`, text: asJsonl(r), records: r.length })),
  fc.array(messagesRecord, { minLength: 1, maxLength: 5 }).map((r) => ({ name: `${FILE}.jsonl`, text: asJsonl(r), records: r.length })),
  fc.array(alpacaRecord, { minLength: 1, maxLength: 5 }).map((r) => ({ name: `${FILE}.csv`, text: asCsv(r), records: r.length })),
);

// What a careless user or a broken tool does to a file.
const jsonValue = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}), fc.string({ maxLength: 3 }), fc.constant('__proto__'));
type Mutation = (text: string) => string;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((k): Mutation => (t) => t.slice(0, k % (t.length + 1))), // truncated
  fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([k, s]): Mutation => (t) => t.slice(0, k % (t.length + 1)) + s + t.slice(k % (t.length + 1))), // inserted
  fc.tuple(fc.nat(), fc.nat({ max: 8 })).map(([k, n]): Mutation => (t) => t.slice(0, k % (t.length + 1)) + t.slice((k % (t.length + 1)) + n)), // deleted
  fc.tuple(fc.constantFrom('instruction', 'output', 'response', 'messages', 'content', 'role', 'input'), jsonValue).map(
    ([field, v]): Mutation =>
      (t) => t.replace(new RegExp(`"${field}":\\s*("(?:[^"\\\\]|\\\\.)*"|\\[[^\\]]*\\])`), `"${field}": ${JSON.stringify(v)}`), // wrong type
  ),
  fc.nat().map((k): Mutation => (t) => {
    const lines = t.split('\n');
    const at = k % lines.length;
    return [...lines.slice(0, at + 1), lines[at] ?? '', ...lines.slice(at + 1)].join('\n'); // a line repeated
  }),
  fc.constant<Mutation>((t) => `\uFEFF${t}`),
  fc.nat({ max: 40 }).map((d): Mutation => (t) => `${'['.repeat(d * 50)}${t}`), // deep nesting
);

/** The all-or-nothing contract, checked on any result. */
function checkContract(r: ImportResult, file: string): void {
  if (!r.ok) {
    expect(r.error.file).toBe(file);
    expect(r.error.message.startsWith(`"${file}"`)).toBe(true);
    expect(r.error.reason.length).toBeGreaterThan(0);
    expect(r).not.toHaveProperty('examples');
    return;
  }
  expect(r.examples.length).toBeGreaterThan(0);
  const ids = new Set<string>();
  for (const ex of r.examples) {
    expect(exampleProblems(ex)).toEqual([]);
    ids.add(ex.id);
  }
  expect(ids.size).toBe(r.examples.length);
}

describe('importer fuzzing (fast-check)', () => {
  it('a well-formed file of N records imports as exactly N valid examples', () => {
    fc.assert(
      fc.property(wellFormed, (f) => {
        const r = importDataset(f.text, { fileName: f.name });
        checkContract(r, f.name);
        expect(r.ok && r.examples.length).toBe(f.records);
      }),
      { numRuns: 400 },
    );
  });

  it('a mutated file never crashes the importer and never half-imports', () => {
    fc.assert(
      fc.property(wellFormed, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (f, ms, pickFormat) => {
        const text = ms.reduce((t, m) => m(t), f.text);
        const r = importDataset(text, { fileName: f.name, ...(pickFormat ? { format: 'alpaca' as const } : {}) });
        checkContract(r, f.name);
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes never crash the decoder or the importer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('x.json', 'x.jsonl', 'x.csv', 'x.tsv', 'x'), (bytes, name) => {
        const d = decodeDatasetBytes(bytes, name);
        if (!d.ok) {
          expect(d.error.message.startsWith(`"${name}"`)).toBe(true);
          return;
        }
        checkContract(importDataset(d.text, { fileName: name }), name);
      }),
      { numRuns: 500 },
    );
  });

  it('export -> import -> export is stable, through Alpaca JSON and messages JSONL', () => {
    fc.assert(
      fc.property(wellFormed, fc.constantFrom(exportAlpacaJson, exportMessagesJsonl), (f, exporter) => {
        const first = importDataset(f.text, { fileName: f.name });
        if (!first.ok) throw new Error(first.error.message);
        const once = exporter(first.examples).text;
        const again = importDataset(once, { fileName: exporter === exportAlpacaJson ? 'out.json' : 'out.jsonl' });
        if (!again.ok) throw new Error(again.error.message);
        expect(exporter(again.examples).text).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});
