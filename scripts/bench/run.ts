// One benchmark job on the backend already selected: the same entry for Node and
// for the browser worker.

import { checkKernels } from './check';
import { CONFIGS } from './configs';
import type { Job, Measurement } from './jobs';
import { benchGeneration, benchTraining, type Progress } from './measure';
import { profileTraining } from './profile';

export async function runMeasurement(job: Job, onProgress?: Progress): Promise<Measurement> {
  if (job.kind === 'check') return { kind: 'check', check: await checkKernels() };
  const config = CONFIGS[job.config];
  const progress = onProgress ? { onProgress } : {};
  switch (job.kind) {
    case 'train':
      return { kind: 'train', train: await benchTraining({ config, warmupSteps: job.warmupSteps, steps: job.steps, studioKernels: job.studioKernels, ...progress }) };
    case 'generate':
      return { kind: 'generate', generate: await benchGeneration({ config, skipUncached: job.skipUncached, studioKernels: job.studioKernels, ...progress }) };
    case 'profile':
      return { kind: 'profile', profile: await profileTraining(job.config, job.repeats, onProgress) };
  }
}
