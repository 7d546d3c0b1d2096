// The shared connection and write transaction every repository uses.

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DbConnection, openStudioDb, STORES, updateRecord, writeTransaction } from './db';

let dbCount = 0;
const freshName = () => `db-test-${++dbCount}`;

describe('DbConnection', () => {
  it('opens the database once, and again after a failed open', async () => {
    const name = freshName();
    let opens = 0;
    const conn = new DbConnection(async () => {
      if (++opens === 1) throw new Error('blocked by another tab');
      return openStudioDb(name);
    });
    await expect(conn.get()).rejects.toThrow('blocked by another tab');
    const a = await conn.get();
    expect(await conn.get()).toBe(a);
    expect(opens).toBe(2);
    conn.reset();
    await conn.get();
    expect(opens).toBe(3);
  });
});

describe('writeTransaction', () => {
  it('keeps every write when fn returns, and none when fn throws after writing', async () => {
    const db = await openStudioDb(freshName());
    await writeTransaction(db, [STORES.kv], async (tx) => {
      await tx.objectStore(STORES.kv).put('a', 'k1');
    });
    const failed = writeTransaction(db, [STORES.kv, STORES.runs], async (tx) => {
      await tx.objectStore(STORES.kv).put('b', 'k2');
      await tx.objectStore(STORES.runs).put({ id: 'r1' });
      throw new Error('half way');
    });
    await expect(failed).rejects.toThrow('half way');
    expect(await db.getAllKeys(STORES.kv)).toEqual(['k1']);
    expect(await db.count(STORES.runs)).toBe(0);
    db.close();
  });

  it('asks for strict durability, so a reported save is on disk', async () => {
    const db = await openStudioDb(freshName());
    const seen: unknown[] = [];
    const open = db.transaction.bind(db);
    (db as unknown as { transaction: (...a: unknown[]) => unknown }).transaction = (...args: unknown[]) => {
      seen.push(args[2]);
      return (open as (...a: unknown[]) => unknown)(...args);
    };
    await writeTransaction(db, STORES.kv, async (tx) => {
      await tx.objectStore(STORES.kv).put('a', 'k');
    });
    expect(seen).toEqual([{ durability: 'strict' }]);
    db.close();
  });

  it('updateRecord rewrites an existing record and writes nothing for a missing one', async () => {
    const db = await openStudioDb(freshName());
    await db.put(STORES.runs, { id: 'r1', n: 1 });
    expect(await updateRecord(db, STORES.runs, 'r1', (r) => ({ ...(r as { n: number }), n: 2 }))).toEqual({ id: 'r1', n: 2 });
    expect(await db.get(STORES.runs, 'r1')).toEqual({ id: 'r1', n: 2 });
    expect(await updateRecord(db, STORES.runs, 'nope', () => ({ id: 'nope' }))).toBeUndefined();
    expect(await db.count(STORES.runs)).toBe(1);
    db.close();
  });
});
