// The UI thread's end of the trainer worker: it starts the worker, sends each
// request with a fresh id and resolves it with that id's one reply, and hands
// the worker's events to its subscribers. It knows nothing about React or the
// store, so tests drive it with a fake worker.

import { requestTransferables, RequestError } from '../worker/protocol';
import type { Replies, Requests, RequestType, WorkerEvent, WorkerMessage, WorkerRequest } from '../worker/protocol';

export { RequestError };

/** The part of `Worker` the client uses; a fake in tests implements just this. */
export interface WorkerLike {
  postMessage(message: WorkerRequest, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent<WorkerMessage>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  onmessageerror: ((ev: MessageEvent) => void) | null;
}

type Listener = (ev: WorkerEvent) => void;

interface Pending {
  type: RequestType;
  resolve: (value: unknown) => void;
  reject: (err: RequestError) => void;
}

/** Starts the real trainer worker; Vite bundles it from this exact expression. */
export function createTrainerWorker(): WorkerLike {
  return new Worker(new URL('../worker/trainer.worker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike;
}

export class WorkerClient {
  private worker: WorkerLike | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** `createWorker` runs lazily, on the first request, and again after `restart`. */
  constructor(private readonly createWorker: () => WorkerLike = createTrainerWorker) {}

  /** Calls `fn` with every event from the worker; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Sends one request and resolves with its reply, or rejects with a RequestError
   * when the worker refuses it, cannot start, or is restarted first.
   */
  request<K extends RequestType>(type: K, body: Requests[K]): Promise<Replies[K]> {
    return this.send(type, body).reply;
  }

  /** The same, also giving the request's id (a generation's `token` events carry it). */
  send<K extends RequestType>(type: K, body: Requests[K]): { id: number; reply: Promise<Replies[K]> } {
    const id = this.nextId++;
    const req = { ...body, type, id } as unknown as WorkerRequest;
    const reply = new Promise<Replies[K]>((resolve, reject) => {
      this.pending.set(id, { type, resolve: resolve as (v: unknown) => void, reject });
      const worker = this.ensureWorker();
      if (!worker) return;
      try {
        worker.postMessage(req, requestTransferables(req));
      } catch (err) {
        this.settle(id, new RequestError(type, 'internal', `Could not send "${type}" to the trainer worker: ${describe(err)}`));
      }
    });
    return { id, reply };
  }

  /** Ends the worker and every pending request; the next request starts a new worker. */
  restart(reason = 'The trainer worker was restarted.'): void {
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      worker.onmessage = null;
      worker.onerror = null;
      worker.onmessageerror = null;
      worker.terminate();
    }
    for (const [id, p] of [...this.pending]) this.settle(id, new RequestError(p.type, 'internal', reason));
  }

  /** Same as restart, for when the page is going away. */
  terminate(): void {
    this.restart('The trainer worker was shut down.');
  }

  /** Takes one message from the worker: a reply settles its request, an event goes to the subscribers. */
  receive(msg: WorkerMessage): void {
    if (msg.kind === 'event') {
      for (const fn of [...this.listeners]) fn(msg.event);
      return;
    }
    this.settle(msg.id, msg.ok ? { value: msg.value } : new RequestError(msg.type, msg.code, msg.message));
  }

  private settle(id: number, outcome: { value: unknown } | RequestError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (outcome instanceof RequestError) p.reject(outcome);
    else p.resolve(outcome.value);
  }

  /** A failure of the worker itself: every pending request fails with it, and subscribers hear of it. */
  private fail(code: 'internal' | 'backend-failed', message: string): void {
    for (const [id, p] of [...this.pending]) this.settle(id, new RequestError(p.type, code, message));
    this.receive({ kind: 'event', event: { type: 'problem', code, message } });
  }

  private ensureWorker(): WorkerLike | null {
    if (this.worker) return this.worker;
    let worker: WorkerLike;
    try {
      worker = this.createWorker();
    } catch (err) {
      this.fail('backend-failed', `The trainer worker could not start: ${describe(err)}`);
      return null;
    }
    worker.onmessage = (ev) => this.receive(ev.data);
    worker.onerror = (ev) => {
      // A load failure or an exception the worker did not catch: say so, never swallow it.
      ev.preventDefault?.();
      const where = ev.filename ? ` (${ev.filename}:${ev.lineno})` : '';
      this.fail('internal', `The trainer worker failed: ${ev.message || 'it could not be loaded'}${where}`);
    };
    worker.onmessageerror = () => {
      this.fail('internal', 'A message from the trainer worker could not be read.');
    };
    this.worker = worker;
    return worker;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
