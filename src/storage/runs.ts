// Training runs, recorded so that a run cut short by a reload, a crash or a
// closed tab can be offered for resuming. A run record keeps what the worker
// cannot: the data it trains on and its settings. Its autosave checkpoint
// (id `autosaveId(run.id)`) keeps the weights, optimizer and sampler state.

import type { IDBPDatabase } from 'idb';
import type { TrainOptions } from '../train/options';
import type { TrainingData, TrainState } from '../train/run';
import { DbConnection, STORES, writeTransaction } from './db';

export interface RunRecord {
  id: string;
  /** The last state the studio saw; 'running' or 'paused' after a reload means the run was interrupted. */
  status: TrainState;
  data: TrainingData;
  options: TrainOptions;
  /** The model's name when the run started. */
  modelName: string;
  createdAt: number;
  updatedAt: number;
}

/** kv key holding the id of the run that is (or was, before a reload) in progress. */
export const ACTIVE_RUN_KEY = 'runs.active';
/** kv key of the checkpoint settings (autosave interval). */
export const CHECKPOINT_SETTINGS_KEY = 'checkpoints.settings';

/** The id of a run's autosave checkpoint: one per run, replaced as it goes on. */
export function autosaveId(runId: string): string {
  return `auto-${runId}`;
}

export class RunRepository {
  private readonly db: DbConnection;

  /** `open` opens the database; by default the studio's one (tests pass a fresh name). */
  constructor(open?: () => Promise<IDBPDatabase>) {
    this.db = new DbConnection(open);
  }

  /** Records a new run and marks it active, in one transaction. */
  async start(run: RunRecord): Promise<void> {
    await writeTransaction(await this.db.get(), [STORES.runs, STORES.kv], async (tx) => {
      await tx.objectStore(STORES.runs).put(run);
      await tx.objectStore(STORES.kv).put(run.id, ACTIVE_RUN_KEY);
    });
  }

  /** Notes the run's latest state; a run that ended is no longer the active one. */
  async setStatus(id: string, status: TrainState, now = Date.now()): Promise<void> {
    await writeTransaction(await this.db.get(), [STORES.runs, STORES.kv], async (tx) => {
      const run = (await tx.objectStore(STORES.runs).get(id)) as RunRecord | undefined;
      if (run) await tx.objectStore(STORES.runs).put({ ...run, status, updatedAt: now });
      const ended = status === 'done' || status === 'stopped' || status === 'failed' || status === 'idle';
      if (ended && (await tx.objectStore(STORES.kv).get(ACTIVE_RUN_KEY)) === id) await tx.objectStore(STORES.kv).delete(ACTIVE_RUN_KEY);
    });
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return (await (await this.db.get()).get(STORES.runs, id)) as RunRecord | undefined;
  }

  /** The run marked active (in progress when the page went away), if any. */
  async active(): Promise<RunRecord | undefined> {
    const db = await this.db.get();
    const id = (await db.get(STORES.kv, ACTIVE_RUN_KEY)) as string | undefined;
    if (typeof id !== 'string') return undefined;
    return (await db.get(STORES.runs, id)) as RunRecord | undefined;
  }

  /** Forgets which run was active (the user declined to resume it). */
  async clearActive(): Promise<void> {
    await (await this.db.get()).delete(STORES.kv, ACTIVE_RUN_KEY);
  }

  async getSetting<T>(key: string): Promise<T | undefined> {
    return (await (await this.db.get()).get(STORES.kv, key)) as T | undefined;
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await (await this.db.get()).put(STORES.kv, value, key);
  }
}
