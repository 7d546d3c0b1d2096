// The datasets shipped in public/datasets import cleanly and match index.json.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importDataset } from './import';
import { readStarterIndex } from './starters';

const DIR = fileURLToPath(new URL('../../public/datasets/', import.meta.url));

const index = readStarterIndex(readFileSync(`${DIR}index.json`, 'utf8'));

describe('starter datasets', () => {
  it('are listed in index.json with a title, description and licence', () => {
    expect(index.length).toBeGreaterThanOrEqual(2);
    for (const e of index) {
      expect(e.id).toMatch(/^[a-z0-9-]+$/);
      expect(e.title && e.description && e.licence).toBeTruthy();
      expect(e.count).toBeGreaterThan(0);
    }
  });

  it('index reader skips entries without an id, file or title and refuses anything but a list', () => {
    const text = JSON.stringify([{ id: 'a', file: 'a.json', title: 'A' }, { id: 'b', title: 'B' }, null, 'c']);
    expect(readStarterIndex(text).map((e) => e.id)).toEqual(['a']);
    expect(() => readStarterIndex('{"id": "a"}')).toThrow(/not a list of datasets/);
  });

  for (const entry of index) {
    it(`${entry.file} imports with the count index.json gives`, () => {
      const r = importDataset(readFileSync(`${DIR}${entry.file}`, 'utf8'), { fileName: entry.file });
      if (!r.ok) throw new Error(r.error.message);
      expect(r.examples).toHaveLength(entry.count!);
      // The generated country-facts set keeps a per-record "source" note (split and phrasing) the importer reports as unused.
      const expected = entry.id === 'geo-tune' ? [/"source"/] : [];
      expect(r.warnings).toHaveLength(expected.length);
      r.warnings.forEach((w, k) => expect(w).toMatch(expected[k]!));
    });
  }

  it('the team-written ones have no duplicates and keep each example short', () => {
    for (const file of ['everyday-facts.json', 'word-problems-and-rewrites.json']) {
      const r = importDataset(readFileSync(`${DIR}${file}`, 'utf8'), { fileName: file });
      if (!r.ok) throw new Error(r.error.message);
      expect(r.duplicates.pairs).toEqual([]);
      expect(r.examples.length).toBeGreaterThanOrEqual(60);
      for (const e of r.examples) {
        expect(e.category).toBeTruthy();
        if (e.kind === 'instruction') expect(`${e.instruction} ${e.input ?? ''} ${e.response}`.length).toBeLessThan(240);
      }
    }
  });
});
