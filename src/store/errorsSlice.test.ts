// The errors slice: every error stays until dismissed, and the same error
// arriving again counts up instead of stacking another banner.

import { describe, expect, it } from 'vitest';
import { createStudio, memoryStorage } from './studio';
import { fakeClient } from './fakeWorker';

describe('errors', () => {
  it('lists every error until dismissed, counting repeats of the same one', () => {
    const t = createStudio({ client: fakeClient().client, storage: memoryStorage() });
    const state = () => t.getState();
    const err = { request: 'train', code: 'no-model', message: 'Create a model first.' } as const;
    state().pushError(err);
    state().pushError(err);
    state().pushError({ request: 'generate', code: 'no-model', message: 'Create a model first.' });
    const errors = state().errors;
    expect(errors.map((e) => [e.request, e.count])).toEqual([['train', 2], ['generate', 1]]);
    state().dismissError(errors[0]!.key);
    expect(state().errors.map((e) => e.request)).toEqual(['generate']);
  });
});
