// The checks the example editor runs on a typed example, field by field.

import { describe, expect, it } from 'vitest';
import { exampleProblems } from './schema';

describe('exampleProblems', () => {
  it('names what is wrong with a typed example', () => {
    expect(exampleProblems({ id: 'x', source: '', kind: 'instruction', instruction: ' ', response: 'ok' }).map((p) => p.field)).toEqual(['instruction']);
    const conv = { id: 'x', source: '', kind: 'conversation' as const, messages: [{ role: 'user' as const, content: 'hi' }, { role: 'user' as const, content: 'again' }] };
    expect(exampleProblems(conv).map((p) => p.message).join(' ')).toMatch(/at least one assistant turn.*both user turns/);
  });
});
