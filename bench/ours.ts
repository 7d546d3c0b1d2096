// The page for the studio's own engine: window.runJob(job) runs one job in a fresh
// worker and resolves with its result; progress goes to the console, which the
// benchmark runner prints.

import type { Job, JobResult, WorkerMessage } from '../scripts/bench/jobs';

function runJob(job: Job): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./ours.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      if (m.type === 'progress') {
        console.log(`[bench] ${m.message}`);
        return;
      }
      worker.terminate();
      if (m.type === 'result') resolve(m.result);
      else reject(new Error(m.message));
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(`The bench worker failed: ${e.message}`));
    };
    worker.postMessage(job);
  });
}

(window as unknown as { runJob: typeof runJob }).runJob = runJob;
document.body.dataset.ready = 'true';
