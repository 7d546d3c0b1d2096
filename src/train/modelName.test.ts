import { describe, expect, it } from 'vitest';
import { tunedModelName } from './modelName';

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
