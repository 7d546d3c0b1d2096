// The tfjs backends the studio can run on, and the worker's account of the one
// it chose. No tf here, so the UI can name backends without loading tfjs.

import type { DeviceLimits } from '../model/config';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendReport {
  name: BackendName;
  /** One line on why this backend runs, e.g. "WebGPU available (SwiftShader)". */
  reason: string;
  /** Each preferred backend that was passed over and why, e.g. "WebGPU unavailable: no adapter". */
  skipped: Array<{ name: BackendName; reason: string }>;
  /** GPU adapter description where the backend has one. */
  adapter?: string;
  limits: DeviceLimits;
}
