// Waiting for the worker's answer to a request that carries no id (loadModel
// answers with modelReady for its slot, or with an error for its request type).

import type { WorkerEvent } from '../worker/protocol';
import { WorkerRequestError, type WorkerClient } from './workerClient';

/**
 * Resolves with the first event `match` accepts, or rejects with the first error
 * event `fail` accepts. Subscribe before posting the request, so its answer
 * cannot arrive first.
 */
export function waitForEvent<T extends WorkerEvent = WorkerEvent>(
  client: WorkerClient,
  match: (ev: WorkerEvent) => boolean,
  fail: (ev: Extract<WorkerEvent, { type: 'error' }>) => boolean,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const off = client.subscribe((ev) => {
      if (match(ev)) {
        off();
        resolve(ev as T);
      } else if (ev.type === 'error' && fail(ev)) {
        off();
        reject(new WorkerRequestError(ev));
      }
    });
  });
}
