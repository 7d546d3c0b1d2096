import { describe, expect, it } from 'vitest';
import { messageOf } from './errors';

describe('messageOf', () => {
  it("gives an Error's message", () => {
    expect(messageOf(new TypeError('bad type'))).toBe('bad type');
  });

  it('gives the message of an error-like object that is not an Error instance', () => {
    expect(messageOf({ name: 'QuotaExceededError', message: 'quota exceeded' })).toBe('quota exceeded');
  });

  it('writes any other thrown value as text', () => {
    expect(messageOf('plain string')).toBe('plain string');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(null)).toBe('null');
    expect(messageOf({ code: 3 })).toBe('[object Object]');
  });
});
