// How the engine says no: an error with a protocol code, and the mapping from
// whatever was thrown (a refusal, a lost device, a diverged run) to a code and
// a message a user can act on.

import { SessionError } from '../train/session';
import { TrainingDivergedError } from '../train/trainer';
import type { ErrorCode } from './protocol';

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Maps a thrown error to a protocol error code and a message a user can act on. */
export function classify(e: unknown, deviceProblem: { code: ErrorCode; message: string } | null): { code: ErrorCode; message: string } {
  if (deviceProblem) return deviceProblem;
  if (e instanceof EngineError || e instanceof SessionError) return { code: e.code, message: e.message };
  if (e instanceof TrainingDivergedError) return { code: 'diverged', message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  if (/out of memory|OOM|allocat/i.test(message)) {
    return { code: 'out-of-memory', message: `The device ran out of memory (${message}). Lower the batch size, context or width.` };
  }
  if (/device (was )?lost|context lost|GPUDevice/i.test(message)) return { code: 'device-lost', message: `The GPU device was lost (${message}).` };
  return { code: 'internal', message };
}
