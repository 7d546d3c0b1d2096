// The training loop. Like minGPT's trainer it knows nothing of GPT internals:
// it pulls batches, runs steps, and reports through callbacks, which the worker
// forwards as protocol events and the Node scripts print.

import type { GPT } from '../model/gpt';
import type { BatchSource, Batch } from './batches';
import type { AdamW } from './optimizer';
import { learningRateAt } from './schedule';
import { evaluate, trainStep } from './step';

export interface TrainerOptions {
  steps: number;
  learningRate: number;
  warmupSteps: number;
  minLrRatio: number;
  gradClip: number;
  /** Validation every this many steps (and at the end); 0 = never. */
  evalEvery: number;
  /** Steps already done when resuming a run: the schedule and the count continue from here. */
  startStep?: number;
  /** Training seconds already spent when resuming a run, so elapsed time continues too. */
  startElapsedSec?: number;
}

export interface StepInfo {
  /** Steps completed in this run. */
  step: number;
  totalSteps: number;
  loss: number;
  gradNorm: number;
  lr: number;
  tokensPerSec: number;
  /** Null until two steps after the first have been timed: the first compiles shaders and says nothing about speed. */
  etaSec: number | null;
  /** Seconds spent stepping in this run, pauses excluded, across resumes from a checkpoint. */
  elapsedSec: number;
  /** Length L of this step's batch (B x L tokens); each new length compiles new GPU programs. */
  seqLen: number;
}

export interface TrainerCallbacks {
  onStep?(info: StepInfo): void | Promise<void>;
  onEval?(info: { step: number; valLoss: number }): void | Promise<void>;
  /** Called between steps; throw to abort the run (e.g. the device was lost). */
  beforeStep?(step: number): void | Promise<void>;
}

export type TrainerState = 'idle' | 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export class TrainingDivergedError extends Error {
  constructor(step: number) {
    super(`Training diverged at step ${step}: the loss became NaN or infinite. Lower the learning rate, or the gradient clip (both in the Train panel), and start again.`);
    this.name = 'TrainingDivergedError';
  }
}

export class Trainer {
  state: TrainerState = 'idle';
  /** Steps completed in this run. */
  step = 0;
  private pauseWaiter: { promise: Promise<void>; resolve: () => void } | null = null;
  private stopRequested = false;

  constructor(
    private readonly model: GPT,
    private readonly optimizer: AdamW,
    private readonly source: BatchSource,
    private readonly options: TrainerOptions,
    private readonly callbacks: TrainerCallbacks = {},
    private readonly evalBatches: Batch[] = [],
  ) {
    this.step = options.startStep ?? 0;
  }

  /** Takes effect after the step in flight. */
  pause(): void {
    if (this.state !== 'running' || this.pauseWaiter) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.pauseWaiter = { promise, resolve };
  }

  resume(): void {
    const w = this.pauseWaiter;
    this.pauseWaiter = null;
    w?.resolve();
  }

  stop(): void {
    this.stopRequested = true;
    this.resume();
  }

  get isPaused(): boolean {
    return this.pauseWaiter !== null;
  }

  /** Runs until all steps are done or stop() is called. Resolves with the final state. */
  async run(onPauseChange?: (paused: boolean) => void): Promise<'done' | 'stopped'> {
    const o = this.options;
    this.state = 'running';
    let activeSec = o.startElapsedSec ?? 0; // time spent stepping, pauses excluded
    let timedSteps = 0;
    let timedSec = 0;
    let stepsThisRun = 0;
    try {
      while (this.step < o.steps) {
        if (this.pauseWaiter) {
          this.state = 'paused';
          onPauseChange?.(true);
          await this.pauseWaiter.promise;
          if (!this.stopRequested) {
            this.state = 'running';
            onPauseChange?.(false);
          }
        }
        if (this.stopRequested) {
          this.state = 'stopped';
          return 'stopped';
        }
        await this.callbacks.beforeStep?.(this.step);
        const t0 = performance.now();
        const lr = learningRateAt(this.step, { ...o, totalSteps: o.steps });
        const batch = this.source.next();
        const out = trainStep(this.model, this.optimizer, batch, lr, o.gradClip);
        const [loss, gradNorm] = Array.from(await out.data()); // the one readback per step
        out.dispose();
        const dt = (performance.now() - t0) / 1000;
        this.step++;
        if (!Number.isFinite(loss!)) throw new TrainingDivergedError(this.step);
        activeSec += dt;
        // The first step compiles shaders; leave it out of the speed estimate.
        stepsThisRun++;
        if (stepsThisRun > 1 || this.step === o.steps) {
          timedSteps++;
          timedSec += dt;
        }
        const secPerStep = timedSteps > 0 ? timedSec / timedSteps : dt;
        await this.callbacks.onStep?.({
          step: this.step,
          totalSteps: o.steps,
          loss: loss!,
          gradNorm: gradNorm!,
          lr,
          tokensPerSec: this.source.tokensPerBatch / secPerStep,
          etaSec: timedSteps >= 2 || this.step === o.steps ? (o.steps - this.step) * secPerStep : null,
          elapsedSec: activeSec,
          seqLen: batch.seqLen,
        });
        if (o.evalEvery > 0 && this.evalBatches.length > 0 && (this.step % o.evalEvery === 0 || this.step === o.steps)) {
          const valLoss = await evaluate(this.model, this.evalBatches);
          await this.callbacks.onEval?.({ step: this.step, valLoss });
        }
      }
      this.state = 'done';
      return 'done';
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }
}
