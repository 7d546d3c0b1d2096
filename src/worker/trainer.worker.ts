// The trainer Web Worker: the only browser code that owns a tf backend and live
// model state. It hands each request to the engine and posts back its one
// reply, and the engine's events as they happen, transferring large buffers.

import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { StudioEngine } from './engine';
import { messageTransferables, type WorkerMessage, type WorkerRequest } from './protocol';

interface WorkerScope {
  postMessage(message: WorkerMessage, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerRequest>) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (msg: WorkerMessage) => scope.postMessage(msg, messageTransferables(msg));

const engine = new StudioEngine((event) => post({ kind: 'event', event }), {
  // The wasm binaries ship inside the app bundle: no CDN.
  wasmPaths: {
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  },
});

scope.addEventListener('message', (e) => {
  void engine.handle(e.data).then(post);
});
