// The lessons' work, without zustand or React: the next-token probabilities a
// model gives at the answer position of a question (the worker's `logits`
// request on the model's comparison slot, softmax here), the tokenizers of the
// shipped models on this thread (to render the prompt exactly as the worker
// does and to name the candidate tokens), and the starter examples the Data
// step shows in the shapes published datasets use.

import { importDataset } from '../../data/import';
import { renderPrompt } from '../../data/render';
import type { Example, InstructionExample } from '../../data/schema';
import type { ExperimentRequest, ExperimentResult } from '../../experiments';
import { readFlanCountries, type FlanInputs } from '../../experiments/flan';
import { messageOf } from '../../util/errors';
import { promptExample, type PromptTemplate } from '../../data/templates';
import { BpeTokenizer } from '../../tokenizer/bpe';
import type { WorkerClient } from '../workerClient';
import type { ShippedModel } from '../compare/state';
import type { LessonExamples, TokenProbability } from './state';

export interface LessonsDeps {
  client: Pick<WorkerClient, 'request'>;
  /** Files shipped with the app, by URL relative to the page. */
  fetchText: (url: string) => Promise<string>;
}

/** A shipped model's tokenizer and context length, read on this thread. */
export interface ModelText {
  tokenizer: BpeTokenizer;
  contextLength: number;
}

/**
 * The `k` most likely next tokens at one position of a (positions x vocab)
 * logits array: softmax over the whole vocabulary, so the bars are the
 * probabilities greedy decoding and sampling start from.
 */
export function topProbabilities(logits: ArrayLike<number>, position: number, vocab: number, k: number): Array<{ id: number; p: number }> {
  const start = position * vocab;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[start + i]!);
  const weights = new Float64Array(vocab);
  let total = 0;
  for (let i = 0; i < vocab; i++) {
    weights[i] = Math.exp(logits[start + i]! - max);
    total += weights[i]!;
  }
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => weights[b]! - weights[a]! || a - b);
  return order.slice(0, k).map((id) => ({ id, p: weights[id]! / total }));
}

/** The starter files the Data step takes its examples from. */
const STARTER_FILES = { facts: 'datasets/everyday-facts.json', tasks: 'datasets/word-problems-and-rewrites.json' } as const;

/**
 * One example as a record of each published format, in that format's own
 * field names (each reads back through the studio's importer as the same
 * instruction, input and response).
 */
export function publishedRecord(format: keyof LessonExamples, ex: InstructionExample): unknown {
  switch (format) {
    case 'alpaca':
      return { instruction: ex.instruction, input: ex.input ?? '', output: ex.response };
    case 'dolly':
      return { instruction: ex.instruction, context: ex.input ?? '', response: ex.response, category: ex.category ?? 'open_qa' };
    case 'oasst': {
      // A message tree, flattened: the prompter's message, then the assistant's reply to it.
      const prompt = ex.input ? `${ex.instruction}\n\n${ex.input}` : ex.instruction;
      return [
        { message_id: 'm1', parent_id: null, role: 'prompter', text: prompt, lang: 'en' },
        { message_id: 'm2', parent_id: 'm1', role: 'assistant', text: ex.response, lang: 'en', rank: 0 },
      ];
    }
    case 'selfInstruct':
      return { id: 'seed_task_0', name: ex.category ?? 'task', instruction: ex.instruction, instances: [{ input: ex.input ?? '', output: ex.response }], is_classification: false };
  }
}

export class LessonsService {
  private readonly texts = new Map<string, Promise<ModelText>>();

  constructor(private readonly deps: LessonsDeps) {}

  /** A shipped model's tokenizer.json and context length (config.json), read once per model. */
  modelText(m: ShippedModel): Promise<ModelText> {
    let once = this.texts.get(m.id);
    if (!once) {
      once = (async () => {
        const [tok, cfg] = await Promise.all([this.deps.fetchText(`${m.dir}/tokenizer.json`), this.deps.fetchText(`${m.dir}/config.json`)]);
        const config = JSON.parse(cfg) as { n_positions?: unknown; n_ctx?: unknown };
        const contextLength = Number(config.n_positions ?? config.n_ctx);
        if (!Number.isInteger(contextLength) || contextLength < 1) throw new Error(`${m.dir}/config.json has no context length (n_positions).`);
        return { tokenizer: BpeTokenizer.fromJSON(JSON.parse(tok)), contextLength };
      })();
      once.catch(() => this.texts.delete(m.id));
      this.texts.set(m.id, once);
    }
    return once;
  }

  /**
   * The most likely next tokens after `question` (formatted with `template`, as
   * generation formats it) for the model in comparison slot `slot`, which must
   * be loaded. Returns the exact prompt text too.
   */
  async nextTokens(slot: string, model: ShippedModel, question: string, template: PromptTemplate | null, k: number): Promise<{ promptText: string; top: TokenProbability[] }> {
    const { tokenizer, contextLength } = await this.modelText(model);
    // The same ids the worker's generation would start from (src/worker/generation.ts promptIds).
    let ids = template ? renderPrompt(promptExample(question), template, tokenizer) : tokenizer.encode(question);
    if (ids.length === 0) ids = [tokenizer.eosId];
    if (ids.length > contextLength) {
      if (template) throw new Error(`The question has ${ids.length} tokens with its template, more than the model's context of ${contextLength}: shorten it.`);
      ids = ids.slice(-contextLength);
    }
    const { logits, positions, vocabSize } = await this.deps.client.request('logits', { ids, slot });
    const top = topProbabilities(logits, positions - 1, vocabSize, k).map(({ id, p }) => ({ id, p, text: tokenizer.decode([id]) }));
    return { promptText: tokenizer.decode(ids), top };
  }

  /** One starter example per published format (instruction examples from the shipped starter files). */
  /** A shipped dataset file (Alpaca JSON under datasets/), read whole. */
  async shippedDataset(file: string): Promise<Example[]> {
    const r = importDataset(await this.deps.fetchText(file), { fileName: file, format: 'alpaca', dedupe: { near: false } });
    if (!r.ok) throw new Error(r.error.message);
    return r.examples;
  }

  /** The flan experiment's countries (a flan-countries file shipped under datasets/). */
  async flanCountries(file: string): Promise<FlanInputs> {
    const text = await this.deps.fetchText(file);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file} is not valid JSON: ${messageOf(e)}`);
    }
    return readFlanCountries(doc, file);
  }

  /**
   * Runs an experiment from the model in comparison slot `slot` (already loaded): the worker
   * tunes copies, so the shipped models and the learner's datasets are only read.
   */
  runExperiment(slot: string, template: PromptTemplate, run: ExperimentRequest): Promise<ExperimentResult> {
    return this.deps.client.request('experiment', { slot, template, run });
  }

  stopExperiment(): Promise<null> {
    return this.deps.client.request('stopExperiment', {});
  }

  async starterExamples(): Promise<LessonExamples> {
    const read = async (file: string): Promise<InstructionExample[]> => {
      const r = importDataset(await this.deps.fetchText(file), { fileName: file, format: 'alpaca', dedupe: { near: false } });
      if (!r.ok) throw new Error(r.error.message);
      return r.examples.filter((e): e is InstructionExample => e.kind === 'instruction');
    };
    const [facts, tasks] = await Promise.all([read(STARTER_FILES.facts), read(STARTER_FILES.tasks)]);
    const withInput = tasks.filter((e) => e.input);
    const pick = (list: InstructionExample[], i: number, file: string) => {
      const e = list[i] ?? list[0];
      if (!e) throw new Error(`${file} holds too few examples for the lesson.`);
      return e;
    };
    return {
      alpaca: pick(facts, 0, STARTER_FILES.facts),
      dolly: pick(withInput, 0, STARTER_FILES.tasks),
      oasst: pick(facts, 1, STARTER_FILES.facts),
      selfInstruct: pick(withInput, 1, STARTER_FILES.tasks),
    };
  }
}
