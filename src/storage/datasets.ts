// The datasets repository: instruction datasets kept in IndexedDB so they
// survive a reload. One record per dataset holds its metadata and all its
// examples; every write is one transaction, so a dataset is either saved whole
// or not at all. Failures become sentences a user can act on: a full disk says
// which datasets are largest (the ones worth deleting), a blocked database says
// that saving is off in this window.
//
// Every record carries a version, raised by each write. A write names the
// version it was based on and is refused when the stored one differs (another
// tab saved in between), so no tab silently overwrites another's edit; each
// write is announced to the other tabs (changes.ts) so they reload the record.

import type { IDBPDatabase } from 'idb';
import type { Example } from '../data/schema';
import { plural } from '../util/text';
import { changeFeed, type ChangeFeed } from './changes';
import { DbConnection, isQuotaError, STORES, StorageUnavailableError, updateRecord, writeTransaction } from './db';

/** What the dataset list shows: everything but the examples. */
export interface DatasetMeta {
  id: string;
  name: string;
  /** Where the examples came from: a file name, "starter: everyday-facts.json", "created in the studio". */
  source: string;
  /** Licence note, e.g. "CC0-1.0"; '' when unknown. */
  licence: string;
  /** One line about the contents, where there is one. */
  description: string;
  /** The prompt template chosen for this dataset. */
  templateId: string;
  /** Number of examples (kept beside them so listing needs no count). */
  count: number;
  createdAt: number;
  updatedAt: number;
  /** Raised by every write; a write based on an older version is refused. 0 for records stored before versions. */
  version: number;
}

export interface DatasetRecord extends DatasetMeta {
  examples: Example[];
}

/**
 * What a caller writes: timestamps, the count and the new version are filled in
 * by `put`. `version` is the stored version the write is based on, absent for a
 * new dataset; a write whose base is not the stored version is refused.
 */
export type DatasetInput = Omit<DatasetRecord, 'count' | 'createdAt' | 'updatedAt' | 'version'> & { createdAt?: number; version?: number };

/** A storage failure, worded for the user. */
export class DatasetStorageError extends Error {
  constructor(
    message: string,
    readonly kind: 'quota' | 'unavailable' | 'not-found' | 'damaged' | 'failed' | 'conflict',
  ) {
    super(message);
    this.name = 'DatasetStorageError';
  }
}

/** Key in the `kv` store under which the dataset editor keeps its small settings. */
export const DATASET_SETTINGS_KEY = 'datasets.settings';

export interface DatasetRepositoryOptions {
  /** Opens the database; by default the studio's one (tests pass a fresh name). */
  open?: () => Promise<IDBPDatabase>;
  now?: () => number;
  /** Where writes are announced to other tabs; by default this tab's BroadcastChannel feed. */
  changes?: ChangeFeed;
}

/** A version as stored: records saved before versions existed count as 0. */
function versionOf(r: { version?: unknown } | null | undefined): number {
  return typeof r?.version === 'number' && Number.isInteger(r.version) && r.version >= 0 ? r.version : 0;
}

/** Why a write must not replace `previous` (undefined: it may). */
function staleWrite(input: DatasetInput, previous: Partial<DatasetRecord> | undefined): DatasetStorageError | undefined {
  if (previous === undefined) {
    if (input.version === undefined) return undefined;
    return new DatasetStorageError(`"${input.name}" was deleted in another tab or window, so this change to it was not saved.`, 'conflict');
  }
  if (input.version === undefined) {
    return new DatasetStorageError(`A dataset with the id "${input.id}" already exists (saved in another tab or window); nothing was overwritten.`, 'conflict');
  }
  const stored = versionOf(previous);
  if (stored === input.version) return undefined;
  const name = typeof previous.name === 'string' ? previous.name : input.name;
  return new DatasetStorageError(
    `"${name}" was changed in another tab or window after this tab read it (saved version ${stored}, this tab had version ${input.version}), ` +
      `so this tab's change was not saved and the other tab's edit was kept.`,
    'conflict',
  );
}

function metaOf(r: DatasetRecord): DatasetMeta {
  const { examples: _examples, ...meta } = r;
  return meta;
}

/** Checks a record read back from storage, so a damaged one is named instead of breaking the page. */
function readRecord(value: unknown): DatasetRecord {
  const r = value as Partial<DatasetRecord> | null;
  if (!r || typeof r !== 'object' || typeof r.id !== 'string') {
    throw new DatasetStorageError('A stored dataset has no id; it is damaged and cannot be opened.', 'damaged');
  }
  if (!Array.isArray(r.examples) || typeof r.name !== 'string') {
    throw new DatasetStorageError(`The stored dataset "${String(r.name ?? r.id)}" is damaged (its examples are missing); delete it and import it again.`, 'damaged');
  }
  return {
    id: r.id,
    name: r.name,
    source: typeof r.source === 'string' ? r.source : '',
    licence: typeof r.licence === 'string' ? r.licence : '',
    description: typeof r.description === 'string' ? r.description : '',
    templateId: typeof r.templateId === 'string' ? r.templateId : 'plain',
    count: r.examples.length,
    createdAt: typeof r.createdAt === 'number' ? r.createdAt : 0,
    updatedAt: typeof r.updatedAt === 'number' ? r.updatedAt : 0,
    version: versionOf(r),
    examples: r.examples,
  };
}

export class DatasetRepository {
  private readonly db: DbConnection;
  private readonly now: () => number;
  /** Where this repository's writes are announced, and other tabs' are heard. */
  readonly changes: ChangeFeed;

  constructor(opts: DatasetRepositoryOptions = {}) {
    this.db = new DbConnection(opts.open);
    this.now = opts.now ?? (() => Date.now());
    this.changes = opts.changes ?? changeFeed();
  }

  /** Every dataset's metadata, most recently changed first. */
  async list(): Promise<DatasetMeta[]> {
    return this.run('list the saved datasets', async (db) => {
      const out: DatasetMeta[] = [];
      let cursor = await db.transaction(STORES.datasets).store.index('by-updated').openCursor(null, 'prev');
      while (cursor) {
        try {
          out.push(metaOf(readRecord(cursor.value)));
        } catch {
          // A damaged record is left out of the list rather than hiding all the others.
        }
        cursor = await cursor.continue();
      }
      return out;
    });
  }

  /** One dataset with its examples, or undefined when there is none with that id. */
  async get(id: string): Promise<DatasetRecord | undefined> {
    return this.run('open the dataset', async (db) => {
      const value: unknown = await db.get(STORES.datasets, id);
      return value === undefined ? undefined : readRecord(value);
    });
  }

  /**
   * Saves a dataset whole in one transaction: a new one (no `version`), or a
   * new version of the stored one (`version`: the one it was based on). A stale
   * base is refused with a DatasetStorageError of kind 'conflict' and nothing is written.
   */
  async put(input: DatasetInput): Promise<DatasetRecord> {
    return this.putAll([input]).then((r) => r[0]!);
  }

  /**
   * Saves several datasets, and optionally a settings value, in one transaction:
   * all of them are stored or none is. `keepExisting`: a new dataset (no
   * version) whose id is already stored is left as it is and returned as
   * stored, instead of refusing the whole write (starter datasets that another
   * tab added first).
   */
  async putAll(inputs: readonly DatasetInput[], settings?: { key: string; value: unknown }, keepExisting = false): Promise<DatasetRecord[]> {
    const what = inputs.length === 1 ? `save the dataset "${inputs[0]!.name}"` : `save ${plural(inputs.length, 'dataset')}`;
    const examples = inputs.reduce((n, d) => n + d.examples.length, 0);
    return this.run(
      what,
      (db) =>
        writeTransaction(db, settings ? [STORES.datasets, STORES.kv] : [STORES.datasets], async (tx) => {
          const store = tx.objectStore(STORES.datasets);
          const now = this.now();
          const records: DatasetRecord[] = [];
          for (const input of inputs) {
            const previous = (await store.get(input.id)) as Partial<DatasetRecord> | undefined;
            if (keepExisting && input.version === undefined && previous !== undefined) {
              records.push(readRecord(previous));
              continue;
            }
            const refused = staleWrite(input, previous);
            if (refused) throw refused;
            const { version: _base, ...fields } = input;
            const record: DatasetRecord = {
              ...fields,
              count: input.examples.length,
              createdAt: input.createdAt ?? previous?.createdAt ?? now,
              updatedAt: now,
              version: versionOf(previous) + 1,
            };
            await store.put(record);
            records.push(record);
          }
          if (settings) await tx.objectStore(STORES.kv).put(settings.value, settings.key);
          return records;
        }),
      examples,
    ).then((records) => {
      for (const r of records) this.changes.announce({ kind: 'dataset', id: r.id, version: r.version });
      return records;
    });
  }

  async delete(id: string): Promise<void> {
    await this.run('delete the dataset', async (db) => {
      await db.delete(STORES.datasets, id);
    });
    this.changes.announce({ kind: 'dataset', id, version: null });
  }

  /**
   * Renames a dataset in one transaction; the examples stay as they are (the
   * stored ones, so a rename never undoes another tab's edit). A new version.
   */
  async rename(id: string, name: string): Promise<DatasetMeta> {
    const clean = name.trim();
    if (clean === '') throw new DatasetStorageError('Give the dataset a name.', 'failed');
    const renamed = await this.run(`rename the dataset to "${clean}"`, (db) =>
      updateRecord(db, STORES.datasets, id, (value) => {
        const r = readRecord(value);
        return { ...r, name: clean, updatedAt: this.now(), version: r.version + 1 };
      }),
    );
    if (!renamed) throw new DatasetStorageError('That dataset no longer exists; it may have been deleted in another tab.', 'not-found');
    this.changes.announce({ kind: 'dataset', id, version: renamed.version });
    return metaOf(renamed);
  }

  /** A small settings value from the `kv` store. */
  async getSetting<T>(key: string): Promise<T | undefined> {
    return this.run('read the saved settings', async (db) => (await db.get(STORES.kv, key)) as T | undefined);
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    return this.run('save the settings', async (db) => {
      await db.put(STORES.kv, value, key);
    });
  }

  /** Runs one storage action and turns its failure into a DatasetStorageError. */
  private async run<T>(what: string, fn: (db: IDBPDatabase) => Promise<T>, examples = 0): Promise<T> {
    let db: IDBPDatabase;
    try {
      db = await this.db.get();
    } catch (e) {
      throw new DatasetStorageError(e instanceof StorageUnavailableError ? e.message : describeUnavailable(e), 'unavailable');
    }
    try {
      return await fn(db);
    } catch (e) {
      if (e instanceof DatasetStorageError) throw e;
      if (isQuotaError(e)) throw new DatasetStorageError(await this.quotaMessage(what, examples), 'quota');
      if (isClosedError(e)) {
        this.db.reset();
        throw new DatasetStorageError(`Could not ${what}: the browser closed its storage (another tab may be upgrading it). Reload the page and try again.`, 'unavailable');
      }
      throw new DatasetStorageError(`Could not ${what}: ${(e as Error)?.message ?? String(e)}`, 'failed');
    }
  }

  /** Says the disk is full and names the largest datasets, which free the most space. */
  private async quotaMessage(what: string, examples: number): Promise<string> {
    let largest = '';
    try {
      const all = await this.list();
      const top = all
        .slice()
        .sort((a, b) => b.count - a.count)
        .slice(0, 3)
        .map((d) => `"${d.name}" (${plural(d.count, 'example')})`);
      if (top.length > 0) largest = ` The largest saved datasets are ${top.join(', ')}.`;
    } catch {
      // The list is a courtesy; the message stands without it.
    }
    const size = examples > 0 ? ` (${plural(examples, 'example')})` : '';
    return (
      `Could not ${what}${size}: the browser's storage for this page is full. ` +
      `Nothing was changed. Delete datasets or checkpoints you no longer need, then try again.${largest}`
    );
  }
}

function describeUnavailable(e: unknown): string {
  return new StorageUnavailableError((e as Error)?.message ?? String(e)).message;
}

function isClosedError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'InvalidStateError' && /clos/i.test((e as Error).message ?? '');
}
