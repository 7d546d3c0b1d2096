// Storing a workshop pack's contents: its datasets and checkpoints written in
// ONE transaction over the datasets, checkpoints and checkpointData stores, so
// an import either adds everything the pack holds or nothing (a full disk or a
// closed tab part-way leaves the studio as it was). Reading and checking the
// pack file is the store's (src/store/workshop); this only writes records.

import type { IDBPDatabase } from 'idb';
import { changeFeed, type ChangeFeed } from './changes';
import type { CheckpointMeta } from './checkpoints';
import type { DatasetRecord } from './datasets';
import { DbConnection, isQuotaError, STORES, StorageUnavailableError, writeTransaction } from './db';

export class PackStorageError extends Error {
  constructor(
    message: string,
    readonly kind: 'quota' | 'unavailable' | 'failed',
  ) {
    super(message);
    this.name = 'PackStorageError';
  }
}

export class PackRepository {
  private readonly db: DbConnection;
  private readonly changes: ChangeFeed;

  /** `open`: the database, by default the studio's one (tests pass a fresh name); `changes`: where other tabs hear of the new records. */
  constructor(open?: () => Promise<IDBPDatabase>, changes?: ChangeFeed) {
    this.db = new DbConnection(open);
    this.changes = changes ?? changeFeed();
  }

  /** Adds the datasets and checkpoints together; their ids must be new. Nothing is stored when any write fails. */
  async storeAll(datasets: readonly DatasetRecord[], checkpoints: ReadonlyArray<{ meta: CheckpointMeta; bytes: ArrayBuffer }>): Promise<void> {
    let db: IDBPDatabase;
    try {
      db = await this.db.get();
    } catch (e) {
      const reason = e instanceof StorageUnavailableError ? e.message : `Browser storage is unavailable (${(e as Error).message}).`;
      throw new PackStorageError(`Could not import the pack: ${reason}`, 'unavailable');
    }
    try {
      await writeTransaction(db, [STORES.datasets, STORES.checkpoints, STORES.checkpointData], async (tx) => {
        // add(), not put(): an id already taken fails the whole import instead of replacing someone's work.
        for (const d of datasets) await tx.objectStore(STORES.datasets).add(d);
        for (const c of checkpoints) {
          await tx.objectStore(STORES.checkpoints).add(c.meta);
          await tx.objectStore(STORES.checkpointData).add({ id: c.meta.id, bytes: c.bytes });
        }
      });
    } catch (e) {
      if (isQuotaError(e)) throw new PackStorageError("Could not import the pack: the browser's storage for this site is full. Nothing was imported; delete checkpoints you no longer need, then import again.", 'quota');
      throw new PackStorageError(`Could not import the pack: ${(e as Error)?.message ?? String(e)} Nothing was imported.`, 'failed');
    }
    // Other tabs of the studio list the new datasets and checkpoints too.
    for (const d of datasets) this.changes.announce({ kind: 'dataset', id: d.id, version: d.version });
    for (const c of checkpoints) this.changes.announce({ kind: 'checkpoint', id: c.meta.id, version: c.meta.version ?? 0 });
  }
}
