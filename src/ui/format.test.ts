import { describe, expect, it } from 'vitest';
import { alignLoss, formatCompact, formatDuration, formatRate, PREVIEW_CHARS, skippedLine, textPreview, visibleTokenText } from './format';

describe('formatDuration', () => {
  it('reads as a person would say it', () => {
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(4800)).toBe('1 h 20 min');
    expect(formatDuration(2 * 86400 + 4 * 3600)).toBe('2 d 4 h');
  });
  it('shows a dash for unknown durations', () => {
    expect(formatDuration(Number.NaN)).toBe('—');
    expect(formatDuration(Infinity)).toBe('—');
    expect(formatDuration(-1)).toBe('—');
  });
});

describe('numbers', () => {
  it('compacts counts and keeps rates parseable', () => {
    expect(formatCompact(37216)).toBe('37.2K');
    expect(formatCompact(5_100_000)).toBe('5.1M');
    expect(formatRate(12.34)).toBe('12.3');
    expect(formatRate(1234.6)).toBe('1235');
    expect(formatRate(Number.NaN)).toBe('0');
  });
});

describe('skippedLine', () => {
  it('names the backend once, whichever form the reason comes in', () => {
    expect(skippedLine('webgpu', 'no adapter')).toBe('WebGPU unavailable: no adapter');
    expect(skippedLine('webgpu', 'WebGPU unavailable: no adapter')).toBe('WebGPU unavailable: no adapter');
  });
});

describe('alignLoss', () => {
  it('merges train and validation steps with gaps as null', () => {
    const pts = (xs: number[], ys: number[]) => xs.map((step, k) => ({ step, loss: ys[k]! }));
    expect(alignLoss(pts([1, 2, 3], [5, 4, 3]), pts([0, 2], [6, 4.5]))).toEqual([
      [0, 1, 2, 3],
      [null, 5, 4, 3],
      [6, null, 4.5, null],
    ]);
  });
  it('handles empty histories', () => {
    expect(alignLoss([], [])).toEqual([[], [], []]);
  });
});

describe('token text and previews', () => {
  it('shows line breaks and tabs without changing other text', () => {
    expect(visibleTokenText('a\nb\tc <b>')).toBe('a↵\nb⇥c <b>');
  });
  it('cuts a long text to its start and marks the cut', () => {
    expect(textPreview('short')).toBe('short');
    const long = 'w'.repeat(200_000);
    expect(textPreview(long)).toBe(`${'w'.repeat(PREVIEW_CHARS)}…`);
  });
});
