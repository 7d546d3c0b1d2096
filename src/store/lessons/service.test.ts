// The lessons service without a worker: probabilities from logits, the prompt
// it asks logits for, and the published record shapes of the Data step.

import { describe, expect, it } from 'vitest';
import { importDataset } from '../../data/import';
import { renderPrompt } from '../../data/render';
import { requestOf, type InstructionExample } from '../../data/schema';
import { PLAIN_TEMPLATE, promptExample } from '../../data/templates';
import { BpeTokenizer } from '../../tokenizer/bpe';
import { LessonsService, publishedRecord, topProbabilities } from './service';

const EX: InstructionExample = { kind: 'instruction', id: 'x', source: 't', instruction: 'Rewrite in the past tense.', input: 'I walk home.', response: 'I walked home.', category: 'rewrite' };

describe('topProbabilities', () => {
  it('gives the softmax over the whole vocabulary at the asked position, most likely first', () => {
    // Two positions of a 4-token vocabulary; the second row is asked for.
    const logits = [9, 9, 9, 9, Math.log(1), Math.log(4), Math.log(2), Math.log(1)];
    const top = topProbabilities(logits, 1, 4, 3);
    expect(top.map((t) => t.id)).toEqual([1, 2, 0]);
    expect(top[0]!.p).toBeCloseTo(0.5, 6);
    expect(top[1]!.p).toBeCloseTo(0.25, 6);
    // Probabilities of the whole vocabulary: the three shown do not sum to 1.
    expect(top.reduce((a, t) => a + t.p, 0)).toBeCloseTo(0.875, 6);
  });

  it('stays finite for large logits', () => {
    const top = topProbabilities([1000, 999, -1000], 0, 3, 2);
    expect(top[0]!.p).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(Number.isFinite(top[1]!.p)).toBe(true);
  });
});

describe('LessonsService.nextTokens', () => {
  it('asks the slot for logits of the prompt exactly as generation renders it, and names the top tokens', async () => {
    const tokenizer = BpeTokenizer.train('Question: What is the capital of France?\nAnswer: Paris\n', { vocabSize: 270 });
    const requests: Array<{ type: string; fields: { ids: number[]; slot?: string } }> = [];
    const vocab = 270;
    const svc = new LessonsService({
      fetchText: async (url) => (url.endsWith('tokenizer.json') ? JSON.stringify(tokenizer.toJSON()) : JSON.stringify({ n_positions: 64, n_embd: 8 })),
      client: {
        request: (async (type: string, fields: { ids: number[]; slot?: string }) => {
          requests.push({ type, fields });
          const logits = new Float32Array(fields.ids.length * vocab);
          logits[(fields.ids.length - 1) * vocab + 80] = 5;
          return { logits, positions: fields.ids.length, vocabSize: vocab };
        }) as never,
      },
    });
    const got = await svc.nextTokens('shipped:tuned', { id: 'tuned', title: 'T', dir: 'models/tuned' }, 'What is the capital of France?', PLAIN_TEMPLATE, 10);
    const ids = renderPrompt(promptExample('What is the capital of France?'), PLAIN_TEMPLATE, tokenizer);
    expect(requests).toEqual([{ type: 'logits', fields: { ids, slot: 'shipped:tuned' } }]);
    expect(got.promptText).toBe('Question: What is the capital of France?\nAnswer:');
    expect(got.top).toHaveLength(10);
    expect(got.top[0]).toMatchObject({ id: 80, text: tokenizer.decode([80]) });
  });
});

describe('publishedRecord', () => {
  it.each([
    ['alpaca', 'alpaca'],
    ['dolly', 'dolly'],
    ['oasst', 'oasst'],
    ['selfInstruct', 'self-instruct'],
  ] as const)('writes a %s record that the importer reads back as the same request and response', (shape, format) => {
    const rec = publishedRecord(shape, EX);
    const text = Array.isArray(rec) ? rec.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify([rec]);
    const r = importDataset(text, { fileName: `x.${Array.isArray(rec) ? 'jsonl' : 'json'}`, format, dedupe: { near: false } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const got = r.examples[0]!;
    // Conversations (OpenAssistant) join instruction and input in the user's turn.
    const response = got.kind === 'instruction' ? got.response : got.messages.at(-1)?.content;
    expect([requestOf(got), response]).toEqual([requestOf(EX), EX.response]);
  });
});
