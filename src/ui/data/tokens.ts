// Token counts and the token view for the editor, computed on the page's
// thread with the model's own tokenizer and the same functions training uses
// (renderForTraining, fitToContext), so what is shown is what is trained.

import { renderForTraining, type TokenView } from '../../data/render';
import type { Example } from '../../data/schema';
import { fitToContext, type OverflowRule } from '../../data/sequences';
import type { PromptTemplate } from '../../data/templates';
import type { Tokenizer } from '../../tokenizer/types';

/** One token as the trainer will see it. */
export interface ShownToken extends TokenView {
  /** The loss is computed on predicting this token (its mask is 1 and it is not the first position). */
  target: boolean;
}

export interface ExampleTokens {
  /** The first tokens, at most contextLength + 1 (what one training sequence holds); the rest are only counted. */
  tokens: ShownToken[];
  /** Tokens in the whole rendered example. */
  total: number;
  /** Tokens not shown: cut to fit the context (truncate) or past it (an example left out). */
  hidden: number;
  /** Why the trainer leaves the example out, or null when it is kept. */
  dropped: 'too-long' | 'no-trained-tokens' | null;
  truncated: boolean;
  targets: number;
}

/**
 * The example's tokens with the mask, after the overflow rule for a context of
 * `contextLength`: position 0 is never a target (nothing comes before it), and
 * only the first contextLength + 1 tokens (one training sequence with its
 * shifted targets) are decoded and shown. A 200 KB example is ~50,000 tokens;
 * turning each into an element froze the page for 19 s.
 */
export function exampleTokens(
  example: Example,
  template: PromptTemplate,
  tokenizer: Tokenizer,
  opts: { trainOnInputs: boolean; contextLength: number; overflow: OverflowRule },
): ExampleTokens {
  const rendered = renderCached(example, template, tokenizer, opts.trainOnInputs);
  const fit = fitToContext(rendered.ids, rendered.mask, opts.contextLength, opts.overflow);
  const shown = Math.min(rendered.ids.length, opts.contextLength + 1);
  const tokens: ShownToken[] = [];
  let targets = 0;
  for (const span of rendered.spans) {
    for (let k = span.start; k < span.end && k < shown; k++) {
      const id = rendered.ids[k] as number;
      const trained = rendered.mask[k] === 1;
      const target = trained && k > 0 && fit.kept;
      if (target) targets++;
      tokens.push({ id, text: tokenizer.decode([id]), trained, part: span.part, target });
    }
  }
  return {
    tokens,
    total: rendered.ids.length,
    hidden: rendered.ids.length - tokens.length,
    dropped: fit.kept ? null : fit.reason,
    truncated: fit.kept && fit.truncated,
    targets,
  };
}

/** Tokens in the rendered training sequence of an example (before fitting to the context). */
export function tokenCount(example: Example, template: PromptTemplate, tokenizer: Tokenizer): number {
  return renderCached(example, template, tokenizer, false).ids.length;
}

type Rendered = ReturnType<typeof renderForTraining>;
const renderCache = new WeakMap<Tokenizer, WeakMap<PromptTemplate, [WeakMap<Example, Rendered>, WeakMap<Example, Rendered>]>>();

/**
 * renderForTraining, remembered per tokenizer, template, mask rule and
 * example object: the table's token count and the token view of the same
 * example then encode its text once, not twice (a 200 KB example takes
 * ~50-130 ms to encode here).
 */
function renderCached(example: Example, template: PromptTemplate, tokenizer: Tokenizer, trainOnInputs: boolean): Rendered {
  let byTemplate = renderCache.get(tokenizer);
  if (!byTemplate) renderCache.set(tokenizer, (byTemplate = new WeakMap()));
  let pair = byTemplate.get(template);
  if (!pair) byTemplate.set(template, (pair = [new WeakMap(), new WeakMap()]));
  const cache = pair[trainOnInputs ? 1 : 0];
  let r = cache.get(example);
  if (!r) cache.set(example, (r = renderForTraining(example, template, tokenizer, { trainOnInputs })));
  return r;
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
