// The editor's token view shows exactly what training uses: the mask of
// renderForTraining, no target at position 0, and the context's overflow rule.

import { describe, expect, it } from 'vitest';
import { renderForTraining } from './render';
import type { Example } from './schema';
import { encodeExamples } from './sequences';
import { PLAIN_TEMPLATE } from './templates';
import { BpeTokenizer } from '../tokenizer/bpe';
import { exampleChars, exampleTokens, isLongExample, LONG_EXAMPLE_CHARS, tokenCount } from './exampleTokens';
import { runDataJob, type DataJobEvent } from './jobs';

const tokenizer = BpeTokenizer.train('Question: what is the capital of France?\nAnswer: Paris. '.repeat(30), { vocabSize: 300 });
const example: Example = { id: 'a', source: 't', kind: 'instruction', instruction: 'What is the capital of France?', response: 'Paris.' };

describe('exampleTokens', () => {
  it('marks as trained exactly the targets training computes the loss on', () => {
    const shown = exampleTokens(example, PLAIN_TEMPLATE, tokenizer, { trainOnInputs: false, contextLength: 64, overflow: 'truncate' });
    const r = renderForTraining(example, PLAIN_TEMPLATE, tokenizer);
    expect(shown.tokens.map((t) => t.id)).toEqual(r.ids);
    expect(shown.tokens.map((t) => (t.target ? 1 : 0))).toEqual(r.mask.map((m, k) => (k === 0 ? 0 : m)));
    expect(shown.tokens.at(-1)?.part).toBe('eos');
    expect(shown.tokens.at(-1)?.target).toBe(true);
    const { report } = encodeExamples([example], PLAIN_TEMPLATE, tokenizer, { contextLength: 64 });
    expect(shown.targets).toBe(report.trainedTokens);
  });

  it('never counts the first token as a target, even when training on inputs', () => {
    const shown = exampleTokens(example, PLAIN_TEMPLATE, tokenizer, { trainOnInputs: true, contextLength: 64, overflow: 'truncate' });
    expect(shown.tokens[0]?.target).toBe(false);
    expect(shown.tokens.slice(1).every((t) => t.target)).toBe(true);
  });

  it('cuts tokens past the context, or reports the example dropped, as the overflow rule says', () => {
    const n = renderForTraining(example, PLAIN_TEMPLATE, tokenizer).ids.length;
    const T = n - 3;
    const cut = exampleTokens(example, PLAIN_TEMPLATE, tokenizer, { trainOnInputs: false, contextLength: T, overflow: 'truncate' });
    expect(cut.truncated).toBe(true);
    expect(cut.tokens).toHaveLength(T + 1);
    expect(cut.hidden).toBe(n - (T + 1));
    expect(cut.total).toBe(n);
    const { report } = encodeExamples([example], PLAIN_TEMPLATE, tokenizer, { contextLength: T });
    expect(cut.targets).toBe(report.trainedTokens);
    const dropped = exampleTokens(example, PLAIN_TEMPLATE, tokenizer, { trainOnInputs: false, contextLength: T, overflow: 'drop' });
    expect(dropped.dropped).toBe('too-long');
    expect(dropped.targets).toBe(0);
    const noRoom = exampleTokens(example, PLAIN_TEMPLATE, tokenizer, { trainOnInputs: false, contextLength: 3, overflow: 'truncate' });
    expect(noRoom.dropped).toBe('no-trained-tokens');
  });

  it('decodes only what one training sequence holds, however long the example', () => {
    const long = { ...example, response: 'word '.repeat(40_000) } as typeof example;
    const shown = exampleTokens(long, PLAIN_TEMPLATE, tokenizer, { trainOnInputs: false, contextLength: 16, overflow: 'truncate' });
    expect(shown.tokens).toHaveLength(17);
    expect(shown.total).toBe(renderForTraining(long, PLAIN_TEMPLATE, tokenizer).ids.length);
    expect(shown.hidden).toBe(shown.total - 17);
  });

  it('counts the tokens of the rendered training sequence', () => {
    expect(tokenCount(example, PLAIN_TEMPLATE, tokenizer)).toBe(renderForTraining(example, PLAIN_TEMPLATE, tokenizer).ids.length);
  });

  it('calls an example long by all of its text, conversation turns and system prompt included', () => {
    expect(exampleChars(example)).toBe(example.instruction.length + example.response.length);
    expect(isLongExample(example)).toBe(false);
    const half = 'x'.repeat(LONG_EXAMPLE_CHARS / 2);
    expect(isLongExample({ ...example, input: half, response: half } as Example)).toBe(true);
    const chat: Example = { id: 'c', source: 't', kind: 'conversation', system: 'Be brief.', messages: [{ role: 'user', content: half }, { role: 'assistant', content: half }] };
    expect(exampleChars(chat)).toBe(LONG_EXAMPLE_CHARS + 'Be brief.'.length);
    expect(isLongExample(chat)).toBe(true);
  });

  it('gives the same counts and views from the dataset worker job as on the page', async () => {
    const long = { ...example, id: 'b', input: 'river capital mountain '.repeat(200) } as Example;
    const view = { trainOnInputs: false, contextLength: 24, overflow: 'truncate' as const };
    const events: DataJobEvent[] = [];
    await runDataJob({ type: 'tokens', id: 7, examples: [example, long], template: PLAIN_TEMPLATE, tokenizerJson: JSON.stringify(tokenizer.toJSON()), view }, (ev) => events.push(ev));
    expect(events).toHaveLength(1);
    const ev = events[0]!;
    if (ev.type !== 'tokenized') throw new Error(`expected tokenized, got ${ev.type}`);
    expect(ev.id).toBe(7);
    expect(ev.counts).toEqual([tokenCount(example, PLAIN_TEMPLATE, tokenizer), tokenCount(long, PLAIN_TEMPLATE, tokenizer)]);
    expect(ev.views).toEqual([exampleTokens(example, PLAIN_TEMPLATE, tokenizer, view), exampleTokens(long, PLAIN_TEMPLATE, tokenizer, view)]);
    expect(ev.views![1]!.hidden).toBeGreaterThan(0);
    const countsOnly: DataJobEvent[] = [];
    await runDataJob({ type: 'tokens', id: 8, examples: [long], template: PLAIN_TEMPLATE, tokenizerJson: JSON.stringify(tokenizer.toJSON()) }, (e) => countsOnly.push(e));
    expect(countsOnly[0]).toEqual({ type: 'tokenized', id: 8, counts: [ev.counts[1]], views: null });
  });
});
