// Reading typed fields out of untrusted records, failing with the file,
// record, line and field path and a reason a non-programmer can act on.

import { describeValue, fail, type ErrorLocation } from '../errors';
import type { SourceRecord, RecordList } from '../json';
import { plural } from '../../util/text';

/** The place a record came from, used to build error locations for its fields. */
export interface RecordContext {
  file: string;
  record: number;
  line?: number;
  /** What a record of this format looks like, for "expected" hints. */
  shape: string;
}

export function recordContext(list: RecordList, rec: SourceRecord, file: string, shape: string): RecordContext {
  const ctx: RecordContext = { file, record: rec.record, shape };
  const line = rec.line ?? list.lineOf(rec.record);
  if (line !== undefined) ctx.line = line;
  return ctx;
}

export function at(ctx: RecordContext, field?: string): ErrorLocation {
  const loc: ErrorLocation = { file: ctx.file, record: ctx.record };
  if (ctx.line !== undefined) loc.line = ctx.line;
  if (field !== undefined) loc.field = field;
  return loc;
}

/** The record as an object with fields, or a failure saying what was expected. */
export function asObject(value: unknown, ctx: RecordContext): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(at(ctx), `this record is ${describeValue(value)}, but an object with fields was expected, like ${ctx.shape}`);
  }
  return value as Record<string, unknown>;
}

function fieldOf(obj: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined;
}

/** A required text field that must not be blank. */
export function requiredText(
  obj: Record<string, unknown>,
  name: string,
  ctx: RecordContext,
  path: string = name,
  meaning = '',
): string {
  const value = fieldOf(obj, name);
  if (value === undefined) {
    fail(at(ctx, path), `the "${path}" field is missing${meaning}. Every record needs it, like ${ctx.shape}`);
  }
  if (typeof value !== 'string') {
    fail(at(ctx, path), `"${path}" must be text, but it is ${describeValue(value)}`);
  }
  if (value.trim() === '') {
    fail(at(ctx, path), `"${path}" is empty${meaning}; an example needs some text here`);
  }
  return value;
}

/** An optional text field: absent, null and "" all mean "not given". */
export function optionalText(
  obj: Record<string, unknown>,
  name: string,
  ctx: RecordContext,
  path: string = name,
): string | undefined {
  const value = fieldOf(obj, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    fail(at(ctx, path), `"${path}" must be text when given, but it is ${describeValue(value)}`);
  }
  return value === '' ? undefined : value;
}

/** An optional identifier: text or a number, turned into text. */
export function optionalId(obj: Record<string, unknown>, name: string, ctx: RecordContext): string | undefined {
  const value = fieldOf(obj, name);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  fail(at(ctx, name), `"${name}" must be text or a number when given, but it is ${describeValue(value)}`);
}

/** A required list field. */
export function requiredArray(obj: Record<string, unknown>, name: string, ctx: RecordContext): unknown[] {
  const value = fieldOf(obj, name);
  if (value === undefined) fail(at(ctx, name), `the "${name}" field is missing. Every record needs it, like ${ctx.shape}`);
  if (!Array.isArray(value)) fail(at(ctx, name), `"${name}" must be a list, but it is ${describeValue(value)}`);
  return value;
}

/** The optional metadata fields an example may carry: category, system prompt, language. */
export type MetaField = 'category' | 'system' | 'lang';

/** The given optional metadata fields that are present, checked in the order given. */
export function readMeta(
  obj: Record<string, unknown>,
  ctx: RecordContext,
  fields: readonly MetaField[] = ['category', 'system', 'lang'],
): Partial<Record<MetaField, string>> {
  const meta: Partial<Record<MetaField, string>> = {};
  for (const name of fields) {
    const value = optionalText(obj, name, ctx);
    if (value !== undefined) meta[name] = value;
  }
  return meta;
}

/**
 * The loop every JSON format runs: each record, in order, as an object
 * handed to `read` with its context for errors; then one warning naming the
 * fields outside `known` that were ignored.
 */
export function readObjects<T>(
  list: RecordList,
  ctx: { file: string; warn(message: string): void },
  shape: string,
  known: ReadonlySet<string>,
  read: (obj: Record<string, unknown>, rc: RecordContext) => T,
): T[] {
  const unused = new UnusedFields(known);
  const out = list.records.map((rec) => {
    const rc = recordContext(list, rec, ctx.file, shape);
    const obj = asObject(rec.value, rc);
    unused.note(obj);
    return read(obj, rc);
  });
  unused.report(ctx.warn);
  return out;
}

/**
 * Counts fields a format does not use, so the import can say they were
 * ignored instead of dropping them silently.
 */
export class UnusedFields {
  private readonly counts = new Map<string, number>();
  constructor(private readonly known: ReadonlySet<string>) {}

  note(obj: Record<string, unknown>): void {
    for (const key of Object.keys(obj)) {
      if (!this.known.has(key)) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
  }

  /** One warning naming the ignored fields, or nothing. */
  report(warn: (message: string) => void): void {
    if (this.counts.size === 0) return;
    const list = [...this.counts]
      .slice(0, 8)
      .map(([k, n]) => `"${k}" (${plural(n, 'record')})`)
      .join(', ');
    const more = this.counts.size > 8 ? ` and ${this.counts.size - 8} more` : '';
    warn(`Fields the studio does not use were ignored: ${list}${more}.`);
  }
}
