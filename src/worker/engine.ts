// The studio engine: the worker's dispatcher. It owns the tf backend and the
// model slots (the main model, held by a TrainingSession, and comparison models
// for inference), answers every protocol request with one reply and forwards
// the session's events. The Web Worker entry is a thin wrapper around it; tests
// and scripts drive it directly in Node.

import * as tf from '@tensorflow/tfjs';
import { paramCount, toHfConfig, validateConfig, type ModelConfig } from '../model/config';
import { GPT } from '../model/gpt';
import type { BpeTokenizer } from '../tokenizer/bpe';
import { encodeCapture, encodeCheckpoint } from '../checkpoint/file';
import { META } from '../checkpoint/format';
import { AdamW } from '../train/optimizer';
import { RunFailure, TrainingSession } from '../train/session';
import type { TrainOptions } from '../train/options';
import type { ResumeRun, TrainingData } from '../train/run';
import type { TokenizerSpec } from '../tokenizer/types';
import { messageOf } from '../util/errors';
import { ExperimentInputError, ExperimentStopped, runExperiment, type ExperimentResult } from '../experiments';
import { initBackend, type BackendOptions } from './backend';
import type { BackendName, BackendReport } from './backends';
import { classify, EngineError } from './errors';
import { openModelFiles, tokenizerFor } from './models';
import { generateOptionsMessage, promptIds, runGeneration } from './generation';
import {
  MAIN_SLOT,
  RequestError,
  type ErrorCode,
  type ExportedModel,
  type GenerateResult,
  type LoadedModel,
  type Replies,
  type RequestOf,
  type Requests,
  type RequestType,
  type WorkerEvent,
  type WorkerMessage,
  type WorkerRequest,
} from './protocol';

/** A model loaded for comparison: inference only, never trained. */
interface CompareSlot {
  model: GPT;
  tokenizer: BpeTokenizer;
  name: string;
  step: number;
}

export class StudioEngine {
  private backend: BackendReport | null = null;
  private preference: BackendName | 'auto' = 'auto';
  private deviceProblem: { code: ErrorCode; message: string } | null = null;
  /** The main model, the one that trains, with its run, snapshots and checkpoints. */
  private readonly session: TrainingSession;
  /** Generations in flight, by request id; several may run at once (comparison columns). */
  private generations = new Map<number, { slot: string; cancelled: boolean }>();
  /** Models loaded for comparison, by slot name. */
  private slots = new Map<string, CompareSlot>();
  /** Serialises requests that replace the backend or the model. */
  private queue: Promise<unknown> = Promise.resolve();
  private nextCallId = 1;
  /** Stops the experiment in flight; null when none runs. */
  private experimentStop: AbortController | null = null;

  constructor(
    private readonly emit: (event: WorkerEvent) => void,
    private readonly backendOptions: BackendOptions = {},
  ) {
    this.session = new TrainingSession({
      // Captures become checkpoint files here, so the session knows nothing of the format.
      emit: (ev) => this.emit(ev.type === 'autoCapture' ? { type: 'autoCheckpoint', ...encodeCapture(ev.capture) } : ev),
      checkDevice: () => {
        if (this.deviceProblem) throw new EngineError(this.deviceProblem.code, this.deviceProblem.message);
      },
      describeFailure: (e) => classify(e, this.deviceProblem).message,
    });
  }

  /** Answers one request with exactly one reply, a value or an error; never throws. */
  async handle(req: WorkerRequest): Promise<WorkerMessage> {
    try {
      const value = await this.dispatch(req);
      return { kind: 'reply', id: req.id, type: req.type, ok: true, value: value ?? null };
    } catch (e) {
      const { code, message } = classify(e, null);
      return { kind: 'reply', id: req.id, type: req.type, ok: false, code, message };
    }
  }

  /** The same for callers in this thread (Node scripts, tests): the reply's value, or a thrown RequestError. */
  async call<K extends RequestType>(type: K, body: Requests[K], id = this.nextCallId++): Promise<Replies[K]> {
    const reply = await this.handle({ type, id, ...body } as unknown as WorkerRequest);
    if (reply.kind === 'reply' && !reply.ok) throw new RequestError(type, reply.code, reply.message);
    return (reply as { value: unknown }).value as Replies[K];
  }

  /**
   * Records a fatal device problem (the GPU was lost or ran out of memory). Called by
   * the backend's device watch; the training loop stops before its next step and the
   * model is restored from the last snapshot.
   */
  reportDeviceProblem(code: 'device-lost' | 'out-of-memory', message: string): void {
    this.deviceProblem = { code, message };
  }

  private dispatch(req: WorkerRequest): Promise<unknown> {
    switch (req.type) {
      // Control requests act at once, even while a run or a generation is in flight.
      case 'pause':
      case 'resume':
      case 'stop':
      case 'cancelGenerate':
      case 'memory':
      case 'setAutosave':
        return Promise.resolve().then(() => this.control(req));
      case 'renameModel':
        return Promise.resolve().then(() => ({ name: this.session.rename(req.name) }));
      case 'captureCheckpoint':
        return this.session.checkpoint().then(encodeCapture);
      case 'train':
        return this.train(req.data, req.options, req.resume);
      case 'generate':
        return this.generate(req);
      case 'experiment':
        return this.experiment(req);
      case 'stopExperiment':
        this.experimentStop?.abort();
        return Promise.resolve(null);
      default: {
        const run = this.queue.then(() => this.serial(req));
        this.queue = run.catch(() => undefined);
        return run;
      }
    }
  }

  private control(req: RequestOf<'pause' | 'resume' | 'stop' | 'cancelGenerate' | 'memory' | 'setAutosave'>): Replies['memory'] | null {
    switch (req.type) {
      case 'setAutosave':
        this.session.setAutosave(req.everySteps, req.everySeconds ?? 0);
        return null;
      case 'pause':
        this.session.pause();
        return null;
      case 'resume':
        // The weights are about to change under any generation from the main model.
        for (const g of this.generations.values()) if (g.slot === MAIN_SLOT) g.cancelled = true;
        this.session.resume();
        return null;
      case 'stop':
        this.session.stop();
        return null;
      case 'cancelGenerate': {
        const g = this.generations.get(req.generateId);
        if (g) g.cancelled = true;
        return null;
      }
      case 'memory': {
        const m = tf.memory();
        // Shader programs compiled so far (webgl binaryCache, webgpu pipelineCache): each new tensor shape adds some.
        const b = tf.backend() as unknown as { binaryCache?: object; pipelineCache?: object };
        const cache = b.binaryCache ?? b.pipelineCache;
        return { numTensors: m.numTensors, numBytes: m.numBytes, ...(cache ? { programs: Object.keys(cache).length } : {}) };
      }
    }
  }

  private async serial(req: WorkerRequest): Promise<unknown> {
    switch (req.type) {
      case 'init':
        return this.init(req.backend);
      case 'createModel':
        return this.createModel(req.config, req.seed, req.tokenizer);
      case 'loadModel':
        return this.loadModel(req);
      case 'logits':
        return this.logits(req.ids, req.slot);
      case 'unloadModel': {
        if (req.slot === MAIN_SLOT) throw new EngineError('bad-input', 'The main model cannot be unloaded; create or load another instead.');
        const s = this.slots.get(req.slot);
        if (s) {
          if (this.generatingIn(req.slot)) throw new EngineError('busy', `Stop the generation from "${s.name}" before unloading it.`);
          s.model.dispose();
          this.slots.delete(req.slot);
        }
        return null;
      }
      case 'tokenize': {
        const { tokenizer } = this.requireModel(req.slot);
        const ids = tokenizer.encode(req.text);
        return { ids, pieces: tokenizer.pieces(ids) };
      }
      case 'exportModel':
        return this.exportModel(req.includeOptimizer);
      default:
        throw new EngineError('internal', `Unhandled request ${req.type}`);
    }
  }

  // ---- slots ----------------------------------------------------------------

  private requireModel(slot: string = MAIN_SLOT): { model: GPT; tokenizer: BpeTokenizer } {
    if (slot === MAIN_SLOT) return this.session.requireModel();
    const s = this.slots.get(slot);
    if (!s) throw new EngineError('no-model', `No model is loaded in the comparison slot "${slot}".`);
    return s;
  }

  private generatingIn(slot: string): boolean {
    return [...this.generations.values()].some((g) => g.slot === slot);
  }

  private requireIdle(action: string): void {
    if (this.session.active) throw new EngineError('busy', `Cannot ${action} while training runs: stop the run first.`);
  }

  /** Tells the UI the main model changed, and returns what it says. */
  private announce(): LoadedModel {
    const { model, tokenizer } = this.session.requireModel();
    const info: LoadedModel = {
      config: model.config,
      paramCount: model.parameterCount,
      tokenizerVocab: tokenizer.vocabSize,
      name: this.session.name,
      ...(this.session.named ? { named: true } : {}),
      step: this.session.trainedSteps,
      slot: MAIN_SLOT,
    };
    this.emit({ type: 'modelReady', ...info });
    return info;
  }

  // ---- backend ------------------------------------------------------------

  private deviceWatch() {
    return {
      onLost: (message: string) => this.reportDeviceProblem('device-lost', message),
      onOutOfMemory: (message: string) => this.reportDeviceProblem('out-of-memory', `${message} Lower the batch size, context or width.`),
    };
  }

  private async init(preference: BackendName | 'auto'): Promise<BackendReport> {
    this.requireIdle('change the backend');
    // Keep the model across a backend switch by going through the host.
    const carry = this.session.model ? await this.session.takeSnapshot() : null;
    this.session.releaseTensors();
    this.preference = preference;
    this.deviceProblem = null;
    let report: BackendReport;
    try {
      report = await initBackend(preference, this.backendOptions, this.deviceWatch());
    } catch (e) {
      throw new EngineError('backend-failed', messageOf(e));
    }
    this.backend = report;
    this.emit({ type: 'backend', report });
    if (carry && this.session.tokenizer) {
      this.session.restore(carry);
      this.announce();
    }
    return report;
  }

  // ---- models -------------------------------------------------------------

  private async createModel(config: ModelConfig, seed: number, spec: TokenizerSpec): Promise<LoadedModel> {
    this.requireIdle('create a model');
    if (!this.backend) throw new EngineError('backend-failed', 'The backend is not initialised yet.');
    const problems = validateConfig(config, { limits: this.backend.limits });
    if (problems.length > 0) throw new EngineError('invalid-config', problems.map((p) => p.message).join(' '));
    const tokenizer = tokenizerFor(spec, config);
    // Build the new model before letting go of the old one, so a failure keeps it.
    const model = GPT.create(config, seed);
    this.session.replaceModel(model, tokenizer, `New model (${(paramCount(config) / 1e6).toFixed(2)}M params, seed ${seed})`, 0);
    return this.announce();
  }

  private async loadModel(req: RequestOf<'loadModel'>): Promise<LoadedModel> {
    const slot = req.slot ?? MAIN_SLOT;
    // A comparison slot never touches the model that trains, so it may load mid-run.
    if (slot === MAIN_SLOT) this.requireIdle('load a model');
    if (!this.backend) throw new EngineError('backend-failed', 'The backend is not initialised yet.');
    const { ck, tokenizer } = openModelFiles(req.name, req.safetensors, req.configJson, req.tokenizerJson);
    const problems = validateConfig(ck.config, { limits: this.backend.limits });
    if (problems.length > 0) throw new EngineError('invalid-config', problems.map((p) => p.message).join(' '));
    const step = Number(ck.meta.step ?? ck.optimizer?.step ?? 0) || 0;
    if (this.generatingIn(slot)) {
      throw new EngineError(
        'busy',
        slot === MAIN_SLOT ? 'Stop the running generation before loading another model.' : `A generation is running in the slot "${slot}": stop it before loading another model there.`,
      );
    }
    // A comparison slot holds the merged model; the main one keeps a LoRA run's adapters so it can resume.
    const model = GPT.fromWeights(ck.config, ck.weights, slot === MAIN_SLOT ? ck.lora : null);
    if (slot !== MAIN_SLOT) {
      this.slots.get(slot)?.model.dispose();
      this.slots.set(slot, { model, tokenizer, name: req.name, step });
      return { config: model.config, paramCount: model.parameterCount, tokenizerVocab: tokenizer.vocabSize, name: req.name, step, slot };
    }
    let optimizer: AdamW | null = null;
    if (ck.optimizer) {
      optimizer = new AdamW(model.trainable);
      optimizer.loadState(ck.optimizer);
    }
    this.session.replaceModel(model, tokenizer, req.name, step, optimizer, req.named === true);
    return this.announce();
  }

  // ---- training -------------------------------------------------------------

  private async train(data: TrainingData, options: TrainOptions, resume?: ResumeRun): Promise<{ state: 'done' | 'stopped'; step: number }> {
    this.session.requireModel();
    if (this.generatingIn(MAIN_SLOT)) throw new EngineError('busy', 'Wait for generation to finish (or stop it) before training.');
    try {
      return await this.session.train(data, options, resume, this.backend?.limits);
    } catch (e) {
      // A refusal changed nothing; a run that failed part-way is undone from its snapshot.
      if (!(e instanceof RunFailure)) throw e;
      const problem = classify(e.cause, this.deviceProblem);
      await this.recover(problem.code);
      throw new EngineError(problem.code, problem.message);
    }
  }

  /** After a failed run: put the last good snapshot back, on a fresh backend if the device is gone. */
  private async recover(code: ErrorCode): Promise<void> {
    const snap = this.session.lastSnapshot;
    if (!snap) return;
    try {
      if (code === 'device-lost' || code === 'out-of-memory') {
        this.session.releaseTensors();
        this.deviceProblem = null;
        const report = await initBackend(this.preference, this.backendOptions, this.deviceWatch());
        this.backend = report;
        this.emit({ type: 'backend', report });
      }
      this.session.restore(snap);
      this.announce();
      this.emit({
        type: 'recovered',
        message: `The model was restored to its last good state (after ${snap.trainedSteps} training steps) on ${this.backend!.name}.`,
        step: snap.trainedSteps,
        backend: this.backend!.name,
      });
    } catch (e) {
      this.emit({ type: 'problem', code: 'backend-failed', message: `Could not restore the model after the failure: ${messageOf(e)}` });
    }
  }

  // ---- inference --------------------------------------------------------------

  /** Runs an experiment on copies of a comparison slot's model, one at a time. */
  private async experiment(req: RequestOf<'experiment'>): Promise<ExperimentResult> {
    if (this.experimentStop) throw new EngineError('busy', 'An experiment is already running: wait for it, or stop it first.');
    if (this.session.active) throw new EngineError('busy', 'A training run is in progress: pause or stop it before running an experiment.');
    const { model, tokenizer } = this.requireModel(req.slot);
    const stop = new AbortController();
    this.experimentStop = stop;
    try {
      return await runExperiment({ model, tokenizer, template: req.template, signal: stop.signal, onProgress: (line) => this.emit({ type: 'experimentProgress', line }) }, req.run);
    } catch (e) {
      if (e instanceof ExperimentStopped || e instanceof ExperimentInputError) throw new EngineError('bad-input', e.message);
      throw e;
    } finally {
      this.experimentStop = null;
    }
  }

  private async generate(req: RequestOf<'generate'>): Promise<GenerateResult> {
    const slot = req.slot ?? MAIN_SLOT;
    const { model, tokenizer } = this.requireModel(slot);
    if (slot === MAIN_SLOT && this.session.active && !this.session.paused) throw new EngineError('busy', 'Pause training to generate: the weights change at every step.');
    if (this.generations.has(req.id)) throw new EngineError('bad-input', `A generation with id ${req.id} is already running.`);
    const refused = generateOptionsMessage(req.options);
    if (refused) throw new EngineError('bad-input', refused);
    const prompt = promptIds(model, tokenizer, req.prompt, req.format);
    if (typeof prompt === 'string') throw new EngineError('bad-input', prompt);
    const state = { slot, cancelled: false };
    this.generations.set(req.id, state);
    this.emit({ type: 'generateStarted', requestId: req.id, promptText: tokenizer.decode(prompt), promptTokens: prompt.length });
    try {
      return await runGeneration(model, tokenizer, prompt, req.options, (tokenId, text) => this.emit({ type: 'token', requestId: req.id, tokenId, text }), () => state.cancelled);
    } finally {
      this.generations.delete(req.id);
    }
  }

  private async logits(ids: number[], slot?: string): Promise<{ logits: Float32Array; positions: number; vocabSize: number }> {
    const { model } = this.requireModel(slot);
    const { contextLength: C, vocabSize: V } = model.config;
    if (ids.length < 1 || ids.length > C) throw new EngineError('bad-input', `Give 1 to ${C} token ids, got ${ids.length}.`);
    if (ids.some((t) => !Number.isInteger(t) || t < 0 || t >= V)) throw new EngineError('bad-input', `Token ids must be whole numbers from 0 to ${V - 1}.`);
    const out = tf.tidy(() => model.forward(tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32')));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return { logits: data, positions: ids.length, vocabSize: V };
  }

  private async exportModel(includeOptimizer: boolean): Promise<ExportedModel> {
    const { model, tokenizer } = this.session.requireModel();
    const optimizer = this.session.optimizer;
    // The weights are merged with any adapters; the adapters travel only with the optimizer state that trains them.
    const lora = includeOptimizer && optimizer ? await model.readLora() : null;
    const bytes = encodeCheckpoint({
      config: model.config,
      weights: await model.readWeights(),
      ...(includeOptimizer && optimizer ? { optimizer: await optimizer.readState() } : {}),
      ...(lora ? { lora } : {}),
      meta: { [META.step]: String(this.session.trainedSteps), [META.name]: this.session.name },
    });
    return {
      safetensors: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      configJson: JSON.stringify(toHfConfig(model.config), null, 2),
      tokenizerJson: JSON.stringify(tokenizer.toJSON()),
    };
  }
}
