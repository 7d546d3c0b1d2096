// The experiments by name, for the worker and the scripts: one request shape per
// experiment (its inputs and settings), and the one function that runs it.

import type { ExperimentEnv, ExperimentResult } from './common';
import { runFlan, type FlanInputs, type FlanSettings } from './flan';
import { runMix, type MixInputs, type MixSettings } from './mix';
import { runSelfInstruct, type SelfInstructInputs, type SelfInstructSettings } from './selfInstruct';

export type ExperimentRequest =
  | { name: 'mix'; inputs: MixInputs; settings: MixSettings; quick: boolean }
  | { name: 'flan'; inputs: FlanInputs; settings: FlanSettings; quick: boolean }
  | { name: 'self-instruct'; inputs: SelfInstructInputs; settings: SelfInstructSettings; quick: boolean };

export type ExperimentName = ExperimentRequest['name'];

export function runExperiment(env: ExperimentEnv, req: ExperimentRequest): Promise<ExperimentResult> {
  switch (req.name) {
    case 'mix':
      return runMix(env, req.inputs, req.settings, req.quick);
    case 'flan':
      return runFlan(env, req.inputs, req.settings, req.quick);
    case 'self-instruct':
      return runSelfInstruct(env, req.inputs, req.settings, req.quick);
  }
}

export { formatResult, ExperimentInputError, ExperimentStopped, type ExperimentResult, type ExperimentEnv, type Claim } from './common';
