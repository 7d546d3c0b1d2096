// Dataset statistics: counts, categories, lengths in characters and words,
// and length histograms, as numbers for the UI and as plain text for the CLI.

import type { Tokenizer } from '../tokenizer/types';
import { instructionOf, responseOf, type Example } from './schema';
import { describeDuplicates, type DuplicateReport } from './dedupe';
import type { PromptTemplate } from './templates';
import { renderForTraining } from './render';

export interface LengthSummary {
  min: number;
  max: number;
  mean: number;
  median: number;
  total: number;
}

export interface HistogramBucket {
  /** Inclusive lower and exclusive upper bound (Infinity for the last bucket). */
  from: number;
  to: number;
  label: string;
  count: number;
}

export interface DatasetStats {
  examples: number;
  instructionExamples: number;
  conversations: number;
  withInput: number;
  withSystem: number;
  categories: Array<{ name: string; count: number }>;
  uncategorized: number;
  instructionChars: LengthSummary;
  instructionWords: LengthSummary;
  responseChars: LengthSummary;
  responseWords: LengthSummary;
  instructionWordHistogram: HistogramBucket[];
  responseWordHistogram: HistogramBucket[];
  /** Tokens per rendered training sequence, when a tokenizer and template are given. */
  tokens?: LengthSummary;
  tokenHistogram?: HistogramBucket[];
  duplicates?: DuplicateReport;
}

export interface StatsOptions {
  tokenizer?: Tokenizer;
  template?: PromptTemplate;
  duplicates?: DuplicateReport;
}

/** Bucket edges for word counts: 1-4, 5-9, 10-19, 20-49, 50-99, 100-199, 200-499, 500-999, 1000+. */
export const WORD_EDGES: readonly number[] = [0, 5, 10, 20, 50, 100, 200, 500, 1000];
/** Bucket edges for token counts. */
export const TOKEN_EDGES: readonly number[] = [0, 16, 32, 64, 128, 256, 512, 1024, 2048];

export function wordCount(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

/** Length in characters (Unicode code points, so an emoji counts once). */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function summarize(values: readonly number[]): LengthSummary {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, median: 0, total: 0 };
  const sorted = values.slice().sort((a, b) => a - b);
  const total = sorted.reduce((s, v) => s + v, 0);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { min: sorted[0] as number, max: sorted[sorted.length - 1] as number, mean: total / sorted.length, median, total };
}

/** Counts values into buckets [edges[k], edges[k+1]); the last bucket is open-ended. */
export function histogram(values: readonly number[], edges: readonly number[] = WORD_EDGES): HistogramBucket[] {
  const buckets: HistogramBucket[] = edges.map((from, k) => {
    const to = edges[k + 1] ?? Number.POSITIVE_INFINITY;
    const label = to === Number.POSITIVE_INFINITY ? `${from}+` : to - from === 1 ? `${from}` : `${from}-${to - 1}`;
    return { from, to, label, count: 0 };
  });
  for (const v of values) {
    for (let k = buckets.length - 1; k >= 0; k--) {
      const b = buckets[k] as HistogramBucket;
      if (v >= b.from) {
        b.count++;
        break;
      }
    }
  }
  return buckets;
}

/** A histogram as text bars, one bucket per line, empty leading/trailing buckets left out. */
export function formatHistogram(buckets: readonly HistogramBucket[], width = 40): string {
  let first = buckets.findIndex((b) => b.count > 0);
  if (first < 0) return '  (no values)';
  let last = buckets.length - 1;
  while (last > first && (buckets[last] as HistogramBucket).count === 0) last--;
  first = Math.max(0, first);
  const shown = buckets.slice(first, last + 1);
  const max = Math.max(...shown.map((b) => b.count));
  const labelWidth = Math.max(...shown.map((b) => b.label.length));
  const countWidth = String(max).length;
  return shown
    .map((b) => {
      const bar = '#'.repeat(max === 0 ? 0 : Math.round((b.count / max) * width));
      return `  ${b.label.padStart(labelWidth)} | ${String(b.count).padStart(countWidth)} ${bar}`.trimEnd();
    })
    .join('\n');
}

export function computeStats(examples: readonly Example[], opts: StatsOptions = {}): DatasetStats {
  const categories = new Map<string, number>();
  let uncategorized = 0;
  const iChars: number[] = [];
  const iWords: number[] = [];
  const rChars: number[] = [];
  const rWords: number[] = [];
  const tokens: number[] = [];
  let conversations = 0;
  let withInput = 0;
  let withSystem = 0;
  for (const ex of examples) {
    if (ex.kind === 'conversation') conversations++;
    else if (ex.input !== undefined) withInput++;
    if (ex.system !== undefined) withSystem++;
    if (ex.category !== undefined) categories.set(ex.category, (categories.get(ex.category) ?? 0) + 1);
    else uncategorized++;
    const instruction = instructionOf(ex);
    const response = responseOf(ex);
    iChars.push(charCount(instruction));
    iWords.push(wordCount(instruction));
    rChars.push(charCount(response));
    rWords.push(wordCount(response));
    if (opts.tokenizer && opts.template) tokens.push(renderForTraining(ex, opts.template, opts.tokenizer).ids.length);
  }
  const stats: DatasetStats = {
    examples: examples.length,
    instructionExamples: examples.length - conversations,
    conversations,
    withInput,
    withSystem,
    categories: [...categories].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
    uncategorized,
    instructionChars: summarize(iChars),
    instructionWords: summarize(iWords),
    responseChars: summarize(rChars),
    responseWords: summarize(rWords),
    instructionWordHistogram: histogram(iWords),
    responseWordHistogram: histogram(rWords),
  };
  if (opts.tokenizer && opts.template) {
    stats.tokens = summarize(tokens);
    stats.tokenHistogram = histogram(tokens, TOKEN_EDGES);
  }
  if (opts.duplicates) stats.duplicates = opts.duplicates;
  return stats;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function summaryLine(label: string, s: LengthSummary): string {
  return `  ${label}: min ${fmt(s.min)}, median ${fmt(s.median)}, mean ${fmt(s.mean)}, max ${fmt(s.max)}`;
}

/** The whole statistics report as plain text. */
export function formatStats(stats: DatasetStats): string {
  const lines: string[] = [];
  lines.push(`Examples: ${stats.examples}`);
  lines.push(
    `  ${stats.instructionExamples} single-turn (${stats.withInput} with input), ${stats.conversations} multi-turn conversations, ${stats.withSystem} with a system prompt`,
  );
  lines.push('Categories:');
  if (stats.categories.length === 0) lines.push('  (none)');
  for (const c of stats.categories.slice(0, 20)) lines.push(`  ${c.name}: ${c.count}`);
  if (stats.categories.length > 20) lines.push(`  ... and ${stats.categories.length - 20} more`);
  if (stats.uncategorized > 0 && stats.categories.length > 0) lines.push(`  (no category): ${stats.uncategorized}`);
  lines.push('Instruction length:');
  lines.push(summaryLine('characters', stats.instructionChars));
  lines.push(summaryLine('words', stats.instructionWords));
  lines.push('Response length:');
  lines.push(summaryLine('characters', stats.responseChars));
  lines.push(summaryLine('words', stats.responseWords));
  lines.push('Instruction words (histogram):');
  lines.push(formatHistogram(stats.instructionWordHistogram));
  lines.push('Response words (histogram):');
  lines.push(formatHistogram(stats.responseWordHistogram));
  if (stats.tokens && stats.tokenHistogram) {
    lines.push('Tokens per training sequence:');
    lines.push(summaryLine('tokens', stats.tokens));
    lines.push(formatHistogram(stats.tokenHistogram));
  }
  if (stats.duplicates) {
    lines.push(`Duplicates: ${describeDuplicates(stats.duplicates)}`);
    for (const p of stats.duplicates.pairs.slice(0, 10)) {
      lines.push(`  ${p.id} repeats ${p.duplicateOfId} (${p.kind}${p.kind === 'near' ? `, ROUGE-L ${p.score.toFixed(2)}` : ''})`);
    }
    if (stats.duplicates.pairs.length > 10) lines.push(`  ... and ${stats.duplicates.pairs.length - 10} more`);
  }
  return lines.join('\n');
}
