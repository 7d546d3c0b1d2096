import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpuBackend } from '../test/tf';
import { StudioEngine } from './engine';
import type { EventOf, ExportedModel, Replies, RequestDraft, RequestType, WorkerEvent, WorkerMessage, WorkerRequest } from './protocol';
import { DEFAULT_GENERATE_OPTIONS } from '../model/sampling';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import type { TrainingData } from '../train/run';
import type { CapturedCheckpoint } from '../checkpoint/info';
import { readInfo } from '../checkpoint/info';
import type { ModelConfig } from '../model/config';
import { PLAIN_TEMPLATE } from '../data/templates';

const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(20);
const micro: ModelConfig = { vocabSize: 300, contextLength: 16, width: 16, layers: 1, heads: 2 };

beforeAll(async () => {
  await useCpuBackend();
});

/** An engine with its events and replies recorded, and a helper to await the next event of a type. */
function harness() {
  const events: WorkerEvent[] = [];
  const answers: Array<Extract<WorkerMessage, { kind: 'reply' }>> = [];
  const waiters: Array<{ pred: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }> = [];
  const engine = new StudioEngine((e) => {
    events.push(e);
    for (const w of waiters.slice()) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  let nextId = 1000;
  const next = <T extends WorkerEvent['type']>(type: T, pred: (e: EventOf<T>) => boolean = () => true) =>
    new Promise<EventOf<T>>((resolve) =>
      waiters.push({ pred: (e) => e.type === type && pred(e as EventOf<T>), resolve: resolve as (e: WorkerEvent) => void }),
    );
  /** Sends a request (an id is made up when it has none) and records its reply. */
  const send = async (r: RequestDraft) => {
    const reply = await engine.handle({ ...r, id: r.id ?? nextId++ } as WorkerRequest);
    if (reply.kind === 'reply') answers.push(reply);
    return reply;
  };
  const of = <T extends WorkerEvent['type']>(type: T) => events.filter((e) => e.type === type) as Array<EventOf<T>>;
  /** The values of the successful replies to one request type, each with its request's id. */
  const replies = <K extends RequestType>(type: K) =>
    answers.flatMap((a) => (a.ok && a.type === type ? [{ id: a.id, ...(a.value as Replies[K]) }] : [])) as Array<Replies[K] & { id: number }>;
  /** The refused requests, in order: which request, its id, the code and the message. */
  const failures = () => answers.flatMap((a) => (a.ok ? [] : [{ request: a.type, id: a.id, code: a.code, message: a.message }]));
  return { engine, events, next, send, of, replies, failures };
}

async function ready() {
  const h = harness();
  await h.send({ type: 'init', backend: 'cpu' });
  await h.send({ type: 'createModel', config: micro, seed: 1, tokenizer: { kind: 'bpe-train', text: TEXT } });
  return h;
}

describe('StudioEngine', () => {
  it('reports the backend it runs on and the ones it passed over', async () => {
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    const report = h.of('backend')[0]!.report;
    expect(report.name).toBe('cpu');
    expect(report.reason).toMatch(/CPU/);
    expect(h.failures()).toEqual([]);
  });

  it('refuses an invalid config with a message naming the value, and keeps the current model', async () => {
    const h = await ready();
    await h.send({ type: 'createModel', config: { ...micro, width: 30, heads: 4 }, seed: 1, tokenizer: { kind: 'bpe-train', text: TEXT } });
    const err = h.failures()[0]!;
    expect(err.code).toBe('invalid-config');
    expect(err.message).toMatch(/width = 30 is not divisible by heads = 4/);
    await h.send({ type: 'createModel', config: { ...micro, contextLength: 0 }, seed: 1, tokenizer: { kind: 'bpe-train', text: TEXT } });
    expect(h.failures()[1]!.message).toMatch(/contextLength = 0 is out of range/);
    await h.send({ type: 'createModel', config: { ...micro, vocabSize: 100 }, seed: 1, tokenizer: { kind: 'bpe-train', text: TEXT } });
    expect(h.failures()[2]!.message).toMatch(/vocabSize = 100/);
    // The first model still answers.
    await h.send({ type: 'logits', id: 1, ids: [1, 2, 3] });
    expect(h.replies('logits')[0]!.logits.length).toBe(3 * micro.vocabSize);
  });

  it('answers requests without a model with a no-model error', async () => {
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    await h.send({ type: 'generate', id: 7, prompt: 'hi', options: DEFAULT_GENERATE_OPTIONS });
    expect(h.failures()[0]).toMatchObject({ code: 'no-model', id: 7, request: 'generate' });
  });

  it('trains with progress events, pauses, resumes, refuses to generate while running, and finishes', async () => {
    const h = await ready();
    const paused = h.next('trainState', (e) => e.state === 'paused');
    const running = h.next('trainProgress', (e) => e.step === 3);
    const done = h.send({ type: 'train', data: { kind: 'text', text: TEXT }, options: { ...DEFAULT_TRAIN_OPTIONS, steps: 12, batchSize: 2, evalEvery: 4, learningRate: 3e-3 } });
    await running;
    await h.send({ type: 'generate', id: 1, prompt: 'the', options: DEFAULT_GENERATE_OPTIONS });
    expect(h.failures().at(-1)).toMatchObject({ code: 'busy', id: 1 });
    await h.send({ type: 'pause' });
    await paused;
    // While paused, generation works.
    await h.send({ type: 'generate', id: 2, prompt: 'the', options: { ...DEFAULT_GENERATE_OPTIONS, maxTokens: 5 } });
    expect(h.replies('generate').find((e) => e.id === 2)).toBeTruthy();
    await h.send({ type: 'resume' });
    await done;
    const progress = h.of('trainProgress');
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss);
    expect(h.of('trainState').map((s) => s.state)).toEqual(['running', 'paused', 'running', 'done']);
    expect(h.of('evalResult').length).toBe(3);
  });

  it('stops a run early on request', async () => {
    const h = await ready();
    const third = h.next('trainProgress', (e) => e.step === 3);
    const done = h.send({ type: 'train', data: { kind: 'text', text: TEXT }, options: { ...DEFAULT_TRAIN_OPTIONS, steps: 500, batchSize: 2 } });
    await third;
    await h.send({ type: 'stop' });
    await done;
    const last = h.of('trainState').at(-1)!;
    expect(last.state).toBe('stopped');
    expect(last.step).toBeLessThan(10);
  });

  it('streams generated tokens whose texts add up to the final text, reproducibly by seed', async () => {
    const h = await ready();
    const opts = { ...DEFAULT_GENERATE_OPTIONS, maxTokens: 12, temperature: 1, stopAtEos: false, seed: 5 };
    await h.send({ type: 'generate', id: 1, prompt: 'the cat', options: opts });
    await h.send({ type: 'generate', id: 2, prompt: 'the cat', options: opts });
    const tokens1 = h.of('token').filter((t) => t.requestId === 1);
    const done1 = h.replies('generate').find((d) => d.id === 1)!;
    expect(tokens1).toHaveLength(12);
    // An untrained model emits stray bytes; the final text adds what the stream decoder still held.
    expect(done1.text.startsWith(tokens1.map((t) => t.text).join(''))).toBe(true);
    expect(done1.reason).toBe('maxTokens');
    expect(h.replies('generate').find((d) => d.id === 2)!.text).toBe(done1.text);
  });

  it('exports a checkpoint that loads back with identical logits and step count', async () => {
    const h = await ready();
    await h.send({ type: 'train', data: { kind: 'text', text: TEXT }, options: { ...DEFAULT_TRAIN_OPTIONS, steps: 3, batchSize: 2, warmupSteps: 1 } });
    await h.send({ type: 'exportModel', id: 9, includeOptimizer: true });
    const exp = h.replies('exportModel')[0]!;
    await h.send({ type: 'logits', id: 1, ids: [5, 6, 7] });
    const h2 = harness();
    await h2.send({ type: 'init', backend: 'cpu' });
    await h2.send({ type: 'loadModel', name: 'saved', safetensors: exp.safetensors, configJson: exp.configJson, tokenizerJson: exp.tokenizerJson });
    expect(h2.of('modelReady')[0]).toMatchObject({ name: 'saved', step: 3, config: micro });
    await h2.send({ type: 'logits', id: 1, ids: [5, 6, 7] });
    expect(Array.from(h2.replies('logits')[0]!.logits)).toEqual(Array.from(h.replies('logits')[0]!.logits));
  });

  it('refuses a truncated checkpoint with a clear message and keeps the current model', async () => {
    const h = await ready();
    await h.send({ type: 'exportModel', id: 1, includeOptimizer: false });
    const exp = h.replies('exportModel')[0]!;
    await h.send({ type: 'loadModel', name: 'broken.safetensors', safetensors: exp.safetensors.slice(0, 100), configJson: '', tokenizerJson: exp.tokenizerJson });
    expect(h.failures()[0]).toMatchObject({ code: 'bad-input' });
    expect(h.failures()[0]!.message).toMatch(/broken.safetensors.*truncated/);
    await h.send({ type: 'logits', id: 2, ids: [1] });
    expect(h.replies('logits')).toHaveLength(1);
  });

  it('stops a run on device loss with a clear message and restores the last good state', async () => {
    const h = await ready();
    const fifth = h.next('trainProgress', (e) => e.step === 5);
    const done = h.send({ type: 'train', data: { kind: 'text', text: TEXT }, options: { ...DEFAULT_TRAIN_OPTIONS, steps: 200, batchSize: 2 } });
    await fifth;
    h.engine.reportDeviceProblem('device-lost', 'The GPU device was lost (destroyed).');
    await done;
    expect(h.of('trainState').at(-1)).toMatchObject({ state: 'failed' });
    expect(h.failures().at(-1)).toMatchObject({ code: 'device-lost', request: 'train' });
    const rec = h.of('recovered')[0]!;
    expect(rec.backend).toBe('cpu');
    expect(rec.message).toMatch(/restored/);
    // The restored model is usable.
    await h.send({ type: 'generate', id: 3, prompt: 'the', options: { ...DEFAULT_GENERATE_OPTIONS, maxTokens: 4, stopAtEos: false } });
    expect(h.replies('generate').find((d) => d.id === 3)!.tokenCount).toBe(4);
  });

  it('leaves no tensors behind after training and generating', async () => {
    const h = await ready();
    await h.send({ type: 'train', data: { kind: 'text', text: TEXT }, options: { ...DEFAULT_TRAIN_OPTIONS, steps: 2, batchSize: 2, warmupSteps: 1 } });
    await h.send({ type: 'generate', id: 1, prompt: 'the', options: { ...DEFAULT_GENERATE_OPTIONS, maxTokens: 3 } });
    const before = tf.memory().numTensors;
    await h.send({ type: 'train', data: { kind: 'text', text: TEXT }, options: { ...DEFAULT_TRAIN_OPTIONS, steps: 4, batchSize: 2, warmupSteps: 1 } });
    await h.send({ type: 'generate', id: 2, prompt: 'the', options: { ...DEFAULT_GENERATE_OPTIONS, maxTokens: 6 } });
    expect(tf.memory().numTensors).toBe(before);
  });
});

// Tuning 120 steps on the cpu backend takes ~20 s on an idle machine and over a minute on a loaded one.
describe('StudioEngine with instruction data', () => {
  const examples = [
    { id: 'a', source: 't', kind: 'instruction' as const, instruction: 'Say hi', response: 'hi' },
    { id: 'b', source: 't', kind: 'instruction' as const, instruction: 'Say yes', response: 'yes' },
    { id: 'c', source: 't', kind: 'instruction' as const, instruction: 'Say no', response: 'no' },
  ];
  const data = { kind: 'instructions' as const, examples, template: PLAIN_TEMPLATE, trainOnInputs: false, pack: false, overflow: 'truncate' as const };
  const text = 'Question: Say hi\nAnswer: hi. Question: Say yes\nAnswer: yes. Question: Say no\nAnswer: no.';

  // Tuning takes a while on the cpu backend: tune once, export, and load the result where needed.
  let tuned: Promise<ExportedModel> | null = null;
  function tunedCheckpoint() {
    tuned ??= (async () => {
      const h = await tunedEngine();
      await h.send({ type: 'exportModel', id: 1, includeOptimizer: false });
      return h.replies('exportModel')[0]!;
    })();
    return tuned;
  }

  async function tunedEngine() {
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    await h.send({ type: 'createModel', config: { vocabSize: 300, contextLength: 24, width: 32, layers: 1, heads: 2 }, seed: 4, tokenizer: { kind: 'bpe-train', text } });
    await h.send({ type: 'train', data, options: { ...DEFAULT_TRAIN_OPTIONS, steps: 120, batchSize: 3, learningRate: 1e-2, warmupSteps: 5, evalEvery: 0 } });
    return h;
  }

  it('trains on responses only, reports how the data was encoded, and the tuned model answers then stops at <|endoftext|>', async () => {
    const h = await tunedEngine();
    await h.send({ type: 'exportModel', id: 1, includeOptimizer: false });
    tuned = Promise.resolve(h.replies('exportModel')[0]!);
    const report = h.of('dataReport')[0]!;
    expect(report).toMatchObject({ kept: 3, dropped: 0, trainExamples: 3 });
    expect(report.summary).toMatch(/3 of 3 examples ready/);
    const losses = h.of('trainProgress').map((p) => p.loss);
    expect(losses.at(-1)!).toBeLessThan(0.1);
    await h.send({ type: 'generate', id: 1, prompt: 'Say yes', options: { ...DEFAULT_GENERATE_OPTIONS, temperature: 0, maxTokens: 10 }, format: { template: PLAIN_TEMPLATE } });
    expect(h.of('generateStarted')[0]!.promptText).toBe('Question: Say yes\nAnswer:');
    const done = h.replies('generate')[0]!;
    expect(done.text).toBe(' yes');
    expect(done.reason).toBe('eos');
  }, 180_000);

  it('refuses an empty dataset and one whose prompts fill the context, changing nothing', async () => {
    const h = await ready();
    await h.send({ type: 'train', data: { ...data, examples: [] }, options: DEFAULT_TRAIN_OPTIONS });
    expect(h.failures()[0]).toMatchObject({ code: 'bad-input', request: 'train' });
    expect(h.failures()[0]!.message).toMatch(/dataset is empty/);
    const long = [{ id: 'x', source: 't', kind: 'instruction' as const, instruction: 'word '.repeat(40), response: 'ok' }];
    await h.send({ type: 'train', data: { ...data, examples: long }, options: DEFAULT_TRAIN_OPTIONS });
    expect(h.failures()[1]!.message).toMatch(/No example can be trained.*left out because the prompt alone fills the context/);
    expect(h.of('trainState')).toEqual([]);
  });

  it('generates from a comparison slot and the main model in parallel, with identical settings giving per-model answers', async () => {
    const ck = await tunedCheckpoint();
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    // Main is a fresh untrained model; the tuned one goes into slot "tuned".
    await h.send({ type: 'createModel', config: { vocabSize: 300, contextLength: 24, width: 32, layers: 1, heads: 2 }, seed: 4, tokenizer: { kind: 'bpe-train', text } });
    await h.send({ type: 'loadModel', name: 'tuned', slot: 'tuned', safetensors: ck.safetensors.slice(0), configJson: ck.configJson, tokenizerJson: ck.tokenizerJson });
    expect(h.replies('loadModel').at(-1)).toMatchObject({ slot: 'tuned', name: 'tuned' });
    const opts = { ...DEFAULT_GENERATE_OPTIONS, temperature: 0, maxTokens: 6 };
    const fmt = { template: PLAIN_TEMPLATE };
    await Promise.all([
      h.send({ type: 'generate', id: 10, prompt: 'Say no', options: opts, format: fmt }),
      h.send({ type: 'generate', id: 11, prompt: 'Say no', options: opts, format: fmt, slot: 'tuned' }),
    ]);
    const base = h.replies('generate').find((d) => d.id === 10)!;
    const tunedOut = h.replies('generate').find((d) => d.id === 11)!;
    expect(tunedOut.text).toBe(' no');
    expect(base.text).not.toBe(' no');
    // Tokens of both streams interleave: they ran at the same time.
    const order = h.of('token').filter((t) => t.requestId === 10 || t.requestId === 11).map((t) => t.requestId);
    expect(order.indexOf(11)).toBeLessThan(order.lastIndexOf(10));
    await h.send({ type: 'unloadModel', slot: 'tuned' });
    await h.send({ type: 'generate', id: 12, prompt: 'x', options: opts, slot: 'tuned' });
    expect(h.failures().at(-1)).toMatchObject({ code: 'no-model', id: 12 });
  }, 180_000);
});

describe('StudioEngine checkpoints and resuming', () => {
  const run = { ...DEFAULT_TRAIN_OPTIONS, steps: 12, batchSize: 2, learningRate: 3e-3, warmupSteps: 2, evalEvery: 4 };
  const textData = { kind: 'text' as const, text: TEXT };
  type CheckpointEvent = CapturedCheckpoint;

  /** Loads a checkpoint into a fresh engine, from its bytes alone, and continues its run to the end. */
  async function resumeFrom(ck: CheckpointEvent, data: TrainingData) {
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    await h.send({ type: 'loadModel', name: 'resumed', safetensors: ck.bytes.slice(0), configJson: '', tokenizerJson: '' });
    const r = ck.info.run!;
    await h.send({
      type: 'train',
      data,
      options: r.options,
      resume: { runStep: r.runStep, samplerState: r.samplerState, dataHash: r.dataHash, lossHistory: r.lossHistory, valHistory: r.valHistory },
    });
    return h;
  }

  it('continues a text run from a checkpoint at step k with exactly the losses of an uninterrupted run', async () => {
    const straight = await ready();
    await straight.send({ type: 'train', data: textData, options: run });
    const expected = straight.of('trainProgress').map((p) => p.loss);
    expect(expected).toHaveLength(12);

    const interrupted = await ready();
    await interrupted.send({ type: 'setAutosave', everySteps: 5 });
    await interrupted.send({ type: 'train', data: textData, options: run });
    const at5 = interrupted.of('autoCheckpoint').find((c) => c.reason === 'autosave' && c.info.run?.runStep === 5)!;
    expect(at5.info).toMatchObject({ step: 5, hasOptimizer: true, config: micro });
    expect(at5.info.run!.lossHistory.map((p) => p.loss)).toEqual(expected.slice(0, 5));

    const resumed = await resumeFrom(at5, textData);
    expect(resumed.failures()).toEqual([]);
    expect(resumed.of('modelReady')[0]).toMatchObject({ step: 5 });
    expect(resumed.of('trainState')[0]).toMatchObject({ state: 'running', step: 5, totalSteps: 12 });
    const progress = resumed.of('trainProgress');
    expect(progress.map((p) => p.step)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    expect(progress.map((p) => p.loss)).toEqual(expected.slice(5));
    // Validation at steps 8 and 12 matches too, and the final checkpoint carries the whole curve.
    expect(resumed.of('evalResult').map((e) => e.valLoss)).toEqual(straight.of('evalResult').slice(1).map((e) => e.valLoss));
    await resumed.send({ type: 'captureCheckpoint', id: 3 });
    const final = resumed.replies('captureCheckpoint').find((c) => c.id === 3)!;
    expect(final.info.step).toBe(12);
    expect(final.info.run!.lossHistory.map((p) => p.loss)).toEqual(expected);
    expect(final.info.run!.valHistory.map((p) => p.step)).toEqual([4, 8, 12]);
  });

  it('continues an instruction run (sampler state = batches drawn) with identical losses', async () => {
    const examples = ['red', 'blue', 'green', 'pink', 'gold'].map((c, i) => ({ id: `c${i}`, source: 't', kind: 'instruction' as const, instruction: `Name colour ${i}`, response: c }));
    const data: TrainingData = { kind: 'instructions', examples, template: PLAIN_TEMPLATE, trainOnInputs: false, pack: true, overflow: 'truncate', datasetId: 'colours' };
    const opts = { ...run, steps: 9, evalEvery: 0 };
    const model = async () => {
      const h = harness();
      await h.send({ type: 'init', backend: 'cpu' });
      const text = examples.map((e) => `Question: ${e.instruction}\nAnswer: ${e.response}`).join('\n');
      await h.send({ type: 'createModel', config: { ...micro, contextLength: 32 }, seed: 2, tokenizer: { kind: 'bpe-train', text } });
      return h;
    };
    const straight = await model();
    await straight.send({ type: 'train', data, options: opts });
    expect(straight.failures()).toEqual([]);
    const expected = straight.of('trainProgress').map((p) => p.loss);
    expect(expected).toHaveLength(9);
    const interrupted = await model();
    await interrupted.send({ type: 'setAutosave', everySteps: 4 });
    await interrupted.send({ type: 'train', data, options: opts });
    const at4 = interrupted.of('autoCheckpoint').find((c) => c.info.run?.runStep === 4)!;
    expect(at4.info.run).toMatchObject({ dataKind: 'instructions', datasetId: 'colours', samplerState: { drawn: 4 }, template: { id: PLAIN_TEMPLATE.id } });
    const resumed = await resumeFrom(at4, data);
    expect(resumed.of('trainProgress').map((p) => p.loss)).toEqual(expected.slice(4));
  });

  it('autosaves every N steps and when a run pauses, stops or finishes, each file readable on its own', async () => {
    const h = await ready();
    await h.send({ type: 'setAutosave', everySteps: 3 });
    const paused = h.next('autoCheckpoint', (e) => e.reason === 'pause');
    const fourth = h.next('trainProgress', (e) => e.step === 4);
    const done = h.send({ type: 'train', data: textData, options: { ...run, steps: 40, evalEvery: 0 } });
    await fourth;
    await h.send({ type: 'pause' });
    const p = await paused;
    await h.send({ type: 'resume' });
    const seventh = h.next('trainProgress', (e) => e.step === p.info.run!.runStep + 3);
    await seventh;
    await h.send({ type: 'stop' });
    await done;
    const cks = h.of('autoCheckpoint');
    const reasons = cks.map((c) => c.reason);
    expect(reasons[0]).toBe('autosave');
    expect(reasons).toContain('pause');
    expect(reasons.at(-1)).toBe('stop');
    for (const c of cks.filter((c) => c.reason === 'autosave')) expect(c.info.run!.runStep % 3).toBe(0);
    const last = cks.at(-1)!;
    expect(last.info.run!.runStep).toBe(h.of('trainState').at(-1)!.step);
    for (const c of cks) {
      const file = readInfo(c.bytes, 'autosave');
      expect(file.info.run!.runStep).toBe(c.info.run!.runStep);
      expect(file.info.step).toBe(c.info.step);
      // Weights and moments agree with the step: the loss history has one point per step.
      expect(file.info.run!.lossHistory).toHaveLength(c.info.run!.runStep);
    }
    // Autosave off: a run emits none.
    await h.send({ type: 'setAutosave', everySteps: 0 });
    await h.send({ type: 'train', data: textData, options: { ...run, steps: 4 } });
    expect(h.of('autoCheckpoint')).toHaveLength(cks.length);
  });

  it('answers a checkpoint request during a run at the next step boundary', async () => {
    const h = await ready();
    const second = h.next('trainProgress', (e) => e.step === 2);
    const done = h.send({ type: 'train', data: textData, options: { ...run, steps: 30, evalEvery: 0 } });
    await second;
    const ck = h.send({ type: 'captureCheckpoint', id: 8 });
    await ck;
    await h.send({ type: 'stop' });
    await done;
    const c = h.replies('captureCheckpoint').find((e) => e.id === 8)!;
    expect(c.reason).toBe('request');
    expect(c.info.run!.runStep).toBeGreaterThanOrEqual(2);
    expect(c.info.run!.lossHistory).toHaveLength(c.info.run!.runStep);
    expect(c.info.step).toBe(c.info.run!.runStep);
  });

  it('refuses a resume without optimizer state, past the end, or with other data, and trains nothing', async () => {
    const h = await ready();
    const resume = { runStep: 3, samplerState: null };
    await h.send({ type: 'train', data: textData, options: run, resume });
    expect(h.failures()[0]!.message).toMatch(/no optimizer state/);
    await h.send({ type: 'setAutosave', everySteps: 2 });
    await h.send({ type: 'train', data: textData, options: { ...run, steps: 2 } });
    const ck = h.of('autoCheckpoint').at(-1)!;
    const h2 = harness();
    await h2.send({ type: 'init', backend: 'cpu' });
    await h2.send({ type: 'loadModel', name: 'x', safetensors: ck.bytes.slice(0), configJson: '', tokenizerJson: '' });
    const r = ck.info.run!;
    await h2.send({ type: 'train', data: textData, options: r.options, resume: { runStep: 2, samplerState: r.samplerState } });
    expect(h2.failures()[0]!.message).toMatch(/nothing is left to train/);
    await h2.send({ type: 'train', data: { kind: 'text', text: TEXT + 'more' }, options: { ...r.options, steps: 5 }, resume: { runStep: 2, samplerState: r.samplerState, dataHash: r.dataHash } });
    expect(h2.failures()[1]!.message).toMatch(/training data differs/);
    expect(h2.of('trainState')).toEqual([]);
    expect(h2.of('trainProgress')).toEqual([]);
  });

  it("formats an instruction's input field into the prompt as training does", async () => {
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    await h.send({ type: 'createModel', config: { ...micro, contextLength: 64 }, seed: 1, tokenizer: { kind: 'bpe-train', text: TEXT } });
    const format = { template: PLAIN_TEMPLATE, input: 'the cat' };
    await h.send({ type: 'generate', id: 4, prompt: 'Say where it sat.', options: { ...DEFAULT_GENERATE_OPTIONS, maxTokens: 1 }, format });
    expect(h.of('generateStarted')[0]!.promptText).toBe('Question: Say where it sat.\nthe cat\nAnswer:');
  });

  it('loads a comparison model while a run is paused, and still refuses to replace the main model', async () => {
    const h = await ready();
    await h.send({ type: 'exportModel', id: 1, includeOptimizer: false });
    const exp = h.replies('exportModel')[0]!;
    const paused = h.next('trainState', (e) => e.state === 'paused');
    const second = h.next('trainProgress', (e) => e.step === 2);
    const done = h.send({ type: 'train', data: textData, options: { ...run, steps: 100 } });
    await second;
    await h.send({ type: 'pause' });
    await paused;
    await h.send({ type: 'loadModel', name: 'other', slot: 'cmp', safetensors: exp.safetensors.slice(0), configJson: exp.configJson, tokenizerJson: exp.tokenizerJson });
    expect(h.replies('loadModel').at(-1)).toMatchObject({ slot: 'cmp', name: 'other' });
    await h.send({ type: 'loadModel', name: 'other', safetensors: exp.safetensors.slice(0), configJson: exp.configJson, tokenizerJson: exp.tokenizerJson });
    expect(h.failures().at(-1)).toMatchObject({ code: 'busy', request: 'loadModel' });
    await h.send({ type: 'stop' });
    await done;
  });
});
