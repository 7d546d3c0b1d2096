// A small RFC 4180 reader for CSV and TSV: fields may be wrapped in double
// quotes, a doubled quote inside them is one quote, and quoted fields may hold
// the delimiter and line breaks. Lines may end in LF or CRLF; a leading
// byte-order mark is dropped by the caller (stripBom).
//
// Lenient where spreadsheets are: a quote in the middle of an unquoted field
// is kept as a literal character (5" screen). Strict where data would be lost:
// an unclosed quote, text after a closing quote, or a row whose number of
// fields differs from the header is an error naming the line.

import { fail } from './errors';
import { plural } from '../util/text';

export type Delimiter = ',' | '\t' | ';';

export interface DelimitedRow {
  cells: string[];
  /** 1-based line where the row starts. */
  line: number;
}

export interface DelimitedTable {
  delimiter: Delimiter;
  /** Column names from the first row; empty names become "column N". */
  headers: string[];
  /** Data rows (the header excluded); rows[0] is data row 1. */
  rows: DelimitedRow[];
}

export function delimiterName(d: Delimiter): string {
  return d === '\t' ? 'tab' : d === ',' ? 'comma' : 'semicolon';
}

/**
 * The delimiter of a file: from its name (.tsv/.tab -> tab, .csv -> comma
 * unless its header clearly uses semicolons), else from the first line.
 */
export function guessDelimiter(text: string, fileName: string): Delimiter {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return '\t';
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  const count = (ch: string): number => first.split(ch).length - 1;
  const tabs = count('\t');
  const commas = count(',');
  const semis = count(';');
  if (lower.endsWith('.csv')) return semis > commas ? ';' : ',';
  if (tabs > 0 && tabs >= commas && tabs >= semis) return '\t';
  if (semis > commas) return ';';
  return ',';
}

/** Splits delimited text into rows of fields, with the line each row starts on. */
export function parseDelimitedRows(text: string, delimiter: Delimiter, file: string): DelimitedRow[] {
  const rows: DelimitedRow[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const rowLine = line;
    const cells: string[] = [];
    let anyQuoted = false;
    // one row
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        anyQuoted = true;
        const quoteLine = line;
        i++;
        let closed = false;
        let chunkStart = i;
        while (i < n) {
          const ch = text[i];
          if (ch === '"') {
            cell += text.slice(chunkStart, i);
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              chunkStart = i;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (ch === '\r' && text[i + 1] === '\n') {
            // CRLF inside a quoted field is kept as a plain line break
            cell += `${text.slice(chunkStart, i)}\n`;
            i += 2;
            chunkStart = i;
            line++;
            continue;
          }
          if (ch === '\n') line++;
          i++;
        }
        if (!closed) {
          fail(
            { file, line: quoteLine },
            'a quoted field starting on this line is never closed (a closing " is missing), so the rest of the file would be swallowed into it',
          );
        }
        const after = text[i];
        if (i < n && after !== delimiter && after !== '\n' && after !== '\r') {
          fail(
            { file, line },
            `there is text right after a closing quote; inside a quoted field, write a quote as two quotes ("")`,
          );
        }
      } else {
        const start = i;
        while (i < n) {
          const ch = text[i];
          if (ch === delimiter || ch === '\n' || ch === '\r') break;
          i++;
        }
        cell = text.slice(start, i);
      }
      cells.push(cell);
      if (i >= n) break;
      const ch = text[i];
      if (ch === delimiter) {
        i++;
        continue;
      }
      // end of row: CRLF, LF or a lone CR
      if (ch === '\r' && text[i + 1] === '\n') i += 2;
      else i++;
      line++;
      break;
    }
    const blank = !anyQuoted && cells.length === 1 && cells[0] === '';
    if (!blank) rows.push({ cells, line: rowLine });
  }
  return rows;
}

/** Parses a delimited file whose first row names the columns. */
export function parseDelimited(text: string, delimiter: Delimiter, file: string): DelimitedTable {
  const all = parseDelimitedRows(text, delimiter, file);
  const head = all[0];
  if (!head) fail({ file }, 'the file is empty: a first row with column names was expected');
  const headers = head.cells.map((h, k) => h.trim() || `column ${k + 1}`);
  const rows = all.slice(1);
  rows.forEach((row, k) => {
    if (row.cells.length !== headers.length) {
      fail(
        { file, line: row.line, record: k + 1 },
        `this row has ${plural(row.cells.length, 'field')} but the header has ${headers.length} ` +
          `(${delimiterName(delimiter)}-separated). A field that contains a ${delimiterName(delimiter)}, a quote or a line break must be wrapped in double quotes.`,
      );
    }
  });
  return { delimiter, headers, rows };
}

/** Writes one field, quoting it when it holds the delimiter, a quote or a line break. */
export function formatDelimitedField(value: string, delimiter: Delimiter): string {
  if (value.includes(delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r')) {
    return `"${value.replace(/"/g, '""')}"`;
  }
  return value;
}
