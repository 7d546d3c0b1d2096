import { describe, expect, it } from 'vitest';
import { TrainingDivergedError } from './trainer';
import { trainOptionProblems, DEFAULT_TRAIN_OPTIONS, type EditableTrainOption } from './options';

describe('the divergence message', () => {
  it('recommends only settings the Train panel edits: the learning rate and the gradient clip', () => {
    const message = new TrainingDivergedError(7).message;
    expect(message).toContain('step 7');
    expect(message).toMatch(/learning rate/);
    expect(message).toMatch(/gradient clip/);
    const edited: EditableTrainOption[] = ['learningRate', 'gradClip'];
    expect(edited).toHaveLength(2);
    // a clip the panel could send is checked like every other field
    expect(trainOptionProblems({ ...DEFAULT_TRAIN_OPTIONS, gradClip: -1 }).map((p) => p.field)).toEqual(['gradClip']);
  });
});
