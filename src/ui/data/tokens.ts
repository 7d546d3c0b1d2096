// Token counts and token views for the Data tab. Short examples are encoded
// here at once (cached per example object); long ones (isLongExample) in the
// dataset worker, so a 200 KB example never blocks the page while its
// tokens are counted or shown. Both run the same exampleTokens/tokenCount.

import { useEffect, useMemo, useState } from 'react';
import { exampleTokens, isLongExample, tokenCount, type ExampleTokens, type TokenViewOptions } from '../../data/exampleTokens';
import type { Example } from '../../data/schema';
import type { PromptTemplate } from '../../data/templates';
import type { Tokenizer } from '../../tokenizer/types';
import { useStudio } from '../../store';
import { messageOf } from '../../util/errors';

/** Counts remembered for one tokenizer and template; long examples are filled in by the worker. */
class CountCache {
  readonly counts = new WeakMap<Example, number>();
  readonly asked = new WeakSet<Example>();
  constructor(
    readonly tokenizer: Tokenizer,
    readonly template: PromptTemplate,
  ) {}
  /** The count, or null while a long example's count is on its way. */
  get(e: Example): number | null {
    let n = this.counts.get(e);
    if (n === undefined && !isLongExample(e)) this.counts.set(e, (n = tokenCount(e, this.template, this.tokenizer)));
    return n ?? null;
  }
}

/**
 * Token counts of the table's rows: `count(e)` is the number, or null while
 * the dataset worker counts a long example (the row re-renders when it has).
 */
export function useTokenCounts(rows: readonly Example[], tokenizer: Tokenizer | null, template: PromptTemplate): ((e: Example) => number | null) | null {
  const tokenize = useStudio((s) => s.tokenizeInWorker);
  const cache = useMemo(() => (tokenizer ? new CountCache(tokenizer, template) : null), [tokenizer, template]);
  const [, setArrived] = useState(0);
  useEffect(() => {
    if (!cache) return;
    const wanted = rows.filter((e) => isLongExample(e) && !cache.counts.has(e) && !cache.asked.has(e));
    if (wanted.length === 0) return;
    for (const e of wanted) cache.asked.add(e);
    tokenize(wanted, cache.template, cache.tokenizer).then(
      ({ counts }) => {
        wanted.forEach((e, k) => cache.counts.set(e, counts[k] as number));
        setArrived((n) => n + 1);
      },
      () => {
        // Asked again the next time the rows change; the cell shows "…" meanwhile.
        for (const e of wanted) cache.asked.delete(e);
      },
    );
  }, [rows, cache, tokenize]);
  return cache ? (e) => cache.get(e) : null;
}

export type ExampleTokensState = { status: 'ready'; shown: ExampleTokens } | { status: 'counting' } | { status: 'failed'; message: string };

/**
 * One example's token view, or null without a tokenizer: at once for a short
 * example, from the dataset worker for a long one (`counting` until it
 * answers). An answer for an example or setting no longer shown is dropped.
 */
export function useExampleTokens(example: Example, template: PromptTemplate, tokenizer: Tokenizer | null, opts: TokenViewOptions | null): ExampleTokensState | null {
  const tokenize = useStudio((s) => s.tokenizeInWorker);
  const trainOnInputs = opts?.trainOnInputs ?? false;
  const contextLength = opts?.contextLength ?? 0;
  const overflow = opts?.overflow ?? 'truncate';
  const usable = tokenizer !== null && opts !== null;
  const long = isLongExample(example);
  const here = useMemo(
    () => (tokenizer && usable && !long ? exampleTokens(example, template, tokenizer, { trainOnInputs, contextLength, overflow }) : null),
    [example, template, tokenizer, usable, long, trainOnInputs, contextLength, overflow],
  );
  // The worker's answer, with the inputs it answers for.
  const [answer, setAnswer] = useState<{ for: readonly unknown[]; state: ExampleTokensState } | null>(null);
  const inputs = [example, template, tokenizer, trainOnInputs, contextLength, overflow];
  useEffect(() => {
    if (!tokenizer || !usable || !long) return;
    let current = true;
    const asked = [example, template, tokenizer, trainOnInputs, contextLength, overflow];
    tokenize([example], template, tokenizer, { trainOnInputs, contextLength, overflow }).then(
      ({ views }) => current && setAnswer({ for: asked, state: { status: 'ready', shown: views![0]! } }),
      (e: unknown) => current && setAnswer({ for: asked, state: { status: 'failed', message: messageOf(e) } }),
    );
    return () => {
      current = false;
    };
  }, [example, template, tokenizer, usable, long, trainOnInputs, contextLength, overflow, tokenize]);

  if (!usable) return null;
  if (here) return { status: 'ready', shown: here };
  if (answer && answer.for.every((v, k) => v === inputs[k])) return answer.state;
  return { status: 'counting' };
}
