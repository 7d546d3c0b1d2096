// Test helpers for the engine specs: an engine in this thread with its events
// and replies recorded, and one with a micro model ready.

import { StudioEngine } from './engine';
import type { EventOf, Replies, RequestDraft, RequestType, WorkerEvent, WorkerMessage, WorkerRequest } from './protocol';
import type { ModelConfig } from '../model/config';

export const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(20);
export const micro: ModelConfig = { vocabSize: 300, contextLength: 16, width: 16, layers: 1, heads: 2 };

/** An engine with its events and replies recorded, and a helper to await the next event of a type. */
export function harness() {
  const events: WorkerEvent[] = [];
  const answers: Array<Extract<WorkerMessage, { kind: 'reply' }>> = [];
  const waiters: Array<{ pred: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }> = [];
  const engine = new StudioEngine((e) => {
    events.push(e);
    for (const w of waiters.slice()) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  let nextId = 1000;
  const next = <T extends WorkerEvent['type']>(type: T, pred: (e: EventOf<T>) => boolean = () => true) =>
    new Promise<EventOf<T>>((resolve) =>
      waiters.push({ pred: (e) => e.type === type && pred(e as EventOf<T>), resolve: resolve as (e: WorkerEvent) => void }),
    );
  /** Sends a request (an id is made up when it has none) and records its reply. */
  const send = async (r: RequestDraft) => {
    const reply = await engine.handle({ ...r, id: r.id ?? nextId++ } as WorkerRequest);
    if (reply.kind === 'reply') answers.push(reply);
    return reply;
  };
  const of = <T extends WorkerEvent['type']>(type: T) => events.filter((e) => e.type === type) as Array<EventOf<T>>;
  /** The values of the successful replies to one request type, each with its request's id. */
  const replies = <K extends RequestType>(type: K) =>
    answers.flatMap((a) => (a.ok && a.type === type ? [{ id: a.id, ...(a.value as Replies[K]) }] : [])) as Array<Replies[K] & { id: number }>;
  /** The refused requests, in order: which request, its id, the code and the message. */
  const failures = () => answers.flatMap((a) => (a.ok ? [] : [{ request: a.type, id: a.id, code: a.code, message: a.message }]));
  return { engine, events, next, send, of, replies, failures };
}

export async function ready() {
  const h = harness();
  await h.send({ type: 'init', backend: 'cpu' });
  await h.send({ type: 'createModel', config: micro, seed: 1, tokenizer: { kind: 'bpe-train', text: TEXT } });
  return h;
}
