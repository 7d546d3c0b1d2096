// Reading JSON and JSON Lines with errors that point at a line and column.
//
// JSON.parse does the parsing (fast, and it handles 50 MB files). Its error
// messages differ between engines and do not always give a line, so when it
// fails, a small syntax scanner written here walks the text again to find
// where and why, in plain words. The same scanner can list where each element
// of a top-level array starts, so a validation error in record 42 can also
// name its line.

import { fail } from './errors';
import { messageOf } from '../util/errors';
import { plural } from '../util/text';

export interface JsonSyntaxProblem {
  /** 0-based offset into the text. */
  offset: number;
  /** 1-based line and column. */
  line: number;
  column: number;
  reason: string;
}

/** A record read from a file, with where it was found. */
export interface SourceRecord {
  value: unknown;
  /** 1-based record number. */
  record: number;
  /** 1-based line where the record starts, when known cheaply. */
  line?: number;
}

export interface RecordList {
  records: SourceRecord[];
  /** The 1-based line where a record starts (computed on demand for JSON arrays). */
  lineOf(record: number): number | undefined;
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

type State = 'value' | 'valueOrEnd' | 'keyOrEnd' | 'key' | 'colon' | 'commaOrEnd' | 'done';

class ScanStop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function describeChar(ch: string): string {
  if (ch === "'") return "a single quote (') — JSON text and names need double quotes (\")";
  if (ch === '"') return 'the next quoted text';
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20) return `an invisible control character (code ${code})`;
  return `the character "${ch}"`;
}

/** Scans a string starting at the opening quote; returns the offset after the closing quote. */
function scanString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const next = text[i + 1];
      if (next === undefined) break;
      if (next === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ScanStop(i, 'a "\\u" escape must be followed by four hex digits');
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(next)) {
        throw new ScanStop(i, `"\\${next}" is not a valid escape inside text (use \\\\ for a backslash)`);
      }
      i += 2;
      continue;
    }
    if (c < 0x20) {
      const what = c === 0x0a || c === 0x0d ? 'a line break' : `a control character (code ${c})`;
      throw new ScanStop(i, `${what} inside text: a text value must be closed with " on the same line (write line breaks as \\n)`);
    }
    i++;
  }
  throw new ScanStop(start, 'this text value is never closed with a double quote (") — the file may be cut off');
}

function scanNumber(text: string, start: number): number {
  let i = start;
  if (text[i] === '-') i++;
  if (text[i] === '0') {
    i++;
  } else if (isDigit(text.charCodeAt(i))) {
    while (isDigit(text.charCodeAt(i))) i++;
  } else {
    throw new ScanStop(start, 'a number is malformed');
  }
  if (text[i] === '.') {
    i++;
    if (!isDigit(text.charCodeAt(i))) throw new ScanStop(i, 'a number has no digits after its decimal point');
    while (isDigit(text.charCodeAt(i))) i++;
  }
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    if (!isDigit(text.charCodeAt(i))) throw new ScanStop(i, 'a number has no digits in its exponent');
    while (isDigit(text.charCodeAt(i))) i++;
  }
  if (isDigit(text.charCodeAt(i))) throw new ScanStop(start, 'a number may not start with 0 followed by more digits');
  return i;
}

function scanWord(text: string, start: number): number {
  for (const word of ['true', 'false', 'null']) {
    if (text.startsWith(word, start)) return start + word.length;
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(start, start + 40));
  const found = m ? m[0] : text[start] ?? '';
  if (found === 'NaN' || found === 'Infinity' || found === 'undefined') {
    throw new ScanStop(start, `"${found}" is not allowed in JSON (use a number, or null)`);
  }
  throw new ScanStop(start, `unexpected word "${found}" — text values must be in double quotes`);
}

/**
 * Walks `text` as JSON and returns the first syntax problem, or null when it
 * is valid. With `elementStarts`, records the offset where each element of a
 * top-level array begins.
 */
export function findJsonSyntaxError(text: string, elementStarts?: number[]): JsonSyntaxProblem | null {
  const stack: Array<'array' | 'object'> = [];
  let state: State = 'value';
  let i = 0;
  let lastComma = -1;
  const afterValue = (): State => (stack.length === 0 ? 'done' : 'commaOrEnd');
  try {
    for (;;) {
      while (i < text.length && isWs(text.charCodeAt(i))) i++;
      if (i >= text.length) {
        if (state === 'done') return null;
        const open = stack.length;
        throw new ScanStop(
          text.length,
          open > 0
            ? `the text ends while ${plural(open, 'bracket is', 'brackets are')} still open — the file may be cut off`
            : 'the text is empty or ends before a value',
        );
      }
      const ch = text[i] as string;
      const top = stack[stack.length - 1];
      switch (state) {
        case 'done':
          throw new ScanStop(
            i,
            'there is more text after the end of the JSON value (one record per line is JSONL; a JSON file holds one value)',
          );
        case 'colon':
          if (ch !== ':') throw new ScanStop(i, `a ":" is missing after a field name (found ${describeChar(ch)})`);
          i++;
          state = 'value';
          continue;
        case 'commaOrEnd':
          if (ch === ',') {
            lastComma = i;
            i++;
            state = top === 'array' ? 'value' : 'key';
          } else if ((ch === ']' && top === 'array') || (ch === '}' && top === 'object')) {
            stack.pop();
            i++;
            state = afterValue();
          } else {
            const close = top === 'array' ? ']' : '}';
            throw new ScanStop(i, `a comma or "${close}" is missing before ${describeChar(ch)}`);
          }
          continue;
        case 'keyOrEnd':
        case 'key':
          if (ch === '}') {
            if (state === 'key') {
              throw new ScanStop(lastComma, 'there is a comma before "}" with nothing after it (remove the trailing comma)');
            }
            stack.pop();
            i++;
            state = afterValue();
          } else if (ch === '"') {
            i = scanString(text, i);
            state = 'colon';
          } else {
            throw new ScanStop(i, `a field name in double quotes was expected, found ${describeChar(ch)}`);
          }
          continue;
        case 'value':
        case 'valueOrEnd': {
          if (ch === ']') {
            if (state === 'valueOrEnd') {
              stack.pop();
              i++;
              state = afterValue();
              continue;
            }
            if (top === 'array') {
              throw new ScanStop(lastComma, 'there is a comma before "]" with nothing after it (remove the trailing comma)');
            }
          }
          if (elementStarts && stack.length === 1 && top === 'array') elementStarts.push(i);
          if (ch === '{') {
            stack.push('object');
            i++;
            state = 'keyOrEnd';
          } else if (ch === '[') {
            stack.push('array');
            i++;
            state = 'valueOrEnd';
          } else if (ch === '"') {
            i = scanString(text, i);
            state = afterValue();
          } else if (ch === '-' || isDigit(text.charCodeAt(i))) {
            i = scanNumber(text, i);
            state = afterValue();
          } else if (/[A-Za-z_]/.test(ch)) {
            i = scanWord(text, i);
            state = afterValue();
          } else {
            throw new ScanStop(i, `a value was expected, found ${describeChar(ch)}`);
          }
          continue;
        }
      }
    }
  } catch (e) {
    if (!(e instanceof ScanStop)) throw e;
    const { line, column } = lineColumn(text, e.offset);
    return { offset: e.offset, line, column, reason: e.reason };
  }
}

/** Removes a UTF-8 byte order mark that editors on Windows put at the start. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses a whole JSON document, or fails naming the line, column and reason. */
export function parseJsonDocument(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const problem = findJsonSyntaxError(text);
    if (problem) {
      fail({ file, line: problem.line }, `this is not valid JSON: ${problem.reason} (column ${problem.column})`);
    }
    fail({ file }, `this is not valid JSON: ${messageOf(e)}`);
  }
}

function firstLineEnd(text: string): number {
  const nl = text.indexOf('\n');
  return nl < 0 ? text.length : nl;
}

/**
 * The records of a JSON array file. A file holding a single object (or a
 * scalar) fails with a message saying what was expected instead.
 */
export function readJsonArray(text: string, file: string): RecordList {
  const doc = parseJsonDocument(text, file);
  if (!Array.isArray(doc)) {
    fail({ file }, wrongShapeReason(doc));
  }
  const records: SourceRecord[] = doc.map((value, k) => ({ value, record: k + 1 }));
  let lines: number[] | undefined;
  return {
    records,
    lineOf(record: number): number | undefined {
      if (!lines) {
        const starts: number[] = [];
        findJsonSyntaxError(text, starts);
        lines = offsetsToLines(text, starts);
      }
      return lines[record - 1];
    },
  };
}

function offsetsToLines(text: string, offsets: number[]): number[] {
  const out: number[] = [];
  let line = 1;
  let k = 0;
  for (let i = 0; i < text.length && k < offsets.length; i++) {
    while (k < offsets.length && offsets[k] === i) {
      out.push(line);
      k++;
    }
    if (text.charCodeAt(i) === 10) line++;
  }
  return out;
}

export function wrongShapeReason(doc: unknown): string {
  const expected =
    'a list of records was expected: either a JSON array like [ {...}, {...} ] or one JSON object per line (JSONL)';
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const listKey = Object.entries(doc as Record<string, unknown>).find(
      ([, v]) => Array.isArray(v) && v.length > 0 && v.every((r) => r !== null && typeof r === 'object'),
    )?.[0];
    const hint = listKey ? ` It has a list of records under "${listKey}"; if those are the examples, save that list on its own.` : '';
    return `the file holds a single JSON object, but ${expected}.${hint}`;
  }
  return `the file holds ${describeDoc(doc)}, but ${expected}.`;
}

function describeDoc(doc: unknown): string {
  if (doc === null) return 'only null';
  if (typeof doc === 'string') return 'a single text value';
  if (typeof doc === 'number') return 'a single number';
  if (typeof doc === 'boolean') return 'a single true/false value';
  return 'something else';
}

/**
 * The records of a JSON Lines file: one JSON value per non-blank line. Any
 * line that is not valid JSON fails the whole file, naming the line.
 */
export function readJsonLines(text: string, file: string): RecordList {
  const records: SourceRecord[] = [];
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    line++;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let raw = text.slice(start, end);
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    start = end + 1;
    if (raw.trim() === '') {
      if (end >= text.length) break;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      failJsonLine(text, raw, line, file, e);
    }
    records.push({ value, record: records.length + 1, line });
    if (end >= text.length) break;
  }
  return { records, lineOf: (record) => records[record - 1]?.line };
}

function failJsonLine(text: string, raw: string, line: number, file: string, cause: unknown): never {
  // A pretty-printed single object or array is not JSONL; say so instead of
  // blaming its first line.
  if (line === 1 && firstLineEnd(text) < text.length) {
    let whole: unknown;
    let parsed = false;
    try {
      whole = JSON.parse(text);
      parsed = true;
    } catch {
      // not one document either; report the line below
    }
    if (parsed && !Array.isArray(whole)) fail({ file }, wrongShapeReason(whole));
  }
  const problem = findJsonSyntaxError(raw);
  const reason = problem
    ? `${problem.reason} (column ${problem.column})`
    : cause instanceof Error
      ? cause.message
      : String(cause);
  fail({ file, line }, `this line is not valid JSON: ${reason}. Each line must hold one complete record.`);
}
