// What a model is called after training: named for what it is, from the name
// it was loaded or created with and the steps trained since.
//
//   tunedModelName('Base model', 80, 2400)  -> 'Your model: tuned from Base model, 80 steps'
//   tunedModelName('Your model: tuned from Base model, 40 steps', 40, 2440)
//                                            -> 'Your model: tuned from Base model, 80 steps'
//   tunedModelName('New model (0.04M params, seed 1)', 30, 0)
//                                            -> 'Your model: trained from New model (0.04M params, seed 1), 30 steps'

import { plural } from '../util/text';

const YOURS = /^Your model: (tuned|trained) from (.+), ([\d,]+) steps?$/;

/**
 * `from`: the name the model had when loaded; `steps`: steps trained since;
 * `stepsBefore`: the steps it had then (0 for fresh random weights, which are
 * "trained", not "tuned"). A model that is already "Your model: ..." keeps its
 * origin and adds the steps, so resuming or continuing a run does not nest names.
 */
export function tunedModelName(from: string, steps: number, stepsBefore: number): string {
  if (steps <= 0) return from;
  const m = YOURS.exec(from);
  if (m) return `Your model: ${m[1]} from ${m[2]}, ${plural(steps + Number(m[3]!.replace(/,/g, '')), 'step')}`;
  return `Your model: ${stepsBefore > 0 ? 'tuned' : 'trained'} from ${from}, ${plural(steps, 'step')}`;
}

/** The longest name a model may be given: it must fit a Compare column's heading and a checkpoint row. */
export const MAX_MODEL_NAME = 60;

/** Why `name` cannot be a model's name, or null when it can (after trimming). */
export function modelNameProblem(name: string): string | null {
  const clean = name.trim();
  if (clean === '') return 'Give the model a name: it cannot be empty.';
  if (clean.length > MAX_MODEL_NAME) return `That name is ${clean.length} characters long; keep it to ${MAX_MODEL_NAME} so it fits the Compare column and the checkpoint list.`;
  return null;
}
