// The checkpoints and compare slices driven without a DOM: a fake worker plays
// the engine's side, fake-indexeddb stores checkpoints and runs.

import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { encodeCheckpoint } from '../train/checkpoint';
import { initParameters } from '../model/gpt';
import type { ModelConfig } from '../model/config';
import { dataFingerprint, META } from '../worker/checkpointFile';
import type { BackendReport } from '../worker/backends';
import type { EventOf } from '../worker/protocol';
import type { CheckpointInfo } from '../checkpoint/info';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import type { RunState, TrainingData } from '../train/run';
import { CheckpointRepository } from '../storage/checkpoints';
import { openStudioDb, STORES } from '../storage/db';
import { autosaveId, RunRepository } from '../storage/runs';
import { PLAIN_TEMPLATE } from '../data/templates';
import { createStudio, memoryStorage } from './studio';
import { WorkerClient } from './workerClient';
import { CURRENT_MODEL } from './compareSlice';
import { FakeWorker } from './fakeWorker';

const REPORT: BackendReport = { name: 'cpu', reason: 'CPU', skipped: [], limits: { maxBufferBytes: 2 ** 28, maxBindingBytes: 2 ** 27, memoryBudgetBytes: 2 ** 30 } };
const config: ModelConfig = { vocabSize: 260, contextLength: 8, width: 8, layers: 1, heads: 2 };
const TEXT: TrainingData = { kind: 'text', text: 'the cat sat on the mat' };
const flush = () => new Promise((r) => setTimeout(r, 20));

let dbCount = 0;
function setup(dbName = `slice-test-${++dbCount}`) {
  const workers: FakeWorker[] = [];
  const client = new WorkerClient(() => {
    const w = new FakeWorker();
    workers.push(w);
    return w;
  });
  let ids = 0;
  const checkpoints = new CheckpointRepository({ open: () => openStudioDb(dbName) });
  const runs = new RunRepository(() => openStudioDb(dbName));
  const files = new Map<string, string>();
  const store = createStudio({
    client,
    storage: memoryStorage(),
    checkpoints: {
      checkpoints,
      runs,
      newId: () => `run${++ids}`,
      estimate: async () => ({ usage: 1000, quota: 10_000 }),
      persisted: async () => 'best-effort',
      persist: async () => 'persistent',
      fetchText: async (url) => {
        const t = files.get(url);
        if (t === undefined) throw new Error(`${url} answered 404`);
        return t;
      },
      fetchBytes: async () => new ArrayBuffer(8),
    },
  });
  const worker = () => workers.at(-1)!;
  const ready = async () => {
    store.getState().initBackend();
    worker().send({ type: 'backend', report: REPORT });
    await store.getState().initCheckpoints();
    worker().modelReady({ config, paramCount: 1, tokenizerVocab: 260, name: 'Micro', step: 0, slot: 'main' });
  };
  return { store, client, worker, ready, checkpoints, runs, files, dbName, state: () => store.getState() };
}

function runState(runStep: number, data: TrainingData = TEXT): RunState {
  return {
    runStep,
    totalSteps: 10,
    options: { ...DEFAULT_TRAIN_OPTIONS, steps: 10, seed: 3 },
    samplerState: { state: 99, spareNormal: null },
    dataHash: dataFingerprint(data),
    dataKind: data.kind,
    lossHistory: Array.from({ length: runStep }, (_, i) => ({ step: i + 1, loss: 6 - i * 0.25 })),
    valHistory: [{ step: 4, loss: 5.5 }],
  };
}

/** The event the engine sends with a checkpoint file it took by itself. */
function checkpointEvent(runStep: number, reason: 'autosave' | 'pause' | 'stop' | 'done' | 'request' = 'autosave', width = 8): EventOf<'autoCheckpoint'> {
  const cfg = { ...config, width };
  const weights = initParameters(cfg, 1);
  const moments = new Map([...weights].map(([n, t]) => [n, { shape: t.shape, data: new Float32Array(t.data.length) }]));
  const run = runState(runStep);
  const info: CheckpointInfo = { name: 'Micro', step: runStep, config: cfg, hasOptimizer: true, run, createdAt: 5000 + runStep };
  const bytes = encodeCheckpoint({
    config: cfg,
    weights,
    optimizer: { step: runStep, m: moments, v: moments },
    meta: { [META.name]: 'Micro', [META.step]: String(runStep), [META.tokenizer]: '{"model":{}}', [META.createdAt]: String(info.createdAt), [META.run]: JSON.stringify(run) },
  });
  return { type: 'autoCheckpoint', reason, bytes: bytes.buffer as ArrayBuffer, info };
}

describe('checkpoints slice', () => {
  it("records a run when training starts and keeps one autosave per run, replaced as it goes on", async () => {
    const t = setup();
    await t.ready();
    t.state().startTraining();
    await flush();
    expect(t.state().activeRunId).toBe('run1');
    expect(await t.runs.active()).toMatchObject({ id: 'run1', status: 'running', data: { kind: 'text' }, modelName: 'Micro' });
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    t.worker().send(checkpointEvent(3));
    t.worker().send(checkpointEvent(6));
    await flush();
    const list = await t.checkpoints.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: autosaveId('run1'), kind: 'auto', runStep: 6, reason: 'autosave' });
    expect(t.state().checkpoints.map((c) => c.runStep)).toEqual([6]);
    expect(t.state().lastAutosave).toMatchObject({ runStep: 6, totalSteps: 10 });
    t.worker().send({ type: 'trainState', state: 'done', step: 10, totalSteps: 10 });
    t.worker().send(checkpointEvent(10, 'done'));
    await flush();
    expect(await t.runs.active()).toBeUndefined();
    expect((await t.checkpoints.list())[0]).toMatchObject({ runStep: 10, reason: 'done' });
  });

  it('after a reload offers the interrupted run and resumes it from its autosave with the same data, sampler and curve', async () => {
    const first = setup();
    await first.ready();
    first.state().setTrainText(TEXT.kind === 'text' ? TEXT.text : '');
    first.state().startTraining();
    first.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    first.worker().send(checkpointEvent(4));
    await flush();
    const posted = first.worker().of('train')[0]!;

    // The page reloads: a new store over the same database.
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().interruptedRun).toMatchObject({ runId: 'run1', runStep: 4, totalSteps: 10, checkpointId: autosaveId('run1') });
    const resuming = t.state().resumeInterruptedRun();
    await flush();
    expect(t.state().errors).toEqual([]);
    const load = t.worker().of('loadModel')[0]!;
    expect(load).toMatchObject({ configJson: '', tokenizerJson: '' });
    expect(load.slot).toBeUndefined();
    t.worker().modelReady({ config, paramCount: 1, tokenizerVocab: 260, name: 'Micro', step: 4, slot: 'main' }, 'loadModel');
    await resuming;
    const train = t.worker().of('train')[0]!;
    expect(train.data).toEqual(posted.data);
    expect(train.options).toEqual(runState(4).options);
    expect(train.resume).toMatchObject({ runStep: 4, samplerState: { state: 99, spareNormal: null }, dataHash: dataFingerprint(TEXT) });
    expect(t.state().lossHistory).toHaveLength(4);
    expect(t.state()).toMatchObject({ step: 4, totalSteps: 10, interruptedRun: null, activeRunId: 'run1', trainText: TEXT.kind === 'text' ? TEXT.text : '' });
    // Later autosaves go on replacing the same run's checkpoint.
    t.worker().send(checkpointEvent(8));
    await flush();
    expect((await t.checkpoints.list()).map((c) => [c.id, c.runStep])).toEqual([[autosaveId('run1'), 8]]);
  });

  it('offers nothing when the run finished, and forgets a run the user declines to resume', async () => {
    const first = setup();
    await first.ready();
    first.state().startTraining();
    first.worker().send(checkpointEvent(4));
    await flush();
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().interruptedRun).not.toBeNull();
    await t.state().dismissInterruptedRun();
    const again = setup(first.dbName);
    await again.ready();
    expect(again.state().interruptedRun).toBeNull();
    // The autosave itself stays in the list.
    expect(again.state().checkpoints).toHaveLength(1);
  });

  it('withdraws the resume offer once a new run starts, and keeps the old run continuable from its checkpoint', async () => {
    const first = setup();
    await first.ready();
    first.state().startTraining();
    first.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    first.worker().send(checkpointEvent(4));
    await flush();
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().interruptedRun).toMatchObject({ runId: 'run1' });
    t.state().startTraining();
    await flush();
    expect(t.state().interruptedRun).toBeNull();
    expect(t.state().checkpoints.map((c) => c.id)).toEqual([autosaveId('run1')]);
  });

  it('takes a deleted checkpoint out of the comparison and frees its slot', async () => {
    const t = setup();
    await t.ready();
    await t.state().importCheckpointFile('a.safetensors', checkpointEvent(4, 'request').bytes);
    const id = t.state().checkpoints[0]!.id;
    t.state().toggleCompareModel(CURRENT_MODEL);
    t.state().toggleCompareModel(`ckpt:${id}`);
    expect(t.state().compareSelection).toEqual([CURRENT_MODEL, `ckpt:${id}`]);
    await t.state().deleteCheckpoint(id);
    expect(t.state().compareSelection).toEqual([CURRENT_MODEL]);
    expect(t.state().checkpoints).toEqual([]);
  });

  it('on a full disk stops autosave with a message naming what to delete, and keeps every stored checkpoint', async () => {
    const t = setup();
    await t.ready();
    await t.checkpoints.save(checkpointEvent(2, 'request', 16).bytes, { kind: 'manual', name: 'Old big run' });
    t.state().startTraining();
    await flush();
    const put = IDBObjectStore.prototype.put;
    const spy = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === STORES.checkpointData) throw new DOMException('Quota exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    });
    t.worker().send(checkpointEvent(5));
    await flush();
    await flush();
    spy.mockRestore();
    const s = t.state();
    expect(s.autosaveEnabled).toBe(false);
    expect(s.autosaveStopped).toMatch(/Storage is full.*not saved.*unchanged.*"Old big run".*Autosave is now off/);
    expect(s.errors.at(-1)!.message).toBe(s.autosaveStopped);
    expect(t.worker().of('setAutosave').at(-1)).toMatchObject({ type: 'setAutosave', everySteps: 0 });
    expect((await t.checkpoints.list()).map((c) => c.name)).toEqual(['Old big run']);
    // Turning it back on clears the message and tells the worker.
    s.setAutosaveEnabled(true);
    expect(t.state().autosaveStopped).toBeNull();
    expect(t.worker().of('setAutosave').at(-1)).toMatchObject({ type: 'setAutosave', everySteps: 25 });
  });

  it('keeps the autosave interval across reloads and sends it to every new worker', async () => {
    const first = setup();
    await first.ready();
    first.state().setAutosaveEvery(7);
    await flush();
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().autosaveEvery).toBe(7);
    expect(t.worker().of('setAutosave').at(-1)).toMatchObject({ type: 'setAutosave', everySteps: 7 });
  });

  it('saves on request, imports a file bit for bit and refuses a truncated one, changing nothing', async () => {
    const t = setup();
    await t.ready();
    const saving = t.state().saveCheckpointNow();
    await flush();
    const { type: _type, ...captured } = checkpointEvent(3, 'request');
    t.worker().reply('captureCheckpoint', captured);
    await saving;
    expect(t.state().checkpoints).toHaveLength(1);
    expect(t.state().checkpointNotice).toMatchObject({ kind: 'ok', text: expect.stringMatching(/^Saved "Micro at step 3"/) });
    const file = (await t.state().exportCheckpointFile(t.state().checkpoints[0]!.id))!;
    await t.state().importCheckpointFile(file.fileName, file.bytes.slice(0, 50));
    expect(t.state().checkpointNotice).toMatchObject({ kind: 'error', text: expect.stringMatching(/is not a usable checkpoint.*Nothing was imported/) });
    expect(t.state().checkpoints).toHaveLength(1);
    const imported = await t.state().importCheckpointFile(file.fileName, file.bytes);
    expect(t.state().checkpoints).toHaveLength(2);
    const back = (await t.state().exportCheckpointFile(imported!.id))!;
    expect(Buffer.from(back.bytes).equals(Buffer.from(file.bytes))).toBe(true);
  });
});

describe('compare slice', () => {
  it('loads a checkpoint into a comparison slot and streams both models with identical prompt, template and settings', async () => {
    const t = setup();
    await t.ready();
    const saved = await t.checkpoints.save(checkpointEvent(3, 'request').bytes, { kind: 'manual' });
    await t.state().refreshCheckpoints();
    t.state().toggleCompareModel(CURRENT_MODEL);
    t.state().toggleCompareModel(`ckpt:${saved.id}`);
    const running = t.state().runCompare();
    await flush();
    const load = t.worker().of('loadModel').at(-1)!;
    expect(load.slot).toBe(`ckpt:${saved.id}`);
    t.worker().reply('loadModel', { config, paramCount: 1, tokenizerVocab: 260, name: saved.name, step: 3, slot: `ckpt:${saved.id}` });
    await flush();
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
      await flush();
      const load = t.worker().of('loadModel').at(-1);
      expect(load?.slot).toBe(`ckpt:${saved.id}`);
      t.worker().reply('loadModel', { config, paramCount: 1, tokenizerVocab: 260, name: saved.name, step: 3, slot: `ckpt:${saved.id}` });
      await flush();
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
