// The wire format between the UI thread and the trainer Web Worker.
// Both sides import this one module: requests go in, events come out.
// Large buffers (weights, logits) are transferred, never copied.

import type { Example } from '../data/schema';
import type { OverflowRule } from '../data/sequences';
import type { PromptTemplate } from '../data/templates';
import type { DeviceLimits, ModelConfig } from '../model/config';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
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

export interface TrainOptions {
  /** Optimizer steps to run. */
  steps: number;
  /** Sequences per step. */
  batchSize: number;
  /** Peak learning rate after warm-up. */
  learningRate: number;
  /** Linear warm-up steps before the cosine decay. */
  warmupSteps: number;
  /** The cosine schedule ends at learningRate * minLrRatio. */
  minLrRatio: number;
  /** AdamW decoupled weight decay, applied to matrices only. */
  weightDecay: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  gradClip: number;
  /** Seeds batch sampling, so the same seed and data give the same run. */
  seed: number;
  /** Validation loss every this many steps; 0 turns it off. */
  evalEvery: number;
  /** Share of the data held out for validation. */
  valFraction: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  steps: 200,
  batchSize: 8,
  learningRate: 1e-3,
  warmupSteps: 10,
  minLrRatio: 0.1,
  weightDecay: 0.01,
  gradClip: 1.0,
  seed: 1234,
  evalEvery: 50,
  valFraction: 0.1,
};

export interface GenerateOptions {
  maxTokens: number;
  /** 0 means greedy decoding. */
  temperature: number;
  /** Keep only the k most likely tokens; 0 turns it off. */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches p; 1 turns it off. */
  topP: number;
  seed: number;
  /** Stop at <|endoftext|>. */
  stopAtEos: boolean;
}

export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = {
  maxTokens: 64,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  seed: 42,
  stopAtEos: true,
};

/** Where the tokenizer of a new model comes from. */
export type TokenizerSpec =
  /** Train a byte-level BPE on this text, up to the model's vocabSize. */
  | { kind: 'bpe-train'; text: string }
  /** A Hugging Face tokenizer.json document. */
  | { kind: 'json'; json: string };

/** What a training run learns from. */
export type TrainingData =
  /** Plain text: next-token prediction on every token (pretraining-style). */
  | { kind: 'text'; text: string }
  /** Instruction-response pairs rendered through a template; loss on responses unless trainOnInputs. */
  | {
      kind: 'instructions';
      examples: Example[];
      template: PromptTemplate;
      trainOnInputs: boolean;
      /** Pack several short examples into one context (attention stays within each). */
      pack: boolean;
      overflow: OverflowRule;
      /** The stored dataset these examples came from, recorded in checkpoints. */
      datasetId?: string;
    };

/** One point of a loss curve: the run's step and the loss there. */
export interface LossPoint {
  step: number;
  loss: number;
}

/**
 * Where a training run stood when a checkpoint was taken: with the checkpoint's
 * weights and optimizer moments, enough to continue the run exactly.
 */
export interface RunState {
  /** Steps done in this run (the schedule's position), out of totalSteps. */
  runStep: number;
  totalSteps: number;
  options: TrainOptions;
  /** The batch sampler's state after runStep batches (RNG state or batches drawn). */
  samplerState: unknown;
  /** Fingerprint of the training data and how it is encoded; a resume must match it. */
  dataHash: string;
  dataKind: TrainingData['kind'];
  datasetId?: string;
  /** The prompt template instruction data was rendered with. */
  template?: PromptTemplate;
  lossHistory: LossPoint[];
  valHistory: LossPoint[];
}

/** Continues a run from a checkpoint: send with the same data and options after loading it. */
export interface ResumeRun {
  runStep: number;
  samplerState: unknown;
  /** When given, the data must have this fingerprint (RunState.dataHash). */
  dataHash?: string;
  /** The curve so far, so later checkpoints carry the whole history. */
  lossHistory?: LossPoint[];
  valHistory?: LossPoint[];
}

/** Why a checkpoint was taken: asked for, every N steps, or as a run paused, stopped or finished. */
export type CheckpointReason = 'request' | 'autosave' | 'pause' | 'stop' | 'done';

/** What a checkpoint file says about itself (also readable from its safetensors metadata). */
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

/**
 * Generation runs on the main model (the one that trains) unless a slot names
 * another model loaded for comparison.
 */
export const MAIN_SLOT = 'main';

/** Formats a typed prompt as an instruction, with the same function training uses. */
export interface PromptFormat {
  template: PromptTemplate;
  system?: string;
  /** The example's input field (context for the instruction), as in training. */
  input?: string;
}

export type TrainState = 'idle' | 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export type WorkerRequest =
  | { type: 'init'; backend: BackendName | 'auto' }
  | { type: 'createModel'; config: ModelConfig; seed: number; tokenizer: TokenizerSpec }
  /**
   * Loads into the main slot (replacing the model that trains) or into a named comparison slot.
   * An empty configJson or tokenizerJson takes it from the checkpoint's own metadata.
   */
  | { type: 'loadModel'; name: string; safetensors: ArrayBuffer; configJson: string; tokenizerJson: string; slot?: string }
  | { type: 'unloadModel'; slot: string }
  /** With `resume`, continues a run from a checkpoint loaded into the main slot (its optimizer state included). */
  | { type: 'train'; data: TrainingData; options: TrainOptions; resume?: ResumeRun }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'generate'; id: number; prompt: string; options: GenerateOptions; format?: PromptFormat; slot?: string }
  | { type: 'cancelGenerate'; id: number }
  /** Next-token logits at every position of `ids`, for inspection and parity tests. */
  | { type: 'logits'; id: number; ids: number[]; slot?: string }
  | { type: 'tokenize'; id: number; text: string; slot?: string }
  | { type: 'exportModel'; id: number; includeOptimizer: boolean }
  /** The full training state of the main model (weights, optimizer, run state), as one checkpoint file. */
  | { type: 'checkpoint'; id: number }
  /** Checkpoint every this many steps of a run, and when it pauses, stops or finishes; 0 turns autosave off. */
  | { type: 'autosave'; everySteps: number }
  | { type: 'memory' };

export type ErrorCode =
  | 'invalid-config'
  | 'no-model'
  | 'busy'
  | 'bad-input'
  | 'device-lost'
  | 'out-of-memory'
  | 'backend-failed'
  /** The loss became NaN or infinite; the model was restored to its last good state. */
  | 'diverged'
  | 'internal';

export type WorkerEvent =
  | { type: 'backend'; report: BackendReport }
  | {
      type: 'modelReady';
      config: ModelConfig;
      paramCount: number;
      tokenizerVocab: number;
      name: string;
      /** Steps this model has been trained for (0 for a new model). */
      step: number;
      /** MAIN_SLOT, or the comparison slot it was loaded into. */
      slot: string;
    }
  | { type: 'modelUnloaded'; slot: string }
  /** How an instruction dataset was turned into training sequences. */
  | { type: 'dataReport'; summary: string; trainExamples: number; valExamples: number; kept: number; truncated: number; dropped: number; trainedTokens: number }
  | { type: 'trainState'; state: TrainState; step: number; totalSteps: number; message?: string }
  | {
      type: 'trainProgress';
      step: number;
      totalSteps: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokensPerSec: number;
      etaSec: number;
      elapsedSec: number;
    }
  | { type: 'evalResult'; step: number; valLoss: number }
  | { type: 'token'; id: number; tokenId: number; text: string }
  /** The exact prompt the model was given (after template formatting), sent once before the tokens. */
  | { type: 'generateStarted'; id: number; promptText: string; promptTokens: number }
  | {
      type: 'generateDone';
      id: number;
      reason: 'maxTokens' | 'eos' | 'cancelled';
      tokenCount: number;
      tokensPerSec: number;
      text: string;
    }
  | { type: 'logits'; id: number; logits: Float32Array; positions: number; vocabSize: number }
  | { type: 'tokens'; id: number; ids: number[]; pieces: string[] }
  | {
      type: 'modelExported';
      id: number;
      safetensors: ArrayBuffer;
      configJson: string;
      tokenizerJson: string;
    }
  | { type: 'memory'; numTensors: number; numBytes: number }
  /** A checkpoint file (safetensors with run metadata): the answer to a checkpoint request (with its id), or an autosave. */
  | { type: 'checkpoint'; id?: number; reason: CheckpointReason; bytes: ArrayBuffer; info: CheckpointInfo }
  /** The run hit a fatal device error and the model was restored from its last good snapshot. */
  | { type: 'recovered'; message: string; step: number; backend: BackendName }
  | { type: 'error'; request: WorkerRequest['type']; code: ErrorCode; message: string; id?: number };

/** Buffers inside a message that should be transferred rather than copied. */
export function transferables(msg: WorkerRequest | WorkerEvent): Transferable[] {
  switch (msg.type) {
    case 'loadModel':
      return [msg.safetensors];
    case 'modelExported':
      return [msg.safetensors];
    case 'checkpoint':
      return 'bytes' in msg ? [msg.bytes] : [];
    case 'logits':
      return 'logits' in msg ? [msg.logits.buffer as ArrayBuffer] : [];
    default:
      return [];
  }
}
