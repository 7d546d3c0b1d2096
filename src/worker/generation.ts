// One generation request on one model: the prompt rendered as training renders
// it (or taken as raw text), then tokens streamed until a stop, a limit or a
// cancel. The engine decides which model answers and forwards the tokens.

import { renderPrompt, type PromptFormat } from '../data/render';
import { promptExample } from '../data/templates';
import { generateTokens } from '../model/generate';
import type { GPT } from '../model/gpt';
import { generateOptionProblems, type GenerateOptions } from '../model/sampling';
import { StreamDecoder, type BpeTokenizer } from '../tokenizer/bpe';
import type { GenerateResult } from './protocol';

/** The token ids a prompt becomes, or (a string) the reason it cannot be generated from. */
export function promptIds(model: GPT, tokenizer: BpeTokenizer, prompt: string, format: PromptFormat | undefined): number[] | string {
  // With a format, the prompt is rendered exactly as training renders an instruction;
  // without one it is raw text, and an empty one starts from <|endoftext|> ("a new document").
  const ids = format
    ? renderPrompt(promptExample(prompt, { ...(format.system ? { system: format.system } : {}), ...(format.input ? { input: format.input } : {}) }), format.template, tokenizer)
    : prompt.length > 0
      ? tokenizer.encode(prompt)
      : [tokenizer.eosId];
  // A raw prompt longer than the context slides (the model sees its end); a formatted
  // instruction would lose its beginning, so it is refused instead.
  if (format && ids.length > model.config.contextLength) {
    return `The prompt has ${ids.length} tokens, more than the model's context of ${model.config.contextLength}: shorten it.`;
  }
  return ids;
}

/** Problems with the options, joined into one message, or null. */
export function generateOptionsMessage(o: GenerateOptions): string | null {
  const problems = generateOptionProblems(o);
  return problems.length > 0 ? problems.map((p) => p.message).join(' ') : null;
}

/** Streams the answer to `prompt` through `onPiece` and returns the whole of it. */
export async function runGeneration(
  model: GPT,
  tokenizer: BpeTokenizer,
  prompt: number[],
  o: GenerateOptions,
  onPiece: (tokenId: number, text: string) => void,
  cancelled: () => boolean,
): Promise<GenerateResult> {
  const decoder = new StreamDecoder(tokenizer);
  let text = '';
  let count = 0;
  let reason: GenerateResult['reason'] = 'maxTokens';
  const t0 = performance.now();
  for await (const id of generateTokens(model, prompt, {
    maxTokens: o.maxTokens,
    temperature: o.temperature,
    topK: o.topK,
    topP: o.topP,
    seed: o.seed,
    stopIds: o.stopAtEos ? [tokenizer.eosId] : [],
    shouldStop: cancelled,
  })) {
    count++;
    if (o.stopAtEos && id === tokenizer.eosId) {
      reason = 'eos';
      break;
    }
    const piece = decoder.push(id);
    text += piece;
    onPiece(id, piece);
  }
  if (cancelled()) reason = 'cancelled';
  text += decoder.flush();
  const sec = (performance.now() - t0) / 1000;
  return { reason, tokenCount: count, tokensPerSec: sec > 0 ? count / sec : 0, text };
}
