// The datasets slice without a browser: fake-indexeddb for storage, the
// dataset worker's code run in-process, the starter files read from disk, and
// a fake trainer worker that records what the store posts.

import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStudioDb } from '../../storage/db';
import { DatasetRepository } from '../../storage/datasets';
import { BpeTokenizer } from '../../tokenizer/bpe';
import type { BackendReport } from '../../worker/backends';
import { createInProcessDataWorker, DataJobs } from './jobs';
import { LESSON_DATASET_ID } from './service';
import { currentTemplate } from '../selectors';
import { createStudio, memoryStorage } from '../studio';
import { fakeClient } from '../fakeWorker';

const PUBLIC = fileURLToPath(new URL('../../../public/', import.meta.url));
const STARTER_COUNT = (JSON.parse(readFileSync(`${PUBLIC}datasets/index.json`, 'utf8')) as unknown[]).length;

const REPORT: BackendReport = {
  name: 'webgpu',
  reason: 'test',
  skipped: [],
  limits: { maxBufferBytes: 2 ** 28, maxBindingBytes: 2 ** 27, memoryBudgetBytes: 2 ** 30 },
};

let dbCount = 0;

function setup(opts: { dbName?: string; fetchText?: (url: string) => Promise<string>; repo?: DatasetRepository } = {}) {
  const dbName = opts.dbName ?? `slice-test-${++dbCount}`;
  const { client, workers } = fakeClient();
  const fetched: string[] = [];
  let n = 0;
  const store = createStudio({
    client,
    storage: memoryStorage(),
    data: {
      repo: opts.repo ?? new DatasetRepository({ open: () => openStudioDb(dbName) }),
      jobs: new DataJobs(createInProcessDataWorker),
      importJobs: new DataJobs(createInProcessDataWorker),
      tokenJobs: new DataJobs(createInProcessDataWorker),
      newId: () => `id${++n}`,
      fetchText:
        opts.fetchText ??
        (async (url) => {
          fetched.push(url);
          return readFileSync(`${PUBLIC}${url.replace(/^\.\//, '')}`, 'utf8');
        }),
    },
  });
  return { store, state: () => store.getState(), dbName, fetched, worker: () => workers[workers.length - 1]! };
}

async function settle(t: ReturnType<typeof setup>): Promise<void> {
  await vi.waitFor(() => expect(t.state().saveState).toBe('saved'));
}

/** Chooses a file, imports it with the current settings and returns the review (or the error). */
async function importText(t: ReturnType<typeof setup>, fileName: string, text: string, target: 'new' | 'append' = 'new') {
  await t.state().chooseImportFile({ fileName, text });
  if (t.state().importError) return;
  t.state().setImportTarget(target);
  await t.state().runImport();
}

const JSONL = [
  '{"instruction": "Name a primary colour.", "input": "", "output": "Red."}',
  '{"instruction": "What is two plus two?", "input": "", "output": "Four."}',
  '{"instruction": "Say hello in French.", "input": "", "output": "Bonjour."}',
].join('\n');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('datasets slice', () => {
  it('adds the starter datasets on first run, and only then', async () => {
    const t = setup();
    await t.state().loadDatasets();
    expect(t.state().datasetsStatus).toBe('ready');
    expect(t.state().datasets).toHaveLength(STARTER_COUNT);
    expect(t.fetched[0]).toBe('./datasets/index.json');
    expect(t.fetched.some((u) => u.includes('geo-eval'))).toBe(false);
    const names = t.state().datasets.map((d) => d.name);
    expect(names).toContain('Everyday facts');
    expect(t.state().activeDataset?.examples.length).toBeGreaterThan(0);
    // The lesson's tuning set is selected first, ready for the shipped base model.
    expect(t.state().selectedDatasetId).toBe(LESSON_DATASET_ID);
    expect(t.state().activeDataset?.name).toBe('Country facts (tuning set)');
    expect(t.state().datasets.find((d) => d.name === 'Everyday facts')?.licence).toBe('CC0-1.0');

    // A second page load over the same database finds them and fetches nothing.
    await t.state().deleteDataset(t.state().datasets[0]!.id);
    const again = setup({ dbName: t.dbName });
    await again.state().loadDatasets();
    expect(again.fetched).toEqual([]);
    expect(again.state().datasets).toHaveLength(STARTER_COUNT - 1);
  });

  it('reports a starter list that cannot be fetched and still works', async () => {
    const t = setup({ fetchText: async () => Promise.reject(new Error('offline')) });
    await t.state().loadDatasets();
    expect(t.state().datasetsStatus).toBe('ready');
    expect(t.state().storageError).toMatch(/starter datasets could not be added: offline/);
    expect(t.state().datasets).toEqual([]);
  });

  it('imports a file as a new dataset that survives a reload', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    await importText(t, 'colours.jsonl', JSONL);
    const draft = t.state().importDraft!;
    expect(draft.phase).toBe('review');
    expect(draft.result?.examples).toHaveLength(3);
    expect(draft.result?.format).toBe('alpaca');
    await t.state().commitImport();
    expect(t.state().importDraft).toBeNull();
    expect(t.state().importNotice).toMatch(/Imported 3 examples from "colours.jsonl"/);
    expect(t.state().activeDataset?.name).toBe('colours');
    const reload = setup({ dbName: t.dbName, fetchText: async () => '[]' });
    await reload.state().loadDatasets();
    expect(reload.state().activeDataset?.name).toBe('colours');
    expect(reload.state().activeDataset?.examples.map((e) => e.kind === 'instruction' && e.response)).toEqual(['Red.', 'Four.', 'Bonjour.']);
  });

  it('refuses a file with a bad line whole: the message names the line and the dataset is unchanged', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    await importText(t, 'good.jsonl', JSONL);
    await t.state().commitImport();
    const before = t.state().activeDataset!;
    const bad = ['{"instruction": "A", "output": "B"}', '{"instruction": "C", "output": "D"}', '{"instruction": "E", "output": '].join('\n');
    await importText(t, 'bad.jsonl', bad, 'append');
    const err = t.state().importError!;
    expect(err.file).toBe('bad.jsonl');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/line 3/);
    expect(t.state().importDraft).toBeNull();
    expect(t.state().activeDataset).toBe(before);
    const stored = await new DatasetRepository({ open: () => openStudioDb(t.dbName) }).get(before.id);
    expect(stored?.examples).toHaveLength(3);
  });

  it('adds to the selected dataset, reports duplicates against it, and drops them only when asked', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    await importText(t, 'base.jsonl', JSONL);
    await t.state().commitImport();
    const more = [
      '{"instruction": "Name a primary colour.", "input": "", "output": "Red."}',
      '{"instruction": "What is the capital of Peru?", "input": "", "output": "Lima."}',
    ].join('\n');
    await importText(t, 'more.jsonl', more, 'append');
    const review = t.state().importDraft!;
    expect(review.result?.duplicates.pairs).toHaveLength(1);
    expect(review.result?.duplicates.pairs[0]).toMatchObject({ inExisting: true, kind: 'exact' });
    expect(review.dropDuplicates).toBe(false);
    t.state().setImportDropDuplicates(true);
    await t.state().commitImport();
    expect(t.state().activeDataset?.examples).toHaveLength(4);
    expect(t.state().importNotice).toMatch(/1 duplicate left out/);
    // The import is one undo step.
    t.state().undo();
    expect(t.state().activeDataset?.examples).toHaveLength(3);
    await settle(t);
  });

  it('maps CSV columns chosen by the user', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    const csv = 'q,a,topic\n"Capital of Spain?",Madrid,geo\n"Two and two?",Four,maths\n';
    await t.state().chooseImportFile({ fileName: 'quiz.csv', text: csv });
    const setupDraft = t.state().importDraft!;
    expect(setupDraft.phase).toBe('setup');
    expect(setupDraft.table?.headers).toEqual(['q', 'a', 'topic']);
    expect(setupDraft.table?.guess.missing).toEqual(['instruction', 'response']);
    await t.state().runImport();
    expect(t.state().importError?.message).toMatch(/choose which column holds the instruction and the response/);
    t.state().setImportMapping('instruction', 'q');
    t.state().setImportMapping('response', 'a');
    t.state().setImportMapping('category', 'topic');
    await t.state().runImport();
    expect(t.state().importError).toBeNull();
    await t.state().commitImport();
    const ex = t.state().activeDataset!.examples;
    expect(ex).toHaveLength(2);
    expect(ex[0]).toMatchObject({ instruction: 'Capital of Spain?', response: 'Madrid', category: 'geo' });
  });

  it('edits, adds and deletes examples with undo, and keeps edits across a reload', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    await importText(t, 'base.jsonl', JSONL);
    await t.state().commitImport();
    const first = t.state().activeDataset!.examples[0]!;
    expect(t.state().updateExample(first.id, { ...first, kind: 'instruction', instruction: 'Name a colour.', response: '' } as never)).toBe(false);
    expect(t.state().updateExample(first.id, { ...first, kind: 'instruction', instruction: 'Name a colour of the sky.', response: 'Blue.', input: '  ' })).toBe(true);
    const edited = t.state().activeDataset!.examples[0]!;
    expect(edited).toMatchObject({ id: first.id, instruction: 'Name a colour of the sky.', response: 'Blue.' });
    expect(edited).not.toHaveProperty('input');
    const newId = t.state().addExample({ id: '', source: '', kind: 'instruction', instruction: 'Count to three.', response: 'One, two, three.' });
    expect(newId).toBeTruthy();
    t.state().deleteExample(t.state().activeDataset!.examples[1]!.id);
    expect(t.state().activeDataset!.examples).toHaveLength(3);
    expect(t.state().undoStack.map((u) => u.label)).toEqual(['edit', 'add example', 'delete']);
    t.state().undo();
    expect(t.state().activeDataset!.examples).toHaveLength(4);
    await settle(t);
    const reload = setup({ dbName: t.dbName, fetchText: async () => '[]' });
    await reload.state().loadDatasets();
    const kept = reload.state().activeDataset!.examples;
    expect(kept).toHaveLength(4);
    expect(kept[0]).toMatchObject({ instruction: 'Name a colour of the sky.', response: 'Blue.' });
    expect(reload.state().datasets[0]?.count).toBe(4);
  });

  it('creates, renames and deletes datasets', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    const id = await t.state().createDataset('Mine');
    expect(t.state().selectedDatasetId).toBe(id);
    await t.state().renameDataset(id!, 'Ours');
    expect(t.state().datasets[0]?.name).toBe('Ours');
    expect(t.state().activeDataset?.name).toBe('Ours');
    await t.state().deleteDataset(id!);
    expect(t.state().datasets).toEqual([]);
    expect(t.state().activeDataset).toBeNull();
  });

  it('keeps everything as it was when storage is full while saving an import', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    await importText(t, 'base.jsonl', JSONL);
    vi.spyOn(globalThis.IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    await t.state().commitImport();
    expect(t.state().storageError).toMatch(/storage for this page is full.*Nothing was changed/);
    expect(t.state().datasets).toEqual([]);
    expect(t.state().importDraft?.phase).toBe('review');
  });

  it('validates user templates, selects a new one and keeps it across a reload', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    const bad = t.state().addUserTemplate({ name: 'Q', prompt: 'Q: {question}', response: '{response}' });
    expect(bad.ok).toBe(false);
    const good = t.state().addUserTemplate({ name: 'Terse', prompt: 'Q: {instruction}\nA:', response: ' {response}' });
    expect(good.ok).toBe(true);
    expect(currentTemplate(t.state()).name).toBe('Terse');
    t.state().setTrainOnInputs(true);
    t.state().setOverflow('drop');
    await vi.waitFor(async () => {
      const reload = setup({ dbName: t.dbName, fetchText: async () => '[]' });
      await reload.state().loadDatasets();
      expect(currentTemplate(reload.state()).name).toBe('Terse');
      expect(reload.state().trainOnInputs).toBe(true);
      expect(reload.state().overflow).toBe('drop');
    });
  });

  it('trains on the selected dataset with the chosen template and switches, and shows the data report', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    await importText(t, 'base.jsonl', JSONL);
    await t.state().commitImport();
    t.state().initBackend();
    t.worker().send({ type: 'backend', report: REPORT });
    t.state().createModel();
    const cfg = t.worker().last('createModel').config;
    t.worker().send({ type: 'modelReady', config: cfg, paramCount: 1, tokenizerVocab: 300, name: 'micro', step: 0, slot: 'main' });
    t.state().setTemplateId('chatml');
    // Short examples are packed unless the user turns it off.
    expect(t.state().pack).toBe(true);
    t.state().setPack(false);
    t.state().setTrainDataKind('instructions');
    t.state().startTraining();
    const req = t.worker().last('train');
    expect(req.data).toMatchObject({ kind: 'instructions', trainOnInputs: false, pack: false, overflow: 'truncate' });
    if (req.data.kind !== 'instructions') throw new Error('unreachable');
    expect(req.data.examples).toHaveLength(3);
    expect(req.data.template.id).toBe('chatml');
    t.worker().send({ type: 'dataReport', summary: '3 examples: 2 to train, 1 to validate.', trainExamples: 2, valExamples: 1, kept: 2, truncated: 0, dropped: 0, trainedTokens: 20 });
    expect(t.state().dataReport?.summary).toBe('3 examples: 2 to train, 1 to validate.');
    await settle(t);
  });

  it('refuses to train on instructions without a dataset, before sending anything', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    t.state().initBackend();
    t.worker().send({ type: 'backend', report: REPORT });
    t.state().createModel();
    t.worker().send({ type: 'modelReady', config: t.worker().last('createModel').config, paramCount: 1, tokenizerVocab: 300, name: 'm', step: 0, slot: 'main' });
    t.state().setTrainDataKind('instructions');
    t.state().startTraining();
    expect(t.worker().posted.some((m) => m.type === 'train')).toBe(false);
    expect(t.state().errors.at(-1)?.message).toMatch(/Choose an instruction dataset/);
  });

  it('formats a generation prompt with the selected template and shows the exact prompt text', async () => {
    const t = setup({ fetchText: async () => '[]' });
    t.state().initBackend();
    t.worker().send({ type: 'backend', report: REPORT });
    t.state().createModel();
    t.worker().send({ type: 'modelReady', config: t.worker().last('createModel').config, paramCount: 1, tokenizerVocab: 300, name: 'm', step: 0, slot: 'main' });
    t.state().setPrompt('What is the capital of France?');
    t.state().generate();
    expect(t.worker().last('generate').format).toBeUndefined();
    t.state().cancelGenerate();
    const g0 = t.worker().last('generate');
    t.worker().reply('generate', { reason: 'cancelled', tokenCount: 0, tokensPerSec: 0, text: '' }, g0.id);
    await new Promise((r) => setTimeout(r, 0));
    t.state().setGenFormat(true);
    t.state().generate();
    const g = t.worker().last('generate');
    expect(g.format?.template.id).toBe('plain');
    t.worker().send({ type: 'generateStarted', requestId: g.id, promptText: 'Question: What is the capital of France?\nAnswer:', promptTokens: 12 });
    expect(t.state().genPromptText).toBe('Question: What is the capital of France?\nAnswer:');
    expect(t.state().genTemplate?.id).toBe('plain');
  });

  it('fetches the model tokenizer once per model for token counts', async () => {
    const t = setup({ fetchText: async () => '[]' });
    t.state().initBackend();
    t.worker().send({ type: 'backend', report: REPORT });
    t.state().createModel();
    t.worker().send({ type: 'modelReady', config: t.worker().last('createModel').config, paramCount: 1, tokenizerVocab: 300, name: 'm', step: 0, slot: 'main' });
    const tok = BpeTokenizer.train('the cat sat on the mat '.repeat(20), { vocabSize: 270 });
    const pending = t.state().ensureDataTokenizer();
    void t.state().ensureDataTokenizer();
    const exports = t.worker().posted.filter((m) => m.type === 'exportModel');
    expect(exports).toHaveLength(1);
    const req = t.worker().last('exportModel');
    t.worker().reply('exportModel', { safetensors: new ArrayBuffer(0), configJson: '{}', tokenizerJson: JSON.stringify(tok.toJSON()) }, req.id);
    await pending;
    expect(t.state().dataTokenizer?.tokenizer.encode('the cat')).toEqual(tok.encode('the cat'));
    // A new model makes it stale.
    t.worker().send({ type: 'modelReady', config: t.worker().last('createModel').config, paramCount: 1, tokenizerVocab: 300, name: 'm2', step: 0, slot: 'main' });
    expect(t.state().dataTokenizer).toBeNull();
  });

  it('computes statistics with token counts off the main thread', async () => {
    const t = setup({ fetchText: async () => '[]' });
    await t.state().loadDatasets();
    await importText(t, 'base.jsonl', JSONL);
    await t.state().commitImport();
    await t.state().refreshStats();
    expect(t.state().stats?.stats.examples).toBe(3);
    expect(t.state().stats?.withTokens).toBe(false);
    await t.state().findDatasetDuplicates();
    expect(t.state().duplicateReport?.report.pairs).toEqual([]);
  });
});
