// The wire between the UI thread and the trainer Web Worker, and nothing else:
// domain types live in the layers that own them and are only named here.
//
// A typed union rather than comlink: every request carries an id and gets
// exactly one reply (a value or an error) through WorkerClient.request, and the
// worker's unasked-for news (progress, tokens, autosaves, recoveries) travels as
// a separate union of events. comlink would give the first half but not the
// second, and would hide the transfer list we want to see. Large buffers are
// transferred, never copied.

import type { CapturedCheckpoint } from '../checkpoint/info';
import type { PromptTemplate } from '../data/templates';
import type { ExperimentRequest, ExperimentResult } from '../experiments';
import type { PromptFormat } from '../data/render';
import type { ModelConfig } from '../model/config';
import type { GenerateOptions } from '../model/sampling';
import type { TokenizerSpec } from '../tokenizer/types';
import type { TrainOptions } from '../train/options';
import type { DataReport, ResumeRun, TrainingData, TrainState } from '../train/run';
import type { BackendChoice, BackendName, BackendReport } from './backends';

/**
 * Generation runs on the main model (the one that trains) unless a slot names
 * another model loaded for comparison.
 */
export const MAIN_SLOT = 'main';

/** A model as the worker holds it. */
export interface LoadedModel {
  config: ModelConfig;
  paramCount: number;
  tokenizerVocab: number;
  name: string;
  /** True when the user gave the model its name (it then stays as given as the model trains). */
  named?: boolean;
  /** Steps this model has been trained for (0 for a new model). */
  step: number;
  /** MAIN_SLOT, or the comparison slot it was loaded into. */
  slot: string;
}

export interface GenerateResult {
  reason: 'maxTokens' | 'eos' | 'cancelled';
  tokenCount: number;
  tokensPerSec: number;
  /** The whole answer; a character split across two tokens only decodes once both are there. */
  text: string;
}

export interface ExportedModel {
  safetensors: ArrayBuffer;
  configJson: string;
  tokenizerJson: string;
}

/** A request that carries nothing but its type. */
type NoFields = Record<never, never>;

/** What each request carries (its `id` and `type` are added on the wire). */
export interface Requests {
  init: { backend: BackendChoice };
  createModel: { config: ModelConfig; seed: number; tokenizer: TokenizerSpec };
  /**
   * Loads into the main slot (replacing the model that trains) or into a named comparison slot.
   * An empty configJson or tokenizerJson takes it from the checkpoint's own metadata.
   */
  loadModel: { name: string; safetensors: ArrayBuffer; configJson: string; tokenizerJson: string; slot?: string; named?: boolean };
  /** Gives the main model the user's own name, even mid-run; checkpoints taken from now on carry it. Answered with the clean name. */
  renameModel: { name: string };
  unloadModel: { slot: string };
  /** Answered when the run ends; with `resume`, continues a run from a checkpoint loaded into the main slot. */
  train: { data: TrainingData; options: TrainOptions; resume?: ResumeRun };
  pause: NoFields;
  resume: NoFields;
  stop: NoFields;
  /** Answered when the answer is complete; its tokens stream as `token` events carrying this request's id. */
  generate: { prompt: string; options: GenerateOptions; format?: PromptFormat; slot?: string };
  /** Ends the generation whose request id is `generateId` (it then answers with reason 'cancelled'). */
  cancelGenerate: { generateId: number };
  /** Next-token logits at every position of `ids`, for inspection and parity tests. */
  logits: { ids: number[]; slot?: string };
  tokenize: { text: string; slot?: string };
  exportModel: { includeOptimizer: boolean };
  /** The full training state of the main model (weights, optimizer, run state), as one checkpoint file. */
  captureCheckpoint: NoFields;
  /**
   * Checkpoint every this many steps of a run and every `everySeconds` of its
   * training time (absent or 0: by steps only), and when it pauses, stops or
   * finishes; both 0 turn autosave off.
   */
  setAutosave: { everySteps: number; everySeconds?: number };
  memory: NoFields;
  /**
   * Runs an experiment (src/experiments) from the model in comparison slot `slot`: each arm
   * tunes a copy, so the slot's model and the main model are untouched. `template`: the one
   * the model answers in. Progress streams as `experimentProgress` events.
   */
  experiment: { slot: string; template: PromptTemplate; run: ExperimentRequest };
  /** Stops the experiment in flight between steps; it then fails with a 'stopped' message and keeps nothing. */
  stopExperiment: NoFields;
}

/** What each request is answered with. */
export interface Replies {
  init: BackendReport;
  createModel: LoadedModel;
  loadModel: LoadedModel;
  renameModel: { name: string };
  unloadModel: null;
  train: { state: 'done' | 'stopped'; step: number };
  pause: null;
  resume: null;
  stop: null;
  generate: GenerateResult;
  cancelGenerate: null;
  logits: { logits: Float32Array; positions: number; vocabSize: number };
  tokenize: { ids: number[]; pieces: string[] };
  exportModel: ExportedModel;
  captureCheckpoint: CapturedCheckpoint;
  setAutosave: null;
  memory: { numTensors: number; numBytes: number; programs?: number };
  experiment: ExperimentResult;
  stopExperiment: null;
}

export type RequestType = keyof Requests;

/** A request as it travels: its type, its id and its fields. */
export type WorkerRequest = { [K in RequestType]: { type: K; id: number } & Requests[K] }[RequestType];
export type RequestOf<K extends RequestType> = Extract<WorkerRequest, { type: K }>;
/** A request before an id is given to it. */
export type RequestDraft = { [K in RequestType]: { type: K; id?: number } & Requests[K] }[RequestType];

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

/** News from the worker that no request asked for, in the order it happened. */
export type WorkerEvent =
  /** The backend now running: after init, and after a lost device was replaced. */
  | { type: 'backend'; report: BackendReport }
  /** The main model changed: created, loaded, or restored after a failure. */
  | ({ type: 'modelReady' } & LoadedModel)
  | ({ type: 'dataReport' } & DataReport)
  /** `modelName`: what the main model is called now ("Your model: tuned from ..." once it has trained). */
  | { type: 'trainState'; state: TrainState; step: number; totalSteps: number; modelName?: string; message?: string }
  | {
      type: 'trainProgress';
      step: number;
      totalSteps: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokensPerSec: number;
      etaSec: number | null;
      elapsedSec: number;
      /** Length of this step's batch: a new length compiles new GPU programs. */
      seqLen?: number;
    }
  | { type: 'evalResult'; step: number; valLoss: number }
  /** A progress line of the experiment in flight (an arm's step, or what it measures). */
  | { type: 'experimentProgress'; line: string }
  /** The exact prompt the model was given (after template formatting), sent once before its tokens. */
  | { type: 'generateStarted'; requestId: number; promptText: string; promptTokens: number }
  | { type: 'token'; requestId: number; tokenId: number; text: string }
  /** A checkpoint the worker took by itself: every N steps, or as a run paused, stopped or finished. */
  | ({ type: 'autoCheckpoint' } & CapturedCheckpoint)
  /** The run hit a fatal device error and the model was restored from its last good snapshot. */
  | { type: 'recovered'; message: string; step: number; backend: BackendName }
  /** A failure that answers no request (an autosave, a recovery, the worker itself). */
  | { type: 'problem'; code: ErrorCode; message: string };

export type EventOf<T extends WorkerEvent['type']> = Extract<WorkerEvent, { type: T }>;

/** Everything the worker posts: one reply per request, and events. */
export type WorkerMessage =
  | { kind: 'reply'; id: number; type: RequestType; ok: true; value: unknown }
  | { kind: 'reply'; id: number; type: RequestType; ok: false; code: ErrorCode; message: string }
  | { kind: 'event'; event: WorkerEvent };

/** Buffers inside a request that should be transferred rather than copied. */
export function requestTransferables(req: WorkerRequest): Transferable[] {
  return req.type === 'loadModel' ? [req.safetensors] : [];
}

/** Buffers inside a worker message that should be transferred rather than copied. */
export function messageTransferables(msg: WorkerMessage): Transferable[] {
  if (msg.kind === 'event') return msg.event.type === 'autoCheckpoint' ? [msg.event.bytes] : [];
  if (!msg.ok) return [];
  const v = msg.value as Partial<{ safetensors: ArrayBuffer; bytes: ArrayBuffer; logits: Float32Array }> | null;
  if (msg.type === 'exportModel' && v?.safetensors) return [v.safetensors];
  if (msg.type === 'captureCheckpoint' && v?.bytes) return [v.bytes];
  if (msg.type === 'logits' && v?.logits) return [v.logits.buffer as ArrayBuffer];
  return [];
}

/** A request the worker answered with an error, or that died with the worker. */
export class RequestError extends Error {
  constructor(
    readonly request: RequestType | 'worker',
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
