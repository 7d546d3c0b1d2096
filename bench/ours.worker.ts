// Runs one benchmark job of the studio's own engine in a Web Worker, as the app
// trains: the worker owns the tfjs backend, the page only relays messages.

import * as tf from '@tensorflow/tfjs';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend } from '../src/worker/backend';
import type { DeviceInfo, Job, WorkerMessage } from '../scripts/bench/jobs';
import { runMeasurement } from '../scripts/bench/run';

const scope = self as unknown as { postMessage(m: WorkerMessage): void; onmessage: ((e: MessageEvent<Job>) => void) | null };

/** The WebGL renderer string, where the browser reveals it. */
function webglRenderer(): string | undefined {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
  if (!gl) return undefined;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

scope.onmessage = async (e) => {
  const job = e.data;
  try {
    const report = await initBackend(job.backend, {
      wasmPaths: {
        'tfjs-backend-wasm.wasm': wasmUrl,
        'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
      },
    });
    // initBackend falls back to the next backend; a benchmark must not.
    if (report.name !== job.backend) {
      const why = report.skipped.find((s) => s.name === job.backend)?.reason ?? 'unknown reason';
      throw new Error(`${job.backend} did not start in the worker (${why}); got ${report.name}.`);
    }
    const device: DeviceInfo = { backend: tf.getBackend(), userAgent: navigator.userAgent };
    const adapter = report.adapter ?? (job.backend === 'webgl' ? webglRenderer() : undefined);
    if (adapter) device.adapter = adapter;
    const result = await runMeasurement(job, (message) => scope.postMessage({ type: 'progress', message }));
    scope.postMessage({ type: 'result', result: { device, ...result } });
  } catch (err) {
    scope.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) });
  }
};
