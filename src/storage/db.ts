// The studio's IndexedDB database: one database, versioned, with named upgrade
// steps (as idb's upgrade(db, oldVersion) recommends) so an older database is
// migrated in place and never wiped. Repositories (datasets.ts, checkpoints.ts, ...)
// own the shape of their records; this file owns the stores and their keys, the
// one lazy connection and the one all-or-nothing write transaction they share.

import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';

export const DB_NAME = 'instruct-studio';
export const DB_VERSION = 1;

/** Store names, shared by the repositories. */
export const STORES = {
  /** Instruction datasets: one record per dataset (metadata + examples). */
  datasets: 'datasets',
  /** Checkpoint metadata (small: listed often). */
  checkpoints: 'checkpoints',
  /** Checkpoint bytes (large: read only to load), keyed like their metadata. */
  checkpointData: 'checkpointData',
  /** Training runs: settings and loss history, for resuming after a reload. */
  runs: 'runs',
  /** Small key-value settings (e.g. the interrupted run to offer resuming). */
  kv: 'kv',
} as const;

type Upgrade = (db: IDBPDatabase) => void;

/** Step n creates what version n needs. Never edit a released step: add a new one. */
const UPGRADES: Record<number, Upgrade> = {
  1: (db) => {
    const datasets = db.createObjectStore(STORES.datasets, { keyPath: 'id' });
    datasets.createIndex('by-updated', 'updatedAt');
    const checkpoints = db.createObjectStore(STORES.checkpoints, { keyPath: 'id' });
    checkpoints.createIndex('by-run', 'runId');
    checkpoints.createIndex('by-created', 'createdAt');
    db.createObjectStore(STORES.checkpointData, { keyPath: 'id' });
    db.createObjectStore(STORES.runs, { keyPath: 'id' });
    db.createObjectStore(STORES.kv);
  },
};

export class StorageUnavailableError extends Error {
  constructor(reason: string) {
    super(`Browser storage is unavailable (${reason}). Datasets and checkpoints cannot be saved in this window; private browsing modes often block it.`);
    this.name = 'StorageUnavailableError';
  }
}

/**
 * Opens (and if needed upgrades) the database from the global indexedDB; tests in
 * Node install fake-indexeddb as that global (import 'fake-indexeddb/auto').
 */
export async function openStudioDb(name = DB_NAME): Promise<IDBPDatabase> {
  if (typeof indexedDB === 'undefined') throw new StorageUnavailableError('no indexedDB in this environment');
  try {
    return await openDB(name, DB_VERSION, {
      upgrade(db, oldVersion) {
        for (let v = oldVersion + 1; v <= DB_VERSION; v++) UPGRADES[v]!(db as unknown as IDBPDatabase);
      },
      blocked() {
        // Another tab holds an older version open; it is asked to close below.
      },
      blocking() {
        // A newer tab wants to upgrade: nothing to do here, the connection closes on reload.
      },
    });
  } catch (e) {
    throw new StorageUnavailableError((e as Error).message);
  }
}

/** True when an error is the browser refusing a write for lack of space. */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || /quota/i.test((e as Error | null)?.message ?? '');
}

/** The database connection a repository uses: opened on first use, and opened again after a failed open or a close. */
export class DbConnection {
  private promise: Promise<IDBPDatabase> | null = null;

  /** `open` opens the database; by default the studio's one (tests pass a fresh name). */
  constructor(private readonly open: () => Promise<IDBPDatabase> = () => openStudioDb()) {}

  get(): Promise<IDBPDatabase> {
    if (!this.promise) {
      this.promise = this.open().catch((e: unknown) => {
        this.promise = null;
        throw e;
      });
    }
    return this.promise;
  }

  /** Forgets the connection (the browser closed it), so the next `get` opens a new one. */
  reset(): void {
    this.promise = null;
  }
}

type StoreName = (typeof STORES)[keyof typeof STORES];
type WriteTx = IDBPTransaction<unknown, StoreName[], 'readwrite'>;

/**
 * Runs `fn` in one readwrite transaction over `stores` and waits for it to
 * commit: everything `fn` writes is kept, or nothing. When `fn` throws, the
 * transaction is aborted so that its earlier writes are rolled back, and the
 * error is rethrown (the browser's own quota error where there is one, so a full
 * disk is reported as such). Every write asks for durability 'strict'.
 */
export async function writeTransaction<T>(db: IDBPDatabase, stores: StoreName | StoreName[], fn: (tx: WriteTx) => Promise<T>): Promise<T> {
  // 'strict': the commit resolves only once the data is flushed to disk, so a
  // checkpoint or dataset reported saved survives a crash or power loss
  // (browsers default to 'relaxed' or their own choice).
  const tx = db.transaction(Array.isArray(stores) ? stores : [stores], 'readwrite', { durability: 'strict' }) as unknown as WriteTx;
  try {
    const result = await fn(tx);
    await tx.done;
    return result;
  } catch (e) {
    try {
      tx.abort();
    } catch {
      // the transaction already finished or aborted
    }
    await tx.done.catch(() => undefined);
    throw (tx.error && isQuotaError(tx.error) ? tx.error : e) as Error;
  }
}

/**
 * Reads the record `key` of `store`, and writes `change(record)` in its place in
 * the same transaction. Returns the new record, or undefined (writing nothing)
 * when there is none with that key.
 */
export async function updateRecord<T>(db: IDBPDatabase, store: StoreName, key: string, change: (record: unknown) => T): Promise<T | undefined> {
  return writeTransaction(db, store, async (tx) => {
    const records = tx.objectStore(store);
    const record: unknown = await records.get(key);
    if (record === undefined) return undefined;
    const next = change(record);
    await records.put(next);
    return next;
  });
}
