// Instruction-tuning batches: examples rendered through a prompt template into
// (ids, loss mask) sequences, fitted to the context, optionally packed, split into
// train and validation with a seed, and served as batches padded to their
// longest row, bucketed (see src/data/batching.ts), or to the whole context.

import { batchIterator, BUCKET_TOKENS, evalBatches, packSequences, type Batch as DataBatch } from '../data/batching';
import { describeEncodeReport, encodeExamples, type EncodeReport, type OverflowRule } from '../data/sequences';
import { splitExamples } from '../data/split';
import type { Example } from '../data/schema';
import type { PromptTemplate } from '../data/templates';
import type { Tokenizer } from '../tokenizer/types';
import type { Batch, BatchSource } from './batches';

export interface InstructionDataOptions {
  template: PromptTemplate;
  contextLength: number;
  batchSize: number;
  seed: number;
  /** Train on prompt tokens too (default: response tokens only). */
  trainOnInputs: boolean;
  /** Pack several short examples into one row (attention stays within each). */
  pack: boolean;
  /** Rows packed up to this many input tokens (default and at most the context). */
  packLength?: number;
  /** Pad each batch to its longest row rounded up to this many tokens (default BUCKET_TOKENS); 0 pads to the context. */
  bucket?: number;
  overflow: OverflowRule;
  /** Logits and loss at every position, not only the masked ones (the benchmark's reference; see Batch.allLogits). */
  allLogits?: boolean;
  /** Share of examples held out for validation loss (0 = none). */
  valFraction: number;
}

export interface InstructionData {
  source: InstructionBatches;
  evalBatches: Batch[];
  report: EncodeReport;
  /** One sentence for the user: kept, truncated and dropped examples. */
  summary: string;
  trainExamples: number;
  valExamples: number;
}

function toTrainBatch(b: DataBatch, allLogits = false): Batch {
  return {
    ...(allLogits ? { allLogits } : {}),
    ids: b.ids,
    targets: b.targets,
    mask: b.mask,
    batchSize: b.batchSize,
    seqLen: b.seqLen,
    segmentIds: b.segmentIds,
    positions: b.positions,
  };
}

/**
 * Endless batches over the encoded examples. Its state is the number of batches
 * drawn: restoring it replays the seeded order up to that point, so a resumed run
 * sees the same batches as an uninterrupted one.
 */
export class InstructionBatches implements BatchSource {
  private iterator: Generator<DataBatch, void, undefined>;
  private drawn = 0;
  /** Tokens laid out (B x L, padding included) over the batches drawn in this session. */
  private laidOut = 0;
  private laidOutBatches = 0;
  /** Distinct batch lengths drawn: each is a new tensor shape, i.e. new GPU programs to compile. */
  readonly lengths = new Set<number>();

  constructor(
    private readonly rows: ReturnType<typeof packSequences>,
    private readonly shape: { batchSize: number; contextLength: number; padId: number; seed: number; bucket?: number; allLogits?: boolean },
  ) {
    this.iterator = batchIterator(rows, shape);
  }

  /** The mean of B x L over the batches drawn so far (B x context before the first). */
  get tokensPerBatch(): number {
    return this.laidOutBatches > 0 ? this.laidOut / this.laidOutBatches : this.shape.batchSize * this.shape.contextLength;
  }

  next(): Batch {
    const r = this.iterator.next();
    if (r.done) throw new Error('The batch iterator ended unexpectedly.');
    this.drawn++;
    this.laidOut += r.value.batchSize * r.value.seqLen;
    this.laidOutBatches++;
    this.lengths.add(r.value.seqLen);
    return toTrainBatch(r.value, this.shape.allLogits);
  }

  getState(): unknown {
    return { drawn: this.drawn };
  }

  setState(state: unknown): void {
    const target = (state as { drawn?: unknown } | null)?.drawn;
    if (typeof target !== 'number' || !Number.isInteger(target) || target < 0) throw new Error('Invalid batch sampler state.');
    this.iterator = batchIterator(this.rows, this.shape);
    this.drawn = 0;
    while (this.drawn < target) {
      this.iterator.next();
      this.drawn++;
    }
  }
}

/** Encodes, splits and batches a dataset; throws a message a user can act on when nothing is trainable. */
export function prepareInstructionData(examples: readonly Example[], tokenizer: Tokenizer, o: InstructionDataOptions): InstructionData {
  if (examples.length === 0) throw new Error('The dataset is empty: add or import some instruction-response pairs first.');
  const { train, val } =
    o.valFraction > 0 && examples.length >= 10 ? splitExamples(examples, { valFraction: o.valFraction, seed: o.seed }) : { train: examples.slice(), val: [] };
  const enc = { contextLength: o.contextLength, trainOnInputs: o.trainOnInputs, overflow: o.overflow };
  const trainEnc = encodeExamples(train, o.template, tokenizer, enc);
  if (trainEnc.sequences.length === 0) {
    throw new Error(`No example can be trained: ${describeEncodeReport(trainEnc.report)} Raise the context length or shorten the examples.`);
  }
  const shape = { batchSize: o.batchSize, contextLength: o.contextLength, padId: tokenizer.padId, seed: o.seed, bucket: o.bucket ?? BUCKET_TOKENS, ...(o.allLogits ? { allLogits: true } : {}) };
  const packing = { contextLength: o.contextLength, pack: o.pack, ...(o.packLength !== undefined ? { packLength: o.packLength } : {}) };
  const rows = packSequences(trainEnc.sequences, packing);
  const valEnc = encodeExamples(val, o.template, tokenizer, enc);
  const valRows = packSequences(valEnc.sequences, packing);
  const evalSet = [...evalBatches(valRows, shape)].slice(0, 16).map((b) => toTrainBatch(b, o.allLogits));
  return {
    source: new InstructionBatches(rows, shape),
    evalBatches: evalSet,
    report: trainEnc.report,
    summary: describeEncodeReport(trainEnc.report),
    trainExamples: train.length,
    valExamples: val.length,
  };
}
