import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError, readJsonArray } from './json';
import { formatDelimitedField, guessDelimiter, parseDelimited, parseDelimitedRows } from './csv';
import { DataImportError } from './errors';

describe('JSON syntax scanner', () => {
  it('accepts what JSON.parse accepts', () => {
    const docs = ['[]', '{}', '[1, -2.5e+3, "a\\u00e9\\n", true, false, null, {"k": [{}]}]', ' "x" ', '0'];
    for (const d of docs) {
      JSON.parse(d);
      expect(findJsonSyntaxError(d)).toBeNull();
    }
  });

  const bad: Array<[string, string, number, number]> = [
    ['[1, 2', 'cut off', 1, 6],
    ['[1, 2,]', 'trailing comma', 1, 6],
    ['{"a": 1,}', 'trailing comma', 1, 8],
    ["{'a': 1}", 'single quote', 1, 2],
    ['{"a" 1}', '":" is missing', 1, 6],
    ['[NaN]', 'not allowed in JSON', 1, 2],
    ['{"a": "line\nbreak"}', 'line break inside text', 1, 12],
    ['[01]', 'start with 0', 1, 2],
    ['[1]\n[2]', 'more text after the end', 2, 1],
    ['{"a": "unterminated', 'never closed', 1, 7],
    ['{"a": "bad \\x escape"}', 'not a valid escape', 1, 12],
    ['{"a": tru}', 'unexpected word "tru"', 1, 7],
  ];
  for (const [text, reason, line, column] of bad) {
    it(`explains ${JSON.stringify(text)}: ${reason}`, () => {
      expect(() => JSON.parse(text)).toThrow();
      const p = findJsonSyntaxError(text);
      expect(p).not.toBeNull();
      expect(p?.reason).toContain(reason);
      expect([p?.line, p?.column]).toEqual([line, column]);
    });
  }

  it('finds the line of each top-level array element on demand', () => {
    const list = readJsonArray('[\n {"a": 1},\n\n {"b": [\n 2]},\n 3\n]', 'f.json');
    expect([list.lineOf(1), list.lineOf(2), list.lineOf(3)]).toEqual([2, 4, 6]);
  });
});

describe('RFC 4180 reader', () => {
  it('reads quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF and LF', () => {
    const text = 'a,b\r\n"x, y","say ""hi"""\r\n"multi\r\nline",plain\nlast,"" \n';
    expect(() => parseDelimitedRows(text, ',', 'f.csv')).toThrow(/text right after a closing quote/);
    const ok = 'a,b\r\n"x, y","say ""hi"""\r\n"multi\r\nline",plain\nlast,""\n';
    const rows = parseDelimitedRows(ok, ',', 'f.csv');
    expect(rows.map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', 'plain'],
      ['last', ''],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 5]);
  });

  it('keeps a stray quote inside an unquoted field, as spreadsheets do', () => {
    expect(parseDelimitedRows('a,b\n5" screen,ok\n', ',', 'f.csv')[1]?.cells).toEqual(['5" screen', 'ok']);
  });

  it('reads a last row without a final line break, and empty trailing fields', () => {
    expect(parseDelimitedRows('a,b\n1,', ',', 'f.csv').map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['1', ''],
    ]);
  });

  it('skips blank lines but not rows of empty quoted fields', () => {
    const table = parseDelimited('a\n\n""\n\nx\n', ',', 'f.csv');
    expect(table.rows.map((r) => r.cells)).toEqual([[''], ['x']]);
  });

  it('names empty headers by position', () => {
    expect(parseDelimited('a,,c\n1,2,3\n', ',', 'f.csv').headers).toEqual(['a', 'column 2', 'c']);
  });

  it('throws DataImportError with the line for an unclosed quote', () => {
    try {
      parseDelimitedRows('a\nb\n"open\nmore', ',', 'f.csv');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataImportError);
      expect((e as DataImportError).detail.line).toBe(3);
    }
  });

  it('guesses the delimiter from the name, then from the first line', () => {
    expect(guessDelimiter('a,b', 'x.tsv')).toBe('\t');
    expect(guessDelimiter('a;b;c', 'x.csv')).toBe(';');
    expect(guessDelimiter('a\tb', 'x.txt')).toBe('\t');
    expect(guessDelimiter('a,b', 'x.txt')).toBe(',');
  });

  it('quotes fields on output only when needed, and reads them back', () => {
    const values = ['plain', 'with, comma', 'with "quote"', 'two\nlines'];
    const line = values.map((v) => formatDelimitedField(v, ',')).join(',');
    expect(line).toBe('plain,"with, comma","with ""quote""","two\nlines"');
    expect(parseDelimitedRows(line, ',', 'f.csv')[0]?.cells).toEqual(values);
  });
});
