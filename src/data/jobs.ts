// Dataset work that is too slow for the page's thread at 50,000 records:
// reading and validating a file, the near-duplicate search, statistics with
// token counts, and the tokens of examples too long to encode on the page. `runDataJob` answers one request with events; the dataset
// worker (dataset.worker.ts) runs it off the main thread, and tests run it
// in-process. Like the trainer's protocol, the wire format is one small union.

import { checkFileSize, importDataset, type ImportProgress, type ImportResult } from './import';
import { detectFormat, type FormatDetection } from './detect';
import { DataImportError, makeImportError, type ImportError } from './errors';
import { decodeDatasetBytes } from './encoding';
import { previewTable, type TablePreview } from './formats/tabular';
import type { ColumnMapping, FormatId } from './formats/types';
import { findDuplicates, type DuplicateReport } from './dedupe';
import { computeStats, type DatasetStats } from './stats';
import type { PromptTemplate } from './templates';
import type { Example } from './schema';
import { exampleTokens, tokenCount, type ExampleTokens, type TokenViewOptions } from './exampleTokens';
import { BpeTokenizer } from '../tokenizer/bpe';
import { messageOf } from '../util/errors';

/** A file to read: a browser File/Blob (read inside the worker) or text already in memory. */
export interface FileSource {
  fileName: string;
  blob?: Blob;
  text?: string;
}

export type DataJobRequest =
  /** Detects the format and, for CSV/TSV, previews the table for the column-mapping step. */
  | { type: 'inspect'; id: number; source: FileSource }
  /** importDataset with progress; `existing` also reports duplicates of examples already in the dataset. */
  | {
      type: 'import';
      id: number;
      source: FileSource;
      format?: FormatId;
      columnMapping?: ColumnMapping;
      existing?: Example[];
      maxBytes?: number;
    }
  | { type: 'dedupe'; id: number; examples: Example[] }
  /** Statistics; token counts too when a template and a tokenizer.json are given. */
  | { type: 'stats'; id: number; examples: Example[]; template?: PromptTemplate; tokenizerJson?: string }
  /** Each example's token count and, with `view`, its token view (exampleTokens), with the model's tokenizer. */
  | { type: 'tokens'; id: number; examples: Example[]; template: PromptTemplate; tokenizerJson: string; view?: TokenViewOptions };

export type DataJobEvent =
  | { type: 'progress'; id: number; progress: ImportProgress }
  | {
      type: 'inspected';
      id: number;
      bytes: number;
      detection: FormatDetection;
      /** The header and first rows when the file is a table. */
      table: TablePreview | null;
      /** Set when the file cannot be read at all (too large, not a table, ...). */
      error: ImportError | null;
    }
  | { type: 'imported'; id: number; result: ImportResult }
  | { type: 'deduped'; id: number; report: DuplicateReport }
  | { type: 'stats'; id: number; stats: DatasetStats }
  | { type: 'tokenized'; id: number; counts: number[]; views: ExampleTokens[] | null }
  /** Anything unexpected; bad input is never this (it is an `error` inside `imported`/`inspected`). */
  | { type: 'failed'; id: number; message: string };

/** How often progress is posted at most, so 50,000 records do not flood the page with messages. */
const PROGRESS_INTERVAL_MS = 50;

/** The source's text; a file's bytes are decoded by decodeDatasetBytes, which may refuse them. */
async function readSource(source: FileSource): Promise<{ text: string; warning?: string } | { error: ImportError }> {
  if (source.text !== undefined) return { text: source.text };
  if (!source.blob) return { text: '' };
  const decoded = decodeDatasetBytes(new Uint8Array(await source.blob.arrayBuffer()), source.fileName);
  if (!decoded.ok) return { error: decoded.error };
  return decoded.warning ? { text: decoded.text, warning: decoded.warning } : { text: decoded.text };
}

function sourceBytes(source: FileSource): number | undefined {
  return source.blob ? source.blob.size : undefined;
}

let cachedTokenizer: { json: string; tokenizer: BpeTokenizer } | null = null;

function tokenizerFrom(json: string): BpeTokenizer {
  if (cachedTokenizer?.json !== json) cachedTokenizer = { json, tokenizer: BpeTokenizer.fromJSON(JSON.parse(json)) };
  return cachedTokenizer.tokenizer;
}

/** Answers one request; every path ends with exactly one result event (or `failed`). */
export async function runDataJob(req: DataJobRequest, emit: (ev: DataJobEvent) => void, now: () => number = () => Date.now()): Promise<void> {
  try {
    switch (req.type) {
      case 'inspect': {
        const bytes = sourceBytes(req.source);
        const tooBig = bytes !== undefined ? checkFileSize(req.source.fileName, bytes) : null;
        if (tooBig) {
          emit({ type: 'inspected', id: req.id, bytes: bytes ?? 0, detection: { format: null, container: null, confidence: 0, reason: 'not read' }, table: null, error: tooBig });
          return;
        }
        const read = await readSource(req.source);
        if ('error' in read) {
          emit({ type: 'inspected', id: req.id, bytes: bytes ?? 0, detection: { format: null, container: null, confidence: 0, reason: 'not read' }, table: null, error: read.error });
          return;
        }
        const text = read.text;
        const detection = detectFormat(text, req.source.fileName);
        let table: TablePreview | null = null;
        let error: ImportError | null = null;
        if (detection.container === 'delimited') {
          try {
            table = previewTable(text, req.source.fileName, 5);
          } catch (e) {
            if (!(e instanceof DataImportError)) throw e;
            error = e.detail;
          }
        } else if (detection.container === null) {
          error = makeImportError({ file: req.source.fileName }, 'the file is empty; there are no examples in it.');
        }
        emit({ type: 'inspected', id: req.id, bytes: bytes ?? text.length, detection, table, error });
        return;
      }
      case 'import': {
        const bytes = sourceBytes(req.source);
        const tooBig = bytes !== undefined ? checkFileSize(req.source.fileName, bytes, req.maxBytes) : null;
        if (tooBig) {
          emit({ type: 'imported', id: req.id, result: { ok: false, error: tooBig } });
          return;
        }
        const read = await readSource(req.source);
        if ('error' in read) {
          emit({ type: 'imported', id: req.id, result: { ok: false, error: read.error } });
          return;
        }
        let last = -Infinity;
        const result = importDataset(read.text, {
          fileName: req.source.fileName,
          ...(req.format ? { format: req.format } : {}),
          ...(req.columnMapping ? { columnMapping: req.columnMapping } : {}),
          ...(req.maxBytes !== undefined ? { maxBytes: req.maxBytes } : {}),
          dedupe: req.existing ? { existing: req.existing } : {},
          onProgress: (progress) => {
            const t = now();
            if (t - last < PROGRESS_INTERVAL_MS && progress.done < progress.total) return;
            last = t;
            emit({ type: 'progress', id: req.id, progress });
          },
        });
        if (result.ok && read.warning) result.warnings.unshift(read.warning);
        emit({ type: 'imported', id: req.id, result });
        return;
      }
      case 'dedupe': {
        let last = -Infinity;
        const report = findDuplicates(req.examples, {
          onProgress: (p) => {
            const t = now();
            if (t - last < PROGRESS_INTERVAL_MS && p.done < p.total) return;
            last = t;
            emit({ type: 'progress', id: req.id, progress: { phase: 'dedupe', done: p.done, total: p.total } });
          },
        });
        emit({ type: 'deduped', id: req.id, report });
        return;
      }
      case 'stats': {
        const tokenizer = req.tokenizerJson ? tokenizerFrom(req.tokenizerJson) : undefined;
        const stats = computeStats(req.examples, tokenizer && req.template ? { tokenizer, template: req.template } : {});
        emit({ type: 'stats', id: req.id, stats });
        return;
      }
      case 'tokens': {
        const tokenizer = tokenizerFrom(req.tokenizerJson);
        const view = req.view;
        const counts = req.examples.map((e) => tokenCount(e, req.template, tokenizer));
        const views = view ? req.examples.map((e) => exampleTokens(e, req.template, tokenizer, view)) : null;
        emit({ type: 'tokenized', id: req.id, counts, views });
        return;
      }
    }
  } catch (e) {
    emit({ type: 'failed', id: req.id, message: messageOf(e) });
  }
}
