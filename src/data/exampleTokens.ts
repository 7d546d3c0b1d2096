// One example's tokens as the trainer sees them, for the Data tab's token
// view and token counts: the model's own tokenizer and the same functions
// training uses (renderForTraining, fitToContext), so what is shown is what
// is trained. Plain TypeScript: the page runs it for short examples and the
// dataset worker for long ones (see `isLongExample`).

import { renderForTraining, type TokenView } from './render';
import type { Example } from './schema';
import { fitToContext, type OverflowRule } from './sequences';
import type { PromptTemplate } from './templates';
import type { Tokenizer } from '../tokenizer/types';

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

export interface TokenViewOptions {
  trainOnInputs: boolean;
  contextLength: number;
  overflow: OverflowRule;
}

/**
 * Characters of text above which an example is tokenized in the dataset
 * worker rather than on the page's thread. Encoding runs at roughly 0.15 ms
 * per KB here, so a table page of 50 examples under this size costs the page
 * at most ~15 ms, while a 200 KB example (~30-130 ms) never blocks it.
 */
export const LONG_EXAMPLE_CHARS = 2_000;

/** Characters of all the example's text (its fields or turns). */
export function exampleChars(e: Example): number {
  let n = (e.system?.length ?? 0) + (e.category?.length ?? 0);
  if (e.kind === 'instruction') n += e.instruction.length + (e.input?.length ?? 0) + e.response.length;
  else for (const m of e.messages) n += m.content.length;
  return n;
}

/** Whether the example is tokenized off the page's thread. */
export function isLongExample(e: Example): boolean {
  return exampleChars(e) > LONG_EXAMPLE_CHARS;
}

/**
 * The example's tokens with the mask, after the overflow rule for a context of
 * `contextLength`: position 0 is never a target (nothing comes before it), and
 * only the first contextLength + 1 tokens (one training sequence with its
 * shifted targets) are decoded and shown. A 200 KB example is ~50,000 tokens;
 * turning each into an element froze the page for 19 s.
 */
export function exampleTokens(example: Example, template: PromptTemplate, tokenizer: Tokenizer, opts: TokenViewOptions): ExampleTokens {
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
 * example then encode its text once, not twice.
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
