import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tf';
import * as tf from '@tensorflow/tfjs';
import type { ExportedModel } from './protocol';
import { DEFAULT_GENERATE_OPTIONS } from '../model/sampling';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import { PLAIN_TEMPLATE } from '../data/templates';
import { harness, micro, ready, TEXT } from './engineHarness';

beforeAll(async () => {
  await useCpuBackend();
});

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
