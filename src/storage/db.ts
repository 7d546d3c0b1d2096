// The studio's IndexedDB database: one database, versioned, with named upgrade
// steps (as idb's upgrade(db, oldVersion) recommends) so an older database is
// migrated in place and never wiped. Repositories (datasets.ts, checkpoints.ts, ...)
// own the shape of their records; this file owns only the stores and their keys.

import { openDB, type IDBPDatabase } from 'idb';

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
