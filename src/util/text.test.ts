import { describe, expect, it } from 'vitest';
import { formatBytes, plural } from './text';

describe('plural', () => {
  it('uses the singular for exactly one and the plural otherwise, with an s by default', () => {
    expect(plural(1, 'example')).toBe('1 example');
    expect(plural(0, 'example')).toBe('0 examples');
    expect(plural(2, 'dataset')).toBe('2 datasets');
  });

  it('takes an irregular plural and groups thousands with commas', () => {
    expect(plural(1, 'example has', 'examples have')).toBe('1 example has');
    expect(plural(1234, 'example has', 'examples have')).toBe('1,234 examples have');
  });
});

describe('formatBytes', () => {
  it('writes sizes under 1 KB as whole bytes, without a thousands comma', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1000)).toBe('1000 bytes');
  });

  it('switches unit at each power of 1024, one decimal up to MB and two for GB', () => {
    expect(formatBytes(1024)).toBe('1.0 KB');
    expect(formatBytes(128 * 1024)).toBe('128.0 KB');
    expect(formatBytes(62.3 * 1024 ** 2)).toBe('62.3 MB');
    expect(formatBytes(1.25 * 1024 ** 3)).toBe('1.25 GB');
  });
});
