// The fingerprint of a run's data, kept in its checkpoints (RunState.dataHash): resuming checks
// it, so a run only continues on the data it was trained on.

import { hashString } from '../data/schema';
import type { TrainingData } from './run';

/**
 * Fingerprint of what a run learns from: the text, or the examples with the
 * template and encoding switches. Sampling settings live in TrainOptions.
 */
export function dataFingerprint(data: TrainingData): string {
  if (data.kind === 'mix') return hashString(JSON.stringify(['mix', data.text, data.instructionShare, dataFingerprint(data.instructions)]));
  const canonical =
    data.kind === 'text'
      ? ['text', data.text]
      : [
          'instructions',
          data.examples,
          data.template,
          data.trainOnInputs,
          data.pack,
          data.overflow,
          // Only when set, so runs checkpointed before these existed keep their fingerprint.
          ...(data.packLength !== undefined ? [{ packLength: data.packLength }] : []),
          ...(data.padding !== undefined ? [{ padding: data.padding }] : []),
        ];
  return hashString(JSON.stringify(canonical));
}
