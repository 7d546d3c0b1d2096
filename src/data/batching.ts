// Rows of tokens and fixed-shape batches for the trainer.
//
// A row holds up to T + 1 tokens (see sequences.ts). Packing puts several
// short sequences into one row. Each token carries a segment id (1, 2, ...
// within its row; 0 for padding) and a position that restarts at 0 for each
// segment, so the model can keep attention inside a segment:
//   query q may attend to key k  iff  k <= q  and  segmentIds[k] === segmentIds[q]
// and the target that would cross from one segment into the next is masked.
//
// A batch is flat, row-major, B x T:
//   ids[b*T + t]     input token
//   targets[b*T + t] the token after it
//   mask[b*T + t]    1 where the loss counts (trained target in the same segment)
// Padding uses the pad id, mask 0, segment 0, position 0.

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
  const capacity = opts.contextLength + 1;
  const rows: PackedRow[] = [];
  for (const seq of sequences) {
    if (seq.ids.length > capacity) {
      throw new Error(`sequence of example ${seq.exampleId} has ${seq.ids.length} tokens, more than ${capacity}; fit it to the context first`);
    }
  }
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
}

export interface Batch {
  batchSize: number;
  contextLength: number;
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

/** Lays up to B rows out as one batch; missing rows are all padding. */
export function makeBatch(rows: readonly PackedRow[], shape: BatchShape): Batch {
  const { batchSize: B, contextLength: T, padId } = shape;
  if (rows.length > B) throw new Error(`makeBatch: ${rows.length} rows do not fit a batch of ${B}`);
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
    if (row.ids.length > T + 1) throw new Error(`makeBatch: a row has ${row.ids.length} tokens, more than ${T + 1}`);
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
  return { batchSize: B, contextLength: T, ids, targets, mask, segmentIds, positions, trainedTokens, exampleIds };
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
