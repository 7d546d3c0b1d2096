// Choosing a tfjs backend: WebGPU first, then WebGL, WASM and CPU, each with the
// reason it was chosen or passed over, and the device limits used to refuse
// models that cannot fit.

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { DEFAULT_LIMITS, type DeviceLimits } from '../model/config';
import { installKernels } from '../model/kernels';
import { BACKEND_ORDER, type BackendName, type BackendReport } from './backends';

export interface BackendOptions {
  /** URLs of the tfjs wasm binaries, bundled with the app (never a CDN). */
  wasmPaths?: Record<string, string>;
}

/** Minimal WebGPU shapes we use; avoids depending on a global type package. */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string };
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  isFallbackAdapter?: boolean;
}

interface GpuDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
  addEventListener(type: 'uncapturederror', cb: (e: { error: { message?: string; constructor: { name: string } } }) => void): void;
}

function memoryBudget(): number {
  const gb = (globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory;
  // deviceMemory is capped at 8 by browsers; allow a model half of it.
  return gb ? (gb * 2 ** 30) / 2 : DEFAULT_LIMITS.memoryBudgetBytes;
}

async function probeWebGpu(): Promise<{ ok: true; adapter: GpuAdapterLike } | { ok: false; reason: string }> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(o?: unknown): Promise<GpuAdapterLike | null> } } | undefined)?.gpu;
  if (!gpu) return { ok: false, reason: 'WebGPU unavailable: this browser has no navigator.gpu (not supported, disabled, or not a secure context)' };
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, reason: `WebGPU unavailable: requesting an adapter failed (${(e as Error).message})` };
  }
  if (!adapter) return { ok: false, reason: 'WebGPU unavailable: no adapter' };
  return { ok: true, adapter };
}

function describeAdapter(a: GpuAdapterLike): string {
  const i = a.info ?? {};
  const parts = [i.vendor, i.architecture, i.description || i.device].filter((x) => x && x.length > 0);
  const text = parts.length > 0 ? parts.join(' ') : 'unknown adapter';
  return a.isFallbackAdapter ? `${text} (software fallback)` : text;
}

async function trySet(name: BackendName): Promise<string | null> {
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return 'initialisation failed';
    await tf.ready();
    // A tiny op proves the backend really computes.
    const r = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
    const v = (await r.data())[0];
    r.dispose();
    return v === 3 ? null : `a test computation gave ${v} instead of 3`;
  } catch (e) {
    return (e as Error).message || String(e);
  }
}

/** Callbacks for fatal device events after the backend is running. */
export interface DeviceWatch {
  onLost(message: string): void;
  onOutOfMemory(message: string): void;
}

/**
 * Initialises the preferred backend, or the first that works in WebGPU > WebGL >
 * WASM > CPU order, and reports why each better one was passed over.
 */
export async function initBackend(preference: BackendName | 'auto', opts: BackendOptions = {}, watch?: DeviceWatch): Promise<BackendReport> {
  installKernels(); // the studio's WebGPU and WebGL kernels (src/model/kernels), once the backends are imported
  if (opts.wasmPaths) setWasmPaths(opts.wasmPaths);
  const order = preference === 'auto' ? BACKEND_ORDER : [preference, ...BACKEND_ORDER.filter((b) => b !== preference)];
  const skipped: BackendReport['skipped'] = [];
  for (const name of order) {
    if (name === 'webgpu') {
      const probe = await probeWebGpu();
      if (!probe.ok) {
        skipped.push({ name, reason: probe.reason });
        continue;
      }
      const err = await trySet('webgpu');
      if (err) {
        skipped.push({ name, reason: `WebGPU unavailable: ${err}` });
        continue;
      }
      const device = (tf.backend() as unknown as { device?: GpuDeviceLike }).device;
      if (device && watch) {
        void device.lost.then((info) => watch.onLost(`The GPU device was lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''}).`));
        device.addEventListener('uncapturederror', (e) => {
          if (e.error.constructor.name === 'GPUOutOfMemoryError') watch.onOutOfMemory(`The GPU ran out of memory${e.error.message ? ` (${e.error.message})` : ''}.`);
        });
      }
      const a = probe.adapter;
      return {
        name,
        reason: preference === 'webgpu' ? 'WebGPU chosen by you' : 'WebGPU available: the fastest backend',
        skipped,
        adapter: describeAdapter(a),
        limits: {
          maxBufferBytes: a.limits.maxBufferSize,
          maxBindingBytes: a.limits.maxStorageBufferBindingSize,
          memoryBudgetBytes: memoryBudget(),
        },
      };
    }
    const err = await trySet(name);
    const label = name === 'webgl' ? 'WebGL' : name === 'wasm' ? 'WASM' : 'CPU';
    if (err) {
      skipped.push({ name, reason: `${label} unavailable: ${err}` });
      continue;
    }
    const limits: DeviceLimits = { ...DEFAULT_LIMITS, memoryBudgetBytes: memoryBudget() };
    if (name === 'webgl') {
      const maxTex = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
      limits.maxBufferBytes = limits.maxBindingBytes = maxTex * maxTex * 4 * 4;
    }
    const why =
      preference === name
        ? `${label} chosen by you`
        : name === 'webgl'
          ? 'WebGL: the best available GPU backend'
          : name === 'wasm'
            ? 'WASM: no usable GPU backend, running on the CPU with SIMD'
            : 'CPU: plain JavaScript, the slowest fallback';
    return { name, reason: why, skipped, limits };
  }
  throw new Error(`No tfjs backend could start: ${skipped.map((s) => s.reason).join('; ')}`);
}
