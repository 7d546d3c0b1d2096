// Training runs from the UI's side, without zustand: what a run would learn
// from and why it cannot start (the same checks the worker makes, so nothing
// doomed is sent), and the run's requests to the worker.

import { trainOptionProblems, type TrainOptions } from '../../train/options';
import { mixShareProblem } from '../../train/mix';
import type { InstructionTrainingData, TrainingData } from '../../train/run';
import type { WorkerClient } from '../workerClient';

/** What the Train step holds when the user presses Start. */
export interface RunInput {
  options: TrainOptions;
  /** The model seed, which also fixes the batch order, so one seed reproduces a whole run. */
  seed: number;
  /** The model that will train, whose width bounds the LoRA rank; absent before one exists. */
  model?: { width: number };
  dataKind: 'text' | 'instructions' | 'mix';
  text: string;
  /** With dataKind 'mix': the share of batches drawn from the instructions. */
  mixShare: number;
  /** The selected dataset as training data, or why there is none (see selectors.instructionTrainingData). */
  instructions: { ok: true; data: InstructionTrainingData } | { ok: false; message: string };
}

export type RunPlan = { ok: true; data: TrainingData; options: TrainOptions } | { ok: false; message: string };

export class TrainingService {
  constructor(private readonly client: Pick<WorkerClient, 'request'>) {}

  /** The run a Start would send, or the first reason it cannot start. */
  plan(input: RunInput): RunPlan {
    const problems = trainOptionProblems(input.options, input.model);
    if (problems.length > 0) return { ok: false, message: problems.map((p) => p.message).join(' ') };
    const options: TrainOptions = { ...input.options, seed: input.seed };
    if (input.dataKind === 'instructions') {
      return input.instructions.ok ? { ok: true, data: input.instructions.data, options } : { ok: false, message: input.instructions.message };
    }
    if (input.text.trim() === '') return { ok: false, message: 'The training text is empty: paste some text to learn from.' };
    if (input.dataKind === 'mix') {
      if (!input.instructions.ok) return { ok: false, message: input.instructions.message };
      const share = mixShareProblem(input.mixShare);
      if (share) return { ok: false, message: share };
      return { ok: true, data: { kind: 'mix', text: input.text, instructions: input.instructions.data, instructionShare: input.mixShare }, options };
    }
    return { ok: true, data: { kind: 'text', text: input.text }, options };
  }

  /** Runs a planned run; answers when it ends (its progress arrives as events). */
  start(plan: { data: TrainingData; options: TrainOptions }): Promise<{ state: 'done' | 'stopped'; step: number }> {
    return this.client.request('train', { data: plan.data, options: plan.options });
  }

  pause(): Promise<null> {
    return this.client.request('pause', {});
  }

  resume(): Promise<null> {
    return this.client.request('resume', {});
  }

  stop(): Promise<null> {
    return this.client.request('stop', {});
  }
}
