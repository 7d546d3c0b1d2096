// The dataset Web Worker: reads, validates and de-duplicates dataset files and
// computes statistics off the page's thread, so a 50,000-record import never
// freezes the page. It holds no state besides a cached tokenizer; it is not
// the trainer worker and knows nothing about models.

import { runDataJob, type DataJobEvent, type DataJobRequest } from './jobs';

interface WorkerScope {
  postMessage(message: DataJobEvent): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<DataJobRequest>) => void): void;
}
const scope = self as unknown as WorkerScope;

scope.addEventListener('message', (e) => {
  void runDataJob(e.data, (event) => scope.postMessage(event));
});
