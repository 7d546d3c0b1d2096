// The studio engine: owns the tf backend, the live model, its optimizer and
// tokenizer, and turns protocol requests into protocol events. The Web Worker
// entry is a thin wrapper around it; tests drive it directly in Node.

import * as tf from '@tensorflow/tfjs';
import { paramCount, toHfConfig, validateConfig, type ModelConfig } from '../model/config';
import { GPT, type HostTensor } from '../model/gpt';
import { generateTokens } from '../model/generate';
import { BpeTokenizer, StreamDecoder } from '../tokenizer/bpe';
import { TokenStreamBatches } from '../train/batches';
import { decodeCheckpoint, encodeCheckpoint } from '../train/checkpoint';
import { AdamW } from '../train/optimizer';
import { Trainer, TrainingDivergedError } from '../train/trainer';
import { initBackend, type BackendOptions } from './backend';
import { promptExample } from '../data/templates';
import { renderPrompt } from '../data/render';
import { prepareInstructionData } from '../train/instructions';
import type { BatchSource, Batch } from '../train/batches';
import { MAIN_SLOT, RequestError, type ErrorCode, type Replies, type Requests, type RequestType, type ExportedModel, type GenerateResult, type LoadedModel, type RequestOf, type WorkerEvent, type WorkerMessage, type WorkerRequest } from './protocol';
import type { BackendName, BackendReport } from './backends';
import type { CapturedCheckpoint, CheckpointInfo, CheckpointReason } from '../checkpoint/info';
import { generateOptionProblems } from '../model/sampling';
import { trainOptionProblems, type TrainOptions } from '../train/options';
import type { LossPoint, ResumeRun, RunState, TrainingData } from '../train/run';
import type { TokenizerSpec } from '../tokenizer/types';
import { dataFingerprint, META } from './checkpointFile';

/** A model loaded for comparison: inference only, never trained. */
interface CompareSlot {
  model: GPT;
  tokenizer: BpeTokenizer;
  name: string;
  step: number;
}

/** A copy of everything needed to rebuild the model after a device failure. */
interface Snapshot {
  config: ModelConfig;
  weights: Map<string, HostTensor>;
  optimizer: { step: number; m: Map<string, HostTensor>; v: Map<string, HostTensor> } | null;
  trainedSteps: number;
}

/** The run the main model is in (or last finished), so a checkpoint can say where it stands. */
interface RunContext {
  data: TrainingData;
  options: TrainOptions;
  source: BatchSource;
  trainer: Trainer;
  dataHash: string;
  lossHistory: LossPoint[];
  valHistory: LossPoint[];
}

/** 256 byte tokens plus <|endoftext|> and <|pad|>. */
const MIN_BPE_VOCAB = 258;

/** Snapshots are refreshed at least this often during training, in steps and seconds. */
const SNAPSHOT_EVERY_STEPS = 25;
const SNAPSHOT_EVERY_SEC = 20;

class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Maps a thrown error to a protocol error code and a message a user can act on. */
function classify(e: unknown, deviceProblem: { code: ErrorCode; message: string } | null): { code: ErrorCode; message: string } {
  if (deviceProblem) return deviceProblem;
  if (e instanceof EngineError) return { code: e.code, message: e.message };
  if (e instanceof TrainingDivergedError) return { code: 'diverged', message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  if (/out of memory|OOM|allocat/i.test(message)) {
    return { code: 'out-of-memory', message: `The device ran out of memory (${message}). Lower the batch size, context or width.` };
  }
  if (/device (was )?lost|context lost|GPUDevice/i.test(message)) return { code: 'device-lost', message: `The GPU device was lost (${message}).` };
  return { code: 'internal', message };
}

export class StudioEngine {
  private backend: BackendReport | null = null;
  private preference: BackendName | 'auto' = 'auto';
  private model: GPT | null = null;
  private optimizer: AdamW | null = null;
  private tokenizer: BpeTokenizer | null = null;
  private modelName = '';
  /** Optimizer steps this model has had, across runs. */
  private trainedSteps = 0;
  private trainer: Trainer | null = null;
  private snapshot: Snapshot | null = null;
  private deviceProblem: { code: ErrorCode; message: string } | null = null;
  /** Generations in flight, by request id; several may run at once (comparison columns). */
  private generations = new Map<number, { slot: string; cancelled: boolean }>();
  /** Models loaded for comparison, by slot name. */
  private slots = new Map<string, CompareSlot>();
  /** Serialises requests that replace the backend or the model. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Checkpoint every this many run steps (and on pause, stop, finish); 0 = off. */
  private autosaveEvery = 0;
  private run: RunContext | null = null;
  /** Checkpoints are taken one at a time; the training loop waits for the one in progress. */
  private captureChain: Promise<void> = Promise.resolve();
  /** Checkpoint requests that arrived mid-step, answered at the next step boundary. */
  private nextCallId = 1;
  private pendingCaptures: Array<{ resolve: (c: CapturedCheckpoint) => void; reject: (e: unknown) => void }> = [];

  constructor(
    private readonly emit: (event: WorkerEvent) => void,
    private readonly backendOptions: BackendOptions = {},
  ) {}

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
      case 'captureCheckpoint':
        return this.checkpointRequest();
      case 'train':
        return this.train(req.data, req.options, req.resume);
      case 'generate':
        return this.generate(req);
      default: {
        const run = this.queue.then(() => this.serial(req));
        this.queue = run.catch(() => undefined);
        return run;
      }
    }
  }

  private requireModel(slot: string = MAIN_SLOT): { model: GPT; tokenizer: BpeTokenizer } {
    if (slot !== MAIN_SLOT) {
      const s = this.slots.get(slot);
      if (!s) throw new EngineError('no-model', `No model is loaded in the comparison slot "${slot}".`);
      return s;
    }
    if (!this.model || !this.tokenizer) throw new EngineError('no-model', 'No model yet: create or load a model first.');
    return { model: this.model, tokenizer: this.tokenizer };
  }

  private mainGenerating(): boolean {
    return [...this.generations.values()].some((g) => g.slot === MAIN_SLOT);
  }

  private requireIdle(action: string): void {
    if (this.trainer) throw new EngineError('busy', `Cannot ${action} while training runs: stop the run first.`);
  }

  private control(req: RequestOf<'pause' | 'resume' | 'stop' | 'cancelGenerate' | 'memory' | 'setAutosave'>): { numTensors: number; numBytes: number } | null {
    switch (req.type) {
      case 'setAutosave':
        if (!Number.isInteger(req.everySteps) || req.everySteps < 0) throw new EngineError('bad-input', `autosave every ${req.everySteps} steps: give a whole number, 0 to turn it off.`);
        this.autosaveEvery = req.everySteps;
        return null;
      case 'pause':
        if (!this.trainer) throw new EngineError('bad-input', 'Nothing to pause: no training run is active.');
        this.trainer.pause();
        return null;
      case 'resume':
        if (!this.trainer) throw new EngineError('bad-input', 'Nothing to resume: no training run is active.');
        // The weights are about to change under any generation from the main model.
        for (const g of this.generations.values()) if (g.slot === MAIN_SLOT) g.cancelled = true;
        this.trainer.resume();
        return null;
      case 'stop':
        if (!this.trainer) throw new EngineError('bad-input', 'Nothing to stop: no training run is active.');
        this.trainer.stop();
        return null;
      case 'cancelGenerate': {
        const g = this.generations.get(req.generateId);
        if (g) g.cancelled = true;
        return null;
      }
      case 'memory': {
        const m = tf.memory();
        return { numTensors: m.numTensors, numBytes: m.numBytes };
      }
    }
  }

  /**
   * Records a fatal device problem (the GPU was lost or ran out of memory). Called by
   * the backend's device watch; the training loop stops before its next step and the
   * model is restored from the last snapshot.
   */
  reportDeviceProblem(code: 'device-lost' | 'out-of-memory', message: string): void {
    this.deviceProblem = { code, message };
  }

  private deviceWatch() {
    return {
      onLost: (message: string) => this.reportDeviceProblem('device-lost', message),
      onOutOfMemory: (message: string) => this.reportDeviceProblem('out-of-memory', `${message} Lower the batch size, context or width.`),
    };
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
          if ([...this.generations.values()].some((g) => g.slot === req.slot)) throw new EngineError('busy', `Stop the generation from "${s.name}" before unloading it.`);
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

  // ---- backend ------------------------------------------------------------

  private async init(preference: BackendName | 'auto'): Promise<BackendReport> {
    this.requireIdle('change the backend');
    // Keep the model across a backend switch by going through the host.
    const carry = this.model ? await this.takeSnapshot() : null;
    this.disposeModel(false);
    this.preference = preference;
    this.deviceProblem = null;
    let report: BackendReport;
    try {
      report = await initBackend(preference, this.backendOptions, this.deviceWatch());
    } catch (e) {
      throw new EngineError('backend-failed', (e as Error).message);
    }
    this.backend = report;
    this.emit({ type: 'backend', report });
    if (carry && this.tokenizer) this.restore(carry);
    return report;
  }

  // ---- models -------------------------------------------------------------

  private disposeModel(forgetTokenizer: boolean): void {
    try {
      this.optimizer?.dispose();
      this.model?.dispose();
    } catch {
      // A lost device can make disposal throw; the tensors are gone either way.
    }
    this.optimizer = null;
    this.model = null;
    if (forgetTokenizer) this.tokenizer = null;
  }

  /** Tells the UI the main model changed, and returns what it says. */
  private announce(): LoadedModel {
    const { model, tokenizer } = this.requireModel();
    const info: LoadedModel = {
      config: model.config,
      paramCount: model.parameterCount,
      tokenizerVocab: tokenizer.vocabSize,
      name: this.modelName,
      step: this.trainedSteps,
      slot: MAIN_SLOT,
    };
    this.emit({ type: 'modelReady', ...info });
    return info;
  }

  private async createModel(config: ModelConfig, seed: number, spec: TokenizerSpec): Promise<LoadedModel> {
    this.requireIdle('create a model');
    if (!this.backend) throw new EngineError('backend-failed', 'The backend is not initialised yet.');
    const problems = validateConfig(config, { limits: this.backend.limits });
    if (problems.length > 0) throw new EngineError('invalid-config', problems.map((p) => p.message).join(' '));
    if (spec.kind === 'bpe-train' && config.vocabSize < MIN_BPE_VOCAB) {
      throw new EngineError(
        'invalid-config',
        `vocabSize = ${config.vocabSize} is too small for a byte-level tokenizer: it needs at least ${MIN_BPE_VOCAB} ids (256 bytes and 2 special tokens), plus room for learned merges.`,
      );
    }
    let tokenizer: BpeTokenizer;
    try {
      tokenizer = spec.kind === 'json' ? BpeTokenizer.fromJSON(JSON.parse(spec.json)) : BpeTokenizer.train(spec.text, { vocabSize: config.vocabSize });
    } catch (e) {
      throw new EngineError('bad-input', `Tokenizer: ${(e as Error).message}`);
    }
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new EngineError('invalid-config', `vocabSize = ${config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} tokens: every token id needs an embedding row.`);
    }
    // Build the new model before letting go of the old one, so a failure keeps it.
    const model = GPT.create(config, seed);
    this.disposeModel(true);
    this.model = model;
    this.tokenizer = tokenizer;
    this.modelName = `New model (${(paramCount(config) / 1e6).toFixed(2)}M params, seed ${seed})`;
    this.trainedSteps = 0;
    this.snapshot = null;
    this.run = null;
    return this.announce();
  }

  private async loadModel(req: RequestOf<'loadModel'>): Promise<LoadedModel> {
    // A comparison slot never touches the model that trains, so it may load mid-run.
    if ((req.slot ?? MAIN_SLOT) === MAIN_SLOT) this.requireIdle('load a model');
    if (!this.backend) throw new EngineError('backend-failed', 'The backend is not initialised yet.');
    let ck;
    let tokenizer: BpeTokenizer;
    try {
      ck = decodeCheckpoint(req.safetensors, req.configJson || undefined);
      const tokenizerJson = req.tokenizerJson || ck.meta[META.tokenizer];
      if (!tokenizerJson) throw new Error('no tokenizer.json was given and the checkpoint has none in its metadata');
      tokenizer = BpeTokenizer.fromJSON(JSON.parse(tokenizerJson));
    } catch (e) {
      throw new EngineError('bad-input', `Cannot load "${req.name}": ${(e as Error).message}`);
    }
    if (tokenizer.vocabSize > ck.config.vocabSize) {
      throw new EngineError('bad-input', `Cannot load "${req.name}": its tokenizer has ${tokenizer.vocabSize} tokens but the model only ${ck.config.vocabSize}.`);
    }
    const problems = validateConfig(ck.config, { limits: this.backend.limits });
    if (problems.length > 0) throw new EngineError('invalid-config', problems.map((p) => p.message).join(' '));
    const model = GPT.fromWeights(ck.config, ck.weights);
    const step = Number(ck.meta.step ?? ck.optimizer?.step ?? 0) || 0;
    const slot = req.slot ?? MAIN_SLOT;
    if (slot !== MAIN_SLOT) {
      if ([...this.generations.values()].some((g) => g.slot === slot)) {
        model.dispose();
        throw new EngineError('busy', `A generation is running in the slot "${slot}": stop it before loading another model there.`);
      }
      this.slots.get(slot)?.model.dispose();
      this.slots.set(slot, { model, tokenizer, name: req.name, step });
      return { config: model.config, paramCount: model.parameterCount, tokenizerVocab: tokenizer.vocabSize, name: req.name, step, slot };
    }
    if (this.mainGenerating()) {
      model.dispose();
      throw new EngineError('busy', 'Stop the running generation before loading another model.');
    }
    let optimizer: AdamW | null = null;
    if (ck.optimizer) {
      optimizer = new AdamW(model.params);
      optimizer.loadState(ck.optimizer);
    }
    this.disposeModel(true);
    this.model = model;
    this.optimizer = optimizer;
    this.tokenizer = tokenizer;
    this.modelName = req.name;
    this.trainedSteps = step;
    this.snapshot = null;
    this.run = null;
    return this.announce();
  }

  private async takeSnapshot(): Promise<Snapshot> {
    const { model } = this.requireModel();
    return {
      config: model.config,
      weights: await model.readWeights(),
      optimizer: this.optimizer ? await this.optimizer.readState() : null,
      trainedSteps: this.trainedSteps,
    };
  }

  /** Rebuilds the model (and optimizer) from host copies on the current backend. */
  private restore(s: Snapshot): void {
    this.disposeModel(false);
    this.model = GPT.fromWeights(s.config, s.weights);
    if (s.optimizer) {
      this.optimizer = new AdamW(this.model.params);
      this.optimizer.loadState(s.optimizer);
    }
    this.trainedSteps = s.trainedSteps;
    this.announce();
  }

  // ---- training -------------------------------------------------------------

  private async train(data: TrainingData, options: TrainOptions, resume?: ResumeRun): Promise<{ state: 'done' | 'stopped'; step: number }> {
    const { model, tokenizer } = this.requireModel();
    if (this.trainer) throw new EngineError('busy', 'A training run is already active: pause or stop it first.');
    if (this.mainGenerating()) throw new EngineError('busy', 'Wait for generation to finish (or stop it) before training.');
    const cfg = model.config;
    const problems = validateConfig(cfg, { batchSize: options.batchSize, limits: this.backend?.limits });
    if (problems.length > 0) throw new EngineError('invalid-config', problems.map((p) => p.message).join(' '));
    const optionProblems = trainOptionProblems(options);
    if (optionProblems.length > 0) throw new EngineError('bad-input', optionProblems.map((p) => p.message).join(' '));
    const dataHash = dataFingerprint(data);
    if (resume) this.checkResume(resume, options, dataHash);
    const { source, evalBatches } = this.prepareData(data, options, tokenizer, cfg.contextLength);
    if (resume) {
      try {
        source.setState(resume.samplerState);
      } catch (e) {
        throw new EngineError('bad-input', `Cannot resume: the checkpoint's batch sampler state does not fit this data (${(e as Error).message}).`);
      }
    }
    this.optimizer ??= new AdamW(model.params);
    this.optimizer.options = { ...this.optimizer.options, weightDecay: options.weightDecay };
    this.snapshot = await this.takeSnapshot();
    let snapTime = performance.now();
    const startStep = resume?.runStep ?? 0;
    let snapStep = startStep;
    const trainer = new Trainer(
      model,
      this.optimizer,
      source,
      { ...options, startStep },
      {
        beforeStep: async () => {
          if (this.deviceProblem) throw new EngineError(this.deviceProblem.code, this.deviceProblem.message);
          // A checkpoint being read (e.g. on pause) must see the weights of one step.
          await this.captureChain;
        },
        onStep: async (info) => {
          this.trainedSteps++;
          run.lossHistory.push({ step: info.step, loss: info.loss });
          this.emit({ type: 'trainProgress', ...info });
          if (info.step - snapStep >= SNAPSHOT_EVERY_STEPS || (performance.now() - snapTime) / 1000 >= SNAPSHOT_EVERY_SEC) {
            this.snapshot = await this.takeSnapshot();
            snapStep = info.step;
            snapTime = performance.now();
          }
          // Between steps the weights, moments and sampler agree: the place to checkpoint.
          if (this.autosaveEvery > 0 && info.step % this.autosaveEvery === 0 && info.step < info.totalSteps) await this.autosave('autosave');
          await this.flushPendingCaptures();
        },
        onEval: (e) => {
          run.valHistory.push({ step: e.step, loss: e.valLoss });
          this.emit({ type: 'evalResult', ...e });
        },
      },
      evalBatches,
    );
    const run: RunContext = {
      data,
      options,
      source,
      trainer,
      dataHash,
      lossHistory: resume?.lossHistory?.filter((p) => p.step <= startStep) ?? [],
      valHistory: resume?.valHistory?.filter((p) => p.step <= startStep) ?? [],
    };
    this.run = run;
    this.trainer = trainer;
    const total = options.steps;
    this.emit({ type: 'trainState', state: 'running', step: startStep, totalSteps: total });
    try {
      const result = await trainer.run(async (paused) => {
        if (paused) this.snapshot = await this.takeSnapshot().catch(() => this.snapshot);
        this.emit({ type: 'trainState', state: paused ? 'paused' : 'running', step: trainer.step, totalSteps: total });
        if (paused) void this.autosave('pause');
      });
      this.trainer = null;
      this.snapshot = await this.takeSnapshot();
      this.emit({ type: 'trainState', state: result, step: trainer.step, totalSteps: total });
      await this.autosave(result === 'done' ? 'done' : 'stop');
      await this.flushPendingCaptures();
      return { state: result, step: trainer.step };
    } catch (e) {
      this.trainer = null;
      // The model goes back to an earlier snapshot, which the sampler state no longer matches.
      this.run = null;
      await this.flushPendingCaptures();
      const problem = classify(e, this.deviceProblem);
      this.emit({ type: 'trainState', state: 'failed', step: trainer.step, totalSteps: total, message: problem.message });
      await this.recover(problem.code);
      throw new EngineError(problem.code, problem.message);
    }
  }

  /** Refuses a resume that cannot continue the run exactly, before anything changes. */
  private checkResume(resume: ResumeRun, options: TrainOptions, dataHash: string): void {
    if (!this.optimizer) {
      throw new EngineError('bad-input', 'Cannot resume: the model has no optimizer state. Load a checkpoint that was saved during training first.');
    }
    if (!Number.isInteger(resume.runStep) || resume.runStep < 0 || resume.runStep >= options.steps) {
      throw new EngineError('bad-input', `Cannot resume at step ${resume.runStep} of a ${options.steps}-step run: nothing is left to train.`);
    }
    if (resume.dataHash !== undefined && resume.dataHash !== dataHash) {
      throw new EngineError('bad-input', 'Cannot resume: the training data differs from the data this run started with, so the run would not continue the same way. Start a new run instead.');
    }
  }

  // ---- checkpoints ------------------------------------------------------------

  /** Answers a checkpoint request: at once when no step is in flight, else at the next step boundary. */
  private async checkpointRequest(): Promise<CapturedCheckpoint> {
    this.requireModel();
    if (this.trainer && this.trainer.state === 'running') {
      return new Promise<CapturedCheckpoint>((resolve, reject) => this.pendingCaptures.push({ resolve, reject }));
    }
    return this.capture('request');
  }

  private async flushPendingCaptures(): Promise<void> {
    const pending = this.pendingCaptures.splice(0);
    for (const p of pending) {
      if (!this.model) {
        p.reject(new EngineError('no-model', 'The model went away before the checkpoint could be taken.'));
        continue;
      }
      try {
        p.resolve(await this.capture('request'));
      } catch (e) {
        p.reject(e);
      }
    }
  }

  /** An automatic checkpoint; a failure is reported and the run goes on. */
  private async autosave(reason: Exclude<CheckpointReason, 'request'>): Promise<void> {
    if (this.autosaveEvery <= 0 || !this.model) return;
    try {
      this.emit({ type: 'autoCheckpoint', ...(await this.capture(reason)) });
    } catch (e) {
      this.emit({ type: 'problem', code: 'internal', message: `Autosave failed: ${(e as Error).message}` });
    }
  }

  /** Takes one checkpoint after any in progress; the training loop waits for it before its next step. */
  private capture(reason: CheckpointReason): Promise<CapturedCheckpoint> {
    const next = this.captureChain.then(() => this.writeCheckpoint(reason));
    this.captureChain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** Where the current run stands; null when no run has trained the main model since it was created or loaded. */
  private runState(): RunState | null {
    const r = this.run;
    if (!r) return null;
    const data = r.data;
    return {
      runStep: r.trainer.step,
      totalSteps: r.options.steps,
      options: { ...r.options },
      // A plain-data copy: the sampler keeps mutating its own.
      samplerState: JSON.parse(JSON.stringify(r.source.getState() ?? null)) as unknown,
      dataHash: r.dataHash,
      dataKind: data.kind,
      ...(data.kind === 'instructions' && data.datasetId ? { datasetId: data.datasetId } : {}),
      ...(data.kind === 'instructions' ? { template: data.template } : {}),
      lossHistory: r.lossHistory.slice(),
      valHistory: r.valHistory.slice(),
    };
  }

  private async writeCheckpoint(reason: CheckpointReason): Promise<CapturedCheckpoint> {
    const { model, tokenizer } = this.requireModel();
    const run = this.runState();
    const createdAt = Date.now();
    const weights = await model.readWeights();
    const optimizer = this.optimizer ? await this.optimizer.readState() : undefined;
    const bytes = encodeCheckpoint({
      config: model.config,
      weights,
      ...(optimizer ? { optimizer } : {}),
      meta: {
        [META.step]: String(this.trainedSteps),
        [META.name]: this.modelName,
        [META.tokenizer]: JSON.stringify(tokenizer.toJSON()),
        [META.createdAt]: String(createdAt),
        ...(run ? { [META.run]: JSON.stringify(run) } : {}),
      },
    });
    const info: CheckpointInfo = { name: this.modelName, step: this.trainedSteps, config: model.config, hasOptimizer: optimizer !== undefined, run, createdAt };
    return { reason, bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, info };
  }

  /** Turns the request's data into a batch source and validation batches, or a bad-input error. */
  private prepareData(data: TrainingData, options: TrainOptions, tokenizer: BpeTokenizer, contextLength: number): { source: BatchSource; evalBatches: Batch[] } {
    if (data.kind === 'instructions') {
      let prepared;
      try {
        prepared = prepareInstructionData(data.examples, tokenizer, {
          template: data.template,
          contextLength,
          batchSize: options.batchSize,
          seed: options.seed,
          trainOnInputs: data.trainOnInputs,
          pack: data.pack,
          overflow: data.overflow,
          valFraction: options.evalEvery > 0 ? options.valFraction : 0,
        });
      } catch (e) {
        throw new EngineError('bad-input', (e as Error).message);
      }
      const r = prepared.report;
      this.emit({
        type: 'dataReport',
        summary: prepared.summary,
        trainExamples: prepared.trainExamples,
        valExamples: prepared.valExamples,
        kept: r.kept,
        truncated: r.truncated,
        dropped: r.droppedTooLong.length + r.droppedNoTrainedTokens.length,
        trainedTokens: r.trainedTokens,
      });
      return { source: prepared.source, evalBatches: prepared.evalBatches };
    }
    if (data.text.trim().length === 0) throw new EngineError('bad-input', 'The training text is empty: paste or type some text to learn from.');
    const tokens = Int32Array.from(tokenizer.encode(data.text));
    // Hold out the tail for validation when there is enough text for both parts.
    const valLen = Math.floor(tokens.length * options.valFraction);
    const hasVal = options.evalEvery > 0 && valLen >= Math.min(contextLength, 16) + 1 && tokens.length - valLen >= 2;
    const trainTokens = hasVal ? tokens.subarray(0, tokens.length - valLen) : tokens;
    let source: TokenStreamBatches;
    try {
      source = new TokenStreamBatches(trainTokens, options.batchSize, contextLength, options.seed);
    } catch (e) {
      throw new EngineError('bad-input', (e as Error).message);
    }
    const evalBatches = hasVal ? TokenStreamBatches.evaluationBatches(tokens.subarray(tokens.length - valLen), options.batchSize, contextLength) : [];
    return { source, evalBatches };
  }

  /** After a failed run: put the last good snapshot back, on a fresh backend if the device is gone. */
  private async recover(code: ErrorCode): Promise<void> {
    const snap = this.snapshot;
    if (!snap) return;
    try {
      if (code === 'device-lost' || code === 'out-of-memory') {
        this.disposeModel(false);
        this.deviceProblem = null;
        const report = await initBackend(this.preference, this.backendOptions, this.deviceWatch());
        this.backend = report;
        this.emit({ type: 'backend', report });
      }
      this.restore(snap);
      this.emit({
        type: 'recovered',
        message: `The model was restored to its last good state (after ${snap.trainedSteps} training steps) on ${this.backend!.name}.`,
        step: snap.trainedSteps,
        backend: this.backend!.name,
      });
    } catch (e) {
      this.emit({ type: 'problem', code: 'backend-failed', message: `Could not restore the model after the failure: ${(e as Error).message}` });
    }
  }

  // ---- inference --------------------------------------------------------------

  private async generate(req: RequestOf<'generate'>): Promise<GenerateResult> {
    const slot = req.slot ?? MAIN_SLOT;
    const { model, tokenizer } = this.requireModel(slot);
    if (slot === MAIN_SLOT && this.trainer && !this.trainer.isPaused) throw new EngineError('busy', 'Pause training to generate: the weights change at every step.');
    if (this.generations.has(req.id)) throw new EngineError('bad-input', `A generation with id ${req.id} is already running.`);
    const o = req.options;
    const optionProblems = generateOptionProblems(o);
    if (optionProblems.length > 0) throw new EngineError('bad-input', optionProblems.map((p) => p.message).join(' '));
    // With a format, the prompt is rendered exactly as training renders an instruction;
    // without one it is raw text, and an empty one starts from <|endoftext|> ("a new document").
    const prompt = req.format
      ? renderPrompt(
          promptExample(req.prompt, { ...(req.format.system ? { system: req.format.system } : {}), ...(req.format.input ? { input: req.format.input } : {}) }),
          req.format.template,
          tokenizer,
        )
      : req.prompt.length > 0
        ? tokenizer.encode(req.prompt)
        : [tokenizer.eosId];
    // A raw prompt longer than the context slides (the model sees its end); a formatted
    // instruction would lose its beginning, so it is refused instead.
    if (req.format && prompt.length > model.config.contextLength) {
      throw new EngineError('bad-input', `The prompt has ${prompt.length} tokens, more than the model's context of ${model.config.contextLength}: shorten it.`);
    }
    const state = { slot, cancelled: false };
    this.generations.set(req.id, state);
    this.emit({ type: 'generateStarted', requestId: req.id, promptText: tokenizer.decode(prompt), promptTokens: prompt.length });
    const decoder = new StreamDecoder(tokenizer);
    let text = '';
    let count = 0;
    let reason: 'maxTokens' | 'eos' | 'cancelled' = 'maxTokens';
    const t0 = performance.now();
    try {
      for await (const id of generateTokens(model, prompt, {
        maxTokens: o.maxTokens,
        temperature: o.temperature,
        topK: o.topK,
        topP: o.topP,
        seed: o.seed,
        stopIds: o.stopAtEos ? [tokenizer.eosId] : [],
        shouldStop: () => state.cancelled,
      })) {
        count++;
        if (o.stopAtEos && id === tokenizer.eosId) {
          reason = 'eos';
          break;
        }
        const piece = decoder.push(id);
        text += piece;
        this.emit({ type: 'token', requestId: req.id, tokenId: id, text: piece });
      }
      if (state.cancelled) reason = 'cancelled';
      const tail = decoder.flush();
      text += tail;
      const sec = (performance.now() - t0) / 1000;
      return { reason, tokenCount: count, tokensPerSec: sec > 0 ? count / sec : 0, text };
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
    const { model, tokenizer } = this.requireModel();
    const bytes = encodeCheckpoint({
      config: model.config,
      weights: await model.readWeights(),
      ...(includeOptimizer && this.optimizer ? { optimizer: await this.optimizer.readState() } : {}),
      meta: { step: String(this.trainedSteps), name: this.modelName },
    });
    return {
      safetensors: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      configJson: JSON.stringify(toHfConfig(model.config), null, 2),
      tokenizerJson: JSON.stringify(tokenizer.toJSON()),
    };
  }
}
