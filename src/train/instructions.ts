// Instruction-tuning batches: examples rendered through a prompt template into
// (ids, loss mask) sequences, fitted to the context, optionally packed, split into
// train and validation with a seed, and served as fixed-shape batches.

import { batchIterator, evalBatches, packSequences, type Batch as DataBatch } from '../data/batching';
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
  overflow: OverflowRule;
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

function toTrainBatch(b: DataBatch): Batch {
  return {
    ids: b.ids,
    targets: b.targets,
    mask: b.mask,
    batchSize: b.batchSize,
    seqLen: b.contextLength,
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

  constructor(
    private readonly rows: ReturnType<typeof packSequences>,
    private readonly shape: { batchSize: number; contextLength: number; padId: number; seed: number },
  ) {
    this.iterator = batchIterator(rows, shape);
  }

  get tokensPerBatch(): number {
    return this.shape.batchSize * this.shape.contextLength;
  }

  next(): Batch {
    const r = this.iterator.next();
    if (r.done) throw new Error('The batch iterator ended unexpectedly.');
    this.drawn++;
    return toTrainBatch(r.value);
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
  const shape = { batchSize: o.batchSize, contextLength: o.contextLength, padId: tokenizer.padId, seed: o.seed };
  const rows = packSequences(trainEnc.sequences, { contextLength: o.contextLength, pack: o.pack });
  const valEnc = encodeExamples(val, o.template, tokenizer, enc);
  const valRows = packSequences(valEnc.sequences, { contextLength: o.contextLength, pack: o.pack });
  const evalSet = [...evalBatches(valRows, shape)].slice(0, 16).map(toTrainBatch);
  return {
    source: new InstructionBatches(rows, shape),
    evalBatches: evalSet,
    report: trainEnc.report,
    summary: describeEncodeReport(trainEnc.report),
    trainExamples: train.length,
    valExamples: val.length,
  };
}
