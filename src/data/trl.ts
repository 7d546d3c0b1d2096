// Instruction data as TRL's SFTTrainer reads it, in its two dataset forms:
//  - messages ({"messages": [...]}): rendered by the exported chat template,
//    trained with assistant_only_loss, so every assistant turn and its
//    end-of-text is trained, as in the studio;
//  - prompt/completion ({"prompt": text, "completion": text}): the studio's
//    rendered text split before the last response; TRL trains the completion
//    only (completion_only_loss), so in a conversation earlier assistant turns
//    are context, not trained.
// With "train on inputs" the studio trains every token; train_trl.py then turns
// the masking off.

import type { Example } from './schema';
import { toHfMessages, type HfMessage } from './chatTemplate';
import { endsWithResponse, renderSegments, type PromptTemplate } from './templates';

export function toTrlMessages(example: Example): { messages: HfMessage[] } {
  return { messages: toHfMessages(example) };
}

/** Text before the last response, and the response part with its end-of-text. */
export function toTrlPromptCompletion(example: Example, template: PromptTemplate): { prompt: string; completion: string } {
  const segments = renderSegments(example, template);
  let last = segments.length - 1;
  while (last >= 0 && segments[last]!.part !== 'response') last--;
  const join = (from: number, to: number): string =>
    segments
      .slice(from, to)
      .map((s) => s.text)
      .join('');
  return { prompt: join(0, last), completion: join(last, segments.length) };
}

/** JSONL of both forms; examples without a final response (nothing to train) are left out. */
export function toTrlJsonl(examples: readonly Example[], template: PromptTemplate): { messages: string; promptCompletion: string } {
  const usable = examples.filter(endsWithResponse);
  const lines = (rows: unknown[]): string => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  return {
    messages: lines(usable.map(toTrlMessages)),
    promptCompletion: lines(usable.map((e) => toTrlPromptCompletion(e, template))),
  };
}
