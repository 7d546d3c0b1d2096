// A training session: the main model (the one that trains) with its optimizer
// and tokenizer, the run it is in, the snapshots that let a failed run be undone,
// and captures of that state taken between steps (which src/checkpoint turns
// into files). The worker's engine holds one and forwards its events; it knows
// nothing of the worker, the file format or the UI.

import { validateConfig, type DeviceLimits } from '../model/config';
import { GPT, type HostTensor } from '../model/gpt';
import type { ModelConfig } from '../model/config';
import { LORA_TARGETS, type LoraSpec, type LoraState } from '../model/lora';
import type { BpeTokenizer } from '../tokenizer/bpe';
import { dataFingerprint } from './fingerprint';
import type { Batch, BatchSource } from './batches';
import { prepareInstructionData } from './instructions';
import { AdamW } from './optimizer';
import { loraSpecOf, trainOptionProblems, type TrainOptions } from './options';
import { MixedBatches } from './mix';
import { dataOptionProblems, instructionPart, type InstructionTrainingData, type CheckpointReason, type DataReport, type LossPoint, type ResumeRun, type RunState, type TrainingData, type TrainState } from './run';
import { prepareTextData } from './text';
import { Trainer, type StepInfo } from './trainer';
import { modelNameProblem, tunedModelName } from './modelName';
import { messageOf } from '../util/errors';

/** Why a session refused a request, in the worker protocol's terms. */
export type SessionErrorCode = 'bad-input' | 'busy' | 'no-model' | 'invalid-config';

/** A run that started and then failed; `cause` says why. The model must be restored from `lastSnapshot`. */
export class RunFailure extends Error {
  constructor(override readonly cause: unknown) {
    super(messageOf(cause));
    this.name = 'RunFailure';
  }
}

export class SessionError extends Error {
  constructor(
    readonly code: SessionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }
}

/** What a session reports while it works; the engine forwards these as protocol events. */
export type SessionEvent =
  | ({ type: 'dataReport' } & DataReport)
  /** `modelName`: what the main model is called now (it changes as it trains). */
  | { type: 'trainState'; state: TrainState; step: number; totalSteps: number; modelName?: string; message?: string }
  | ({ type: 'trainProgress' } & StepInfo)
  | { type: 'evalResult'; step: number; valLoss: number }
  /** A capture the session took by itself (autosave, or as a run paused, stopped or finished). */
  | { type: 'autoCapture'; capture: RunCapture }
  | { type: 'problem'; code: 'internal'; message: string };

export interface SessionHooks {
  emit(ev: SessionEvent): void;
  /** Throws when the device failed since the last step (checked before every step). */
  checkDevice(): void;
  /** The message a failed run ends with (the engine knows device and memory errors). */
  describeFailure(e: unknown): string;
}

/** Everything a checkpoint file holds, read from the device between two steps. */
export interface RunCapture {
  reason: CheckpointReason;
  config: ModelConfig;
  /** The model's parameters; merged with any LoRA adapters, so always a plain GPT-2. */
  weights: Map<string, HostTensor>;
  optimizer: { step: number; m: Map<string, HostTensor>; v: Map<string, HostTensor> } | null;
  /** A LoRA run's adapters and the unmerged weights under them (the optimizer's moments are theirs); null for full tuning. */
  lora: LoraState | null;
  name: string;
  /** True when the user gave the model its name: it then stays as given however long the model trains. */
  named: boolean;
  /** Optimizer steps the model has had, across runs. */
  step: number;
  tokenizerJson: string;
  /** Null when no run has trained this model since it was created or loaded. */
  run: RunState | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A copy of everything needed to rebuild the model after a device failure or a backend switch. */
export interface Snapshot {
  config: ModelConfig;
  weights: Map<string, HostTensor>;
  optimizer: { step: number; m: Map<string, HostTensor>; v: Map<string, HostTensor> } | null;
  lora: LoraState | null;
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
  elapsedSec: number;
}

/** Snapshots are refreshed at least this often during training, in steps and seconds. */
const SNAPSHOT_EVERY_STEPS = 25;
const SNAPSHOT_EVERY_SEC = 20;

export class TrainingSession {
  model: GPT | null = null;
  optimizer: AdamW | null = null;
  tokenizer: BpeTokenizer | null = null;
  /** The name the model was created or loaded with. */
  private loadedName = '';
  /** The name the user gave the model, which replaces the one it would be named for. */
  private givenName: string | null = null;
  /** Optimizer steps it had then. */
  private loadedSteps = 0;
  /** Optimizer steps this model has had, across runs. */
  trainedSteps = 0;
  private trainer: Trainer | null = null;
  private snapshot: Snapshot | null = null;
  private run: RunContext | null = null;
  /** Checkpoint every this many run steps (and on pause, stop, finish); 0 = off. */
  private autosaveEvery = 0;
  /** ...and every this many seconds of training, so a slow machine loses at most that much work; 0 = by steps only. */
  private autosaveEverySec = 0;
  /** Checkpoints are taken one at a time; the training loop waits for the one in progress. */
  private captureChain: Promise<void> = Promise.resolve();
  /** Checkpoint requests that arrived mid-step, answered at the next step boundary. */
  private pendingCaptures: Array<{ resolve: (c: RunCapture) => void; reject: (e: unknown) => void }> = [];

  constructor(private readonly hooks: SessionHooks) {}

  /** Named for what it is: "Your model: tuned from Base model, 80 steps" once it has trained. */
  get name(): string {
    if (this.givenName !== null) return this.givenName;
    return tunedModelName(this.loadedName, this.trainedSteps - this.loadedSteps, this.loadedSteps);
  }

  /** True when the user named the model (see `rename`). */
  get named(): boolean {
    return this.givenName !== null;
  }

  /**
   * Gives the main model the user's own name, kept through further training and
   * written into every checkpoint taken from now on. Refuses an empty or too long name.
   */
  rename(name: string): string {
    this.requireModel();
    const problem = modelNameProblem(name);
    if (problem) throw new SessionError('bad-input', problem);
    this.givenName = name.trim();
    return this.givenName;
  }

  /** True while a run holds the model (running or paused). */
  get active(): boolean {
    return this.trainer !== null;
  }

  get paused(): boolean {
    return this.trainer?.isPaused ?? false;
  }

  /** The last good state, for undoing a failed run. */
  get lastSnapshot(): Snapshot | null {
    return this.snapshot;
  }

  requireModel(): { model: GPT; tokenizer: BpeTokenizer } {
    if (!this.model || !this.tokenizer) throw new SessionError('no-model', 'No model yet: create or load a model first.');
    return { model: this.model, tokenizer: this.tokenizer };
  }

  /** Makes `model` the one that trains, with a fresh history; the old one is released. */
  /** `named`: the name is one the user gave (a renamed checkpoint), so training keeps it. */
  replaceModel(model: GPT, tokenizer: BpeTokenizer, name: string, trainedSteps: number, optimizer: AdamW | null = null, named = false): void {
    this.releaseTensors();
    this.model = model;
    this.optimizer = optimizer;
    this.tokenizer = tokenizer;
    this.loadedName = name;
    this.givenName = named ? name : null;
    this.loadedSteps = trainedSteps;
    this.trainedSteps = trainedSteps;
    this.snapshot = null;
    this.run = null;
  }

  /** Frees the model's and optimizer's tensors, keeping what a snapshot needs to rebuild them. */
  releaseTensors(): void {
    try {
      this.optimizer?.dispose();
      this.model?.dispose();
    } catch {
      // A lost device can make disposal throw; the tensors are gone either way.
    }
    this.optimizer = null;
    this.model = null;
  }

  setAutosave(everySteps: number, everySeconds = 0): void {
    if (!Number.isInteger(everySteps) || everySteps < 0) throw new SessionError('bad-input', `autosave every ${everySteps} steps: give a whole number, 0 to turn it off.`);
    if (!Number.isFinite(everySeconds) || everySeconds < 0) throw new SessionError('bad-input', `autosave every ${everySeconds} seconds: give a number of seconds, 0 for steps only.`);
    this.autosaveEvery = everySteps;
    this.autosaveEverySec = everySeconds;
  }

  /** True when autosave is on at all (by steps or by time). */
  private get autosaveOn(): boolean {
    return this.autosaveEvery > 0 || this.autosaveEverySec > 0;
  }

  pause(): void {
    this.requireRun('pause').pause();
  }

  resume(): void {
    this.requireRun('resume').resume();
  }

  stop(): void {
    this.requireRun('stop').stop();
  }

  private requireRun(action: string): Trainer {
    if (!this.trainer) throw new SessionError('bad-input', `Nothing to ${action}: no training run is active.`);
    return this.trainer;
  }

  async takeSnapshot(): Promise<Snapshot> {
    const { model } = this.requireModel();
    return {
      config: model.config,
      weights: await model.readWeights(),
      optimizer: this.optimizer ? await this.optimizer.readState() : null,
      lora: await model.readLora(),
      trainedSteps: this.trainedSteps,
    };
  }

  /** Rebuilds the model (with its adapters, and the optimizer) from host copies on the current backend. */
  restore(s: Snapshot): void {
    this.releaseTensors();
    this.model = GPT.fromWeights(s.config, s.weights, s.lora);
    if (s.optimizer) {
      this.optimizer = new AdamW(this.model.trainable);
      this.optimizer.loadState(s.optimizer);
    }
    this.trainedSteps = s.trainedSteps;
  }

  /**
   * Runs (or, with `resume`, continues) a training run to its end and answers how it
   * ended. A refused run changes nothing; one that fails part-way says so and throws
   * a RunFailure, and `lastSnapshot` then holds the state to restore.
   */
  async train(data: TrainingData, options: TrainOptions, resume: ResumeRun | undefined, limits: DeviceLimits | undefined): Promise<{ state: 'done' | 'stopped'; step: number }> {
    const { model, tokenizer } = this.requireModel();
    if (this.trainer) throw new SessionError('busy', 'A training run is already active: pause or stop it first.');
    const problems = validateConfig(model.config, { batchSize: options.batchSize, ...(limits ? { limits } : {}) });
    if (problems.length > 0) throw new SessionError('invalid-config', problems.map((p) => p.message).join(' '));
    const optionProblems = [...trainOptionProblems(options, model.config), ...dataOptionProblems(data, model.config.contextLength)];
    if (optionProblems.length > 0) throw new SessionError('bad-input', optionProblems.map((p) => p.message).join(' '));
    const dataHash = dataFingerprint(data);
    if (resume) this.checkResume(resume, options, dataHash, model.lora);
    const { source, evalBatches } = this.prepareData(data, options, tokenizer, model.config.contextLength);
    if (resume) {
      try {
        source.setState(resume.samplerState);
      } catch (e) {
        throw new SessionError('bad-input', `Cannot resume: the checkpoint's batch sampler state does not fit this data (${messageOf(e)}).`);
      }
    }
    if (!resume) this.setTuning(model, options);
    this.optimizer ??= new AdamW(model.trainable);
    this.optimizer.options = { ...this.optimizer.options, weightDecay: options.weightDecay };
    this.snapshot = await this.takeSnapshot();
    let snapTime = performance.now();
    const startStep = resume?.runStep ?? 0;
    let snapStep = startStep;
    /** Training seconds at the last autosave (or the run's start). */
    let savedAtSec = resume?.elapsedSec ?? 0;
    const trainer = new Trainer(
      model,
      this.optimizer,
      source,
      { ...options, startStep, startElapsedSec: resume?.elapsedSec ?? 0 },
      {
        beforeStep: async () => {
          this.hooks.checkDevice();
          // A checkpoint being read (e.g. on pause) must see the weights of one step.
          await this.captureChain;
        },
        onStep: async (info) => {
          this.trainedSteps++;
          run.lossHistory.push({ step: info.step, loss: info.loss });
          run.elapsedSec = info.elapsedSec;
          this.hooks.emit({ type: 'trainProgress', ...info });
          if (info.step - snapStep >= SNAPSHOT_EVERY_STEPS || (performance.now() - snapTime) / 1000 >= SNAPSHOT_EVERY_SEC) {
            this.snapshot = await this.takeSnapshot();
            snapStep = info.step;
            snapTime = performance.now();
          }
          // Between steps the weights, moments and sampler agree: the place to checkpoint.
          const bySteps = this.autosaveEvery > 0 && info.step % this.autosaveEvery === 0;
          const byTime = this.autosaveEverySec > 0 && info.elapsedSec - savedAtSec >= this.autosaveEverySec;
          if ((bySteps || byTime) && info.step < info.totalSteps) {
            await this.autosave('autosave');
            savedAtSec = info.elapsedSec;
          }
          await this.flushPendingCaptures();
        },
        onEval: (e) => {
          run.valHistory.push({ step: e.step, loss: e.valLoss });
          this.hooks.emit({ type: 'evalResult', ...e });
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
      elapsedSec: resume?.elapsedSec ?? 0,
    };
    this.run = run;
    this.trainer = trainer;
    const total = options.steps;
    this.hooks.emit({ type: 'trainState', state: 'running', step: startStep, totalSteps: total, modelName: this.name });
    try {
      const result = await trainer.run(async (paused) => {
        if (paused) this.snapshot = await this.takeSnapshot().catch(() => this.snapshot);
        this.hooks.emit({ type: 'trainState', state: paused ? 'paused' : 'running', step: trainer.step, totalSteps: total, modelName: this.name });
        if (paused) void this.autosave('pause');
      });
      this.trainer = null;
      this.snapshot = await this.takeSnapshot();
      this.hooks.emit({ type: 'trainState', state: result, step: trainer.step, totalSteps: total, modelName: this.name });
      await this.autosave(result === 'done' ? 'done' : 'stop');
      await this.flushPendingCaptures();
      return { state: result, step: trainer.step };
    } catch (e) {
      this.trainer = null;
      // The model goes back to an earlier snapshot, which the sampler state no longer matches.
      this.run = null;
      await this.flushPendingCaptures();
      this.hooks.emit({ type: 'trainState', state: 'failed', step: trainer.step, totalSteps: total, modelName: this.name, message: this.hooks.describeFailure(e) });
      throw new RunFailure(e);
    }
  }

  /**
   * Puts the model in a new run's tuning mode. Full after full keeps the model and its
   * moments, as before. Otherwise adapters of an earlier run are folded into the
   * weights, a LoRA run gets fresh adapters (seeded by the run), and the optimizer
   * starts afresh for whatever now trains.
   */
  private setTuning(model: GPT, options: TrainOptions): void {
    const hadAdapters = model.lora !== null;
    if (!hadAdapters && options.tuning !== 'lora') return;
    this.optimizer?.dispose();
    this.optimizer = null;
    model.mergeLora();
    const spec = loraSpecOf(options);
    if (spec) model.attachLora(spec, options.seed);
  }

  /** Refuses a resume that cannot continue the run exactly, before anything changes. */
  private checkResume(resume: ResumeRun, options: TrainOptions, dataHash: string, lora: LoraSpec | null): void {
    if (!this.optimizer) {
      throw new SessionError('bad-input', 'Cannot resume: the model has no optimizer state. Load a checkpoint that was saved during training first.');
    }
    const described = (l: LoraSpec | null) => (l ? `LoRA rank ${l.rank}, alpha ${l.alpha}${l.targets && l.targets.length < LORA_TARGETS.length ? ` on ${l.targets.join(', ')} only` : ''}` : 'full tuning');
    const asked = described(loraSpecOf(options));
    const held = described(lora);
    if (asked !== held) {
      throw new SessionError('bad-input', `Cannot resume: the checkpoint was saved by a run with ${held}, but this run asks for ${asked}. Resume with the run's own settings, or start a new run.`);
    }
    if (!Number.isInteger(resume.runStep) || resume.runStep < 0 || resume.runStep >= options.steps) {
      throw new SessionError('bad-input', `Cannot resume at step ${resume.runStep} of a ${options.steps}-step run: nothing is left to train.`);
    }
    if (resume.dataHash !== undefined && resume.dataHash !== dataHash) {
      throw new SessionError('bad-input', 'Cannot resume: the training data differs from the data this run started with, so the run would not continue the same way. Start a new run instead.');
    }
  }

  /** Turns the run's data into a batch source and validation batches, or a bad-input error. */
  private prepareData(data: TrainingData, options: TrainOptions, tokenizer: BpeTokenizer, contextLength: number): { source: BatchSource; evalBatches: Batch[] } {
    const valFraction = options.evalEvery > 0 ? options.valFraction : 0;
    const text = (t: string) => prepareTextData(t, tokenizer, { batchSize: options.batchSize, contextLength, seed: options.seed, valFraction });
    try {
      if (data.kind === 'text') return text(data.text);
      if (data.kind === 'instructions') return this.prepareInstructions(data, options, tokenizer, contextLength, valFraction);
      // A mix: both parts as they would train alone, interleaved; validation covers both.
      const t = text(data.text);
      const ins = this.prepareInstructions(data.instructions, options, tokenizer, contextLength, valFraction);
      return { source: new MixedBatches(t.source, ins.source, data.instructionShare), evalBatches: [...t.evalBatches, ...ins.evalBatches] };
    } catch (e) {
      throw new SessionError('bad-input', messageOf(e));
    }
  }

  private prepareInstructions(data: InstructionTrainingData, options: TrainOptions, tokenizer: BpeTokenizer, contextLength: number, valFraction: number): { source: BatchSource; evalBatches: Batch[] } {
    const prepared = prepareInstructionData(data.examples, tokenizer, {
      template: data.template,
      contextLength,
      batchSize: options.batchSize,
      seed: options.seed,
      trainOnInputs: data.trainOnInputs,
      pack: data.pack,
      ...(data.packLength !== undefined ? { packLength: data.packLength } : {}),
      ...(data.padding === 'context' ? { bucket: 0 } : {}),
      ...(data.logits === 'all' ? { allLogits: true } : {}),
      overflow: data.overflow,
      valFraction,
    });
    const r = prepared.report;
    this.hooks.emit({
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

  // ---- checkpoints ------------------------------------------------------------

  /** The full training state: at once when no step is in flight, else at the next step boundary. */
  async checkpoint(): Promise<RunCapture> {
    this.requireModel();
    if (this.trainer && this.trainer.state === 'running') {
      return new Promise<RunCapture>((resolve, reject) => this.pendingCaptures.push({ resolve, reject }));
    }
    return this.capture('request');
  }

  private async flushPendingCaptures(): Promise<void> {
    const pending = this.pendingCaptures.splice(0);
    for (const p of pending) {
      if (!this.model) {
        p.reject(new SessionError('no-model', 'The model went away before the checkpoint could be taken.'));
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
    if (!this.autosaveOn || !this.model) return;
    try {
      this.hooks.emit({ type: 'autoCapture', capture: await this.capture(reason) });
    } catch (e) {
      this.hooks.emit({ type: 'problem', code: 'internal', message: `Autosave failed: ${messageOf(e)}` });
    }
  }

  /** Takes one checkpoint after any in progress; the training loop waits for it before its next step. */
  private capture(reason: CheckpointReason): Promise<RunCapture> {
    const next = this.captureChain.then(() => this.read(reason));
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
    const ins = instructionPart(data);
    return {
      runStep: r.trainer.step,
      totalSteps: r.options.steps,
      options: { ...r.options },
      // A plain-data copy: the sampler keeps mutating its own.
      samplerState: JSON.parse(JSON.stringify(r.source.getState() ?? null)) as unknown,
      dataHash: r.dataHash,
      dataKind: data.kind,
      ...(ins?.datasetId ? { datasetId: ins.datasetId } : {}),
      ...(ins ? { template: ins.template } : {}),
      lossHistory: r.lossHistory.slice(),
      valHistory: r.valHistory.slice(),
      elapsedSec: r.elapsedSec,
    };
  }

  private async read(reason: CheckpointReason): Promise<RunCapture> {
    const { model, tokenizer } = this.requireModel();
    return {
      reason,
      config: model.config,
      weights: await model.readWeights(),
      optimizer: this.optimizer ? await this.optimizer.readState() : null,
      lora: await model.readLora(),
      name: this.name,
      named: this.named,
      step: this.trainedSteps,
      tokenizerJson: JSON.stringify(tokenizer.toJSON()),
      run: this.runState(),
      createdAt: Date.now(),
    };
  }
}
