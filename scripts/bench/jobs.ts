// What the benchmark runner asks a page (or Node) to measure, and what comes back.
// Plain data on both sides, so it crosses page.evaluate and postMessage unchanged.

import type { CheckResult } from './check';
import type { ConfigId } from './configs';
import type { GenerationResult, TrainResult } from './measure';
import type { MemorySnapshot } from './memory';
import type { ProfileResult } from './profile';

export type BackendId = 'webgpu' | 'webgl' | 'wasm';

export type Job =
  | { kind: 'train'; backend: BackendId; config: ConfigId; warmupSteps: number; steps: number; studioKernels: boolean }
  | { kind: 'generate'; backend: BackendId; config: ConfigId; skipUncached: boolean; studioKernels: boolean }
  | { kind: 'profile'; backend: BackendId; config: ConfigId; repeats: number }
  | { kind: 'check'; backend: BackendId };

/** A run of @genai-fi/nanogpt in its own page. */
export interface PeerJob {
  backend: 'webgpu' | 'webgl';
  config: ConfigId;
  warmupSteps: number;
  steps: number;
}

export interface PeerResult {
  warmupSteps: number;
  steps: number;
  tokensPerStep: number;
  seconds: number;
  tokensPerSec: number;
  /** The peer's own figure over the timed steps (from its training log), for comparison. */
  reportedTokensPerSec: number;
  stepMs: number[];
  warmupMs: number[];
  losses: number[];
  parameters: number;
  memory: { before: MemorySnapshot; afterWarmup: MemorySnapshot; after: MemorySnapshot; afterDispose: MemorySnapshot };
}

/** What a page reports about where it ran. */
export interface DeviceInfo {
  backend: string;
  /** GPU adapter (WebGPU adapter info, or the unmasked WebGL renderer). */
  adapter?: string;
  userAgent?: string;
}

export type Measurement =
  | { kind: 'train'; train: TrainResult }
  | { kind: 'generate'; generate: GenerationResult }
  | { kind: 'profile'; profile: ProfileResult }
  | { kind: 'check'; check: CheckResult };

export type JobResult = Measurement & { device: DeviceInfo };

/** Messages from the bench worker to its page. */
export type WorkerMessage = { type: 'progress'; message: string } | { type: 'result'; result: JobResult } | { type: 'error'; message: string };
