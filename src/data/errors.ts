// What a failed import tells the user: which file, which line or record,
// which field, and why, in words a non-programmer can act on.

export interface ImportError {
  /** The file name as the user knows it. */
  file: string;
  /** 1-based line in the file where the problem is (where the record starts). */
  line?: number;
  /** 1-based record number (JSON array element, JSONL record, CSV data row). */
  record?: number;
  /** The field at fault, as a path: "output", "messages[2].role", "instances[0].output". */
  field?: string;
  /** Why, without the location: 'the "output" field is missing'. */
  reason: string;
  /** The whole sentence to show: location and reason together. */
  message: string;
}

/** Where in a file a problem sits; everything but the file is optional. */
export interface ErrorLocation {
  file: string;
  line?: number;
  record?: number;
  field?: string;
}

/** Builds the user-facing message from a location and a reason. */
export function formatLocation(loc: ErrorLocation): string {
  const parts: string[] = [];
  if (loc.record !== undefined) parts.push(`record ${loc.record}`);
  if (loc.line !== undefined) parts.push(loc.record !== undefined ? `(line ${loc.line})` : `line ${loc.line}`);
  const where = parts.join(' ');
  return where ? `${quoteName(loc.file)}, ${where}` : quoteName(loc.file);
}

export function makeImportError(loc: ErrorLocation, reason: string): ImportError {
  const error: ImportError = { file: loc.file, reason, message: `${formatLocation(loc)}: ${reason}` };
  if (loc.line !== undefined) error.line = loc.line;
  if (loc.record !== undefined) error.record = loc.record;
  if (loc.field !== undefined) error.field = loc.field;
  return error;
}

/** Thrown inside importers; `importDataset` turns it into `{ ok: false, error }`. */
export class DataImportError extends Error {
  readonly detail: ImportError;
  constructor(detail: ImportError) {
    super(detail.message);
    this.name = 'DataImportError';
    this.detail = detail;
  }
}

export function fail(loc: ErrorLocation, reason: string): never {
  throw new DataImportError(makeImportError(loc, reason));
}

function quoteName(file: string): string {
  return `"${file}"`;
}

/** Describes a JSON value's type in everyday words: "a number", "a list", "nothing (null)". */
export function describeValue(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return `a number (${value})`;
    case 'boolean':
      return `true/false (${value})`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** Text shortened for quoting inside a message. */
export function preview(text: string, max = 40): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
