// The page for `npm run bench -- --lesson`: it starts the app's own trainer
// worker (src/worker/trainer.worker.ts) and drives it through the worker
// protocol as the studio's store does: backend, the shipped base model, the
// lesson's starter dataset, Start, pauses to check the outcome. Progress goes to
// the console, which the benchmark runner prints.

import { runLessonArm, type LessonArmResult, type LessonDriver, type LessonFiles, type LessonSettings } from '../scripts/bench/lesson';
import type { BackendId } from '../scripts/bench/jobs';
import type { Replies, Requests, RequestType, WorkerEvent, WorkerMessage } from '../src/worker/protocol';

function driverFor(worker: Worker): LessonDriver {
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: WorkerEvent) => void>();
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    if (m.kind === 'event') {
      for (const l of listeners) l(m.event);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`${m.type}: ${m.code}: ${m.message}`));
  };
  const call = <K extends RequestType>(type: K, body: Requests[K]): Promise<Replies[K]> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ type, id, ...body });
    });
  return {
    call,
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    programs: async () => (await call('memory', {})).programs,
  };
}

async function fetchFiles(): Promise<LessonFiles> {
  const get = async (path: string) => {
    const r = await fetch(path);
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r;
  };
  return {
    safetensors: await (await get('./models/base/model.safetensors')).arrayBuffer(),
    configJson: await (await get('./models/base/config.json')).text(),
    tokenizerJson: await (await get('./models/base/tokenizer.json')).text(),
    datasetText: await (await get('./datasets/geo-tune.json')).text(),
    heldOutText: await (await get('./datasets/geo-eval-heldout-capitals.json')).text(),
  };
}

/** Every arm in turn in one worker (one browser session), each from a freshly loaded base model. */
async function runLesson(backend: BackendId, settings: LessonSettings): Promise<{ backend: string; adapter?: string; arms: Array<LessonArmResult | { arm: LessonSettings['arms'][number]; error: string }> }> {
  const worker = new Worker(new URL('../src/worker/trainer.worker.ts', import.meta.url), { type: 'module' });
  try {
    const d = driverFor(worker);
    const report = await d.call('init', { backend });
    if (report.name !== backend) throw new Error(`${backend} did not start in the worker; got ${report.name}.`);
    const files = await fetchFiles();
    const say = (m: string) => console.log(`[bench] ${m}`);
    const arms: Array<LessonArmResult | { arm: LessonSettings['arms'][number]; error: string }> = [];
    for (const arm of settings.arms) {
      try {
        arms.push(await runLessonArm(d, files, arm, settings, say));
      } catch (e) {
        say(`${arm.id} failed: ${(e as Error).message}`);
        arms.push({ arm, error: (e as Error).message });
      }
    }
    return { backend: report.name, ...(report.adapter ? { adapter: report.adapter } : {}), arms };
  } finally {
    worker.terminate();
  }
}

(window as unknown as { runLesson: typeof runLesson }).runLesson = runLesson;
document.body.dataset.ready = 'true';
