// Rows of tokens and fixed-shape batches for the trainer.
//
// A row holds up to T + 1 tokens (see sequences.ts). Packing puts several
// short sequences into one row. Each token carries a segment id (1, 2, ...
// within its row; 0 for padding) and a position that restarts at 0 for each
// segment, so the model can keep attention inside a segment:
//   query q may attend to key k  iff  k <= q  and  segmentIds[k] === segmentIds[q]
// and the target that would cross from one segment into the next is masked.
//
// A batch is flat, row-major, B x L, where L is the batch's own length: the
// context T, or (with `bucket`) the longest row's inputs rounded up to a
// multiple of `bucket`, so short examples are not padded to the whole context
// while the number of distinct shapes (each compiles new GPU programs) stays
// at T / bucket at most:
//   ids[b*L + t]     input token
//   targets[b*L + t] the token after it
//   mask[b*L + t]    1 where the loss counts (trained target in the same segment)
// Padding uses the pad id, mask 0, segment 0, position 0. Cutting trailing
// padding changes no trained target's logits: attention is causal and keeps
// to a segment, and positions are given per token.

import { Random } from '../util/random';
import type { EncodedSequence } from './sequences';

export interface PackedRow {
  ids: number[];
  /** Loss mask per token, as rendered (position 0 of each segment is never a target). */
  mask: number[];
  /** 1-based segment per token. */
  segmentIds: number[];
  /** Position of each token within its segment. */
  positions: number[];
  /** The examples in this row, in segment order. */
  exampleIds: string[];
}

export interface PackOptions {
  contextLength: number;
  /** Put several sequences into one row (default true); false gives one row per sequence. */
  pack?: boolean;
  /** Pack rows up to this many input tokens (2..contextLength; default the context). */
  packLength?: number;
}

/**
 * Batches are padded to their longest row rounded up to a multiple of this:
 * at most 8 shapes for a 64-token context (each new shape compiles new GPU
 * programs), and at most 7 padding tokens per row beyond the longest.
 */
export const BUCKET_TOKENS = 8;

/** Why a packing length cannot be used with this context, or null. */
export function packLengthProblem(packLength: number, contextLength: number): string | null {
  if (!Number.isInteger(packLength) || packLength < 2 || packLength > contextLength) {
    return `The packing length must be a whole number from 2 to the model's context of ${contextLength} tokens (got ${Number.isFinite(packLength) ? packLength : 'nothing'}): a packed row is fed to the model at once.`;
  }
  return null;
}

function newRow(): PackedRow {
  return { ids: [], mask: [], segmentIds: [], positions: [], exampleIds: [] };
}

function appendSequence(row: PackedRow, seq: EncodedSequence): void {
  const segment = row.exampleIds.length + 1;
  row.exampleIds.push(seq.exampleId);
  seq.ids.forEach((id, t) => {
    row.ids.push(id);
    row.mask.push(seq.mask[t] ?? 0);
    row.segmentIds.push(segment);
    row.positions.push(t);
  });
}

/**
 * Packs sequences into rows of at most T + 1 tokens, best fit: each sequence
 * goes into the open row with the least room that still holds it, else a new
 * row. Deterministic for a given order. Sequences must already fit (see fitToContext).
 */
export function packSequences(sequences: readonly EncodedSequence[], opts: PackOptions): PackedRow[] {
  const limit = opts.contextLength + 1;
  for (const seq of sequences) {
    if (seq.ids.length > limit) {
      throw new Error(`sequence of example ${seq.exampleId} has ${seq.ids.length} tokens, more than ${limit}; fit it to the context first`);
    }
  }
  if (opts.packLength !== undefined) {
    const problem = packLengthProblem(opts.packLength, opts.contextLength);
    if (problem) throw new Error(problem);
  }
  // A sequence longer than the packing length gets a row of its own.
  const capacity = (opts.packLength ?? opts.contextLength) + 1;
  const rows: PackedRow[] = [];
  if (opts.pack === false) {
    for (const seq of sequences) {
      const row = newRow();
      appendSequence(row, seq);
      rows.push(row);
    }
    return rows;
  }
  // byRoom[r] lists the rows with exactly r free tokens, oldest first.
  const byRoom: number[][] = Array.from({ length: capacity + 1 }, () => []);
  for (const seq of sequences) {
    const need = seq.ids.length;
    let chosen = -1;
    if (need >= capacity) {
      const row = newRow();
      appendSequence(row, seq);
      rows.push(row);
      continue;
    }
    for (let room = need; room < capacity; room++) {
      const bucket = byRoom[room] as number[];
      if (bucket.length > 0) {
        chosen = bucket.shift() as number;
        break;
      }
    }
    if (chosen < 0) {
      chosen = rows.length;
      rows.push(newRow());
    }
    const row = rows[chosen] as PackedRow;
    appendSequence(row, seq);
    const room = capacity - row.ids.length;
    if (room > 0) (byRoom[room] as number[]).push(chosen);
  }
  return rows;
}

export interface BatchShape {
  batchSize: number;
  contextLength: number;
  padId: number;
  /**
   * Pad each batch only to its longest row, rounded up to a multiple of this
   * (capped at the context); 0 or absent pads every row to the context.
   */
  bucket?: number;
}

export interface Batch {
  batchSize: number;
  contextLength: number;
  /** This batch's length L (<= contextLength): arrays are B x L. */
  seqLen: number;
  ids: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  segmentIds: Int32Array;
  positions: Int32Array;
  /** Sum of the mask: how many targets this batch trains. */
  trainedTokens: number;
  /** Examples in each row (empty for a padding row). */
  exampleIds: string[][];
}

/**
 * The length a batch of these rows is laid out to: the context, or with a
 * bucket the most inputs any row trains (its tokens less the last, which is
 * only a target) rounded up to a multiple of the bucket, at most the context.
 */
export function batchLength(rows: readonly PackedRow[], contextLength: number, bucket = 0): number {
  if (!(bucket > 0)) return contextLength;
  let longest = 1;
  for (const r of rows) longest = Math.max(longest, r.ids.length - 1);
  return Math.min(contextLength, Math.ceil(longest / bucket) * bucket);
}

/** Lays up to B rows out as one batch; missing rows are all padding. */
export function makeBatch(rows: readonly PackedRow[], shape: BatchShape): Batch {
  const { batchSize: B, contextLength: C, padId } = shape;
  if (rows.length > B) throw new Error(`makeBatch: ${rows.length} rows do not fit a batch of ${B}`);
  for (const row of rows) {
    if (row.ids.length > C + 1) throw new Error(`makeBatch: a row has ${row.ids.length} tokens, more than ${C + 1}`);
  }
  const T = batchLength(rows, C, shape.bucket);
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  const segmentIds = new Int32Array(B * T);
  const positions = new Int32Array(B * T);
  let trainedTokens = 0;
  const exampleIds: string[][] = [];
  for (let b = 0; b < B; b++) {
    const row = rows[b];
    exampleIds.push(row ? row.exampleIds.slice() : []);
    if (!row) continue;
    const n = Math.min(T, row.ids.length);
    for (let t = 0; t < n; t++) {
      const o = b * T + t;
      ids[o] = row.ids[t] as number;
      segmentIds[o] = row.segmentIds[t] as number;
      positions[o] = row.positions[t] as number;
      if (t + 1 < row.ids.length) {
        targets[o] = row.ids[t + 1] as number;
        const sameSegment = row.segmentIds[t + 1] === row.segmentIds[t];
        if (sameSegment && row.mask[t + 1] === 1) {
          mask[o] = 1;
          trainedTokens++;
        }
      }
    }
  }
  return { batchSize: B, contextLength: C, seqLen: T, ids, targets, mask, segmentIds, positions, trainedTokens, exampleIds };
}

export interface BatchIteratorOptions extends BatchShape {
  /** Seeds the order of rows; the same seed gives the same batches. */
  seed: number;
}

/**
 * Endless training batches: rows in a seeded shuffled order, reshuffled each
 * epoch, B at a time; a batch that runs past the end of an epoch continues
 * into the next, so no batch has padding rows.
 */
export function* batchIterator(rows: readonly PackedRow[], opts: BatchIteratorOptions): Generator<Batch, void, undefined> {
  if (rows.length === 0) throw new Error('batchIterator: no rows to train on');
  const rng = new Random(opts.seed);
  let order: number[] = [];
  let next = 0;
  for (;;) {
    const batchRows: PackedRow[] = [];
    while (batchRows.length < opts.batchSize) {
      if (next >= order.length) {
        order = rng.shuffle(rows.map((_, k) => k));
        next = 0;
      }
      batchRows.push(rows[order[next++] as number] as PackedRow);
    }
    yield makeBatch(batchRows, opts);
  }
}

/** Every row once, in order, B at a time; the last batch is filled with padding rows (mask 0). */
export function* evalBatches(rows: readonly PackedRow[], shape: BatchShape): Generator<Batch, void, undefined> {
  for (let start = 0; start < rows.length; start += shape.batchSize) {
    yield makeBatch(rows.slice(start, start + shape.batchSize), shape);
  }
}
