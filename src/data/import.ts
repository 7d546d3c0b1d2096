// Importing a dataset file: all or nothing.
//
// importDataset reads the whole text, validates every record, and returns
// either every example or one error naming the file, line/record and field.
// It never changes anything itself, so a caller that stores the result only
// on success can never half-apply a bad file. It runs the same in Node (the
// CLI), in a Web Worker (the studio parses off the main thread) and in tests.

import { DataImportError, makeImportError, type ImportError } from './errors';
import { formatBytes, plural } from '../util/text';
import { detectContainer, detectFromRecords, type FormatDetection } from './detect';
import { readJsonArray, readJsonLines, stripBom, type RecordList } from './json';
import { guessDelimiter, type Delimiter } from './csv';
import { ensureUniqueIds, type Example } from './schema';
import { findDuplicates, type DedupeOptions, type DuplicateReport } from './dedupe';
import { FORMAT_IDS, type ColumnMapping, type FormatContext, type FormatId, type JsonFormat } from './formats/types';
import { alpacaFormat } from './formats/alpaca';
import { dollyFormat } from './formats/dolly';
import { selfInstructFormat } from './formats/selfInstruct';
import { oasstFormat } from './formats/oasst';
import { messagesFormat } from './formats/messages';
import { sharegptFormat } from './formats/sharegpt';
import { examplesFromDelimited } from './formats/tabular';

/** Default largest file: 50 MB. */
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

export const JSON_FORMATS: Readonly<Record<JsonFormat['id'], JsonFormat>> = {
  alpaca: alpacaFormat,
  dolly: dollyFormat,
  'self-instruct': selfInstructFormat,
  oasst: oasstFormat,
  messages: messagesFormat,
  sharegpt: sharegptFormat,
};

/** Names for a format picker. */
export const FORMAT_LABELS: Readonly<Record<FormatId, string>> = {
  alpaca: alpacaFormat.label,
  dolly: dollyFormat.label,
  'self-instruct': selfInstructFormat.label,
  oasst: oasstFormat.label,
  messages: messagesFormat.label,
  sharegpt: sharegptFormat.label,
  csv: 'CSV (comma-separated, with a column mapping)',
  tsv: 'TSV (tab-separated, with a column mapping)',
};

export interface ImportProgress {
  phase: 'parse' | 'validate' | 'dedupe';
  /** Work done and total in that phase's units (records; 1/1 where a phase is one step). */
  done: number;
  total: number;
}

export interface ImportOptions {
  /** The file's name, used in messages and to recognise .csv/.tsv. */
  fileName: string;
  /** The user's choice of format; detected from the content when absent. */
  format?: FormatId;
  /** For CSV/TSV: which column holds what. Guessed from column names when absent. */
  columnMapping?: ColumnMapping;
  /** Largest accepted size in bytes of UTF-8 (default 50 MB). */
  maxBytes?: number;
  onProgress?: (p: ImportProgress) => void;
  /** Duplicate search settings; `existing` checks the new records against a dataset too. */
  dedupe?: DedupeOptions;
}

export type ImportResult =
  | {
      ok: true;
      examples: Example[];
      /** Things that did not stop the import but the user should know (columns guessed, trees left out). */
      warnings: string[];
      duplicates: DuplicateReport;
      format: FormatId;
      detection: FormatDetection;
    }
  | { ok: false; error: ImportError };

/** Bytes the text takes as UTF-8, without building the encoded copy. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** The size check, usable before reading a file (File.size, fs.stat). */
export function checkFileSize(fileName: string, bytes: number, maxBytes = DEFAULT_MAX_BYTES): ImportError | null {
  if (bytes <= maxBytes) return null;
  return makeImportError(
    { file: fileName },
    `the file is ${formatBytes(bytes)}, larger than the ${formatBytes(maxBytes)} limit. Split it into smaller files and import them one by one.`,
  );
}

function supportedList(): string {
  return FORMAT_IDS.join(', ');
}

/** Reads, validates and de-duplicates a dataset file. Never throws for bad input. */
export function importDataset(text: string, opts: ImportOptions): ImportResult {
  const file = opts.fileName;
  try {
    const sizeError = checkFileSize(file, utf8Length(text), opts.maxBytes ?? DEFAULT_MAX_BYTES);
    if (sizeError) return { ok: false, error: sizeError };
    const body = stripBom(text);
    if (body.trim() === '') {
      return { ok: false, error: makeImportError({ file }, 'the file is empty; there are no examples in it.') };
    }
    if (opts.format !== undefined && !FORMAT_IDS.includes(opts.format)) {
      return {
        ok: false,
        error: makeImportError({ file }, `"${String(opts.format)}" is not a format the studio reads. Choose one of: ${supportedList()}.`),
      };
    }
    const warnings: string[] = [];
    const ctxBase = (format: FormatId): FormatContext => {
      const ctx: FormatContext = { file, source: `${format}:${file}`, warn: (m) => warnings.push(m) };
      if (opts.columnMapping) ctx.columnMapping = opts.columnMapping;
      return ctx;
    };
    const progress = (phase: ImportProgress['phase'], done: number, total: number): void =>
      opts.onProgress?.({ phase, done, total });

    let examples: Example[];
    let format: FormatId;
    let detection: FormatDetection;
    // The user's format choice wins over the file name: a JSON format is read
    // as JSON even from a file called .csv.
    const container =
      opts.format === 'csv' || opts.format === 'tsv'
        ? 'delimited'
        : opts.format !== undefined
          ? detectContainer(body, '') === 'jsonl'
            ? 'jsonl'
            : 'json'
          : detectContainer(body, file);
    progress('parse', 0, 1);
    if (container === 'delimited') {
      const guessed = guessDelimiter(body, file);
      const delimiter: Delimiter =
        opts.format === 'tsv' ? '\t' : opts.format === 'csv' ? (guessed === '\t' ? ',' : guessed) : guessed;
      format = opts.format === 'tsv' || (opts.format === undefined && delimiter === '\t') ? 'tsv' : 'csv';
      detection = {
        format,
        container: 'delimited',
        confidence: opts.format ? 1 : 0.9,
        reason: opts.format ? 'chosen by the user' : `read as ${delimiter === '\t' ? 'tab' : delimiter === ';' ? 'semicolon' : 'comma'}-separated text`,
      };
      progress('parse', 1, 1);
      examples = examplesFromDelimited(body, ctxBase(format), delimiter);
    } else {
      const jsonContainer = container === 'json' ? 'json' : 'jsonl';
      const list: RecordList = jsonContainer === 'json' ? readJsonArray(body, file) : readJsonLines(body, file);
      progress('parse', 1, 1);
      if (list.records.length === 0) {
        return { ok: false, error: makeImportError({ file }, 'the file has no records; there are no examples in it.') };
      }
      if (opts.format) {
        format = opts.format;
        detection = { format, container: jsonContainer, confidence: 1, reason: 'chosen by the user' };
      } else {
        detection = detectFromRecords(
          list.records.slice(0, 50).map((r) => r.value),
          jsonContainer,
        );
        if (!detection.format) {
          return {
            ok: false,
            error: makeImportError(
              { file },
              `the format could not be recognised: ${detection.reason}. Choose the format by hand (${supportedList()}).`,
            ),
          };
        }
        format = detection.format;
      }
      if (format === 'csv' || format === 'tsv') {
        return {
          ok: false,
          error: makeImportError({ file, line: 1 }, `the file looks like JSON, not ${format.toUpperCase()}. Choose a JSON format instead.`),
        };
      }
      examples = JSON_FORMATS[format].fromRecords(list, ctxBase(format));
    }
    progress('validate', examples.length, examples.length);
    if (examples.length === 0) {
      return {
        ok: false,
        error: makeImportError({ file }, `no examples could be made from the file${warnings.length ? ` (${warnings.join(' ')})` : ''}.`),
      };
    }
    const renamed = ensureUniqueIds(examples);
    if (renamed > 0) {
      warnings.push(`${plural(renamed, 'record')} repeated an earlier id and got a suffix (~2, ~3, ...) to keep ids unique.`);
    }
    const dedupeOpts: DedupeOptions = { ...opts.dedupe };
    // Exact matching is quick; report it as the first tenth of the phase.
    dedupeOpts.onProgress = (p) =>
      progress('dedupe', Math.floor(p.phase === 'exact' ? p.done / 10 : p.total / 10 + (p.done * 9) / 10), p.total);
    const duplicates = findDuplicates(examples, dedupeOpts);
    return { ok: true, examples, warnings, duplicates, format, detection };
  } catch (e) {
    if (e instanceof DataImportError) return { ok: false, error: e.detail };
    if (e instanceof RangeError) {
      // e.g. nesting too deep for the engine's JSON parser
      return { ok: false, error: makeImportError({ file }, `the file could not be read: ${e.message}.`) };
    }
    throw e;
  }
}
