import { describe, expect, it } from 'vitest';
import { MAX_MODEL_NAME, modelNameProblem, tunedModelName } from './modelName';

describe('tunedModelName', () => {
  it('names a tuned shipped model for what it is and how long it was tuned', () => {
    expect(tunedModelName('Base model', 80, 2400)).toBe('Your model: tuned from Base model, 80 steps');
    expect(tunedModelName('Base model', 1, 2400)).toBe('Your model: tuned from Base model, 1 step');
  });
  it('keeps the name of a model that has not trained', () => {
    expect(tunedModelName('Base model', 0, 2400)).toBe('Base model');
  });
  it('says "trained" for a new model with random weights', () => {
    expect(tunedModelName('New model (0.04M params, seed 1)', 30, 0)).toBe('Your model: trained from New model (0.04M params, seed 1), 30 steps');
  });
  it('adds steps to a model that is already yours instead of nesting the names', () => {
    expect(tunedModelName('Your model: tuned from Base model, 40 steps', 40, 2440)).toBe('Your model: tuned from Base model, 80 steps');
    expect(tunedModelName('Your model: tuned from Base model, 1,200 steps', 1, 3600)).toBe('Your model: tuned from Base model, 1,201 steps');
  });
});

describe('modelNameProblem', () => {
  it('accepts a name of up to MAX_MODEL_NAME characters after trimming', () => {
    expect(modelNameProblem('  Geo bot ')).toBeNull();
    expect(modelNameProblem(` ${'x'.repeat(MAX_MODEL_NAME)} `)).toBeNull();
  });
  it('refuses an empty name and a too long one, saying which', () => {
    expect(modelNameProblem(' \t ')).toMatch(/cannot be empty/);
    expect(modelNameProblem('x'.repeat(MAX_MODEL_NAME + 1))).toMatch(`${MAX_MODEL_NAME + 1} characters long; keep it to ${MAX_MODEL_NAME}`);
  });
});
