// Opening the page: the shipped base model is loaded into an empty studio and the
// Train step is set up for tuning; a studio that already holds a model is left alone.

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { BackendReport } from '../worker/backends';
import type { ErrorCode, LoadedModel, WorkerEvent, WorkerRequest } from '../worker/protocol';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import type { ModelConfig } from '../model/config';
import { CheckpointRepository } from '../storage/checkpoints';
import { openStudioDb } from '../storage/db';
import { RunRepository } from '../storage/runs';
import { createStudio, memoryStorage } from './studio';
import { LESSON_PROMPT, openShippedBase, SHIPPED_TUNE_OPTIONS } from './startup';
import { fakeClient } from './fakeWorker';
import type { StudioState } from './types';

const REPORT: BackendReport = { name: 'cpu', reason: 'CPU', skipped: [], limits: { maxBufferBytes: 2 ** 28, maxBindingBytes: 2 ** 27, memoryBudgetBytes: 2 ** 30 } };
const CONFIG: ModelConfig = { vocabSize: 4096, contextLength: 64, width: 192, layers: 4, heads: 4 };
const INDEX = JSON.stringify([
  { id: 'base', title: 'Base model', dir: 'models/base' },
  { id: 'tuned', title: 'Tuned model', dir: 'models/tuned', template: 'plain' },
]);
const HF_CONFIG = JSON.stringify({ model_type: 'gpt2', n_embd: 192 });

let dbCount = 0;
function setup(files: Record<string, string>) {
  const { client, workers } = fakeClient();
  const db = `startup-test-${++dbCount}`;
  const fetchText = async (url: string) => {
    const t = files[url];
    if (t === undefined) throw new Error(`${url} answered 404 Not Found`);
    return t;
  };
  const fetchBytes = async (url: string, onProgress?: (loaded: number, total: number | null) => void) => {
    if (files[url] === undefined) throw new Error(`${url} answered 404 Not Found`);
    const bytes = new TextEncoder().encode(files[url]);
    onProgress?.(0, bytes.length);
    onProgress?.(bytes.length, bytes.length);
    return bytes.buffer as ArrayBuffer;
  };
  const store = createStudio({
    client,
    storage: memoryStorage(),
    checkpoints: { checkpoints: new CheckpointRepository({ open: () => openStudioDb(db) }), runs: new RunRepository(() => openStudioDb(db)), fetchText, fetchBytes },
  });
  const send = (ev: WorkerEvent) => workers.at(-1)?.send(ev);
  const posted = () => workers.at(-1)?.posted ?? [];
  /** Plays the worker: answers a loadModel into the main slot once it is posted (a model, or a refusal). */
  const answerLoad = async (answer: LoadedModel | { code: ErrorCode; message: string }) => {
    for (let i = 0; i < 100 && !posted().some((m) => m.type === 'loadModel'); i++) await new Promise((r) => setTimeout(r, 5));
    const w = workers.at(-1)!;
    if ('code' in answer) w.fail('loadModel', answer.code, answer.message);
    else w.modelReady(answer, 'loadModel');
  };
  /** Every startup progress the page would have shown, in order. */
  const shown: Array<StudioState['startup']> = [];
  store.subscribe((s, before) => {
    if (s.startup !== before.startup) shown.push(s.startup);
  });
  return { store, posted, send, answerLoad, shown, run: () => openShippedBase(store) };
}

const MODEL_READY: LoadedModel = { config: CONFIG, paramCount: 2_580_000, tokenizerVocab: 4096, name: 'Base model', step: 2400, slot: 'main' };

describe('opening the studio', () => {
  it('loads the shipped base model into the main slot once the backend is up, and sets up tuning', async () => {
    const t = setup({ 'models/index.json': INDEX, 'models/base/config.json': HF_CONFIG, 'models/tuned/config.json': HF_CONFIG, 'models/base/model.safetensors': 'weights', 'models/base/tokenizer.json': '{"model":{}}' });
    t.store.getState().initBackend();
    const outcome = t.run();
    t.send({ type: 'backend', report: REPORT });
    await t.answerLoad(MODEL_READY);
    expect(await outcome).toEqual({ kind: 'loaded', id: 'base' });
    const load = t.posted().find((m) => m.type === 'loadModel') as Extract<WorkerRequest, { type: 'loadModel' }>;
    expect(load.slot).toBeUndefined();
    expect(load.name).toBe('Base model');
    expect(load.configJson).toBe(HF_CONFIG);
    expect(load.tokenizerJson).toBe('{"model":{}}');
    expect(new TextDecoder().decode(load.safetensors)).toBe('weights');
    const s = t.store.getState();
    expect(s.model?.config).toEqual(CONFIG);
    expect(s.trainDataKind).toBe('instructions');
    // The measured lesson settings (docs/BENCHMARK.md), on packed rows.
    expect(s.trainOptions).toMatchObject({ steps: 40, batchSize: 16, learningRate: 5e-4, warmupSteps: 4 });
    expect(s.trainOptions).toMatchObject(SHIPPED_TUNE_OPTIONS);
    expect(s.pack).toBe(true);
    expect(s.trainOptions.weightDecay).toBe(DEFAULT_TRAIN_OPTIONS.weightDecay);
    expect(s.prompt).toBe(LESSON_PROMPT);
    // Both shipped models are offered for comparison.
    expect(s.shippedModels.map((m) => m.id)).toEqual(['base', 'tuned']);
    // The page said what it was doing at each stage, the bytes as they came, then nothing once the model was in.
    expect(t.shown.map((p) => p?.phase ?? null)).toEqual(['backend', 'index', 'download', 'download', 'download', 'load', null]);
    expect(t.shown.find((p) => p?.phase === 'download')?.text).toBe('Downloading Base model…');
    expect(t.shown.filter((p) => p?.phase === 'download').at(-1)).toMatchObject({ loaded: 7, total: 7 });
    expect(t.shown.find((p) => p?.phase === 'load')?.text).toBe('Loading Base model into the trainer…');
  });

  it('leaves a studio alone that got a model while the files downloaded', async () => {
    const t = setup({ 'models/index.json': INDEX, 'models/base/config.json': HF_CONFIG, 'models/base/model.safetensors': 'w', 'models/base/tokenizer.json': '{}' });
    t.store.getState().initBackend();
    t.send({ type: 'backend', report: REPORT });
    t.store.getState().createModel();
    expect(await t.run()).toEqual({ kind: 'skipped', reason: 'a model is being created or loaded' });
    expect(t.posted().some((m) => m.type === 'loadModel')).toBe(false);
    expect(t.store.getState().trainDataKind).toBe('text');
  });

  it('starts empty without a shipped base model, and says so in the banner when its files are missing', async () => {
    const none = setup({});
    none.store.getState().initBackend();
    none.send({ type: 'backend', report: REPORT });
    expect(await none.run()).toEqual({ kind: 'skipped', reason: 'no shipped base model' });
    expect(none.store.getState().errors).toHaveLength(0);

    const broken = setup({ 'models/index.json': INDEX, 'models/base/config.json': HF_CONFIG, 'models/base/tokenizer.json': '{}' });
    broken.store.getState().initBackend();
    broken.send({ type: 'backend', report: REPORT });
    const outcome = await broken.run();
    expect(outcome.kind).toBe('failed');
    expect(broken.store.getState().errors.at(-1)?.message).toMatch(/models\/base\/model\.safetensors answered 404/);
    expect(broken.store.getState().modelStatus).toBe('none');
    // The page shows why in place of the progress; without a base model it just starts empty.
    expect(broken.store.getState().startup).toMatchObject({ phase: 'failed', text: expect.stringMatching(/could not be read.*answered 404.*Create a model/) });
    expect(none.store.getState().startup).toBeNull();
  });

  it('keeps the user-visible state consistent when the worker refuses the file', async () => {
    const t = setup({ 'models/index.json': INDEX, 'models/base/config.json': HF_CONFIG, 'models/base/model.safetensors': 'w', 'models/base/tokenizer.json': '{}' });
    t.store.getState().initBackend();
    t.send({ type: 'backend', report: REPORT });
    const outcome = t.run();
    await t.answerLoad({ code: 'bad-input', message: 'model.safetensors is truncated' });
    expect(await outcome).toEqual({ kind: 'failed', message: 'The shipped base model could not be loaded (model.safetensors is truncated). Create a model in step 1 instead.' });
    expect(t.store.getState().startup).toEqual({ phase: 'failed', text: 'The shipped base model could not be loaded (model.safetensors is truncated). Create a model in step 1 instead.' });
    expect(t.store.getState().modelStatus).toBe('none');
    expect(t.store.getState().trainDataKind).toBe('text');
  });
});
