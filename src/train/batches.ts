// Batches for next-token training: (ids, targets, mask) triples of fixed shape,
// drawn with a seeded generator so a run is reproducible.

import { Rng } from '../model/random';

export interface Batch {
  /** (B*T) input ids, row-major (B, T). */
  ids: Int32Array;
  /** (B*T) the id that follows each input position. */
  targets: Int32Array;
  /** (B*T) 1 where the loss counts, 0 elsewhere. */
  mask: Float32Array;
  batchSize: number;
  seqLen: number;
  /** (B*T) packed-example segment of each token; attention stays within a segment. */
  segmentIds?: Int32Array;
  /** (B*T) position of each token within its segment. */
  positions?: Int32Array;
  /**
   * Logits and loss at every position, as the loss was first computed (the
   * benchmark's reference); else only at the rows the mask counts
   * (src/model/lossRows.ts). Both give the same loss and gradients.
   */
  allLogits?: boolean;
}

export interface BatchSource {
  /** Tokens one batch trains on (mask sum may be lower). */
  readonly tokensPerBatch: number;
  next(): Batch;
  /** Generator state, so a resumed run draws the same batches. */
  getState(): unknown;
  setState(state: unknown): void;
}

/**
 * Random windows of a token stream: each row is T+1 consecutive tokens, split into
 * inputs and targets. A stream shorter than the context trains on windows as long as
 * it allows.
 */
export class TokenStreamBatches implements BatchSource {
  readonly seqLen: number;
  private readonly rng: Rng;

  constructor(
    private readonly tokens: Int32Array,
    private readonly batchSize: number,
    contextLength: number,
    seed: number,
  ) {
    if (tokens.length < 2) {
      throw new Error(`The training text is too short: it has ${tokens.length} token(s), and at least 2 are needed to learn a next token.`);
    }
    this.seqLen = Math.min(contextLength, tokens.length - 1);
    this.rng = new Rng(seed);
  }

  get tokensPerBatch(): number {
    return this.batchSize * this.seqLen;
  }

  next(): Batch {
    const B = this.batchSize;
    const T = this.seqLen;
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const mask = new Float32Array(B * T).fill(1);
    const starts = this.tokens.length - T; // valid start offsets: 0..len-T-1
    for (let b = 0; b < B; b++) {
      const s = this.rng.int(starts);
      ids.set(this.tokens.subarray(s, s + T), b * T);
      targets.set(this.tokens.subarray(s + 1, s + T + 1), b * T);
    }
    return { ids, targets, mask, batchSize: B, seqLen: T };
  }

  /** Non-overlapping windows covering the stream once: a deterministic evaluation set. */
  static evaluationBatches(tokens: Int32Array, batchSize: number, contextLength: number, maxBatches = 8): Batch[] {
    if (tokens.length < 2) return [];
    const T = Math.min(contextLength, tokens.length - 1);
    const windows: number[] = [];
    for (let s = 0; s + T + 1 <= tokens.length; s += T) windows.push(s);
    const out: Batch[] = [];
    for (let i = 0; i < windows.length && out.length < maxBatches; i += batchSize) {
      const rows = windows.slice(i, i + batchSize);
      const ids = new Int32Array(rows.length * T);
      const targets = new Int32Array(rows.length * T);
      rows.forEach((s, b) => {
        ids.set(tokens.subarray(s, s + T), b * T);
        targets.set(tokens.subarray(s + 1, s + T + 1), b * T);
      });
      out.push({ ids, targets, mask: new Float32Array(rows.length * T).fill(1), batchSize: rows.length, seqLen: T });
    }
    return out;
  }

  getState(): unknown {
    return this.rng.getState();
  }

  setState(state: unknown): void {
    this.rng.setState(state as ReturnType<Rng['getState']>);
  }
}
