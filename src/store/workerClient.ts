// The UI thread's end of the trainer worker: it starts the worker, posts typed
// requests (transferring large buffers), hands every event to its listeners,
// and turns id-carrying requests into promises. It knows nothing about React
// or the store, so tests can drive it with a fake worker.

import { transferables } from '../worker/protocol';
import type { WorkerEvent, WorkerRequest } from '../worker/protocol';

/** The part of `Worker` the client uses; a fake in tests implements just this. */
export interface WorkerLike {
  postMessage(message: WorkerRequest, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent<WorkerEvent>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  onmessageerror: ((ev: MessageEvent) => void) | null;
}

export type EventOf<T extends WorkerEvent['type']> = Extract<WorkerEvent, { type: T }>;

/** Requests that carry an `id`, whose answer the client can await. */
export type IdRequest = Extract<WorkerRequest, { id: number }>;
/** An id-carrying request before the client has given it an id. */
export type IdRequestDraft = IdRequest extends infer R ? (R extends IdRequest ? Omit<R, 'id'> : never) : never;

type Listener = (ev: WorkerEvent) => void;

interface Pending {
  id: number;
  requestType: WorkerRequest['type'];
  expect: WorkerEvent['type'];
  resolve: (ev: WorkerEvent) => void;
  reject: (err: WorkerRequestError) => void;
}

/** A request the worker answered with an `error` event, or that died with the worker. */
export class WorkerRequestError extends Error {
  constructor(readonly event: EventOf<'error'>) {
    super(event.message);
    this.name = 'WorkerRequestError';
  }
}

/** Starts the real trainer worker; Vite bundles it from this exact expression. */
export function createTrainerWorker(): WorkerLike {
  return new Worker(new URL('../worker/trainer.worker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike;
}

export class WorkerClient {
  private worker: WorkerLike | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly requestObservers = new Set<(req: WorkerRequest) => void>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** `createWorker` runs lazily, on the first post, and again after `restart`. */
  constructor(private readonly createWorker: () => WorkerLike = createTrainerWorker) {}

  /**
   * Calls `fn` with every request as it is posted (before it is sent), e.g. to
   * record a training run's data and settings; returns the unsubscribe function.
   */
  observeRequests(fn: (req: WorkerRequest) => void): () => void {
    this.requestObservers.add(fn);
    return () => this.requestObservers.delete(fn);
  }

  /** Calls `fn` with every event from the worker; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A fresh id for an id-carrying request. */
  newId(): number {
    return this.nextId++;
  }

  get started(): boolean {
    return this.worker !== null;
  }

  /** Posts a request, transferring its large buffers. A worker that cannot start becomes an error event. */
  post(req: WorkerRequest): void {
    for (const fn of [...this.requestObservers]) fn(req);
    const worker = this.ensureWorker(req.type);
    if (!worker) return;
    try {
      worker.postMessage(req, transferables(req));
    } catch (err) {
      this.emit({ type: 'error', request: req.type, code: 'internal', message: `Could not send "${req.type}" to the trainer worker: ${describe(err)}`, ...idOf(req) });
    }
  }

  /**
   * Posts an id-carrying request and resolves with the first `expect` event that
   * carries the same id. An `error` event for that id (or, when the worker sends
   * no id, for that request type) rejects it. Every event still reaches the
   * listeners, so streamed events such as `token` are not lost.
   */
  request<T extends WorkerEvent['type']>(draft: IdRequestDraft, expect: T, id: number = this.newId()): Promise<EventOf<T>> {
    const req = { ...draft, id } as IdRequest;
    const promise = new Promise<EventOf<T>>((resolve, reject) => {
      this.pending.set(id, {
        id,
        requestType: req.type,
        expect,
        resolve: resolve as (ev: WorkerEvent) => void,
        reject,
      });
    });
    this.post(req);
    return promise;
  }

  /** Ends the worker and every pending request; the next post starts a new worker. */
  restart(reason = 'The trainer worker was restarted.'): void {
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      worker.onmessage = null;
      worker.onerror = null;
      worker.onmessageerror = null;
      worker.terminate();
    }
    for (const p of [...this.pending.values()]) {
      this.pending.delete(p.id);
      p.reject(new WorkerRequestError({ type: 'error', request: p.requestType, code: 'internal', message: reason, id: p.id }));
    }
  }

  /** Same as restart, for when the page is going away. */
  terminate(): void {
    this.restart('The trainer worker was shut down.');
  }

  /** Delivers an event as if the worker had sent it (the worker's messages come in here too). */
  emit(ev: WorkerEvent): void {
    this.settle(ev);
    for (const fn of [...this.listeners]) fn(ev);
  }

  private ensureWorker(requestType: WorkerRequest['type']): WorkerLike | null {
    if (this.worker) return this.worker;
    let worker: WorkerLike;
    try {
      worker = this.createWorker();
    } catch (err) {
      this.emit({ type: 'error', request: requestType, code: 'backend-failed', message: `The trainer worker could not start: ${describe(err)}` });
      return null;
    }
    worker.onmessage = (ev) => this.emit(ev.data);
    worker.onerror = (ev) => {
      // A load failure or an exception the worker did not catch: say so, never swallow it.
      ev.preventDefault?.();
      const where = ev.filename ? ` (${ev.filename}:${ev.lineno})` : '';
      this.emit({ type: 'error', request: 'init', code: 'internal', message: `The trainer worker failed: ${ev.message || 'it could not be loaded'}${where}` });
    };
    worker.onmessageerror = () => {
      this.emit({ type: 'error', request: 'init', code: 'internal', message: 'A message from the trainer worker could not be read.' });
    };
    this.worker = worker;
    return worker;
  }

  private settle(ev: WorkerEvent): void {
    if (this.pending.size === 0) return;
    if (ev.type === 'error') {
      if (ev.id !== undefined) {
        const p = this.pending.get(ev.id);
        if (p) this.finish(p, () => p.reject(new WorkerRequestError(ev)));
        return;
      }
      // No id: the error belongs to every pending request of that type.
      for (const p of [...this.pending.values()]) {
        if (p.requestType === ev.request) this.finish(p, () => p.reject(new WorkerRequestError(ev)));
      }
      return;
    }
    if (!('id' in ev) || ev.id === undefined) return;
    const p = this.pending.get(ev.id);
    if (p && p.expect === ev.type) this.finish(p, () => p.resolve(ev));
  }

  private finish(p: Pending, settle: () => void): void {
    this.pending.delete(p.id);
    settle();
  }
}

function idOf(req: WorkerRequest): { id?: number } {
  return 'id' in req ? { id: req.id } : {};
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
