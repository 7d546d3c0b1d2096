// What the compare slice holds and offers, and the vocabulary the Compare view
// shares with it: model keys, shipped models, evaluation sets, column states.
// Types and constants only, so the store's StudioState can compose it without
// importing the slice.

import { BUILTIN_TEMPLATES } from '../../data/templates';
import type { Example } from '../../data/schema';
import type { BatchRow } from '../../eval/batch';

export type { BatchAnswer, BatchRow, BatchTotals } from '../../eval/batch';

/** A model shipped with the app, listed in public/models/index.json. */
export interface ShippedModel {
  id: string;
  title: string;
  /** Folder relative to the page, holding model.safetensors, config.json and tokenizer.json. */
  dir: string;
  /** The template it was tuned with, if any. */
  template?: string;
  description?: string;
}

/** The files of a shipped model, as loadModel takes them. */
export interface ShippedModelFiles {
  safetensors: ArrayBuffer;
  configJson: string;
  tokenizerJson: string;
}

export const SHIPPED_MODELS_INDEX = 'models/index.json';
/** The model in the studio (the one that trains): always generates from the main slot. */
export const CURRENT_MODEL = 'current';
export const MAX_COMPARE_MODELS = 4;
/** Compare without a template: the prompt is given to the model as raw text. */
export const RAW_TEMPLATE_ID = 'raw';

/** Model keys other than CURRENT_MODEL name their source; each is also its comparison slot's name. */
export const shippedKey = (id: string): string => `shipped:${id}`;
export const checkpointKey = (id: string): string => `ckpt:${id}`;

/** Where the model behind a key comes from. */
export function modelSource(key: string): { kind: 'current' } | { kind: 'shipped' | 'checkpoint'; id: string } | { kind: 'unknown' } {
  if (key === CURRENT_MODEL) return { kind: 'current' };
  if (key.startsWith('shipped:')) return { kind: 'shipped', id: key.slice(8) };
  if (key.startsWith('ckpt:')) return { kind: 'checkpoint', id: key.slice(5) };
  return { kind: 'unknown' };
}

export const PRESET_PROMPTS: readonly string[] = [
  'What is the capital of France?',
  'What is the capital of Japan?',
  'Which continent is Kenya in?',
  'What currency is used in Mexico?',
];

/** Evaluation sets shipped in public/datasets (Alpaca JSON), made by `npm run corpus`. */
export const EVAL_SETS: ReadonlyArray<{ id: string; file: string; title: string }> = [
  { id: 'geo-eval-heldout-capitals', file: 'datasets/geo-eval-heldout-capitals.json', title: 'Capitals of countries never tuned on (known only from pretraining prose)' },
  { id: 'geo-eval-heldout-capitals-unseen-phrasings', file: 'datasets/geo-eval-heldout-capitals-unseen-phrasings.json', title: 'Held-out capitals, asked in phrasings never tuned on' },
  { id: 'geo-eval-heldout-phrasings', file: 'datasets/geo-eval-heldout-phrasings.json', title: 'Seven relations of held-out countries, asked in phrasings never tuned on' },
  { id: 'geo-eval-heldout-continents', file: 'datasets/geo-eval-heldout-continents.json', title: 'Continents of held-out countries' },
  { id: 'geo-eval-heldout-currencies', file: 'datasets/geo-eval-heldout-currencies.json', title: 'Currencies of held-out countries' },
  { id: 'geo-eval-train-capitals', file: 'datasets/geo-eval-train-capitals.json', title: 'Capitals of countries in the tuning set' },
  { id: 'geo-eval-untuned-code3', file: 'datasets/geo-eval-untuned-code3.json', title: 'Three-letter country codes (a relation never tuned on)' },
];

export const COMPARE_TEMPLATES: ReadonlyArray<{ id: string; name: string }> = [
  ...BUILTIN_TEMPLATES.map((t) => ({ id: t.id, name: t.name })),
  { id: RAW_TEMPLATE_ID, name: 'No template (raw text)' },
];

export type ColumnStatus = 'idle' | 'loading' | 'running' | 'done' | 'failed';

export interface CompareColumn {
  status: ColumnStatus;
  /** The exact prompt the model was given, after the template. */
  promptText: string;
  text: string;
  tokenCount: number;
  tokensPerSec: number;
  reason: 'maxTokens' | 'eos' | 'cancelled' | null;
  error: string | null;
}

export interface CompareSlice {
  shippedModels: ShippedModel[];
  shippedModelsLoaded: boolean;
  /** Model keys: CURRENT_MODEL, `shipped:<id>` or `ckpt:<checkpoint id>`. */
  compareSelection: string[];
  comparePrompt: string;
  /** A built-in template id, or RAW_TEMPLATE_ID. */
  compareTemplateId: string;
  compareColumns: Record<string, CompareColumn>;
  /** The models and settings of the last comparison, as the columns show them. */
  compareShown: string[];
  compareRunning: boolean;
  compareError: string | null;
  /** Greedy decoding (temperature 0) for the side-by-side answers, whatever the sampling settings say. */
  compareGreedy: boolean;
  /** Set when a lesson opened the view (with its models, question and greedy decoding); the view says so. */
  compareFromLesson: boolean;

  evalSetId: string | null;
  evalSetTitle: string;
  evalExamples: Example[] | null;
  evalSetError: string | null;
  /** Run only this many questions of the set (the rest take long on slow backends). */
  batchLimit: number;
  /** Greedy decoding for scoring (temperature 0), whatever the sampling settings say. */
  batchGreedy: boolean;
  batchModels: string[];
  batchRows: BatchRow[];
  batchRunning: boolean;
  batchProgress: { done: number; total: number } | null;
  batchError: string | null;

  loadShippedModels: () => Promise<void>;
  /** Reads a shipped model's weights (telling `onProgress` the bytes read, of the total when known), config.json and tokenizer.json. */
  fetchShippedModel: (m: ShippedModel, onProgress?: (loaded: number, total: number | null) => void) => Promise<ShippedModelFiles>;
  toggleCompareModel: (key: string) => void;
  setComparePrompt: (prompt: string) => void;
  setCompareTemplate: (id: string) => void;
  setCompareGreedy: (on: boolean) => void;
  /**
   * Opens the Compare view as a lesson leaves it: these models, this question and
   * template, greedy decoding (sampling stays one click away).
   */
  openCompareFromLesson: (keys: readonly string[], prompt: string, templateId: string) => void;
  runCompare: () => Promise<void>;
  cancelCompare: () => void;
  chooseEvalSet: (id: string) => Promise<void>;
  /** A user's file (its bytes, decoded as the Data tab decodes them; or text) as the evaluation set. */
  importEvalSet: (fileName: string, content: string | ArrayBuffer) => void;
  setBatchLimit: (n: number) => void;
  setBatchGreedy: (on: boolean) => void;
  runBatch: () => Promise<void>;
  cancelBatch: () => void;
  /** A comparison column's generation started: show the exact prompt the model was given. */
  onCompareStarted: (requestId: number, promptText: string) => void;
  /** A token of a comparison column's answer arrived. */
  onCompareToken: (requestId: number, text: string) => void;
  /** A new worker (the backend was switched) holds no comparison slots: load them again when next asked. */
  forgetCompareSlots: () => void;
}
