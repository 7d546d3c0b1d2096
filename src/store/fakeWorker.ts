// For the store's tests: a stand-in for the trainer worker that records what the
// store sends, and plays the worker's side: replies to requests and events.

import type { EventOf, ErrorCode, Replies, RequestOf, RequestType, WorkerEvent, WorkerMessage, WorkerRequest } from '../worker/protocol';
import { WorkerClient, type WorkerLike } from './workerClient';

export class FakeWorker implements WorkerLike {
  posted: WorkerRequest[] = [];
  /** The transfer list that came with each posted request. */
  transfers: Transferable[][] = [];
  terminated = false;
  /** Ids of the requests already answered. */
  answered = new Set<number>();
  onmessage: ((ev: MessageEvent<WorkerMessage>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  onmessageerror: ((ev: MessageEvent) => void) | null = null;
  postMessage(msg: WorkerRequest, transfer: Transferable[] = []): void {
    this.posted.push(msg);
    this.transfers.push(transfer);
  }
  terminate(): void {
    this.terminated = true;
  }
  /** Request types posted, leaving out the autosave setting the checkpoints slice sends with every new worker. */
  types(): string[] {
    return this.posted.map((p) => p.type).filter((t) => t !== 'setAutosave');
  }
  /** The posted requests without their ids, for comparing whole requests. */
  bodies(): Array<Omit<WorkerRequest, 'id'>> {
    return this.posted.map(({ id: _id, ...rest }) => rest);
  }
  /** Plays the worker sending an event. */
  send(ev: WorkerEvent): void {
    this.post({ kind: 'event', event: ev });
  }
  /** Plays the worker answering a request (by default the latest unanswered one of that type). */
  reply<K extends RequestType>(type: K, value: Replies[K], id = this.open(type).id): void {
    this.answered.add(id);
    this.post({ kind: 'reply', id, type, ok: true, value });
  }
  /** Plays the worker refusing a request (by default the latest unanswered one of that type). */
  fail(type: RequestType, code: ErrorCode, message: string, id = this.open(type).id): void {
    this.answered.add(id);
    this.post({ kind: 'reply', id, type, ok: false, code, message });
  }
  /** Every posted request of one type, oldest first. */
  of<T extends RequestType>(type: T): Array<RequestOf<T>> {
    return this.posted.filter((m) => m.type === type) as Array<RequestOf<T>>;
  }
  /** The latest posted request of one type; throws when there is none. */
  last<T extends RequestType>(type: T): RequestOf<T> {
    const hit = this.of(type).at(-1);
    if (!hit) throw new Error(`nothing of type ${type} was posted`);
    return hit;
  }
  /** The latest request of one type not yet answered; throws when there is none. */
  open<T extends RequestType>(type: T): RequestOf<T> {
    const hit = this.of(type).filter((r) => !this.answered.has(r.id)).at(-1);
    if (!hit) throw new Error(`no unanswered ${type} request`);
    return hit;
  }
  /** Plays a model becoming ready in the main slot: the event, and the reply to the request that asked. */
  modelReady(info: Omit<EventOf<'modelReady'>, 'type'>, answer?: 'createModel' | 'loadModel'): void {
    this.send({ type: 'modelReady', ...info });
    if (answer) this.reply(answer, info);
  }
  private post(data: WorkerMessage): void {
    this.onmessage?.({ data } as MessageEvent<WorkerMessage>);
  }
}

/** A WorkerClient over fake workers (a new one each time the client starts one); `worker()` is the latest. */
export function fakeClient() {
  const workers: FakeWorker[] = [];
  const client = new WorkerClient(() => {
    const w = new FakeWorker();
    workers.push(w);
    return w;
  });
  const worker = (): FakeWorker => {
    const w = workers.at(-1);
    if (!w) throw new Error('no worker was started');
    return w;
  };
  return { client, workers, worker };
}
