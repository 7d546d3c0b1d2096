// The page's end of the dataset worker: posts a job, reports its progress,
// resolves with its result. `cancel` ends the worker (an import in progress
// cannot be interrupted any other way) and the next job starts a fresh one.
// Where there is no Worker (Node tests), jobs run in-process instead.

import { runDataJob, type DataJobEvent, type DataJobRequest } from '../../data/jobs';
import type { ImportProgress } from '../../data/import';

export interface DataWorkerLike {
  postMessage(message: DataJobRequest): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent<DataJobEvent>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
}

type Draft = DataJobRequest extends infer R ? (R extends DataJobRequest ? Omit<R, 'id'> : never) : never;
type ResultEvent = Exclude<DataJobEvent, { type: 'progress' } | { type: 'failed' }>;
/** The result event a request type is answered with. */
export type DataJobResult<T extends Draft['type']> = Extract<
  ResultEvent,
  { type: T extends 'inspect' ? 'inspected' : T extends 'import' ? 'imported' : T extends 'dedupe' ? 'deduped' : T extends 'tokens' ? 'tokenized' : 'stats' }
>;

export class DataJobCancelled extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'DataJobCancelled';
  }
}

interface Pending {
  resolve: (ev: ResultEvent) => void;
  reject: (e: Error) => void;
  onProgress?: ((p: ImportProgress) => void) | undefined;
}

/** Starts the real dataset worker; Vite bundles it from this exact expression. */
export function createDatasetWorker(): DataWorkerLike {
  return new Worker(new URL('../../data/dataset.worker.ts', import.meta.url), { type: 'module' }) as unknown as DataWorkerLike;
}

/** Runs jobs on this thread, asynchronously, with the worker's exact code: for tests and for environments without Worker. */
export function createInProcessDataWorker(): DataWorkerLike {
  let alive = true;
  const w: DataWorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage(message) {
      setTimeout(() => {
        if (!alive) return;
        void runDataJob(message, (ev) => {
          if (alive) w.onmessage?.({ data: ev } as MessageEvent<DataJobEvent>);
        });
      }, 0);
    },
    terminate() {
      alive = false;
    },
  };
  return w;
}

export class DataJobs {
  private worker: DataWorkerLike | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly createWorker: () => DataWorkerLike = typeof Worker === 'undefined' ? createInProcessDataWorker : createDatasetWorker) {}

  run<T extends Draft['type']>(draft: Extract<Draft, { type: T }>, onProgress?: (p: ImportProgress) => void): Promise<DataJobResult<T>> {
    const id = this.nextId++;
    return new Promise<DataJobResult<T>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (ev: ResultEvent) => void, reject, onProgress });
      try {
        this.ensure().postMessage({ ...draft, id } as DataJobRequest);
      } catch (e) {
        this.pending.delete(id);
        reject(new Error(`The dataset worker could not be started: ${(e as Error)?.message ?? String(e)}`));
      }
    });
  }

  /** Ends every job in progress; their promises reject with DataJobCancelled. */
  cancel(): void {
    const w = this.worker;
    this.worker = null;
    if (w) {
      w.onmessage = null;
      w.onerror = null;
      w.terminate();
    }
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(new DataJobCancelled());
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  private ensure(): DataWorkerLike {
    if (this.worker) return this.worker;
    const w = this.createWorker();
    w.onmessage = (e) => this.receive(e.data);
    w.onerror = (e) => {
      e.preventDefault?.();
      const message = `The dataset worker failed: ${e.message || 'it could not be loaded'}`;
      const all = [...this.pending.values()];
      this.pending.clear();
      this.worker = null;
      w.terminate();
      for (const p of all) p.reject(new Error(message));
    };
    this.worker = w;
    return w;
  }

  private receive(ev: DataJobEvent): void {
    const p = this.pending.get(ev.id);
    if (!p) return;
    if (ev.type === 'progress') {
      p.onProgress?.(ev.progress);
      return;
    }
    this.pending.delete(ev.id);
    if (ev.type === 'failed') p.reject(new Error(ev.message));
    else p.resolve(ev);
  }
}
