// The checkpoints repository on fake-indexeddb: a checkpoint is stored whole or
// not at all, files round-trip bit for bit, bad files change nothing, and a
// full disk is reported with the checkpoints worth deleting.

import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TINY_CONFIG as config, TINY_TOKENIZER as tokenizer, tinyCheckpoint as checkpointBytes } from '../checkpoint/fixtures';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../model/safetensors';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import { CheckpointRepository, CheckpointStorageError } from './checkpoints';
import { openStudioDb, STORES } from './db';
import { autosaveId, RunRepository } from './runs';

let dbCount = 0;
function setup() {
  const name = `checkpoints-test-${++dbCount}`;
  let clock = 1000;
  let ids = 0;
  const repo = new CheckpointRepository({ open: () => openStudioDb(name), now: () => (clock += 10), newId: () => `id${++ids}` });
  return { repo, name, runs: new RunRepository(() => openStudioDb(name)) };
}

async function rawCounts(name: string) {
  const db = await openStudioDb(name);
  const counts = { meta: await db.count(STORES.checkpoints), data: await db.count(STORES.checkpointData) };
  db.close();
  return counts;
}

const equalBytes = (a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array) => Buffer.compare(Buffer.from(a as ArrayBuffer), Buffer.from(b as ArrayBuffer)) === 0;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('CheckpointRepository', () => {
  it('lists a model the user named under that name, marked named, as saved and as imported on another machine', async () => {
    const { repo } = setup();
    const bytes = checkpointBytes({ step: 6, name: 'Geo bot', meta: { named: 'true' } });
    expect(await repo.save(bytes, { kind: 'auto', runId: 'r1' })).toMatchObject({ name: 'Geo bot', named: true });
    expect(await repo.importFile('geo.safetensors', bytes)).toMatchObject({ name: 'Geo bot', named: true });
    // Without the mark the list names it for where it came from, as before.
    expect(await repo.save(checkpointBytes({ step: 6, name: 'Geo bot' }), { kind: 'auto', runId: 'r2' })).toMatchObject({ name: 'Geo bot (autosave)', named: false });
  });

  it('saves a checkpoint with what the list needs and loads back the exact bytes', async () => {
    const { repo } = setup();
    const bytes = checkpointBytes({ step: 6 });
    const meta = await repo.save(bytes, { kind: 'manual', runId: 'r1' });
    expect(meta).toMatchObject({
      id: 'id1',
      name: 'Tiny model at step 6',
      kind: 'manual',
      runId: 'r1',
      step: 6,
      config,
      hasOptimizer: true,
      runStep: 6,
      totalSteps: 20,
      dataHash: 'abc123',
      sizeBytes: bytes.byteLength,
      createdAt: 1700000000000,
    });
    expect(meta.lastLoss).toBeCloseTo(4.5, 6);
    expect(await repo.list()).toEqual([meta]);
    const loaded = await repo.load('id1');
    expect(equalBytes(loaded.bytes, bytes)).toBe(true);
    const opened = await repo.open('id1');
    expect(opened.file.info.run!.lossHistory).toHaveLength(6);
    expect(opened.file.tokenizerJson).toBe(tokenizer);
  });

  it("replaces a run's autosave in place, keeping a name the user gave it", async () => {
    const { repo, name } = setup();
    const id = autosaveId('run-7');
    await repo.save(checkpointBytes({ step: 5 }), { kind: 'auto', id, runId: 'run-7', reason: 'autosave' });
    await repo.rename(id, 'My good run');
    const later = checkpointBytes({ step: 10 });
    const meta = await repo.save(later, { kind: 'auto', id, runId: 'run-7', reason: 'autosave' });
    expect(meta).toMatchObject({ id, name: 'My good run', named: true, step: 10, runStep: 10 });
    expect(await repo.list()).toHaveLength(1);
    expect(equalBytes((await repo.load(id)).bytes, later)).toBe(true);
    expect(await rawCounts(name)).toEqual({ meta: 1, data: 1 });
  });

  it('renames and deletes, removing the bytes with the entry', async () => {
    const { repo, name } = setup();
    const a = await repo.save(checkpointBytes(), { kind: 'manual' });
    const b = await repo.save(checkpointBytes({ seed: 2 }), { kind: 'manual' });
    expect((await repo.rename(a.id, '  Before tuning ')).name).toBe('Before tuning');
    await expect(repo.rename(a.id, '   ')).rejects.toThrow(/Give the checkpoint a name/);
    await expect(repo.rename('nope', 'x')).rejects.toMatchObject({ kind: 'not-found' });
    await repo.delete(b.id);
    expect((await repo.list()).map((m) => m.name)).toEqual(['Before tuning']);
    expect(await rawCounts(name)).toEqual({ meta: 1, data: 1 });
  });

  it('exports one file and imports it back bit for bit', async () => {
    const { repo } = setup();
    const original = checkpointBytes({ step: 9, name: 'Exported' });
    const saved = await repo.save(original, { kind: 'manual' });
    const file = await repo.exportFile(saved.id);
    expect(file.fileName).toBe('exported-at-step-9.safetensors');
    expect(equalBytes(file.bytes, original)).toBe(true);
    const imported = await repo.importFile(file.fileName, file.bytes);
    expect(imported).toMatchObject({ kind: 'import', fileName: file.fileName, name: 'Exported', step: 9, runStep: 9, sizeBytes: original.byteLength });
    const again = await repo.exportFile(imported.id);
    expect(equalBytes(again.bytes, original)).toBe(true);
    expect(await repo.list()).toHaveLength(2);
  });

  it('refuses a truncated or foreign file with a message naming it, and stores nothing', async () => {
    const { repo, name } = setup();
    await repo.save(checkpointBytes(), { kind: 'manual' });
    const good = checkpointBytes();
    const bad: Array<[string, Uint8Array, RegExp]> = [
      ['half.safetensors', good.subarray(0, Math.floor(good.length / 2)), /"half\.safetensors" is not a usable checkpoint.*truncated.*Nothing was imported/],
      ['notes.txt', new TextEncoder().encode('just some notes, not a model'), /"notes\.txt" is not a usable checkpoint.*Nothing was imported/],
      ['data.json', new TextEncoder().encode('[{"instruction":"hi","output":"there"}]'), /"data\.json" is not a usable checkpoint/],
      ['empty.safetensors', new Uint8Array(0), /"empty\.safetensors" is not a usable checkpoint/],
    ];
    for (const [file, bytes, message] of bad) {
      const err = await repo.importFile(file, bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointStorageError);
      expect((err as CheckpointStorageError).kind).toBe('invalid');
      expect((err as Error).message).toMatch(message);
    }
    expect(await repo.list()).toHaveLength(1);
    expect(await rawCounts(name)).toEqual({ meta: 1, data: 1 });
  });

  it('refuses a file that would fail at load (shapes, tokenizer, NaN, step) before touching the database', async () => {
    const { repo, name } = setup();
    await repo.save(checkpointBytes(), { kind: 'manual' });
    const patch = (edit: (t: Map<string, StoredTensor>, m: Record<string, string>) => void) => {
      const f = readSafetensors(checkpointBytes());
      const t = new Map(f.tensors);
      const m = { ...f.metadata };
      edit(t, m);
      return writeSafetensors(t, m);
    };
    const bad: Array<[string, Uint8Array, RegExp]> = [
      [
        'flat.safetensors',
        patch((t) => t.set('transformer.wpe.weight', { ...t.get('transformer.wpe.weight')!, shape: [64] })),
        /^"flat\.safetensors" cannot be loaded: tensor "transformer\.wpe\.weight" has shape \[64\] .* needs \[8, 8\]\. Nothing was imported\.$/,
      ],
      ['tokenizer.safetensors', patch((_t, m) => (m.tokenizer = '{}')), /^"tokenizer\.safetensors" cannot be loaded: its tokenizer cannot be read/],
      [
        'nan.safetensors',
        patch((t) => t.set('transformer.ln_f.weight', { ...t.get('transformer.ln_f.weight')!, data: new Float32Array(8).fill(NaN) })),
        /tensor "transformer\.ln_f\.weight" holds NaN at index 0/,
      ],
      ['step.safetensors', patch((_t, m) => (m.step = '1000000000')), /its "step" is "1000000000"/],
    ];
    // Neither store may even be opened for writing.
    const db = await openStudioDb(name);
    const transaction = vi.spyOn(Object.getPrototypeOf(db) as { transaction: () => unknown }, 'transaction');
    for (const [file, bytes, message] of bad) {
      const err = await repo.importFile(file, bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointStorageError);
      expect((err as CheckpointStorageError).kind).toBe('invalid');
      expect((err as Error).message).toMatch(message);
    }
    expect(await repo.list()).toHaveLength(1);
    // The spy sees the repository's transactions (the list's read), and no write among them.
    expect(transaction).toHaveBeenCalled();
    expect(transaction.mock.calls.filter((c) => (c as unknown[])[1] === 'readwrite')).toEqual([]);
    db.close();
    expect(await rawCounts(name)).toEqual({ meta: 1, data: 1 });
  });

  it('leaves no partial entry when the transaction fails after the metadata was written', async () => {
    const { repo, name } = setup();
    const kept = checkpointBytes({ name: 'Kept' });
    await repo.save(kept, { kind: 'manual' });
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === STORES.checkpointData) throw new DOMException('The write failed.', 'UnknownError');
      return put.apply(this, args);
    });
    await expect(repo.save(checkpointBytes({ name: 'Lost' }), { kind: 'manual' })).rejects.toThrow(/Could not save the checkpoint "Lost at step 4": The write failed/);
    vi.restoreAllMocks();
    expect((await repo.list()).map((m) => m.name)).toEqual(['Kept at step 4']);
    expect(await rawCounts(name)).toEqual({ meta: 1, data: 1 });
  });

  it('leaves no entry when the transaction is aborted after both writes (a reload mid-save)', async () => {
    const { repo, name } = setup();
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const req = put.apply(this, args);
      // The page goes away before the transaction commits: the browser aborts it.
      if (this.name === STORES.checkpointData) this.transaction.abort();
      return req;
    });
    await expect(repo.save(checkpointBytes(), { kind: 'manual' })).rejects.toBeInstanceOf(CheckpointStorageError);
    vi.restoreAllMocks();
    expect(await repo.list()).toEqual([]);
    expect(await rawCounts(name)).toEqual({ meta: 0, data: 0 });
  });

  it('on a full disk names the largest checkpoints to delete and touches none of them', async () => {
    const { repo, name } = setup();
    const big = checkpointBytes({ name: 'Big one', width: 16 });
    await repo.save(big, { kind: 'manual' });
    await repo.save(checkpointBytes({ name: 'Small one' }), { kind: 'manual' });
    const before = await repo.list();
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === STORES.checkpointData) throw new DOMException('Quota exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    });
    const err = (await repo.save(checkpointBytes({ name: 'New' }), { kind: 'auto', id: 'auto-x' }).catch((e: unknown) => e)) as CheckpointStorageError;
    vi.restoreAllMocks();
    expect(err.kind).toBe('quota');
    expect(err.message).toMatch(/Storage is full: the checkpoint "New \(autosave\)" \(.* KB\) was not saved\. Your saved checkpoints are unchanged\./);
    expect(err.message).toMatch(/the largest: "Big one at step 4" \(.* KB\), "Small one at step 4"/);
    expect(err.largest.map((c) => c.name)).toEqual(['Big one at step 4', 'Small one at step 4']);
    expect(await repo.list()).toEqual(before);
    expect(equalBytes((await repo.load(before.find((c) => c.name.startsWith('Big'))!.id)).bytes, big)).toBe(true);
    expect(await rawCounts(name)).toEqual({ meta: 2, data: 2 });
  });

  it('lists only entries whose bytes are stored', async () => {
    const { repo, name } = setup();
    await repo.save(checkpointBytes(), { kind: 'manual' });
    const db = await openStudioDb(name);
    const meta = (await db.get(STORES.checkpoints, 'id1')) as object;
    await db.put(STORES.checkpoints, { ...meta, id: 'orphan', name: 'Orphan' });
    db.close();
    expect((await repo.list()).map((m) => m.id)).toEqual(['id1']);
  });
});

describe('RunRepository', () => {
  it('marks a started run active until it ends, so a reload can offer to resume it', async () => {
    const { runs } = setup();
    const record = { id: 'r1', status: 'running' as const, data: { kind: 'text' as const, text: 'abc' }, options: DEFAULT_TRAIN_OPTIONS, modelName: 'm', createdAt: 1, updatedAt: 1 };
    expect(await runs.active()).toBeUndefined();
    await runs.start(record);
    expect(await runs.active()).toEqual(record);
    await runs.setStatus('r1', 'paused', 5);
    expect(await runs.active()).toMatchObject({ id: 'r1', status: 'paused', updatedAt: 5 });
    await runs.setStatus('r1', 'done', 6);
    expect(await runs.active()).toBeUndefined();
    expect(await runs.get('r1')).toMatchObject({ status: 'done' });
    await runs.setSetting('x', { a: 1 });
    expect(await runs.getSetting('x')).toEqual({ a: 1 });
  });
});
