// Telling a file's format from its content (and, for CSV/TSV, its name).
// The answer comes with a confidence and a reason in words, so the UI can
// show "Detected Dolly: the records have instruction, context, response and
// category fields" and let the user pick another format.

import { guessDelimiter } from './csv';
import { stripBom } from './json';
import type { FormatId } from './formats/types';

/** How the records are stored: a JSON array, one JSON value per line, or delimited text. */
export type Container = 'json' | 'jsonl' | 'delimited';

export interface FormatDetection {
  /** null when the format could not be told. */
  format: FormatId | null;
  container: Container | null;
  /** 0..1: about 0.95 when the fields match a format exactly, lower when guessed. */
  confidence: number;
  reason: string;
}

const SAMPLE = 50;

/** The container of a text, from its first non-blank character and the file name. */
export function detectContainer(text: string, fileName: string): Container | null {
  const lower = fileName.toLowerCase();
  if (/\.(csv|tsv|tab)$/.test(lower)) return 'delimited';
  const first = /\S/.exec(stripBom(text))?.[0];
  if (first === undefined) return null;
  if (first === '[') return 'json';
  if (first === '{') return 'jsonl';
  // A .json/.jsonl file that starts with neither is still read as JSON, so
  // the user hears what is wrong with it as JSON.
  if (/\.(json|jsonl|ndjson)$/.test(lower)) return 'json';
  return 'delimited';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

interface Signature {
  format: FormatId;
  /** Why, when it matches. */
  reason: string;
  matches(keys: ReadonlySet<string>, sample: Record<string, unknown>): boolean;
}

// Most specific first: a Dolly record has "instruction" too, a Self-Instruct
// task has "instruction" and "instances".
const SIGNATURES: readonly Signature[] = [
  {
    format: 'messages',
    reason: 'the records have a "messages" list of {role, content} turns',
    matches: (k, s) => k.has('messages') && Array.isArray(s['messages']),
  },
  {
    format: 'sharegpt',
    reason: 'the records have a "conversations" list of {from, value} turns, as in ShareGPT',
    matches: (k, s) => k.has('conversations') && Array.isArray(s['conversations']),
  },
  {
    format: 'oasst',
    reason: 'the records are OpenAssistant messages with message_id, parent_id, role and text',
    matches: (k) => k.has('message_id') && k.has('role') && k.has('text'),
  },
  {
    format: 'oasst',
    reason: 'the records are OpenAssistant message trees with a "prompt" and its "replies"',
    matches: (k, s) => k.has('message_tree_id') && isRecord(s['prompt']),
  },
  {
    format: 'self-instruct',
    reason: 'the records have an instruction and a list of "instances", as in Self-Instruct seed tasks',
    matches: (k) => k.has('instruction') && k.has('instances'),
  },
  {
    format: 'dolly',
    reason: 'the records have instruction, context, response and category fields, as in Dolly',
    matches: (k) => k.has('instruction') && k.has('response') && !k.has('output'),
  },
  {
    format: 'alpaca',
    reason: 'the records have instruction, input and output fields, as in Alpaca',
    matches: (k) => k.has('instruction') && k.has('output'),
  },
];

/** Detection from already-parsed records (the importer parses once and detects from that). */
export function detectFromRecords(records: readonly unknown[], container: 'json' | 'jsonl'): FormatDetection {
  const sample = records.slice(0, SAMPLE).filter(isRecord);
  if (sample.length === 0) {
    return {
      format: null,
      container,
      confidence: 0,
      reason: records.length === 0 ? 'the file has no records' : 'the records are not objects with fields',
    };
  }
  const votes = new Map<Signature, number>();
  for (const rec of sample) {
    const keys = new Set(Object.keys(rec));
    const sig = SIGNATURES.find((s) => s.matches(keys, rec));
    if (sig) votes.set(sig, (votes.get(sig) ?? 0) + 1);
  }
  let best: Signature | undefined;
  let bestVotes = 0;
  for (const [sig, n] of votes) {
    if (n > bestVotes) {
      best = sig;
      bestVotes = n;
    }
  }
  if (!best) {
    const keys = [...new Set(sample.flatMap((r) => Object.keys(r)))].slice(0, 12);
    return {
      format: null,
      container,
      confidence: 0,
      reason: `the records have the fields ${keys.map((k) => `"${k}"`).join(', ') || '(none)'}, which match no known format`,
    };
  }
  const share = bestVotes / sample.length;
  return {
    format: best.format,
    container,
    confidence: share === 1 ? 0.95 : Math.round(0.9 * share * 100) / 100,
    reason: share === 1 ? best.reason : `${best.reason} (${bestVotes} of the first ${sample.length} records)`,
  };
}

/** Guesses the format of a file's text. */
export function detectFormat(text: string, fileName: string): FormatDetection {
  const body = stripBom(text);
  const container = detectContainer(body, fileName);
  if (container === null) return { format: null, container: null, confidence: 0, reason: 'the file is empty' };
  if (container === 'delimited') {
    const delimiter = guessDelimiter(body, fileName);
    const byName = /\.(csv|tsv|tab)$/i.test(fileName);
    const format: FormatId = delimiter === '\t' ? 'tsv' : 'csv';
    const what = delimiter === '\t' ? 'tab-separated' : delimiter === ';' ? 'semicolon-separated' : 'comma-separated';
    return {
      format,
      container,
      confidence: byName ? 0.9 : 0.6,
      reason: byName ? `the file name says it is ${what} text` : `the file is not JSON, and its first line looks ${what}`,
    };
  }
  const records: unknown[] = [];
  let unreadable = false;
  if (container === 'json') {
    try {
      const doc: unknown = JSON.parse(body);
      if (Array.isArray(doc)) records.push(...doc.slice(0, SAMPLE));
      else records.push(doc);
    } catch {
      unreadable = true;
    }
  } else {
    const lines = body.split('\n');
    for (const line of lines) {
      if (records.length >= SAMPLE) break;
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        unreadable = true;
        break;
      }
    }
    // A single pretty-printed document is not JSONL; read it whole.
    if (unreadable && records.length === 0) {
      try {
        records.push(JSON.parse(body));
        unreadable = false;
      } catch {
        // keep guessing from field names below
      }
    }
  }
  if (records.length === 0 && unreadable) {
    // Not valid JSON: guess from the field names near the start, so the user
    // still sees a sensible format and then the exact syntax error on import.
    const keys = new Set([...body.slice(0, 4096).matchAll(/"([A-Za-z_]+)"\s*:/g)].map((m) => m[1] as string));
    const fake: Record<string, unknown> = {};
    for (const k of keys) fake[k] = k === 'messages' || k === 'conversations' ? [] : k === 'prompt' ? {} : '';
    const guess = detectFromRecords([fake], container);
    return {
      ...guess,
      confidence: guess.format ? 0.5 : 0,
      reason: guess.format ? `${guess.reason} (guessed from field names; the file is not valid JSON)` : 'the file is not valid JSON and its fields match no known format',
    };
  }
  return detectFromRecords(records, container);
}
