// CompareService without a store: a fake worker answers its requests, shipped
// files, checkpoints and datasets come from maps.

import { describe, expect, it } from 'vitest';
import type { Example } from '../../data/schema';
import { PLAIN_TEMPLATE } from '../../data/templates';
import { DEFAULT_GENERATE_OPTIONS } from '../../model/sampling';
import type { ModelConfig } from '../../model/config';
import type { GenerateResult } from '../../worker/protocol';
import { FakeWorker } from '../fakeWorker';
import { WorkerClient } from '../workerClient';
import { CompareService, defaultShippedFiles, type AskSettings, type ModelsInView } from './service';
import { CURRENT_MODEL } from './state';

const config: ModelConfig = { vocabSize: 260, contextLength: 8, width: 8, layers: 1, heads: 2 };
const settings: AskSettings = { options: { ...DEFAULT_GENERATE_OPTIONS, temperature: 0 }, template: PLAIN_TEMPLATE };
const flush = () => new Promise((r) => setTimeout(r, 5));
const ex = (instruction: string, response: string, input?: string): Example => ({ id: instruction, source: 't', kind: 'instruction', instruction, response, ...(input ? { input } : {}) });

function setup() {
  const worker = new FakeWorker();
  const client = new WorkerClient(() => worker);
  const files = new Map<string, string>();
  const fetched: string[] = [];
  const datasets = new Map<string, { name: string; examples: Example[] }>();
  const svc = new CompareService({
    client,
    fetchText: async (url) => {
      fetched.push(url);
      const t = files.get(url);
      if (t === undefined) throw new Error(`${url} answered 404`);
      return t;
    },
    fetchBytes: async () => new ArrayBuffer(8),
    loadCheckpoint: async (id) => {
      if (id === 'gone') throw new Error('That checkpoint is no longer stored.');
      return { meta: { name: `Checkpoint ${id}` }, bytes: new ArrayBuffer(4) };
    },
    getDataset: async (id) => datasets.get(id),
  });
  /** Plays the worker loading every loadModel request still open. */
  const answerLoads = async () => {
    for (let i = 0; i < 5; i++) {
      await flush();
      for (const r of worker.of('loadModel').filter((m) => !worker.answered.has(m.id))) {
        worker.reply('loadModel', { config, paramCount: 1, tokenizerVocab: 260, name: r.name, step: 0, slot: r.slot ?? 'main' }, r.id);
      }
    }
  };
  const done = (text: string): GenerateResult => ({ reason: 'eos', tokenCount: 1, tokensPerSec: 1, text });
  return { svc, worker, files, fetched, datasets, answerLoads, done };
}

const view = (over: Partial<ModelsInView> = {}): ModelsInView => ({ current: { name: 'Micro', training: false }, shipped: [], checkpoints: [], ...over });

describe('CompareService', () => {
  it('lists only shipped models whose config.json reads as a model config, reading the index once', async () => {
    const t = setup();
    t.files.set('models/index.json', JSON.stringify([{ id: 'base', title: 'Base', dir: 'models/base/' }, { id: 'tuned', title: 'Tuned', dir: 'models/tuned', template: 'plain' }, { id: 7 }]));
    t.files.set('models/base/config.json', JSON.stringify({ n_embd: 64 }));
    t.files.set('models/tuned/config.json', '<html>not here</html>');
    const [a, b] = await Promise.all([t.svc.shippedModels(), t.svc.shippedModels()]);
    expect(a).toEqual([{ id: 'base', title: 'Base', dir: 'models/base' }]);
    expect(b).toBe(a);
    expect(t.fetched.filter((u) => u === 'models/index.json')).toHaveLength(1);
    expect(await setup().svc.shippedModels()).toEqual([]);
  });

  it('loads a checkpoint into its slot once, and again once its stored file was replaced', async () => {
    const t = setup();
    const key = 'ckpt:c1';
    const models = (savedAt: number) => view({ checkpoints: [{ id: 'c1', name: 'Run 1', step: 3, savedAt }] });
    const first = t.svc.loadModels([key], models(100), () => undefined);
    await t.answerLoads();
    expect(await first).toEqual([key]);
    expect(t.worker.of('loadModel')).toMatchObject([{ slot: key, name: 'Checkpoint c1', configJson: '', tokenizerJson: '' }]);
    expect(await t.svc.loadModels([key], models(100), () => undefined)).toEqual([key]);
    expect(t.worker.of('loadModel')).toHaveLength(1);
    const again = t.svc.loadModels([key], models(200), () => undefined);
    await t.answerLoads();
    await again;
    expect(t.worker.of('loadModel')).toHaveLength(2);
  });

  it('reports each model that cannot answer and still loads the others', async () => {
    const t = setup();
    const failed = new Map<string, string>();
    const shipped = [{ id: 'base', title: 'Base', dir: 'models/base' }];
    t.files.set('models/base/config.json', '{}');
    t.files.set('models/base/tokenizer.json', '{}');
    const loading = t.svc.loadModels([CURRENT_MODEL, 'shipped:gone', 'ckpt:gone', 'other', 'shipped:base'], view({ current: { name: 'Micro', training: true }, shipped }), (k, m) => failed.set(k, m));
    await t.answerLoads();
    expect(await loading).toEqual(['shipped:base']);
    expect([...failed.keys()]).toEqual([CURRENT_MODEL, 'shipped:gone', 'ckpt:gone', 'other']);
    expect(failed.get(CURRENT_MODEL)).toMatch(/Pause training/);
    expect(failed.get('ckpt:gone')).toMatch(/no longer stored/);
    const none = await t.svc.loadModels([CURRENT_MODEL], view({ current: null }), (k, m) => failed.set(k, m));
    expect(none).toEqual([]);
    expect(failed.get(CURRENT_MODEL)).toMatch(/no model in the studio/);
  });

  it('frees only a slot it loaded, and loads every slot again after a new worker', async () => {
    const t = setup();
    t.svc.releaseSlot('ckpt:c1');
    await flush();
    expect(t.worker.of('unloadModel')).toEqual([]);
    const loading = t.svc.loadModels(['ckpt:c1'], view(), () => undefined);
    await t.answerLoads();
    await loading;
    t.svc.forgetSlots();
    const again = t.svc.loadModels(['ckpt:c1'], view(), () => undefined);
    await t.answerLoads();
    await again;
    expect(t.worker.of('loadModel')).toHaveLength(2);
    t.svc.releaseSlot('ckpt:c1');
    await flush();
    expect(t.worker.of('unloadModel')).toMatchObject([{ slot: 'ckpt:c1' }]);
  });

  it("asks every model at once and streams each answer's prompt and tokens to its own key", async () => {
    const t = setup();
    const log: string[] = [];
    const running = t.svc.compare([CURRENT_MODEL, 'ckpt:c1'], 'Capital of France?', settings, {
      onRunning: (k) => log.push(`${k} running`),
      onPromptText: (k, p) => log.push(`${k} prompt ${p}`),
      onToken: (k, text) => log.push(`${k} +${text}`),
      onDone: (k, r) => log.push(`${k} done ${r.text}`),
      onFailed: (k, m) => log.push(`${k} failed ${m}`),
    });
    await flush();
    const [main, other] = t.worker.of('generate');
    expect(main).toMatchObject({ prompt: 'Capital of France?', format: { template: PLAIN_TEMPLATE }, options: settings.options });
    expect(main!.slot).toBeUndefined();
    expect(other).toMatchObject({ slot: 'ckpt:c1', options: settings.options });
    t.svc.started(other!.id, 'Question: Capital of France?\nAnswer:');
    t.svc.token(other!.id, ' Paris');
    t.svc.token(999, ' lost');
    t.svc.cancelCompare();
    await flush();
    expect(t.worker.of('cancelGenerate').map((c) => c.generateId)).toEqual([main!.id, other!.id]);
    t.worker.reply('generate', t.done(' Paris'), other!.id);
    t.worker.fail('generate', 'internal', 'device lost', main!.id);
    await running;
    expect(log).toEqual([
      'current running',
      'ckpt:c1 running',
      'ckpt:c1 prompt Question: Capital of France?\nAnswer:',
      'ckpt:c1 + Paris',
      'ckpt:c1 done  Paris',
      'current failed device lost',
    ]);
    // Finished generations no longer take tokens.
    t.svc.token(other!.id, ' late');
    expect(log).toHaveLength(6);
  });

  it('scores every batch answer with the eval scorer, keeps a failed one, and leaves out a cancelled question', async () => {
    const t = setup();
    const rows: Array<{ done: number; row: unknown }> = [];
    const examples = [ex('Capital of France?', 'Paris'), ex('Capital of this country?', 'Lima', 'Peru'), ex('Capital of Chile?', 'Santiago')];
    const running = t.svc.runBatch(['a', 'b'], examples, settings, (row, done) => rows.push({ done, row }));
    await flush();
    let gens = t.worker.of('generate');
    t.worker.reply('generate', t.done(' Paris\nQuestion: more'), gens[0]!.id);
    t.worker.reply('generate', t.done(' What is the capital of Spain?'), gens[1]!.id);
    await flush();
    gens = t.worker.of('generate');
    expect(gens.slice(2)).toMatchObject([{ prompt: 'Capital of this country?', format: { template: PLAIN_TEMPLATE, input: 'Peru' }, slot: 'a' }, { slot: 'b' }]);
    t.worker.reply('generate', t.done(' Lima'), gens[2]!.id);
    t.worker.fail('generate', 'internal', 'out of memory', gens[3]!.id);
    await flush();
    t.svc.cancelBatch();
    await flush();
    gens = t.worker.of('generate');
    expect(gens).toHaveLength(6);
    expect(t.worker.of('cancelGenerate').map((c) => c.generateId)).toEqual([gens[4]!.id, gens[5]!.id]);
    t.worker.reply('generate', { ...t.done(' Sant'), reason: 'cancelled' }, gens[4]!.id);
    t.worker.reply('generate', { ...t.done(''), reason: 'cancelled' }, gens[5]!.id);
    await running;
    expect(rows).toEqual([
      {
        done: 1,
        row: {
          question: 'Capital of France?',
          input: '',
          reference: 'Paris',
          answers: {
            a: { raw: ' Paris\nQuestion: more', answer: 'Paris', correct: true, questionLike: false },
            b: { raw: ' What is the capital of Spain?', answer: 'What is the capital of Spain?', correct: false, questionLike: true },
          },
        },
      },
      {
        done: 2,
        row: {
          question: 'Capital of this country?',
          input: 'Peru',
          reference: 'Lima',
          answers: { a: { raw: ' Lima', answer: 'Lima', correct: true, questionLike: false }, b: { raw: '', answer: '', correct: false, questionLike: false, error: 'out of memory' } },
        },
      },
    ]);
  });

  it('opens a shipped evaluation set or a stored dataset, and says what is missing', async () => {
    const t = setup();
    t.files.set('datasets/geo-eval-heldout-capitals.json', JSON.stringify([{ instruction: 'Capital of Peru?', input: '', output: 'Lima' }]));
    const shipped = await t.svc.openEvalSet('geo-eval-heldout-capitals');
    expect(shipped.title).toMatch(/never tuned on/);
    expect(shipped.examples).toMatchObject([{ kind: 'instruction', instruction: 'Capital of Peru?', response: 'Lima' }]);
    t.datasets.set('d1', { name: 'Mine', examples: [ex('Q?', 'A')] });
    expect(await t.svc.openEvalSet('dataset:d1')).toMatchObject({ title: 'Mine', examples: [{ instruction: 'Q?' }] });
    await expect(t.svc.openEvalSet('dataset:d2')).rejects.toThrow(/no longer stored/);
    await expect(t.svc.openEvalSet('nope')).rejects.toThrow(/Unknown evaluation set "nope"/);
    await expect(t.svc.openEvalSet('geo-eval-untuned-code3')).rejects.toThrow(/404/);
    expect(t.svc.importEvalSet('bad.json', '[{"instruction": 1}]')).toMatchObject({ ok: false, message: expect.stringContaining('bad.json') });
  });

  it("decodes an eval file's bytes as the Data tab does: Latin-1 refused by name, UTF-16 with a BOM read", () => {
    const t = setup();
    const json = '[{"instruction": "Capital of Perú?", "output": "Lima"}]';
    // "ú" as Latin-1 (0xFA): not UTF-8.
    const latin1 = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const refused = t.svc.importEvalSet('latin1.json', latin1);
    expect(refused).toMatchObject({ ok: false });
    expect((refused as { message: string }).message).toMatch(/^"latin1\.json", line 1: byte offset 32 \(0xFA 0x3F\) is not valid UTF-8; the file is probably in another encoding such as Latin-1/);
    const utf16 = new Uint8Array(2 + json.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < json.length; i++) utf16[2 + 2 * i] = json.charCodeAt(i);
    expect(t.svc.importEvalSet('utf16.json', utf16)).toMatchObject({ ok: true, examples: [{ instruction: 'Capital of Perú?', response: 'Lima' }] });
    expect(t.svc.importEvalSet('utf8.json', new TextEncoder().encode(json))).toMatchObject({ ok: true, examples: [{ instruction: 'Capital of Perú?' }] });
  });
});

describe('defaultShippedFiles', () => {
  it('reads a download in chunks, telling how many bytes of the total came, and gives the same bytes', async () => {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async () =>
      new Response(new ReadableStream({ start: (c) => (chunks.forEach((x) => c.enqueue(x)), c.close()) }), { headers: { 'content-length': '5' } })) as typeof fetch;
    try {
      const seen: Array<[number, number | null]> = [];
      const bytes = await defaultShippedFiles().fetchBytes('models/base/model.safetensors', (loaded, total) => seen.push([loaded, total]));
      expect([...new Uint8Array(bytes)]).toEqual([1, 2, 3, 4, 5]);
      expect(seen).toEqual([
        [0, 5],
        [3, 5],
        [5, 5],
      ]);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('names the URL when the server answers an error status', async () => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async () => new Response('gone', { status: 404, statusText: 'Not Found' })) as typeof fetch;
    try {
      await expect(defaultShippedFiles().fetchBytes('models/base/model.safetensors', () => undefined)).rejects.toThrow('models/base/model.safetensors answered 404 Not Found');
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
