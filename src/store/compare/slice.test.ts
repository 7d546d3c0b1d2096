// The compare slice driven without a DOM: a fake worker plays the engine's side,
// fake-indexeddb stores the checkpoints it compares.

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { PLAIN_TEMPLATE } from '../../data/templates';
import { checkpointEvent, config, flush, REPORT, setup, until } from '../testStudio';
import { CURRENT_MODEL } from './state';
import { compareBlocker } from './slice';

describe('compare slice', () => {
  it('loads a checkpoint into a comparison slot and streams both models with identical prompt, template and settings', async () => {
    const t = setup();
    await t.ready();
    const saved = await t.checkpoints.save(checkpointEvent(3, 'request').bytes, { kind: 'manual' });
    await t.state().refreshCheckpoints();
    t.state().toggleCompareModel(CURRENT_MODEL);
    t.state().toggleCompareModel(`ckpt:${saved.id}`);
    const running = t.state().runCompare();
    // The checkpoint is read from storage before it is sent: wait for it (a busy machine takes a while).
    await until(() => t.worker().of('loadModel').length > 0);
    const load = t.worker().of('loadModel').at(-1)!;
    expect(load.slot).toBe(`ckpt:${saved.id}`);
    t.worker().reply('loadModel', { config, paramCount: 1, tokenizerVocab: 260, name: saved.name, step: 3, slot: `ckpt:${saved.id}` });
    await until(() => t.worker().of('generate').length >= 2);
    const gens = t.worker().of('generate');
    expect(gens).toHaveLength(2);
    expect(gens[0]!.prompt).toBe('What is the capital of France?');
    expect(gens[0]!.options).toEqual(gens[1]!.options);
    expect(gens[0]!.format).toEqual({ template: PLAIN_TEMPLATE });
    expect(gens[1]!.format).toEqual(gens[0]!.format);
    expect(gens.map((g) => g.slot)).toEqual([undefined, `ckpt:${saved.id}`]);
    t.worker().send({ type: 'token', requestId: gens[1]!.id, tokenId: 1, text: ' Par' });
    t.worker().send({ type: 'token', requestId: gens[0]!.id, tokenId: 1, text: ' What' });
    t.worker().send({ type: 'token', requestId: gens[1]!.id, tokenId: 2, text: 'is' });
    expect(t.state().compareColumns[`ckpt:${saved.id}`]).toMatchObject({ status: 'running', text: ' Paris' });
    expect(t.state().compareColumns[CURRENT_MODEL]).toMatchObject({ text: ' What' });
    t.worker().reply('generate', { reason: 'maxTokens', tokenCount: 8, tokensPerSec: 4, text: ' What is the capital of Spain?' }, gens[0]!.id);
    t.worker().reply('generate', { reason: 'eos', tokenCount: 2, tokensPerSec: 4, text: ' Paris' }, gens[1]!.id);
    await running;
    expect(t.state().compareRunning).toBe(false);
    expect(t.state().compareColumns[`ckpt:${saved.id}`]).toMatchObject({ status: 'done', reason: 'eos', text: ' Paris' });
    // A second run reuses the loaded slot.
    void t.state().runCompare();
    await flush();
    expect(t.worker().of('loadModel')).toHaveLength(1);
  });

  it('loads comparison slots again in a new worker after a backend switch', async () => {
    const t = setup();
    await t.ready();
    const saved = await t.checkpoints.save(checkpointEvent(3, 'request').bytes, { kind: 'manual' });
    await t.state().refreshCheckpoints();
    t.state().toggleCompareModel(`ckpt:${saved.id}`);
    const answer = async () => {
      const running = t.state().runCompare();
      await until(() => t.worker().of('loadModel').some((l) => !t.worker().answered.has(l.id)));
      const load = t.worker().of('loadModel').at(-1);
      expect(load?.slot).toBe(`ckpt:${saved.id}`);
      t.worker().reply('loadModel', { config, paramCount: 1, tokenizerVocab: 260, name: saved.name, step: 3, slot: `ckpt:${saved.id}` });
      await until(() => t.worker().of('generate').some((g) => !t.worker().answered.has(g.id)));
      const gen = t.worker().of('generate').at(-1)!;
      t.worker().reply('generate', { reason: 'eos', tokenCount: 1, tokensPerSec: 1, text: ' Paris' }, gen.id);
      await running;
      expect(t.state().compareColumns[`ckpt:${saved.id}`]).toMatchObject({ status: 'done', text: ' Paris' });
    };
    await answer();
    const first = t.worker();
    t.state().setBackendChoice('wasm');
    expect(t.worker()).not.toBe(first);
    t.worker().send({ type: 'backend', report: { ...REPORT, name: 'wasm' } });
    await answer();
    expect(t.worker().of('loadModel')).toHaveLength(1);
  });

  it('lists only shipped models whose files exist and preselects them', async () => {
    const t = setup();
    t.files.set('models/index.json', JSON.stringify([{ id: 'base', title: 'Base', dir: 'models/base' }, { id: 'tuned', title: 'Tuned', dir: 'models/tuned/', template: 'plain' }]));
    t.files.set('models/tuned/config.json', JSON.stringify({ model_type: 'gpt2', n_embd: 64 }));
    await t.state().loadShippedModels();
    expect(t.state().shippedModels.map((m) => m.id)).toEqual(['tuned']);
    expect(t.state().compareSelection).toEqual(['shipped:tuned']);
    const none = setup();
    await none.state().loadShippedModels();
    expect(none.state().shippedModels).toEqual([]);
    expect(none.state().shippedModelsLoaded).toBe(true);
  });
});

describe('compare readiness and greedy decoding', () => {
  it('says why "Ask all" cannot run until every chosen model is ready, and refuses to run until then', async () => {
    const t = setup();
    t.files.set('models/index.json', JSON.stringify([{ id: 'base', title: 'Base', dir: 'models/base' }]));
    t.files.set('models/base/config.json', JSON.stringify({ model_type: 'gpt2', n_embd: 64 }));
    expect(compareBlocker(t.state())).toBe('Tick the models to compare on the left.');
    t.state().toggleCompareModel(CURRENT_MODEL);
    expect(compareBlocker(t.state())).toMatch(/trainer is still starting/);
    await t.ready();
    t.state().toggleCompareModel('shipped:base');
    expect(compareBlocker(t.state())).toBe('Looking for the shipped models…');
    await t.state().loadShippedModels();
    expect(compareBlocker(t.state())).toBeNull();
    // The studio's model training: its column would not be ready.
    t.worker().send({ type: 'trainState', state: 'running', step: 1, totalSteps: 10 });
    expect(compareBlocker(t.state())).toBe('“Micro” is training: pause it to compare its weights as they are, or untick it.');
    await t.state().runCompare();
    expect(t.worker().of('generate')).toHaveLength(0);
    expect(t.state().compareError).toMatch(/is training/);
    t.worker().send({ type: 'trainState', state: 'paused', step: 1, totalSteps: 10 });
    expect(compareBlocker(t.state())).toBeNull();
    // A checkpoint deleted after it was chosen.
    const saved = await t.checkpoints.save(checkpointEvent(3, 'request').bytes, { kind: 'manual' });
    await t.state().refreshCheckpoints();
    t.state().toggleCompareModel(`ckpt:${saved.id}`);
    expect(compareBlocker(t.state())).toBeNull();
    await t.checkpoints.delete(saved.id);
    await t.state().refreshCheckpoints();
    expect(compareBlocker(t.state())).toMatch(/checkpoint was deleted/);
    t.state().toggleCompareModel(`ckpt:${saved.id}`);
    t.state().setComparePrompt('  ');
    expect(compareBlocker(t.state())).toMatch(/Type a prompt/);
    t.state().setComparePrompt('What is the capital of Peru?');
    t.state().setGenOption('topP', 0);
    expect(compareBlocker(t.state())).toBe('Fix the sampling settings on the left.');
  });

  it('opened from a lesson: its models and question, greedy by default and saying so; sampling stays available', async () => {
    const t = setup();
    await t.ready();
    t.state().openCompareFromLesson([CURRENT_MODEL], 'What is the capital of Chile?', 'plain');
    expect(t.state()).toMatchObject({ openView: 'compare', compareSelection: [CURRENT_MODEL], comparePrompt: 'What is the capital of Chile?', compareTemplateId: 'plain', compareGreedy: true, compareFromLesson: true });
    expect(t.state().genOptions.temperature).toBeGreaterThan(0);
    const greedy = t.state().runCompare();
    await until(() => t.worker().of('generate').length === 1);
    expect(t.worker().last('generate').options.temperature).toBe(0);
    t.worker().reply('generate', { reason: 'eos', tokenCount: 1, tokensPerSec: 1, text: ' Santiago' });
    await greedy;
    // Sampling: the shared settings' temperature and seed.
    t.state().setCompareGreedy(false);
    void t.state().runCompare();
    await until(() => t.worker().of('generate').length === 2);
    expect(t.worker().last('generate').options).toMatchObject({ temperature: t.state().genOptions.temperature, seed: t.state().genOptions.seed });
  });
});
