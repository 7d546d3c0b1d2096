// The datasets repository on fake-indexeddb: records round-trip whole, writes
// are atomic, and failures come back as sentences that say what to do.

import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Example } from '../data/schema';
import { openStudioDb, STORES } from './db';
import { otherTabFeed, type StorageChange } from './changes';
import { DatasetRepository, DatasetStorageError, type DatasetInput, type DatasetRecord } from './datasets';

let dbCount = 0;
function repo(now = () => 1000) {
  const name = `datasets-test-${++dbCount}`;
  return { repo: new DatasetRepository({ open: () => openStudioDb(name), now }), name };
}

function ex(n: number): Example {
  return { id: `e${n}`, source: 'test', kind: 'instruction', instruction: `Question ${n}?`, response: `Answer ${n}.` };
}

function input(id: string, count: number, name = id): DatasetInput {
  return {
    id,
    name,
    source: 'test.json',
    licence: 'CC0-1.0',
    description: '',
    templateId: 'plain',
    examples: Array.from({ length: count }, (_, k) => ex(k)),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('DatasetRepository', () => {
  it('saves a dataset and reads it back whole, with its count and timestamps', async () => {
    let clock = 1000;
    const { repo: r } = repo(() => clock);
    await r.put(input('a', 3, 'Facts'));
    const got = await r.get('a');
    expect(got?.name).toBe('Facts');
    expect(got?.examples).toEqual([ex(0), ex(1), ex(2)]);
    expect(got?.count).toBe(3);
    expect(got?.createdAt).toBe(1000);
    clock = 2000;
    await r.put({ ...input('a', 4, 'Facts'), version: got!.version });
    const again = await r.get('a');
    expect(again?.createdAt).toBe(1000);
    expect(again?.updatedAt).toBe(2000);
    expect(again?.count).toBe(4);
    expect(await r.get('missing')).toBeUndefined();
  });

  it('lists metadata only, most recently changed first', async () => {
    let clock = 1;
    const { repo: r } = repo(() => clock++);
    await r.put(input('old', 1));
    await r.put(input('new', 2));
    await r.put(input('mid', 1));
    await r.put({ ...input('old', 5), version: 1 });
    const list = await r.list();
    expect(list.map((d) => d.id)).toEqual(['old', 'mid', 'new']);
    expect(list[0]).not.toHaveProperty('examples');
    expect(list[0]?.count).toBe(5);
  });

  it('renames without touching the examples, and refuses an empty name', async () => {
    const { repo: r } = repo();
    await r.put(input('a', 2, 'Before'));
    const meta = await r.rename('a', '  After  ');
    expect(meta.name).toBe('After');
    expect((await r.get('a'))?.examples).toHaveLength(2);
    await expect(r.rename('a', '   ')).rejects.toThrow(/name/);
    await expect(r.rename('gone', 'x')).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('deletes a dataset', async () => {
    const { repo: r } = repo();
    await r.put(input('a', 1));
    await r.put(input('b', 1));
    await r.delete('a');
    expect((await r.list()).map((d) => d.id)).toEqual(['b']);
  });

  it('writes several datasets and a setting in one transaction: a failure keeps none of them', async () => {
    const { repo: r } = repo();
    await r.put(input('keep', 1));
    const bad = { ...input('b', 1), examples: [() => 'functions cannot be stored'] } as unknown as DatasetInput;
    await expect(r.putAll([input('a', 2), bad], { key: 'flag', value: true })).rejects.toBeInstanceOf(DatasetStorageError);
    expect((await r.list()).map((d) => d.id)).toEqual(['keep']);
    expect(await r.getSetting('flag')).toBeUndefined();
    await r.putAll([input('a', 2), input('b', 1)], { key: 'flag', value: true });
    expect((await r.list()).map((d) => d.id).sort()).toEqual(['a', 'b', 'keep']);
    expect(await r.getSetting('flag')).toBe(true);
  });

  it('turns a full disk into a message that says nothing changed and names the largest datasets', async () => {
    const { repo: r } = repo();
    await r.put(input('big', 40, 'Big one'));
    await r.put(input('small', 2, 'Small one'));
    vi.spyOn(globalThis.IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    const err = await r.put(input('new', 5, 'New')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetStorageError);
    expect((err as DatasetStorageError).kind).toBe('quota');
    expect((err as Error).message).toMatch(/storage for this page is full/);
    expect((err as Error).message).toMatch(/Nothing was changed/);
    expect((err as Error).message).toMatch(/Delete datasets or checkpoints/);
    expect((err as Error).message).toMatch(/"Big one" \(40 examples\), "Small one"/);
    vi.restoreAllMocks();
    expect((await r.list()).map((d) => d.id).sort()).toEqual(['big', 'small']);
  });

  it('says storage is unavailable when the database cannot be opened, and tries again later', async () => {
    let fail = true;
    const r = new DatasetRepository({
      open: async () => {
        if (fail) throw new Error('The user denied permission to access the database.');
        return openStudioDb(`retry-${++dbCount}`);
      },
    });
    const err = await r.list().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect((err as Error).message).toMatch(/Browser storage is unavailable/);
    fail = false;
    expect(await r.list()).toEqual([]);
  });

  it('skips a damaged record in the list and names it when opened', async () => {
    const { repo: r, name } = repo();
    await r.put(input('good', 1));
    const db = await openStudioDb(name);
    await db.put(STORES.datasets, { id: 'broken', name: 'Broken', updatedAt: 5 });
    db.close();
    expect((await r.list()).map((d) => d.id)).toEqual(['good']);
    await expect(r.get('broken')).rejects.toThrow(/"Broken" is damaged/);
  });

  it('keeps small settings in the kv store', async () => {
    const { repo: r } = repo();
    expect(await r.getSetting('x')).toBeUndefined();
    await r.putSetting('x', { templateId: 'alpaca' });
    expect(await r.getSetting('x')).toEqual({ templateId: 'alpaca' });
  });
});

describe('DatasetRepository across tabs', () => {
  /** Two tabs on one database, each with its own repository and channel end. */
  function twoTabs() {
    const name = `datasets-tabs-${++dbCount}`;
    const channel = `changes-${name}`;
    const a = new DatasetRepository({ open: () => openStudioDb(name), changes: otherTabFeed(channel) });
    const b = new DatasetRepository({ open: () => openStudioDb(name), changes: otherTabFeed(channel) });
    return { a, b };
  }
  const edit = (r: DatasetRecord, k: number, response: string): DatasetInput => {
    const examples = r.examples.map((e, i) => (i === k ? { ...e, response } : e));
    const { count: _c, updatedAt: _u, ...rest } = r;
    return { ...rest, examples };
  };

  it('raises the version on every write, from 1', async () => {
    const { a } = twoTabs();
    const first = await a.put(input('d', 3));
    expect(first.version).toBe(1);
    const second = await a.put(edit(first, 0, 'x'));
    expect(second.version).toBe(2);
    expect((await a.rename('d', 'Renamed')).version).toBe(3);
    expect((await a.get('d'))?.version).toBe(3);
  });

  it("refuses tab B's write based on a stale version, keeping tab A's edit (edit/edit)", async () => {
    const { a, b } = twoTabs();
    await a.put(input('d', 3, 'Facts'));
    const inA = (await a.get('d'))!;
    const inB = (await b.get('d'))!;
    await a.put(edit(inA, 1, 'edited in A'));
    const err = await b.put(edit(inB, 2, 'edited in B')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetStorageError);
    expect(err).toMatchObject({ kind: 'conflict' });
    expect((err as Error).message).toBe(
      '"Facts" was changed in another tab or window after this tab read it (saved version 2, this tab had version 1), ' +
        "so this tab's change was not saved and the other tab's edit was kept.",
    );
    const stored = (await a.get('d'))!;
    expect(stored.examples.map((e) => (e as { response: string }).response)).toEqual(['Answer 0.', 'edited in A', 'Answer 2.']);
    expect(stored.version).toBe(2);
  });

  it('refuses a stale edit of a row the other tab deleted, so the row does not come back (delete/edit)', async () => {
    const { a, b } = twoTabs();
    await a.put(input('d', 3, 'Facts'));
    const inA = (await a.get('d'))!;
    const inB = (await b.get('d'))!;
    const { count: _c, updatedAt: _u, ...rest } = inA;
    await a.put({ ...rest, examples: inA.examples.filter((e) => e.id !== 'e2') });
    await expect(b.put(edit(inB, 2, 'edited in B'))).rejects.toMatchObject({ kind: 'conflict' });
    expect((await a.get('d'))!.examples.map((e) => e.id)).toEqual(['e0', 'e1']);
  });

  it('refuses a write to a dataset another tab deleted, and a new dataset over an existing id', async () => {
    const { a, b } = twoTabs();
    await a.put(input('d', 2, 'Facts'));
    const inB = (await b.get('d'))!;
    await a.delete('d');
    await expect(b.put(edit(inB, 0, 'x'))).rejects.toThrow('"Facts" was deleted in another tab or window, so this change to it was not saved.');
    expect(await a.get('d')).toBeUndefined();
    await a.put(input('e', 1));
    await expect(b.put(input('e', 4))).rejects.toMatchObject({ kind: 'conflict' });
    expect((await a.get('e'))!.count).toBe(1);
  });

  it('keeps starters another tab stored first when asked to, in the same transaction as the settings', async () => {
    const { a, b } = twoTabs();
    await a.put(input('s1', 2, 'From A'));
    const saved = await b.putAll([input('s1', 5, 'From B'), input('s2', 1)], { key: 'flag', value: true }, true);
    expect(saved.map((r) => [r.id, r.count])).toEqual([
      ['s1', 2],
      ['s2', 1],
    ]);
    expect((await a.get('s1'))!.name).toBe('From A');
    expect(await a.getSetting('flag')).toBe(true);
  });

  it('reads a record stored before versions as version 0, and a write based on 0 replaces it', async () => {
    const { repo: r, name } = repo();
    const db = await openStudioDb(name);
    await db.put(STORES.datasets, { ...input('old', 1), count: 1, createdAt: 1, updatedAt: 1 });
    db.close();
    const old = (await r.get('old'))!;
    expect(old.version).toBe(0);
    expect((await r.put(edit(old, 0, 'new'))).version).toBe(1);
  });

  it("tells the other tab of each write, rename and delete, and never the writing tab", async () => {
    const { a, b } = twoTabs();
    const heardByB: StorageChange[] = [];
    const heardByA: StorageChange[] = [];
    b.changes.subscribe((c) => heardByB.push(c));
    a.changes.subscribe((c) => heardByA.push(c));
    await a.put(input('d', 1));
    await a.rename('d', 'New name');
    await a.delete('d');
    await vi.waitFor(() => expect(heardByB).toHaveLength(3));
    expect(heardByB).toEqual([
      { kind: 'dataset', id: 'd', version: 1 },
      { kind: 'dataset', id: 'd', version: 2 },
      { kind: 'dataset', id: 'd', version: null },
    ]);
    expect(heardByA).toEqual([]);
  });
});
