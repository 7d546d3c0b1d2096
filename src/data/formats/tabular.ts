// CSV and TSV files: a header row names the columns, and a column mapping
// says which column holds the instruction, the response and, optionally, the
// input, category, system prompt and id. Without a mapping, columns with
// familiar names (instruction/prompt/question, output/response/answer, ...)
// are used, and a warning says which were chosen.

import { fail } from '../errors';
import { guessDelimiter, parseDelimited, type Delimiter } from '../csv';
import { stripBom } from '../json';
import { contentId, type Example, type InstructionExample } from '../schema';
import type { ColumnMapping, FormatContext } from './types';

type MappingKey = keyof ColumnMapping;

const SYNONYMS: Record<MappingKey, readonly string[]> = {
  instruction: ['instruction', 'instructions', 'prompt', 'question', 'query'],
  input: ['input', 'context'],
  response: ['output', 'response', 'answer', 'completion'],
  category: ['category'],
  system: ['system', 'system_prompt'],
  id: ['id'],
};

const KEYS: readonly MappingKey[] = ['instruction', 'input', 'response', 'category', 'system', 'id'];

export interface MappingGuess {
  mapping: Partial<ColumnMapping>;
  /** Required parts with no matching column. */
  missing: Array<'instruction' | 'response'>;
}

/** Picks columns by their names (case and spaces ignored). */
export function guessColumnMapping(headers: readonly string[]): MappingGuess {
  const norm = (h: string): string => h.trim().toLowerCase().replace(/[\s-]+/g, '_');
  const mapping: Partial<ColumnMapping> = {};
  const used = new Set<string>();
  for (const key of KEYS) {
    for (const name of SYNONYMS[key]) {
      const header = headers.find((h) => norm(h) === name && !used.has(h));
      if (header !== undefined) {
        mapping[key] = header;
        used.add(header);
        break;
      }
    }
  }
  const missing: Array<'instruction' | 'response'> = [];
  if (!mapping.instruction) missing.push('instruction');
  if (!mapping.response) missing.push('response');
  return { mapping, missing };
}

function listColumns(headers: readonly string[]): string {
  return headers.map((h) => `"${h}"`).join(', ');
}

export interface TablePreview {
  delimiter: Delimiter;
  headers: string[];
  /** The first few data rows, for a column-mapping screen. */
  rows: string[][];
  /** The mapping guessed from the column names. */
  guess: MappingGuess;
}

/**
 * The header and first rows of a CSV/TSV file, for the column-mapping step.
 * Throws DataImportError when the file cannot be read as a table.
 */
export function previewTable(text: string, file: string, maxRows = 5, delimiter?: Delimiter): TablePreview {
  const table = parseDelimited(stripBom(text), delimiter ?? guessDelimiter(text, file), file);
  return {
    delimiter: table.delimiter,
    headers: table.headers,
    rows: table.rows.slice(0, maxRows).map((r) => r.cells),
    guess: guessColumnMapping(table.headers),
  };
}

/** Reads a CSV/TSV file into examples, using `ctx.columnMapping` or a guessed one. */
export function examplesFromDelimited(text: string, ctx: FormatContext, delimiter: Delimiter): Example[] {
  const table = parseDelimited(text, delimiter, ctx.file);
  const { headers } = table;
  let mapping: Partial<ColumnMapping>;
  if (ctx.columnMapping) {
    mapping = ctx.columnMapping;
  } else {
    const guess = guessColumnMapping(headers);
    if (guess.missing.length > 0) {
      fail(
        { file: ctx.file, line: 1 },
        `choose which column holds the ${guess.missing.join(' and the ')}: no column has a familiar name. The columns are ${listColumns(headers)}.`,
      );
    }
    mapping = guess.mapping;
    const chosen = KEYS.filter((k) => mapping[k] !== undefined).map((k) => `${k} = "${mapping[k]}"`);
    ctx.warn(`Columns were chosen by their names: ${chosen.join(', ')}.`);
  }
  const index: Partial<Record<MappingKey, number>> = {};
  for (const key of KEYS) {
    const name = mapping[key];
    if (name === undefined || name === '') {
      if (key === 'instruction' || key === 'response') {
        fail({ file: ctx.file, field: key }, `the column mapping does not say which column holds the ${key}. The columns are ${listColumns(headers)}.`);
      }
      continue;
    }
    const found = headers.indexOf(name);
    if (found < 0) {
      fail({ file: ctx.file, line: 1, field: key }, `the column mapping uses a column "${name}" for the ${key}, but the file has no such column. The columns are ${listColumns(headers)}.`);
    }
    if (headers.indexOf(name, found + 1) >= 0) {
      fail({ file: ctx.file, line: 1, field: key }, `two columns are named "${name}", so it is unclear which one holds the ${key}; rename one of them.`);
    }
    index[key] = found;
  }
  return table.rows.map((row, k) => {
    const cell = (key: MappingKey): string | undefined => {
      const col = index[key];
      return col === undefined ? undefined : row.cells[col];
    };
    const loc = (key: MappingKey) => ({ file: ctx.file, line: row.line, record: k + 1, field: mapping[key] ?? key });
    const instruction = cell('instruction') ?? '';
    if (instruction.trim() === '') fail(loc('instruction'), `the instruction (column "${mapping.instruction}") is empty; an example needs some text here`);
    const response = cell('response') ?? '';
    if (response.trim() === '') fail(loc('response'), `the response (column "${mapping.response}") is empty; an example needs an answer to learn`);
    const example: InstructionExample = { id: '', source: ctx.source, kind: 'instruction', instruction, response };
    const input = cell('input');
    if (input) example.input = input;
    const category = cell('category');
    if (category) example.category = category;
    const system = cell('system');
    if (system) example.system = system;
    example.id = cell('id') || contentId(example);
    return example;
  });
}
