// From segments to token ids and the loss mask, as the trainer sees them.
//
// Like nanochat's render_conversation, ids and mask are built together,
// segment by segment: each segment is encoded on its own (so segment
// boundaries are token boundaries) and its tokens get its `trained` flag.
// The end-of-text after a response is the tokenizer's eos id, never text.
// User text is encoded with allowSpecial: false, so it can never inject a
// control token.

import type { Tokenizer } from '../tokenizer/types';
import type { Example } from './schema';
import { endsWithResponse, renderSegments, type PromptTemplate, type RenderOptions, type SegmentPart } from './templates';

/** Where a segment's tokens lie in the rendered ids. */
export interface TokenSpan {
  part: SegmentPart;
  trained: boolean;
  turn: number;
  /** Token range [start, end). */
  start: number;
  end: number;
}

export interface RenderedExample {
  ids: number[];
  /** 1 where the loss is computed on the token, 0 where not; same length as ids. */
  mask: number[];
  /** Number of tokens before the last response: exactly the ids renderPrompt gives. */
  promptLength: number;
  spans: TokenSpan[];
}

function encodeSegment(text: string, part: SegmentPart, tokenizer: Tokenizer): number[] {
  return part === 'eos' ? [tokenizer.eosId] : tokenizer.encode(text, { allowSpecial: false });
}

/**
 * Ids and loss mask of an example for training. Ends at the last trained
 * token (an unanswered final user turn is not rendered); `promptLength`
 * marks where the last response begins.
 */
export function renderForTraining(
  example: Example,
  template: PromptTemplate,
  tokenizer: Tokenizer,
  opts: RenderOptions = {},
): RenderedExample {
  const segments = renderSegments(example, template, opts);
  let last = segments.length - 1;
  while (last >= 0 && segments[last]?.part !== 'eos') last--;
  let lastResponse = last;
  while (lastResponse >= 0 && segments[lastResponse]?.part !== 'response') lastResponse--;
  const ids: number[] = [];
  const mask: number[] = [];
  const spans: TokenSpan[] = [];
  let promptLength = 0;
  for (let k = 0; k <= last; k++) {
    const seg = segments[k];
    if (!seg) continue;
    if (k === lastResponse) promptLength = ids.length;
    const tokens = encodeSegment(seg.text, seg.part, tokenizer);
    const start = ids.length;
    for (const id of tokens) {
      ids.push(id);
      mask.push(seg.trained ? 1 : 0);
    }
    spans.push({ part: seg.part, trained: seg.trained, turn: seg.turn, start, end: ids.length });
  }
  return { ids, mask, promptLength, spans };
}

/** How a typed prompt becomes an instruction: the template and fields training uses. */
export interface PromptFormat {
  template: PromptTemplate;
  system?: string;
  /** The example's input field (context for the instruction), as in training. */
  input?: string;
}

/**
 * Ids to prompt the model with: everything before the final response (for an
 * example whose last turn is the user's, everything). Equal, token for token,
 * to the first `promptLength` ids of renderForTraining.
 */
export function renderPrompt(example: Example, template: PromptTemplate, tokenizer: Tokenizer): number[] {
  const segments = renderSegments(example, template);
  let end = segments.length;
  if (endsWithResponse(example)) {
    end = segments.length - 1;
    while (end >= 0 && segments[end]?.part !== 'response') end--;
  }
  const ids: number[] = [];
  for (const seg of segments.slice(0, Math.max(0, end))) {
    for (const id of encodeSegment(seg.text, seg.part, tokenizer)) ids.push(id);
  }
  return ids;
}

/** One token as the dataset editor shows it. */
export interface TokenView {
  id: number;
  /** The token's own text (may be a partial character for byte-level tokens). */
  text: string;
  trained: boolean;
  part: SegmentPart;
}

/** The tokens of an example with their mask, exactly as renderForTraining produces them. */
export function tokenView(
  example: Example,
  template: PromptTemplate,
  tokenizer: Tokenizer,
  opts: RenderOptions = {},
): TokenView[] {
  const rendered = renderForTraining(example, template, tokenizer, opts);
  const out: TokenView[] = [];
  for (const span of rendered.spans) {
    for (let t = span.start; t < span.end; t++) {
      const id = rendered.ids[t] as number;
      out.push({ id, text: tokenizer.decode([id]), trained: rendered.mask[t] === 1, part: span.part });
    }
  }
  return out;
}
