// Mixed training data: a text stream and an instruction dataset drawn from in one
// run at a chosen share of steps. Fine-tuning on raw domain text alone can wear away
// instruction following; mixing instruction-formatted batches in keeps it (the
// "your own domain" lesson and `npm run experiment -- mix`).
//
// The schedule is deterministic, not sampled: batch i is an instruction batch when
// floor((i + 1) * share) > floor(i * share), so after n batches exactly
// floor(n * share) came from the instructions, evenly spread, and a resumed run
// replays the same order.

import type { Batch, BatchSource } from './batches';

/** Whether batch `i` (0-based) of a mixed run comes from the instructions. */
export function isInstructionBatch(i: number, share: number): boolean {
  return Math.floor((i + 1) * share) > Math.floor(i * share);
}

/** Why a share of instruction batches cannot be used, or null. */
export function mixShareProblem(share: number): string | null {
  if (typeof share !== 'number' || !Number.isFinite(share) || share <= 0 || share >= 1) {
    return `The instruction share must be above 0 and below 1 (got ${String(share)}): 0.5 draws every other batch from the instruction dataset.`;
  }
  return null;
}

interface MixedState {
  drawn: number;
  text: unknown;
  instructions: unknown;
}

/** Batches from `text` and `instructions`, interleaved at `share` instruction batches per batch. */
export class MixedBatches implements BatchSource {
  private drawn = 0;

  constructor(
    private readonly text: BatchSource,
    private readonly instructions: BatchSource,
    readonly share: number,
  ) {
    const p = mixShareProblem(share);
    if (p) throw new Error(p);
  }

  get tokensPerBatch(): number {
    return this.share * this.instructions.tokensPerBatch + (1 - this.share) * this.text.tokensPerBatch;
  }

  next(): Batch {
    const fromInstructions = isInstructionBatch(this.drawn, this.share);
    this.drawn++;
    return fromInstructions ? this.instructions.next() : this.text.next();
  }

  getState(): MixedState {
    return { drawn: this.drawn, text: this.text.getState(), instructions: this.instructions.getState() };
  }

  setState(state: unknown): void {
    const s = state as Partial<MixedState> | null;
    if (!s || typeof s.drawn !== 'number' || !Number.isInteger(s.drawn) || s.drawn < 0) throw new Error('Invalid mixed batch sampler state.');
    this.text.setState(s.text);
    this.instructions.setState(s.instructions);
    this.drawn = s.drawn;
  }
}
