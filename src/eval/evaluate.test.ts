import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { GPT } from '../model/gpt';
import { BpeTokenizer } from '../tokenizer/bpe';
import { PLAIN_TEMPLATE } from '../data/templates';
import type { Example } from '../data/schema';
import { prepareInstructionData } from '../train/instructions';
import { AdamW } from '../train/optimizer';
import { trainStep } from '../train/step';
import { evaluateModel, majorityBaseline } from './evaluate';

const examples: Example[] = [
  { id: '1', source: 't', kind: 'instruction', instruction: 'What is the capital of Aland?', response: 'Alpha', category: 'capital' },
  { id: '2', source: 't', kind: 'instruction', instruction: 'What is the capital of Borduria?', response: 'Szohod', category: 'capital' },
  { id: '3', source: 't', kind: 'instruction', instruction: 'Which continent is Aland in?', response: 'Europe', category: 'continent' },
];

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('evaluateModel', () => {
  it('scores an untrained model at zero and a model tuned on the questions at 100%, per category', async () => {
    const tokenizer = BpeTokenizer.train(examples.map((e) => (e.kind === 'instruction' ? `${e.instruction} ${e.response}` : '')).join('\n'), { vocabSize: 300 });
    const model = GPT.create({ vocabSize: 300, contextLength: 64, width: 32, layers: 1, heads: 2 }, 3);
    const before = await evaluateModel(model, tokenizer, examples, { template: PLAIN_TEMPLATE, maxTokens: 6 });
    expect(before.totals.exactMatch).toBe(0);
    const data = prepareInstructionData(examples, tokenizer, { template: PLAIN_TEMPLATE, contextLength: 64, batchSize: 3, seed: 1, trainOnInputs: false, pack: false, overflow: 'truncate', valFraction: 0 });
    const opt = new AdamW(model.params);
    expect(data.report.truncated).toBe(0);
    for (let s = 0; s < 150; s++) trainStep(model, opt, data.source.next(), 1e-2, 1).dispose();
    const seen: number[] = [];
    const after = await evaluateModel(model, tokenizer, examples, { template: PLAIN_TEMPLATE, maxTokens: 12, onRow: (_, i) => void seen.push(i) });
    expect(seen).toEqual([0, 1, 2]);
    expect(after.rows.map((r) => r.answer)).toEqual(['Alpha', 'Szohod', 'Europe']);
    expect(after.totals).toMatchObject({ count: 3, exactMatch: 1, rougeL: 1, questionLike: 0 });
    expect(after.byCategory.capital!.count).toBe(2);
    expect(after.byCategory.continent!.exactMatch).toBe(1);
    // As sentence completion (no template), the tuned answers are not what follows the bare question.
    const prose = await evaluateModel(model, tokenizer, examples, { template: PLAIN_TEMPLATE, prose: true, maxTokens: 6 });
    expect(prose.rows.map((r) => r.question)).toEqual(examples.map((e) => (e.kind === 'instruction' ? e.instruction : '')));
    expect(prose.totals.exactMatch).toBeLessThan(1);
    // Sampling with a seed is reproducible and differs from greedy somewhere over a few runs.
    const sampling = { temperature: 1.5, topK: 0, topP: 1, seed: 5 };
    const s1 = await evaluateModel(model, tokenizer, examples, { template: PLAIN_TEMPLATE, maxTokens: 6, sampling });
    const s2 = await evaluateModel(model, tokenizer, examples, { template: PLAIN_TEMPLATE, maxTokens: 6, sampling });
    expect(s1.rows.map((r) => r.raw)).toEqual(s2.rows.map((r) => r.raw));
    opt.dispose();
    model.dispose();
  }, 60_000);
});

describe('majorityBaseline', () => {
  it('is the share of the most common reference, and that answer', () => {
    const row = (reference: string) => ({ id: reference, question: '', reference, raw: '', answer: '', exact: false, rougeL: 0, question_like: false });
    expect(majorityBaseline(['English', 'French', 'English', 'Arabic'].map(row))).toEqual({ answer: 'English', share: 0.5 });
  });
});
