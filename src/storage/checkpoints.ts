// The checkpoints repository: checkpoint files kept in IndexedDB so a model and
// its run survive a reload, a crash or a closed tab.
//
// A checkpoint is one safetensors file (weights, AdamW moments, tokenizer, run
// settings, data fingerprint, sampler state, loss history: see src/checkpoint,
// which owns the format; this file only stores it). Its bytes go in
// `checkpointData`, a small description for the list in `checkpoints`; both are
// written in ONE
// transaction, so a checkpoint is either fully there or absent. A failed or
// interrupted write (a full disk, a reload mid-save) rolls back and leaves the
// checkpoints that were already there untouched.
//
// Each description carries a version, raised by every write; a rename based on
// an older version is refused, and every write is announced to the other tabs
// (changes.ts) so their lists follow. One run's autosave has one writer: the
// tab that holds the run's Web Lock (locks.ts).

import type { IDBPDatabase } from 'idb';
import type { ModelConfig } from '../model/config';
import { CheckpointFileError, fileStem } from '../checkpoint/format';
import { readImportable } from '../checkpoint/validate';
import { readInfo, type CheckpointFile, type CheckpointInfo, type CheckpointReason } from '../checkpoint/info';
import { formatBytes } from '../util/text';
import { changeFeed, type ChangeFeed } from './changes';
import { DbConnection, isQuotaError, STORES, StorageUnavailableError, updateRecord, writeTransaction } from './db';

/**
 * 'auto': a run's autosave (one per run, replaced as the run goes on);
 * 'manual': saved on request; 'import': read from a file.
 */
export type CheckpointKind = 'auto' | 'manual' | 'import';

/** What the checkpoint list shows; the full state is in the file's own metadata. */
export interface CheckpointMeta {
  id: string;
  name: string;
  /** True once the user named it: a later autosave of the same run keeps the name. */
  named: boolean;
  kind: CheckpointKind;
  reason: CheckpointReason | 'import';
  /** The studio run that wrote it; absent for imports and models never trained here. */
  runId?: string;
  /** When the model state was captured, and when it was stored (ms since the epoch). */
  createdAt: number;
  savedAt: number;
  sizeBytes: number;
  /** Optimizer steps the model has had. */
  step: number;
  config: ModelConfig;
  hasOptimizer: boolean;
  /** Where its run stood: step of total, or null when no run has trained it. */
  runStep: number | null;
  totalSteps: number | null;
  lastLoss: number | null;
  dataHash: string | null;
  datasetId: string | null;
  templateId: string | null;
  /** The imported file's name. */
  fileName?: string;
  /** Raised by every write (each autosave, a rename); absent in descriptions stored before versions (0). */
  version?: number;
}

/** A description's version: 0 for one stored before versions. */
export function checkpointVersion(meta: Pick<CheckpointMeta, 'version'> | undefined): number {
  return typeof meta?.version === 'number' ? meta.version : 0;
}

interface DataRecord {
  id: string;
  bytes: ArrayBuffer;
}

export class CheckpointStorageError extends Error {
  constructor(
    message: string,
    readonly kind: 'quota' | 'unavailable' | 'not-found' | 'invalid' | 'damaged' | 'failed' | 'conflict',
    /** For 'quota': the largest stored checkpoints, the ones worth deleting. */
    readonly largest: CheckpointMeta[] = [],
  ) {
    super(message);
    this.name = 'CheckpointStorageError';
  }
}

export interface CheckpointRepositoryOptions {
  /** Opens the database; by default the studio's one (tests pass a fresh name). */
  open?: () => Promise<IDBPDatabase>;
  now?: () => number;
  newId?: () => string;
  /** Where writes are announced to other tabs; by default this tab's BroadcastChannel feed. */
  changes?: ChangeFeed;
}

export interface SaveOptions {
  kind: CheckpointKind;
  /** Replaces the checkpoint with this id, atomically; by default a new id. */
  id?: string;
  runId?: string;
  name?: string;
  reason?: CheckpointReason | 'import';
  fileName?: string;
  /** The worker's description of the bytes; read from the file when absent. */
  info?: CheckpointInfo;
}

function defaultId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `ck-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Copies the bytes into their own ArrayBuffer (a view's buffer may hold more). */
function ownBuffer(bytes: ArrayBuffer | Uint8Array): ArrayBuffer {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return view.slice().buffer as ArrayBuffer;
}

/** The list entry for a checkpoint file: what `save` stores beside its bytes. */
export function describeMeta(info: CheckpointInfo, bytes: ArrayBuffer, o: SaveOptions, id: string, savedAt: number): CheckpointMeta {
  const run = info.run;
  return {
    id,
    // A name the user gave the model is the checkpoint's name too, as it was given.
    name: o.name ?? (info.named ? info.name : defaultName(info, o)),
    named: info.named === true,
    kind: o.kind,
    reason: o.reason ?? (o.kind === 'import' ? 'import' : 'request'),
    ...(o.runId ? { runId: o.runId } : {}),
    createdAt: info.createdAt || savedAt,
    savedAt,
    sizeBytes: bytes.byteLength,
    step: info.step,
    config: info.config,
    hasOptimizer: info.hasOptimizer,
    runStep: run ? run.runStep : null,
    totalSteps: run ? run.totalSteps : null,
    lastLoss: run?.lossHistory.at(-1)?.loss ?? null,
    dataHash: run?.dataHash ?? null,
    datasetId: run?.datasetId ?? null,
    templateId: run?.template?.id ?? null,
    ...(o.fileName ? { fileName: o.fileName } : {}),
  };
}

/** A name that already says how long the model trained ("Your model: tuned from Base model, 80 steps"). */
const SAYS_STEPS = /, [\d,]+ steps?$/;

function defaultName(info: CheckpointInfo, o: SaveOptions): string {
  const base = info.name || 'Model';
  if (o.kind === 'auto') return `${base} (autosave)`;
  return SAYS_STEPS.test(base) ? base : `${base} at step ${info.step}`;
}

/** The model's own name in a checkpoint's default name (what the user renamed it to, once renamed). */
export function modelNameOf(meta: Pick<CheckpointMeta, 'name' | 'named'>): string {
  return meta.named ? meta.name : meta.name.replace(/ \(autosave\)$/, '').replace(/ at step \d+$/, '');
}

export class CheckpointRepository {
  private readonly db: DbConnection;
  private readonly now: () => number;
  private readonly newId: () => string;
  /** Where this repository's writes are announced, and other tabs' are heard. */
  readonly changes: ChangeFeed;

  constructor(opts: CheckpointRepositoryOptions = {}) {
    this.db = new DbConnection(opts.open);
    this.now = opts.now ?? (() => Date.now());
    this.newId = opts.newId ?? defaultId;
    this.changes = opts.changes ?? changeFeed();
  }

  /** Runs `fn` on the database, turning failures into CheckpointStorageErrors that say what to do. */
  private async run<T>(what: string, fn: (db: IDBPDatabase) => Promise<T>): Promise<T> {
    let db: IDBPDatabase;
    try {
      db = await this.db.get();
    } catch (e) {
      const reason = e instanceof StorageUnavailableError ? e.message : `Browser storage is unavailable (${(e as Error).message}).`;
      throw new CheckpointStorageError(`Could not ${what}: ${reason}`, 'unavailable');
    }
    try {
      return await fn(db);
    } catch (e) {
      if (e instanceof CheckpointStorageError) throw e;
      if (isQuotaError(e)) throw new CheckpointStorageError(`Could not ${what}: the browser's storage for this site is full.`, 'quota');
      throw new CheckpointStorageError(`Could not ${what}: ${(e as Error)?.message ?? String(e)}`, 'failed');
    }
  }

  /**
   * Stores a checkpoint file: metadata and bytes in one transaction. With an id
   * that exists (a run's autosave), the old one is replaced in the same
   * transaction, so there is always exactly one whole version. On a full disk
   * the error names the largest checkpoints; nothing stored before is touched.
   */
  async save(input: ArrayBuffer | Uint8Array, o: SaveOptions): Promise<CheckpointMeta> {
    const bytes = ownBuffer(input);
    let info = o.info;
    if (!info) {
      try {
        info = readInfo(bytes, o.fileName ? `"${o.fileName}"` : 'The checkpoint').info;
      } catch (e) {
        throw new CheckpointStorageError((e as Error).message, 'invalid');
      }
    }
    const id = o.id ?? this.newId();
    const savedAt = this.now();
    let meta = describeMeta(info, bytes, o, id, savedAt);
    try {
      const saved = await this.run(`save the checkpoint "${meta.name}"`, (db) =>
        writeTransaction(db, [STORES.checkpoints, STORES.checkpointData], async (tx) => {
          const metaStore = tx.objectStore(STORES.checkpoints);
          const previous = (await metaStore.get(id)) as CheckpointMeta | undefined;
          // A name the user gave survives the autosaves that replace the file.
          if (previous?.named) meta = { ...meta, name: previous.name, named: true };
          meta = { ...meta, version: checkpointVersion(previous) + 1 };
          await metaStore.put(meta);
          await tx.objectStore(STORES.checkpointData).put({ id, bytes } satisfies DataRecord);
          return meta;
        }),
      );
      this.changes.announce({ kind: 'checkpoint', id, version: checkpointVersion(saved) });
      return saved;
    } catch (e) {
      if (e instanceof CheckpointStorageError && e.kind === 'quota') {
        const largest = (await this.list().catch(() => [] as CheckpointMeta[])).sort((a, b) => b.sizeBytes - a.sizeBytes).slice(0, 3);
        const names = largest.map((c) => `"${c.name}" (${formatBytes(c.sizeBytes)})`).join(', ');
        throw new CheckpointStorageError(
          `Storage is full: the checkpoint "${meta.name}" (${formatBytes(bytes.byteLength)}) was not saved. Your saved checkpoints are unchanged. ` +
            (largest.length > 0
              ? `Free space by deleting checkpoints you no longer need (the largest: ${names}), exporting them to files first if you want to keep them.`
              : 'Free space for this site in the browser settings.'),
          'quota',
          largest,
        );
      }
      throw e;
    }
  }

  /** Every whole checkpoint, newest first. An entry whose bytes are missing is left out. */
  async list(): Promise<CheckpointMeta[]> {
    return this.run('list the saved checkpoints', async (db) => {
      const tx = db.transaction([STORES.checkpoints, STORES.checkpointData]);
      const metas = (await tx.objectStore(STORES.checkpoints).getAll()) as CheckpointMeta[];
      const withData = new Set((await tx.objectStore(STORES.checkpointData).getAllKeys()) as string[]);
      await tx.done;
      return metas.filter((m) => m && typeof m.id === 'string' && withData.has(m.id)).sort((a, b) => b.savedAt - a.savedAt);
    });
  }

  async get(id: string): Promise<CheckpointMeta | undefined> {
    return this.run('read the checkpoint', async (db) => (await db.get(STORES.checkpoints, id)) as CheckpointMeta | undefined);
  }

  /** The checkpoint's description and its bytes, exactly as saved, read in one transaction. */
  async load(id: string): Promise<{ meta: CheckpointMeta; bytes: ArrayBuffer }> {
    return this.run('open the checkpoint', async (db) => {
      const tx = db.transaction([STORES.checkpoints, STORES.checkpointData]);
      const meta = (await tx.objectStore(STORES.checkpoints).get(id)) as CheckpointMeta | undefined;
      const data = (await tx.objectStore(STORES.checkpointData).get(id)) as DataRecord | undefined;
      await tx.done;
      if (!meta || !data) throw new CheckpointStorageError('That checkpoint is no longer stored; it may have been deleted in another tab.', 'not-found');
      return { meta, bytes: data.bytes };
    });
  }

  /** The checkpoint's bytes read and checked as a checkpoint file, with its run state. */
  async open(id: string): Promise<{ meta: CheckpointMeta; bytes: ArrayBuffer; file: CheckpointFile }> {
    const { meta, bytes } = await this.load(id);
    try {
      return { meta, bytes, file: readInfo(bytes, `The stored checkpoint "${meta.name}"`) };
    } catch (e) {
      throw new CheckpointStorageError(`${(e as Error).message} Delete it; it cannot be loaded.`, 'damaged');
    }
  }

  /**
   * Names a checkpoint. `basedOn`: the version the caller showed; when the
   * stored one is newer (another tab renamed it, or its run autosaved again) the
   * rename is refused as a 'conflict' and nothing is written.
   */
  async rename(id: string, name: string, basedOn?: number): Promise<CheckpointMeta> {
    const clean = name.trim();
    if (clean === '') throw new CheckpointStorageError('Give the checkpoint a name.', 'invalid');
    const renamed = await this.run(`rename the checkpoint to "${clean}"`, (db) =>
      updateRecord(db, STORES.checkpoints, id, (value): CheckpointMeta => {
        const meta = value as CheckpointMeta;
        const stored = checkpointVersion(meta);
        if (basedOn !== undefined && stored !== basedOn) {
          throw new CheckpointStorageError(
            `The checkpoint now named "${meta.name}" was changed in another tab or window after this tab listed it (saved version ${stored}, this tab had version ${basedOn}), ` +
              `so it was not renamed. The list now shows the saved version; rename it again if you still want to.`,
            'conflict',
          );
        }
        return { ...meta, name: clean, named: true, version: stored + 1 };
      }),
    );
    if (!renamed) throw new CheckpointStorageError('That checkpoint is no longer stored; it may have been deleted in another tab.', 'not-found');
    this.changes.announce({ kind: 'checkpoint', id, version: checkpointVersion(renamed) });
    return renamed;
  }

  /** Deletes the description and the bytes together. */
  async delete(id: string): Promise<void> {
    await this.run('delete the checkpoint', (db) =>
      writeTransaction(db, [STORES.checkpoints, STORES.checkpointData], async (tx) => {
        await tx.objectStore(STORES.checkpoints).delete(id);
        await tx.objectStore(STORES.checkpointData).delete(id);
      }),
    );
    this.changes.announce({ kind: 'checkpoint', id, version: null });
  }

  /** The checkpoint as one file: the stored bytes, unchanged, so importing it gives the same bytes back. */
  async exportFile(id: string): Promise<{ fileName: string; bytes: ArrayBuffer }> {
    const { meta, bytes } = await this.load(id);
    return { fileName: `${fileStem(meta.name)}.safetensors`, bytes };
  }

  /**
   * Imports a checkpoint file as a new checkpoint, bit for bit. A file that
   * would not load (truncated, foreign, tensors that do not fit its config, no
   * usable tokenizer, NaN weights, metadata out of range: see
   * checkpoint/validate.ts) is refused with a message naming it and what is
   * wrong, and nothing is stored.
   */
  async importFile(fileName: string, bytes: ArrayBuffer | Uint8Array): Promise<CheckpointMeta> {
    let file: CheckpointFile;
    try {
      file = readImportable(bytes, `"${fileName}"`);
    } catch (e) {
      const message = e instanceof CheckpointFileError ? e.message : `"${fileName}" could not be read: ${(e as Error).message}`;
      throw new CheckpointStorageError(`${message} Nothing was imported.`, 'invalid');
    }
    return this.save(bytes, { kind: 'import', reason: 'import', info: file.info, fileName, name: file.info.name });
  }
}

/** How much this site stores and may store, where the browser says. */
export async function storageEstimate(): Promise<{ usage: number; quota: number } | null> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!storage?.estimate) return null;
  try {
    const e = await storage.estimate();
    return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
  } catch {
    return null;
  }
}

/** 'persistent': the browser will not evict this site's data on its own; 'best-effort': it may under pressure. */
export type PersistenceState = 'persistent' | 'best-effort' | 'unsupported';

export function persistenceState(): Promise<PersistenceState> {
  return askPersistence('persisted', 'unsupported');
}

/** Asks the browser to keep this site's data; it may say no (Chromium decides by engagement). */
export function requestPersistentStorage(): Promise<PersistenceState> {
  return askPersistence('persist', 'best-effort');
}

/** Calls navigator.storage.persisted or .persist; `onError` is the answer when the call throws. */
async function askPersistence(ask: 'persisted' | 'persist', onError: PersistenceState): Promise<PersistenceState> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!storage?.[ask]) return 'unsupported';
  try {
    return (await storage[ask]()) ? 'persistent' : 'best-effort';
  } catch {
    return onError;
  }
}
