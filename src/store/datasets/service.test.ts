// DatasetsService without the store: IndexedDB through fake-indexeddb, the
// dataset worker's code run in-process, starter files and the trainer worker
// replaced by small fakes. Also the pure rules of the import wizard and undo.

import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { findDuplicates } from '../../data/dedupe';
import type { Example } from '../../data/schema';
import { DEFAULT_TEMPLATE, PLAIN_TEMPLATE, defineTemplate } from '../../data/templates';
import { BpeTokenizer } from '../../tokenizer/bpe';
import { openStudioDb } from '../../storage/db';
import { DATASET_SETTINGS_KEY, DatasetRepository, type DatasetMeta, type DatasetRecord } from '../../storage/datasets';
import type { WorkerClient } from '../workerClient';
import { MAX_UNDO, pushUndo } from './history';
import { importRequest } from './importWizard';
import { createInProcessDataWorker, DataJobs } from './jobs';
import { DatasetsService, LESSON_DATASET_ID, datasetNameOf, initialSelection, readSettings, type SettingsState } from './service';
import type { ImportDraft } from './state';

let dbCount = 0;

function ex(id: string, instruction: string, response: string): Example {
  return { id, source: 'test', kind: 'instruction', instruction, response };
}

const SETTINGS: SettingsState = {
  startersLoaded: false,
  selectedDatasetId: null,
  templateId: DEFAULT_TEMPLATE.id,
  trainOnInputs: false,
  pack: false,
  overflow: 'truncate',
  userTemplates: [],
};

function setup(opts: { files?: Record<string, string>; exportTokenizer?: () => Promise<string> } = {}) {
  const repo = new DatasetRepository({ open: () => openStudioDb(`service-test-${++dbCount}`) });
  const request = vi.fn(async () => ({ safetensors: new ArrayBuffer(0), configJson: '{}', tokenizerJson: await (opts.exportTokenizer ?? (async () => '{}'))() }));
  let n = 0;
  const service = new DatasetsService(
    {
      repo,
      jobs: new DataJobs(createInProcessDataWorker),
      importJobs: new DataJobs(createInProcessDataWorker),
      tokenJobs: new DataJobs(createInProcessDataWorker),
      fetchText: async (url) => {
        const text = opts.files?.[url];
        if (text === undefined) throw new Error(`${url} answered 404`);
        return text;
      },
      newId: () => `id${++n}`,
    },
    { request } as unknown as Pick<WorkerClient, 'request'>,
  );
  return { service, repo, request };
}

/** A draft in review, as the wizard holds it after a successful import of `examples` (duplicates found for real). */
function reviewed(fileName: string, target: 'new' | 'append', examples: Example[], dropDuplicates = false): ImportDraft {
  const result = { ok: true, format: 'alpaca', examples, warnings: [], duplicates: findDuplicates(examples) } as unknown as ImportDraft['result'];
  return {
    source: { fileName, text: '' },
    bytes: 0,
    phase: 'review',
    detection: null,
    table: null,
    format: 'auto',
    mapping: {},
    target,
    progress: null,
    result,
    dropDuplicates,
  };
}

describe('DatasetsService', () => {
  it('shares writes between quick saves and stores the latest examples last', async () => {
    const t = setup();
    const first = await t.service.create('Mine', DEFAULT_TEMPLATE.id);
    let current: DatasetRecord = first;
    const put = vi.spyOn(t.repo, 'put');
    const saved: DatasetMeta[] = [];
    // As the slice does: the next write is based on the version just stored.
    const onSaved = (m: DatasetMeta) => {
      saved.push(m);
      current = { ...current, version: m.version };
    };
    const pending = t.service.saveLatest(() => current, onSaved);
    // Three edits while the first write is under way: one more write, with the last of them.
    for (const k of [1, 2, 3]) {
      current = { ...current, examples: [...current.examples, ex(`e${k}`, `Q${k}?`, `A${k}.`)] };
      expect(await t.service.saveLatest(() => current, onSaved)).toBe('joined');
    }
    expect(await pending).toBe('saved');
    expect(put).toHaveBeenCalledTimes(2);
    expect(saved.map((m) => m.count)).toEqual([0, 3]);
    expect((await t.service.open(first.id))?.examples.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    // Once idle, the next save writes again.
    expect(await t.service.saveLatest(() => current, onSaved)).toBe('saved');
    expect(put).toHaveBeenCalledTimes(3);
  });

  it('reports a failed save and can save again afterwards', async () => {
    const t = setup();
    const record = await t.service.create('Mine', DEFAULT_TEMPLATE.id);
    vi.spyOn(t.repo, 'put').mockRejectedValueOnce(new Error('disk full'));
    await expect(t.service.saveLatest(() => record, () => {})).rejects.toThrow('disk full');
    expect(await t.service.saveLatest(() => record, () => {})).toBe('saved');
  });

  it('stores an import as a new dataset named after its file, leaving out the duplicates asked for', async () => {
    const t = setup();
    const examples = [ex('a', 'Q1?', 'A1.'), ex('b', 'Q2?', 'A2.'), ex('c', 'Q1?', 'A1.')];
    const r = await t.service.saveImport(reviewed('dir/quiz.v2.jsonl', 'new', examples, true), null, 'chatml');
    expect(r.target).toBe('new');
    expect(r.saved).toMatchObject({ name: 'quiz.v2', source: 'dir/quiz.v2.jsonl', templateId: 'chatml', count: 2 });
    expect(r.meta).not.toHaveProperty('examples');
    expect(r.notice).toBe('Imported 2 examples from "dir/quiz.v2.jsonl" as a new dataset. 1 duplicate left out.');
    expect((await t.service.open(r.saved.id))?.examples.map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('adds an import to the open dataset with repeated ids renamed and the old examples untouched', async () => {
    const t = setup();
    const before = [ex('a', 'Q1?', 'A1.'), ex('b', 'Q2?', 'A2.')];
    const open = await t.repo.put({ id: 'ds-1', name: 'Base', source: 'test', licence: '', description: '', templateId: 'plain', examples: before });
    const incoming = [ex('a', 'Q3?', 'A3.')];
    const r = await t.service.saveImport(reviewed('more.jsonl', 'append', incoming), open, 'plain');
    if (r.target !== 'append') throw new Error('expected an append');
    expect(r.before).toBe(open.examples);
    expect(r.added).toBe(1);
    expect(r.notice).toBe('Added 1 example from "more.jsonl" to "Base".');
    const ids = r.saved.examples.map((e) => e.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids.slice(0, 2)).toEqual(['a', 'b']);
    expect(incoming[0]!.id).toBe('a');
    expect((await t.service.open('ds-1'))?.count).toBe(3);
    await expect(t.service.saveImport(reviewed('more.jsonl', 'append', incoming), null, 'plain')).rejects.toThrow(/no longer open/);
  });

  it('adds only the missing starter datasets, stored together with the settings', async () => {
    const index = JSON.stringify([
      { id: 'one', file: 'one.jsonl', title: 'One', description: 'first', licence: 'CC0-1.0' },
      { id: 'two', file: 'two.jsonl', title: 'Two', description: 'second', licence: 'CC0-1.0', source: 'somewhere' },
    ]);
    const line = '{"instruction": "Say hi.", "output": "Hi."}';
    const t = setup({ files: { './datasets/index.json': index, './datasets/one.jsonl': line, './datasets/two.jsonl': line } });
    const metas = await t.service.addStarters(new Set(['starter-one']), SETTINGS);
    expect(metas.map((m) => m.id)).toEqual(['starter-two']);
    expect(metas[0]).toMatchObject({ name: 'Two', source: 'starter: two.jsonl (somewhere)', licence: 'CC0-1.0', count: 1 });
    const { settings, datasets } = await t.service.load();
    expect(settings.startersLoaded).toBe(true);
    expect(datasets.map((d) => d.id)).toEqual(['starter-two']);
  });

  it('changes nothing when a starter file is missing', async () => {
    const t = setup({ files: { './datasets/index.json': JSON.stringify([{ id: 'one', file: 'one.jsonl', title: 'One' }]) } });
    await expect(t.service.addStarters(new Set(), SETTINGS)).rejects.toThrow('./datasets/one.jsonl answered 404');
    const { settings, datasets } = await t.service.load();
    expect(datasets).toEqual([]);
    expect(settings.startersLoaded).toBeUndefined();
  });

  it('reads back stored settings, keeping only well-formed values and valid user templates', async () => {
    const t = setup();
    const terse = defineTemplate({ name: 'Terse', prompt: 'Q: {instruction}\nA:', response: ' {response}' });
    await t.service.saveSettings({ ...SETTINGS, templateId: terse.id, pack: true, userTemplates: [terse] });
    const { settings } = await t.service.load();
    expect(settings).toMatchObject({ templateId: terse.id, pack: true, overflow: 'truncate' });
    expect(settings.userTemplates).toEqual([terse]);

    await t.repo.putSetting(DATASET_SETTINGS_KEY, {
      pack: 'yes',
      overflow: 'wrap',
      selectedDatasetId: 7,
      userTemplates: [null, { name: 'Broken', prompt: 'no placeholder', response: '{response}' }, { ...terse, id: PLAIN_TEMPLATE.id }],
    });
    expect((await t.service.load()).settings).toEqual({ userTemplates: [] });
    expect(readSettings('not settings')).toEqual({ userTemplates: [] });
  });

  it('fetches the tokenizer once per model version, and again after a failure', async () => {
    const tok = BpeTokenizer.train('the cat sat on the mat '.repeat(20), { vocabSize: 270 });
    let fail = true;
    const t = setup({
      exportTokenizer: async () => {
        if (fail) throw new Error('no model');
        return JSON.stringify(tok.toJSON());
      },
    });
    await expect(t.service.tokenizer(1)).rejects.toThrow('no model');
    fail = false;
    const a = t.service.tokenizer(1);
    const b = t.service.tokenizer(1);
    expect((await a).tokenizer.encode('the cat')).toEqual(tok.encode('the cat'));
    expect(await b).toBe(await a);
    expect(t.request).toHaveBeenCalledTimes(2);
    await t.service.tokenizer(2);
    expect(t.request).toHaveBeenCalledTimes(3);
  });

  it('gives an added example its own id unless that id is taken', () => {
    const t = setup();
    expect(t.service.exampleId('mine', new Set(['a']))).toBe('mine');
    expect(t.service.exampleId('a', new Set(['a']))).toBe('new-id1');
    expect(t.service.exampleId('', new Set(['new-id2']))).toBe('new-id3');
  });
});

describe('dataset rules the slice relies on', () => {
  it('selects the stored choice while it exists, else the lesson set, else the newest', () => {
    const meta = (id: string) => ({ id }) as DatasetMeta;
    expect(initialSelection([meta('a'), meta('b')], 'b')).toBe('b');
    expect(initialSelection([meta('a'), meta(LESSON_DATASET_ID)], 'gone')).toBe(LESSON_DATASET_ID);
    expect(initialSelection([meta('a'), meta('b')], null)).toBe('a');
    expect(initialSelection([], 'a')).toBeNull();
  });

  it('names an imported dataset after its file', () => {
    expect(datasetNameOf('C:\\data\\colours.jsonl')).toBe('colours');
    expect(datasetNameOf('.jsonl')).toBe('Imported dataset');
  });

  it('refuses to start an import that has no target or no instruction and response columns', () => {
    const draft = { ...reviewed('quiz.csv', 'append', []), phase: 'setup' as const, result: null };
    expect(importRequest(draft, undefined)).toMatchObject({ ok: false, error: { reason: 'choose a dataset to add to' } });
    const table = { headers: ['q', 'a'], rows: [], guess: { mapping: {}, missing: [] } } as never;
    const csv = { ...draft, target: 'new' as const, format: 'csv' as const, table, mapping: { instruction: 'q' } };
    expect(importRequest(csv, undefined)).toMatchObject({ ok: false, error: { line: 1, field: 'response', message: '"quiz.csv", line 1: choose which column holds the response.' } });
    expect(importRequest({ ...csv, mapping: { instruction: 'q', response: 'a' } }, undefined)).toEqual({
      ok: true,
      format: 'csv',
      columnMapping: { instruction: 'q', response: 'a' },
      existing: undefined,
    });
  });

  it('keeps at most MAX_UNDO undo steps, dropping the oldest', () => {
    let stack = pushUndo([], { label: 'first', datasetId: 'd', examples: [] });
    for (let k = 0; k < MAX_UNDO; k++) stack = pushUndo(stack, { label: `edit ${k}`, datasetId: 'd', examples: [] });
    expect(stack).toHaveLength(MAX_UNDO);
    expect(stack[0]!.label).toBe('edit 0');
    expect(stack.at(-1)!.label).toBe(`edit ${MAX_UNDO - 1}`);
  });
});
