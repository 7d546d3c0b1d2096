// What a checkpoint says about itself: readable from its safetensors metadata
// without tf, so lists and imports never need the model.

import type { ModelConfig } from '../model/config';
import type { RunState } from '../train/run';

/** Why a checkpoint was taken: asked for, every N steps, or as a run paused, stopped or finished. */
export type CheckpointReason = 'request' | 'autosave' | 'pause' | 'stop' | 'done';

export interface CheckpointInfo {
  name: string;
  /** Optimizer steps the model has had, across runs. */
  step: number;
  config: ModelConfig;
  hasOptimizer: boolean;
  /** Null when no run has trained this model since it was created or loaded. */
  run: RunState | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A checkpoint file and what it says about itself. */
export interface CapturedCheckpoint {
  reason: CheckpointReason;
  bytes: ArrayBuffer;
  info: CheckpointInfo;
}
