// The studio store driven without a DOM: a fake worker records what the store
// sends, and the tests play the worker's side with replies and events.

import { describe, expect, it } from 'vitest';
import { PRESETS } from '../model/config';
import type { BackendReport } from '../worker/backends';
import type { WorkerEvent } from '../worker/protocol';
import { createStudio, memoryStorage, PREFERENCES_KEY } from './studio';
import { draftProblems } from './modelSlice';
import { FakeWorker, fakeClient } from './fakeWorker';

/** Lets replies (promises) settle. */
const settle = () => new Promise((r) => setTimeout(r, 0));

const REPORT: BackendReport = {
  name: 'webgpu',
  reason: 'WebGPU available (SwiftShader)',
  skipped: [],
  limits: { maxBufferBytes: 2 ** 28, maxBindingBytes: 2 ** 27, memoryBudgetBytes: 2 ** 30 },
};

function setup(opts: { storage?: ReturnType<typeof memoryStorage> } = {}) {
  const { client, workers } = fakeClient();
  let clock = 0;
  const storage = opts.storage ?? memoryStorage();
  const store = createStudio({ client, storage, now: () => clock });
  const worker = (): FakeWorker => {
    const w = workers[workers.length - 1];
    if (!w) throw new Error('no worker was started');
    return w;
  };
  return {
    store,
    client,
    storage,
    workers,
    worker,
    advance: (ms: number) => void (clock += ms),
    state: () => store.getState(),
  };
}

/** Brings a fresh store to a created micro model on webgpu. */
function withModel() {
  const t = setup();
  t.state().initBackend();
  t.worker().send({ type: 'backend', report: REPORT });
  t.state().createModel();
  const cfg = t.worker().last('createModel').config;
  t.worker().modelReady({ config: cfg, paramCount: 12345, tokenizerVocab: 300, name: 'micro', step: 0, slot: 'main' }, 'createModel');
  return t;
}

function progress(step: number, loss: number): WorkerEvent {
  return { type: 'trainProgress', step, totalSteps: 100, loss, lr: 1e-3, gradNorm: 0.5, tokensPerSec: 2000, etaSec: 90, elapsedSec: 5 };
}

describe('backend', () => {
  it('starts the worker lazily and only once, asking for the chosen backend', () => {
    const t = setup();
    expect(t.workers).toHaveLength(0);
    t.state().initBackend();
    t.state().initBackend();
    expect(t.workers).toHaveLength(1);
    expect(t.worker().bodies()).toEqual([{ type: 'init', backend: 'auto' }]);
    expect(t.state().backendStatus).toBe('starting');
  });

  it('keeps the backend report with the reasons for skipped backends', () => {
    const t = setup();
    t.state().initBackend();
    const report: BackendReport = { ...REPORT, name: 'webgl', reason: 'WebGL 2 available', skipped: [{ name: 'webgpu', reason: 'WebGPU unavailable: no adapter' }] };
    t.worker().send({ type: 'backend', report });
    expect(t.state().backendStatus).toBe('ready');
    expect(t.state().backendReport?.skipped[0]?.reason).toBe('WebGPU unavailable: no adapter');
  });

  it('marks the backend failed when init fails, with the message in the errors', async () => {
    const t = setup();
    t.state().initBackend();
    t.worker().fail('init', 'backend-failed', 'No backend could start.');
    await settle();
    expect(t.state().backendStatus).toBe('failed');
    expect(t.state().errors.map((e) => e.message)).toEqual(['No backend could start.']);
  });

  it('switching backend restarts the worker and recreates the model with the same config and seed', () => {
    const t = withModel();
    const first = t.worker();
    const created = first.last('createModel');
    t.state().setBackendChoice('wasm');
    expect(first.terminated).toBe(true);
    expect(t.workers).toHaveLength(2);
    expect(t.worker().bodies()).toEqual([{ type: 'init', backend: 'wasm' }]);
    expect(t.state().model).toBeNull();
    expect(t.state().modelStatus).toBe('creating');
    t.worker().send({ type: 'backend', report: { ...REPORT, name: 'wasm', reason: 'WASM chosen by the user' } });
    const again = t.worker().last('createModel');
    expect(again.config).toEqual(created.config);
    expect(again.seed).toBe(created.seed);
    expect(again.tokenizer).toEqual(created.tokenizer);
  });

  it('a worker that fails to load becomes a visible error', async () => {
    const t = setup();
    t.state().initBackend();
    t.worker().onerror?.({ message: 'SyntaxError: bad token', filename: 'trainer.worker.ts', lineno: 3, preventDefault: () => {} } as unknown as ErrorEvent);
    await settle();
    expect(t.state().errors[0]?.message).toContain('SyntaxError: bad token');
    expect(t.state().backendStatus).toBe('failed');
  });
});

describe('model', () => {
  it('creates the draft config with a BPE tokenizer trained on the training text', () => {
    const t = setup();
    t.state().initBackend();
    t.worker().send({ type: 'backend', report: REPORT });
    t.state().choosePreset('small');
    t.state().setModelSeed(7);
    t.state().setTrainText('hello hello');
    t.state().createModel();
    const req = t.worker().last('createModel');
    expect(req.config).toEqual(PRESETS.find((p) => p.id === 'small')!.config);
    expect(req.seed).toBe(7);
    expect(req.tokenizer).toEqual({ kind: 'bpe-train', text: 'hello hello' });
    expect(t.state().modelStatus).toBe('creating');
  });

  it('stores the param count the worker reports once the model is ready', () => {
    const t = withModel();
    expect(t.state().modelStatus).toBe('ready');
    expect(t.state().model?.paramCount).toBe(12345);
  });

  it('refuses an invalid config with the field and reason, and sends nothing', () => {
    const t = setup();
    t.state().initBackend();
    t.worker().send({ type: 'backend', report: REPORT });
    t.state().setConfigField('width', 33);
    expect(t.state().presetId).toBe('custom');
    const problems = draftProblems(t.state());
    expect(problems.map((p) => p.field)).toContain('width');
    t.state().createModel();
    expect(t.worker().types()).toEqual(['init']);
    expect(t.state().errors[0]?.code).toBe('invalid-config');
  });

  it('checks the config against the device limits in the backend report', () => {
    const t = setup();
    t.state().initBackend();
    const tiny = { ...REPORT, limits: { maxBufferBytes: 1024, maxBindingBytes: 1024, memoryBudgetBytes: 2 ** 30 } };
    t.worker().send({ type: 'backend', report: tiny });
    expect(draftProblems(t.state()).some((p) => p.field === 'memory')).toBe(true);
  });

  it('editing a field back to a preset value selects that preset again', () => {
    const t = setup();
    const micro = PRESETS.find((p) => p.id === 'micro')!.config;
    t.state().setConfigField('layers', micro.layers + 1);
    expect(t.state().presetId).toBe('custom');
    t.state().setConfigField('layers', micro.layers);
    expect(t.state().presetId).toBe('micro');
  });
});

describe('training', () => {
  it('starts a run with the edited options and the model seed', () => {
    const t = withModel();
    t.state().setTrainOption('steps', 100);
    t.state().setTrainOption('learningRate', 3e-3);
    t.state().startTraining();
    const req = t.worker().last('train');
    expect(req.options.steps).toBe(100);
    expect(req.options.learningRate).toBe(3e-3);
    expect(req.options.seed).toBe(t.state().modelSeed);
    expect(req.data).toEqual({ kind: 'text', text: t.state().trainText });
    expect(t.state().trainRequested).toBe('start');
    // A second click before the worker answers sends nothing more.
    t.state().startTraining();
    expect(t.worker().types().filter((x) => x === 'train')).toHaveLength(1);
  });

  it('records progress, the loss history and the validation history', () => {
    const t = withModel();
    t.state().startTraining();
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 100 });
    t.worker().send(progress(1, 5.5));
    t.worker().send(progress(2, 5.25));
    t.worker().send({ type: 'evalResult', step: 2, valLoss: 5.4 });
    const s = t.state();
    expect(s.trainState).toBe('running');
    expect(s.trainRequested).toBeNull();
    expect(s.step).toBe(2);
    expect(s.totalSteps).toBe(100);
    expect(s.loss).toBe(5.25);
    expect(s.tokensPerSec).toBe(2000);
    expect(s.etaSec).toBe(90);
    expect(s.lossHistory).toEqual([{ step: 1, loss: 5.5 }, { step: 2, loss: 5.25 }]);
    expect(s.valHistory).toEqual([{ step: 2, loss: 5.4 }]);
  });

  it('pause, resume and stop are sent only in states where they apply', () => {
    const t = withModel();
    t.state().pauseTraining();
    t.state().resumeTraining();
    t.state().stopTraining();
    expect(t.worker().types()).not.toContain('pause');
    t.state().startTraining();
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 100 });
    t.state().resumeTraining();
    t.state().pauseTraining();
    t.worker().send({ type: 'trainState', state: 'paused', step: 3, totalSteps: 100 });
    t.state().resumeTraining();
    t.worker().send({ type: 'trainState', state: 'running', step: 3, totalSteps: 100 });
    t.state().stopTraining();
    t.worker().send({ type: 'trainState', state: 'stopped', step: 4, totalSteps: 100 });
    expect(t.worker().types()).toEqual(['init', 'createModel', 'train', 'pause', 'resume', 'stop']);
    expect(t.state().trainState).toBe('stopped');
  });

  it('a trained model takes the name the worker gives it, for the studio and the compare column', () => {
    const t = withModel();
    const before = t.state().model!.name;
    t.state().startTraining();
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 2, modelName: before });
    expect(t.state().model!.name).toBe(before);
    t.worker().send({ type: 'trainState', state: 'done', step: 2, totalSteps: 2, modelName: `Your model: trained from ${before}, 2 steps` });
    expect(t.state().model!.name).toBe(`Your model: trained from ${before}, 2 steps`);
  });

  it("shows a loaded model's shape in the Model panel, not the preset's", () => {
    const t = withModel();
    const loaded = { ...t.state().draftConfig, width: 192, layers: 4, heads: 4, contextLength: 64, vocabSize: 4096 };
    t.worker().send({ type: 'modelReady', config: loaded, paramCount: 2_600_000, tokenizerVocab: 4096, name: 'Base model', step: 2400, slot: 'main' });
    expect(t.state().draftConfig).toEqual(loaded);
    expect(t.state().presetId).toBe('custom');
  });

  it('turns "Format as instruction" on once the model trains on instructions, not on raw text', () => {
    const t = withModel();
    t.state().startTraining();
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 2 });
    expect(t.state().genFormat).toBe(false);
    t.state().setTrainDataKind('instructions');
    t.worker().send({ type: 'trainState', state: 'running', step: 1, totalSteps: 2 });
    expect(t.state().genFormat).toBe(true);
  });

  it('a new run clears the previous loss history', () => {
    const t = withModel();
    t.state().startTraining();
    t.worker().send(progress(1, 5));
    t.worker().send({ type: 'trainState', state: 'done', step: 1, totalSteps: 1 });
    t.state().startTraining();
    expect(t.state().lossHistory).toEqual([]);
    expect(t.state().loss).toBeNull();
  });

  it('keeps a failed run visible, with the device-lost error and the recovery notice', async () => {
    const t = withModel();
    t.state().startTraining();
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 100 });
    t.worker().send(progress(1, 5));
    t.worker().send({ type: 'trainState', state: 'failed', step: 1, totalSteps: 100, message: 'device lost' });
    // The worker restores its snapshot: a modelReady nobody asked for, then the notice, then the refusal of the run.
    const cfg = t.worker().last('createModel').config;
    t.worker().modelReady({ config: cfg, paramCount: 12345, tokenizerVocab: 300, name: 'micro', step: 1, slot: 'main' });
    t.worker().send({ type: 'recovered', message: 'Restored the model from step 1.', step: 1, backend: 'webgpu' });
    t.worker().fail('train', 'device-lost', 'The GPU device was lost.');
    await settle();
    const s = t.state();
    expect(s.trainState).toBe('failed');
    expect(s.trainMessage).toBe('device lost');
    expect(s.errors.map((e) => e.code)).toEqual(['device-lost']);
    expect(s.recovered).toEqual({ message: 'Restored the model from step 1.', step: 1, backend: 'webgpu' });
    expect(s.lossHistory).toEqual([{ step: 1, loss: 5 }]);
    expect(s.step).toBe(1);
    expect(s.totalSteps).toBe(100);
    expect(s.modelStatus).toBe('ready');
    s.dismissRecovered();
    expect(t.state().recovered).toBeNull();
  });

  it('refuses bad run settings without sending anything', () => {
    const t = withModel();
    t.state().setTrainOption('learningRate', Number.NaN);
    t.state().startTraining();
    expect(t.worker().types()).not.toContain('train');
    expect(t.state().errors[0]?.message).toContain('Learning rate');
  });
});

describe('generation', () => {
  it('streams tokens of its own request and ignores others', async () => {
    const t = withModel();
    t.state().setPrompt('The baker');
    t.state().generate();
    const req = t.worker().last('generate');
    expect(req.prompt).toBe('The baker');
    expect(t.state().genPrompt).toBe('The baker');
    expect(req.options).toEqual(t.state().genOptions);
    expect(t.state().genRunning).toBe(true);
    t.advance(500);
    t.worker().send({ type: 'token', requestId: req.id, tokenId: 1, text: ' opens' });
    t.worker().send({ type: 'token', requestId: req.id + 99, tokenId: 2, text: 'XXX' });
    t.advance(500);
    t.worker().send({ type: 'token', requestId: req.id, tokenId: 3, text: ' her' });
    expect(t.state().genText).toBe(' opens her');
    expect(t.state().genTokenCount).toBe(2);
    expect(t.state().genTokensPerSec).toBeCloseTo(2, 5);
    t.worker().reply('generate', { reason: 'maxTokens', tokenCount: 2, tokensPerSec: 2.5, text: ' opens her' });
    await settle();
    expect(t.state().genRunning).toBe(false);
    expect(t.state().genTokensPerSec).toBe(2.5);
    expect(t.state().genDoneReason).toBe('maxTokens');
  });

  it('keeps user text as plain text, markup included', () => {
    const t = withModel();
    t.state().generate();
    const { id } = t.worker().last('generate');
    t.worker().send({ type: 'token', requestId: id, tokenId: 1, text: '<img src=x onerror=alert(1)>' });
    expect(t.state().genText).toBe('<img src=x onerror=alert(1)>');
  });

  it('stop sends cancelGenerate for the running request', async () => {
    const t = withModel();
    t.state().generate();
    const { id } = t.worker().last('generate');
    t.state().cancelGenerate();
    expect(t.worker().last('cancelGenerate')).toMatchObject({ type: 'cancelGenerate', generateId: id });
    t.worker().reply('generate', { reason: 'cancelled', tokenCount: 0, tokensPerSec: 0, text: '' }, id);
    await settle();
    expect(t.state().genRunning).toBe(false);
    expect(t.state().genDoneReason).toBe('cancelled');
  });

  it('does not generate while training runs, and says to pause', () => {
    const t = withModel();
    t.state().startTraining();
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 100 });
    t.state().generate();
    expect(t.worker().types()).not.toContain('generate');
    expect(t.state().errors[0]?.message).toBe('Pause training to generate.');
  });

  it('a busy error from the worker ends the request and is shown', async () => {
    const t = withModel();
    t.state().generate();
    const { id } = t.worker().last('generate');
    t.worker().fail('generate', 'busy', 'Pause training to generate.', id);
    await settle();
    expect(t.state().genRunning).toBe(false);
    expect(t.state().errors.map((e) => [e.code, e.message])).toEqual([['busy', 'Pause training to generate.']]);
  });
});

describe('preferences', () => {
  it('persists only small preferences: preset, sampling settings, and the open view, lesson step and presenter mode', () => {
    const t = withModel();
    t.state().choosePreset('small');
    t.state().setGenOption('temperature', 0.3);
    t.state().setTrainText('secret training text');
    t.worker().send(progress(1, 4));
    const saved = JSON.parse(t.storage.data.get(PREFERENCES_KEY) ?? 'null') as { state: Record<string, unknown> };
    expect(Object.keys(saved.state).sort()).toEqual(['genOptions', 'lessonStepId', 'openView', 'presenter', 'presetId']);
    expect(saved.state.presetId).toBe('small');
    expect((saved.state.genOptions as { temperature: number }).temperature).toBe(0.3);
  });

  it('restores them in a new session, and ignores malformed values', () => {
    const storage = memoryStorage();
    storage.data.set(
      PREFERENCES_KEY,
      JSON.stringify({ state: { presetId: 'small', genOptions: { temperature: 0.2, topK: 'lots', seed: 5 } }, version: 1 }),
    );
    const t = setup({ storage });
    expect(t.state().presetId).toBe('small');
    expect(t.state().draftConfig).toEqual(PRESETS.find((p) => p.id === 'small')!.config);
    expect(t.state().genOptions.temperature).toBe(0.2);
    expect(t.state().genOptions.seed).toBe(5);
    expect(t.state().genOptions.topK).toBe(40);

    const broken = memoryStorage();
    broken.data.set(PREFERENCES_KEY, JSON.stringify({ state: { presetId: 'no-such-preset' }, version: 1 }));
    expect(setup({ storage: broken }).state().presetId).toBe('micro');
  });
});
