// Small formatting helpers for the views: durations, counts, backend names.

import type { LossPoint } from '../store';
import type { BackendName } from '../worker/backends';

export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU',
};

/** "42 s", "3 min 05 s", "1 h 20 min", "2 d 4 h"; an em dash when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** 37216 -> "37,216". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

/** 37216 -> "37.2K", 5_100_000 -> "5.1M". */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(Math.round(n));
}

/** A rate as a plain number a test can parse: one decimal below 100, whole above. */
export function formatRate(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0';
  return n < 100 ? n.toFixed(1) : String(Math.round(n));
}

/**
 * The skipped backend's reason as a full sentence naming it: the worker may send
 * "no adapter" or already "WebGPU unavailable: no adapter".
 */
export function skippedLine(name: BackendName, reason: string): string {
  const label = BACKEND_LABELS[name];
  return reason.toLowerCase().startsWith(label.toLowerCase()) ? reason : `${label} unavailable: ${reason}`;
}

/**
 * The loss series on one shared x axis, as uPlot wants them: the steps of both
 * series merged in order, with null where a series has no value at a step.
 */
export function alignLoss(
  train: readonly LossPoint[],
  val: readonly LossPoint[],
): [number[], Array<number | null>, Array<number | null>] {
  const xs: number[] = [];
  const ys: Array<number | null> = [];
  const vs: Array<number | null> = [];
  let i = 0;
  let j = 0;
  while (i < train.length || j < val.length) {
    const a = train[i]?.step ?? Infinity;
    const b = val[j]?.step ?? Infinity;
    const x = Math.min(a, b);
    xs.push(x);
    ys.push(a === x ? train[i++]!.loss : null);
    vs.push(b === x ? val[j++]!.loss : null);
  }
  return [xs, ys, vs];
}

/** Characters of a text a table cell or a heading holds: it shows a line or two, and laying out a 200 KB text to clip it blocked the page. */
export const PREVIEW_CHARS = 400;

/** The start of a long text, for a cell or heading: at most PREVIEW_CHARS characters and "…". */
export function textPreview(text: string): string {
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

/** How a token's text is shown: line breaks and tabs made visible, nothing else changed. */
export function visibleTokenText(text: string): string {
  return text.replace(/\n/g, '↵\n').replace(/\t/g, '⇥');
}
