// Learning rate: linear warm-up to the peak, then a cosine decay to a floor.

export interface ScheduleOptions {
  learningRate: number;
  warmupSteps: number;
  totalSteps: number;
  /** The floor is learningRate * minLrRatio. */
  minLrRatio: number;
}

/** Learning rate for 0-based `step`. */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  const floor = o.learningRate * o.minLrRatio;
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.learningRate * (step + 1)) / o.warmupSteps;
  const decaySteps = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / decaySteps);
  return floor + 0.5 * (o.learningRate - floor) * (1 + Math.cos(Math.PI * progress));
}
