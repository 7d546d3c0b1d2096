// What every format module provides, and the ids the user picks formats by.

import type { Example } from '../schema';
import type { RecordList } from '../json';

/** Dataset formats the studio reads. JSON formats accept a JSON array or JSONL. */
export type FormatId = 'alpaca' | 'dolly' | 'self-instruct' | 'oasst' | 'messages' | 'sharegpt' | 'csv' | 'tsv';

export const FORMAT_IDS: readonly FormatId[] = [
  'alpaca',
  'dolly',
  'self-instruct',
  'oasst',
  'messages',
  'sharegpt',
  'csv',
  'tsv',
];

/** Which columns of a CSV/TSV file hold which part of an example (column names from the header row). */
export interface ColumnMapping {
  instruction: string;
  response: string;
  input?: string;
  category?: string;
  system?: string;
  id?: string;
}

/** Shared state of one import: the file, a warning sink, the user's choices. */
export interface FormatContext {
  file: string;
  /** Written into every example's `source`. */
  source: string;
  warn(message: string): void;
  columnMapping?: ColumnMapping;
}

export interface JsonFormat {
  id: Exclude<FormatId, 'csv' | 'tsv'>;
  label: string;
  /** A one-line picture of a record, used in "expected ..." messages. */
  shape: string;
  /** Turns parsed records into examples; throws DataImportError on the first bad record. */
  fromRecords(list: RecordList, ctx: FormatContext): Example[];
}
