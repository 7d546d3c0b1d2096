// For the store's tests: a stand-in for the trainer worker that records what the
// store posts, and plays the worker's side by sending protocol events.

import type { WorkerEvent, WorkerRequest } from '../worker/protocol';
import type { WorkerLike } from './workerClient';

export class FakeWorker implements WorkerLike {
  posted: WorkerRequest[] = [];
  onmessage: ((ev: MessageEvent<WorkerEvent>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  onmessageerror: ((ev: MessageEvent) => void) | null = null;
  postMessage(msg: WorkerRequest): void {
    this.posted.push(msg);
  }
  terminate(): void {}
  /** Plays the worker sending an event. */
  send(ev: WorkerEvent): void {
    this.onmessage?.({ data: ev } as MessageEvent<WorkerEvent>);
  }
  /** Every posted request of one type, oldest first. */
  of<T extends WorkerRequest['type']>(type: T): Array<Extract<WorkerRequest, { type: T }>> {
    return this.posted.filter((m) => m.type === type) as Array<Extract<WorkerRequest, { type: T }>>;
  }
  /** The latest posted request of one type; throws when there is none. */
  last<T extends WorkerRequest['type']>(type: T): Extract<WorkerRequest, { type: T }> {
    const hit = this.of(type).at(-1);
    if (!hit) throw new Error(`nothing of type ${type} was posted`);
    return hit;
  }
}
