// The lessons slice driven without a DOM: a fake worker plays the engine, the
// shipped files are served from memory.

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { PLAIN_TEMPLATE } from '../../data/templates';
import { BpeTokenizer } from '../../tokenizer/bpe';
import { createStudio, memoryStorage, PREFERENCES_KEY } from '../studio';
import { config, flush, setup, until } from '../testStudio';

const VOCAB = 270;

function withShippedModels(dbName?: string) {
  const t = dbName ? setup(dbName, { datasets: true }) : setup();
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

  const facts = (name: string, i: number) => ({ code: `C${i}`, name, capital: `${name}ville`, continent: 'Europe', currency: 'Euro', language: 'French', callingCode: `+${i}`, domain: `.c${i}`, currencyCode: 'EUR', code3: `C${i}X` });
  const pair = (i: number) => ({ id: `self-instruct:${i}`, source: 'self-instruct', kind: 'instruction' as const, category: 'self-instruct', instruction: `Which city is the capital of Land${i}?`, response: `City${i}` });
  const result = (experiment: string, pairs?: ReturnType<typeof pair>[]) => ({ experiment, quick: true, settings: {}, columns: [], rows: [{ arm: 'before', label: 'starting model', values: { proposedCount: 5, validCount: 4, keptCount: 3, pairsCount: 3 } }], claims: [], samples: [], notes: [], ...(pairs ? { pairs } : {}) });

  /** Answers the model load the experiment asks for (in `slot`). */
  async function loadFor(t: ReturnType<typeof setup>, slot: string) {
    await until(() => t.worker().of('loadModel').some((r) => r.slot === slot && !t.worker().answered.has(r.id)));
    t.worker().reply('loadModel', { config, paramCount: 1, tokenizerVocab: VOCAB, name: slot, step: 0, slot });
    await until(() => t.worker().of('experiment').length === 1);
    return t.worker().of('experiment')[0]!;
  }

  it('runs the flan lesson from the base model: arms (a) and (c) on the shipped countries', async () => {
    const { t } = withShippedModels();
    t.files.set('datasets/flan-countries.json', JSON.stringify({ train: ['Chad', 'Peru', 'Mali', 'Fiji', 'Laos'].map(facts), heldOut: ['Cuba', 'Iran', 'Oman', 'Togo', 'Niger', 'Spain'].map((n, i) => facts(n, i + 10)) }));
    await t.ready();
    const running = t.state().runLessonExperiment('flan');
    const req = await loadFor(t, 'shipped:base');
    expect(req.run.name).toBe('flan');
    if (req.run.name !== 'flan') return;
    expect(req.run.settings.arms).toEqual(['a', 'c']);
    expect(req.run.inputs.train.map((c) => c.name)).toEqual(['Chad', 'Peru', 'Mali', 'Fiji', 'Laos']);
    expect(req.run.inputs.heldOut[0]).toMatchObject({ name: 'Cuba', capital: 'Cubaville', language: 'French' });
    t.worker().reply('experiment', result('flan'));
    await running;
    expect(t.state().lessonExperiment).toMatchObject({ running: null, error: null });
    expect(t.state().lessonExperiment.results.flan?.experiment).toBe('flan');
  });

  it('refuses a malformed flan-countries file by name and entry, before loading any model', async () => {
    const { t } = withShippedModels();
    t.files.set('datasets/flan-countries.json', JSON.stringify({ train: [{ ...facts('Chad', 1), capital: '' }], heldOut: [] }));
    await t.ready();
    await t.state().runLessonExperiment('flan');
    expect(t.state().lessonExperiment).toMatchObject({ running: null, errorFor: 'flan' });
    expect(t.state().lessonExperiment.error).toMatch(/datasets\/flan-countries\.json: train\[0\] \(Chad\) has no capital/);
    expect(t.worker().of('experiment')).toHaveLength(0);
  });

  it('self-instruct: the tuned model proposes (no tuning), the user edits and unticks, the ticked pairs become a dataset', async () => {
    const { t } = withShippedModels(`lessons-self-instruct-${Date.now()}`);
    t.files.set('datasets/geo-tune.json', JSON.stringify(Array.from({ length: 9 }, (_, i) => ({ instruction: `What is the capital of Land${i}?`, input: '', output: `City${i}` }))));
    await t.ready();
    const proposing = t.state().proposeSelfInstruct(5);
    const req = await loadFor(t, 'shipped:tuned');
    expect(req.run.name).toBe('self-instruct');
    if (req.run.name !== 'self-instruct') return;
    expect(req.run.settings).toMatchObject({ proposals: 5, measure: false, shapeRules: 'pool' });
    expect(req.run.inputs.seedTasks).toHaveLength(9);
    t.worker().reply('experiment', result('self-instruct', [pair(1), pair(2), pair(3)]));
    await proposing;
    const drafts = t.state().selfInstructDrafts;
    expect(drafts.map((d) => [d.response, d.accepted])).toEqual([['City1', true], ['City2', true], ['City3', true]]);

    t.state().editSelfInstructDraft(drafts[0]!.id, { response: 'Capital One' });
    t.state().editSelfInstructDraft(drafts[1]!.id, { accepted: false });
    t.state().editSelfInstructDraft(drafts[2]!.id, { instruction: '  ' });
    // An emptied instruction is refused by its place among the ticked pairs; nothing is stored.
    const before = t.state().datasets.length;
    expect(await t.state().saveSelfInstructDrafts('Reviewed')).toMatch(/Example 2 \(instruction\): The instruction is empty/);
    expect(t.state().datasets).toHaveLength(before);
    expect(await t.state().saveSelfInstructDrafts('  ')).toMatch(/name/);

    t.state().editSelfInstructDraft(drafts[2]!.id, { instruction: 'Name the capital of Land3.' });
    expect(await t.state().saveSelfInstructDrafts('Reviewed')).toBeNull();
    expect(t.state().selfInstructSaved).toBe('Reviewed');
    const saved = t.state().activeDataset!;
    expect(saved.name).toBe('Reviewed');
    expect(saved.examples.map((e) => (e.kind === 'instruction' ? [e.instruction, e.response] : null))).toEqual([
      ['Which city is the capital of Land1?', 'Capital One'],
      ['Name the capital of Land3.', 'City3'],
    ]);
  });

  it('refuses a proposal count out of range without asking the worker', async () => {
    const { t } = withShippedModels();
    await t.ready();
    await t.state().proposeSelfInstruct(0);
    expect(t.state().lessonExperiment).toMatchObject({ errorFor: 'self-instruct' });
    expect(t.state().lessonExperiment.error).toMatch(/1 to 200 proposals \(got 0\)/);
    expect(t.worker().of('experiment')).toHaveLength(0);
  });
});
