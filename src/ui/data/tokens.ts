// Token counts and the token view for the editor, computed on the page's
// thread with the model's own tokenizer and the same functions training uses
// (renderForTraining, fitToContext), so what is shown is what is trained.

import { renderForTraining, tokenView, type TokenView } from '../../data/render';
import type { Example } from '../../data/schema';
import { fitToContext, type OverflowRule } from '../../data/sequences';
import type { PromptTemplate } from '../../data/templates';
import type { Tokenizer } from '../../tokenizer/types';

/** One token as the trainer will see it. */
export interface ShownToken extends TokenView {
  /** The loss is computed on predicting this token (its mask is 1 and it is not the first position). */
  target: boolean;
  /** Cut off because the sequence is longer than the context (overflow 'truncate'). */
  cut: boolean;
}

export interface ExampleTokens {
  tokens: ShownToken[];
  /** Why the trainer leaves the example out, or null when it is kept. */
  dropped: 'too-long' | 'no-trained-tokens' | null;
  truncated: boolean;
  targets: number;
}

/**
 * The example's tokens with the mask, after the overflow rule for a context of
 * `contextLength`: position 0 is never a target (nothing comes before it), and
 * tokens past contextLength + 1 are cut.
 */
export function exampleTokens(
  example: Example,
  template: PromptTemplate,
  tokenizer: Tokenizer,
  opts: { trainOnInputs: boolean; contextLength: number; overflow: OverflowRule },
): ExampleTokens {
  const view = tokenView(example, template, tokenizer, { trainOnInputs: opts.trainOnInputs });
  const ids = view.map((t) => t.id);
  const mask = view.map((t) => (t.trained ? 1 : 0));
  const fit = fitToContext(ids, mask, opts.contextLength, opts.overflow);
  const keep = fit.kept ? fit.ids.length : opts.overflow === 'drop' ? ids.length : Math.min(ids.length, opts.contextLength + 1);
  let targets = 0;
  const tokens = view.map((t, k) => {
    const cut = k >= keep;
    const target = t.trained && k > 0 && !cut;
    if (target) targets++;
    return { ...t, target, cut };
  });
  return { tokens, dropped: fit.kept ? null : fit.reason, truncated: fit.kept && fit.truncated, targets: fit.kept ? targets : 0 };
}

/** Tokens in the rendered training sequence of an example (before fitting to the context). */
export function tokenCount(example: Example, template: PromptTemplate, tokenizer: Tokenizer): number {
  return renderForTraining(example, template, tokenizer).ids.length;
}

/**
 * A per-example token-count cache tied to one tokenizer and template: rows of a
 * 50,000-example table are counted only when shown, and only once.
 */
export class TokenCounter {
  private readonly cache = new WeakMap<Example, number>();
  constructor(
    readonly tokenizer: Tokenizer,
    readonly template: PromptTemplate,
  ) {}
  count(example: Example): number {
    let n = this.cache.get(example);
    if (n === undefined) {
      n = tokenCount(example, this.template, this.tokenizer);
      this.cache.set(example, n);
    }
    return n;
  }
}

/** How a token's text is shown: line breaks and tabs made visible, nothing else changed. */
export function visibleTokenText(text: string): string {
  return text.replace(/\n/g, '↵\n').replace(/\t/g, '⇥');
}
