// Every error the worker reports (and the few the UI finds itself), kept until
// the user dismisses it. Nothing is swallowed: the same error arriving again
// bumps a counter instead of stacking identical banners.

import { RequestError } from '../worker/protocol';
import type { ErrorsSlice, SliceCreator, StudioError } from './types';

/** A failed request as the error banners show it; anything else thrown counts as the UI's own. */
export function asStudioError(e: unknown): Pick<StudioError, 'request' | 'code' | 'message'> {
  if (e instanceof RequestError) return { request: e.request, code: e.code, message: e.message };
  return { request: 'ui', code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/** Older errors are dropped beyond this many, so a failing loop cannot flood the page. */
export const MAX_ERRORS = 20;

export const createErrorsSlice: SliceCreator<ErrorsSlice, never> = (ctx) => (set, get) => {
  let nextKey = 1;
  return {
    errors: [],

    pushError: (e) => {
      const errors = get().errors;
      const last = errors[errors.length - 1];
      if (last && last.request === e.request && last.code === e.code && last.message === e.message) {
        set({ errors: [...errors.slice(0, -1), { ...last, count: last.count + 1, at: ctx.now() }] });
        return;
      }
      const next = [...errors, { ...e, key: nextKey++, count: 1, at: ctx.now() }];
      set({ errors: next.slice(-MAX_ERRORS) });
    },

    dismissError: (key) => set({ errors: get().errors.filter((e) => e.key !== key) }),

    clearErrors: () => set({ errors: [] }),
  };
};
