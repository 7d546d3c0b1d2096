// The editor's token view shows exactly what training uses: the mask of
// renderForTraining, no target at position 0, and the context's overflow rule.

import { describe, expect, it } from 'vitest';
import { renderForTraining } from '../../data/render';
import type { Example } from '../../data/schema';
import { encodeExamples } from '../../data/sequences';
import { PLAIN_TEMPLATE } from '../../data/templates';
import { BpeTokenizer } from '../../tokenizer/bpe';
import { exampleTokens, TokenCounter, visibleTokenText } from './tokens';

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

  it('counts tokens per example once per tokenizer and template', () => {
    const counter = new TokenCounter(tokenizer, PLAIN_TEMPLATE);
    expect(counter.count(example)).toBe(renderForTraining(example, PLAIN_TEMPLATE, tokenizer).ids.length);
    expect(counter.count(example)).toBe(counter.count(example));
  });

  it('shows line breaks and tabs without changing other text', () => {
    expect(visibleTokenText('a\nb\tc <b>')).toBe('a↵\nb⇥c <b>');
  });
});
