// The lessons slice driven without a DOM: a fake worker plays the engine, the
// shipped files are served from memory.

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { PLAIN_TEMPLATE } from '../../data/templates';
import { BpeTokenizer } from '../../tokenizer/bpe';
import { createStudio, memoryStorage, PREFERENCES_KEY } from '../studio';
import { config, flush, setup, until } from '../testStudio';

const VOCAB = 270;

function withShippedModels() {
  const t = setup();
  const tokenizer = BpeTokenizer.train('Question: What is the capital of France?\nAnswer: Paris\n', { vocabSize: VOCAB });
  t.files.set('models/index.json', JSON.stringify([{ id: 'base', title: 'Base', dir: 'models/base' }, { id: 'tuned', title: 'Tuned', dir: 'models/tuned', template: 'plain' }]));
  for (const dir of ['base', 'tuned']) {
    t.files.set(`models/${dir}/config.json`, JSON.stringify({ model_type: 'gpt2', n_embd: 8, n_positions: 64 }));
    t.files.set(`models/${dir}/tokenizer.json`, JSON.stringify(tokenizer.toJSON()));
  }
  return { t, tokenizer };
}

/** Answers every open logits request with `best` as the most likely next token. */
function replyLogits(t: ReturnType<typeof setup>, best: number) {
  const req = t.worker().of('logits').at(-1)!;
  const logits = new Float32Array(req.ids.length * VOCAB);
  logits[(req.ids.length - 1) * VOCAB + best] = 8;
  t.worker().reply('logits', { logits, positions: req.ids.length, vocabSize: VOCAB }, req.id);
}

describe('lessons slice', () => {
  it('asks base and tuned the question greedily: next-token bars from each slot, then both answers', async () => {
    const { t, tokenizer } = withShippedModels();
    await t.ready();
    const asking = t.state().askLesson(['shipped:base', 'shipped:tuned']);
    for (const slot of ['shipped:base', 'shipped:tuned']) {
      await until(() => t.worker().of('loadModel').some((r) => r.slot === slot && !t.worker().answered.has(r.id)));
      t.worker().reply('loadModel', { config, paramCount: 1, tokenizerVocab: VOCAB, name: slot, step: 0, slot });
    }
    await until(() => t.worker().of('logits').length === 1);
    expect(t.worker().of('logits')[0]!.slot).toBe('shipped:base');
    replyLogits(t, 100);
    await until(() => t.worker().of('logits').length === 2);
    replyLogits(t, 200);
    await until(() => t.worker().of('generate').length === 2);
    const gens = t.worker().of('generate');
    expect(gens.map((g) => g.slot)).toEqual(['shipped:base', 'shipped:tuned']);
    for (const g of gens) {
      expect(g.options.temperature).toBe(0);
      expect(g.format).toEqual({ template: PLAIN_TEMPLATE });
    }
    t.worker().send({ type: 'token', requestId: gens[1]!.id, tokenId: 1, text: ' Paris' });
    expect(t.state().lessonResults['shipped:tuned']).toMatchObject({ status: 'running', answer: ' Paris' });
    t.worker().reply('generate', { reason: 'maxTokens', tokenCount: 8, tokensPerSec: 4, text: ' What is the capital of Spain?' }, gens[0]!.id);
    t.worker().reply('generate', { reason: 'eos', tokenCount: 1, tokensPerSec: 4, text: ' Paris' }, gens[1]!.id);
    await asking;
    const r = t.state().lessonResults;
    expect(r['shipped:base']).toMatchObject({ status: 'done', answer: ' What is the capital of Spain?', promptText: 'Question: What is the capital of France?\nAnswer:' });
    expect(r['shipped:base']!.top[0]).toMatchObject({ id: 100, text: tokenizer.decode([100]) });
    expect(r['shipped:tuned']!.top[0]!.id).toBe(200);
    expect(r['shipped:tuned']!.top).toHaveLength(10);
    expect(t.state().lessonRunning).toBe(false);
  });

  it('tries a model that failed to load once more before reporting it', async () => {
    const { t } = withShippedModels();
    await t.ready();
    const asking = t.state().askLesson(['shipped:base']);
    await until(() => t.worker().of('loadModel').length === 1);
    t.worker().fail('loadModel', 'internal', 'Failed to fetch');
    await until(() => t.worker().of('loadModel').length === 2);
    t.worker().reply('loadModel', { config, paramCount: 1, tokenizerVocab: VOCAB, name: 'Base', step: 0, slot: 'shipped:base' });
    await until(() => t.worker().of('logits').length === 1);
    replyLogits(t, 100);
    await until(() => t.worker().of('generate').length === 1);
    t.worker().reply('generate', { reason: 'maxTokens', tokenCount: 8, tokensPerSec: 4, text: ' What is the capital of Spain?' });
    await asking;
    expect(t.state().lessonResults['shipped:base']).toMatchObject({ status: 'done', error: null });
  });

  it('samples at temperature 0.8 only when the learner asks for it', async () => {
    const { t } = withShippedModels();
    await t.ready();
    t.state().setLessonSampling(true);
    const asking = t.state().askLesson(['current']);
    await until(() => t.worker().of('generate').length === 1);
    expect(t.worker().of('generate')[0]!.options.temperature).toBe(0.8);
    t.worker().reply('generate', { reason: 'eos', tokenCount: 1, tokensPerSec: 4, text: ' Paris' });
    await asking;
    expect(t.state().lessonResults['current']).toMatchObject({ status: 'done', top: [] });
  });

  it('keeps the open view, the lesson step and presenter mode across a reload, and ignores malformed entries', async () => {
    const storage = memoryStorage();
    const first = createStudio({ storage });
    expect(first.getState().openView).toBe('lessons');
    first.getState().setLessonStep('data');
    first.getState().setPresenter(true);
    first.getState().setOpenView('compare');
    await flush();
    const again = createStudio({ storage });
    expect(again.getState()).toMatchObject({ openView: 'compare', lessonStepId: 'data', presenter: true });

    const stale = memoryStorage();
    stale.setItem(PREFERENCES_KEY, JSON.stringify({ state: { openView: 'nowhere', lessonStepId: 7, presenter: 'yes' }, version: 1 }));
    expect(createStudio({ storage: stale }).getState()).toMatchObject({ openView: 'lessons', lessonStepId: '', presenter: false });
  });
});
