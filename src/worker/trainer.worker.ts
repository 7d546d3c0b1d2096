// The trainer Web Worker: the only browser code that owns a tf backend and live
// model state. It forwards protocol requests to the engine and posts events back,
// transferring large buffers.

import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { StudioEngine } from './engine';
import { transferables, type WorkerEvent, type WorkerRequest } from './protocol';

interface WorkerScope {
  postMessage(message: WorkerEvent, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerRequest>) => void): void;
}
const scope = self as unknown as WorkerScope;

const engine = new StudioEngine((event) => scope.postMessage(event, transferables(event)), {
  // The wasm binaries ship inside the app bundle: no CDN.
  wasmPaths: {
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  },
});

scope.addEventListener('message', (e) => {
  void engine.handle(e.data);
});
