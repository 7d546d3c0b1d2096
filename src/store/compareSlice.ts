// Side-by-side comparison: two to four models answer the same prompt with the
// same template, sampling settings and seed, so any difference comes from the
// weights alone. Models other than the one in training are loaded into the
// worker's comparison slots (inference only); their answers stream in parallel.
// Batch mode runs an evaluation set across the chosen models and scores each
// answer with src/eval's scorer, the one `npm run eval` uses.

import { importDataset } from '../data/import';
import type { Example } from '../data/schema';
import { BUILTIN_TEMPLATES, DEFAULT_TEMPLATE, getTemplate, type PromptTemplate } from '../data/templates';
import { failedAnswer, type BatchAnswer, type BatchRow } from '../eval/batch';
import { evalQuestion, scoreAnswer } from '../eval/score';
import type { PromptFormat } from '../data/render';
import type { GenerateOptions } from '../model/sampling';
import { generateOptionProblems as genOptionProblems } from '../model/sampling';
import type { SliceCreator, StudioState } from './types';

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

export const SHIPPED_MODELS_INDEX = 'models/index.json';
/** The model in the studio (the one that trains): always generates from the main slot. */
export const CURRENT_MODEL = 'current';
export const MAX_COMPARE_MODELS = 4;
/** Compare without a template: the prompt is given to the model as raw text. */
export const RAW_TEMPLATE_ID = 'raw';

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
  { id: 'geo-eval-heldout-continents', file: 'datasets/geo-eval-heldout-continents.json', title: 'Continents of held-out countries' },
  { id: 'geo-eval-heldout-currencies', file: 'datasets/geo-eval-heldout-currencies.json', title: 'Currencies of held-out countries' },
  { id: 'geo-eval-train-capitals', file: 'datasets/geo-eval-train-capitals.json', title: 'Capitals of countries in the tuning set' },
  { id: 'geo-eval-untuned-language', file: 'datasets/geo-eval-untuned-language.json', title: 'Languages (a relation never tuned on)' },
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

export type { BatchAnswer, BatchRow, BatchTotals } from '../eval/batch';

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
  /** Reads a shipped model's weights, config.json and tokenizer.json. */
  fetchShippedModel: (m: ShippedModel) => Promise<{ safetensors: ArrayBuffer; configJson: string; tokenizerJson: string }>;
  toggleCompareModel: (key: string) => void;
  setComparePrompt: (prompt: string) => void;
  setCompareTemplate: (id: string) => void;
  runCompare: () => Promise<void>;
  cancelCompare: () => void;
  chooseEvalSet: (id: string) => Promise<void>;
  importEvalSet: (fileName: string, text: string) => void;
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

export function compareTemplate(id: string): PromptTemplate | null {
  if (id === RAW_TEMPLATE_ID) return null;
  return getTemplate(id) ?? DEFAULT_TEMPLATE;
}

export const COMPARE_TEMPLATES: ReadonlyArray<{ id: string; name: string }> = [
  ...BUILTIN_TEMPLATES.map((t) => ({ id: t.id, name: t.name })),
  { id: RAW_TEMPLATE_ID, name: 'No template (raw text)' },
];

/** What a model key is called in column headers and the CSV. */
export function compareModelLabel(s: Pick<StudioState, 'model' | 'step' | 'shippedModels' | 'checkpoints'>, key: string): string {
  if (key === CURRENT_MODEL) return s.model ? `In the studio: ${s.model.name}` : 'In the studio (no model yet)';
  if (key.startsWith('shipped:')) return s.shippedModels.find((m) => `shipped:${m.id}` === key)?.title ?? key.slice(8);
  if (key.startsWith('ckpt:')) {
    const c = s.checkpoints.find((x) => `ckpt:${x.id}` === key);
    return c ? `${c.name} (step ${c.step})` : 'Deleted checkpoint';
  }
  return key;
}

function emptyColumn(status: ColumnStatus): CompareColumn {
  return { status, promptText: '', text: '', tokenCount: 0, tokensPerSec: 0, reason: null, error: null };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function readShippedIndex(json: unknown): ShippedModel[] {
  if (!Array.isArray(json)) throw new Error(`${SHIPPED_MODELS_INDEX} must be a JSON array of {id, title, dir}.`);
  return json.flatMap((e: unknown) => {
    const m = e as Partial<ShippedModel> | null;
    if (!m || typeof m.id !== 'string' || typeof m.title !== 'string' || typeof m.dir !== 'string') return [];
    return [
      {
        id: m.id,
        title: m.title,
        dir: m.dir.replace(/\/+$/, ''),
        ...(typeof m.template === 'string' ? { template: m.template } : {}),
        ...(typeof m.description === 'string' ? { description: m.description } : {}),
      },
    ];
  });
}

export const createCompareSlice: SliceCreator<CompareSlice> = (ctx) => (set, get) => {
  const deps = ctx.checkpoints;
  /** Which model each comparison slot holds (a version, so a replaced autosave is reloaded). */
  const loaded = new Map<string, string>();
  /** Generations of the single-prompt comparison, by request id. */
  const streams = new Map<number, string>();
  let batchIds: number[] = [];
  let batchCancelled = false;
  let shippedOnce: Promise<void> | null = null;

  const setColumn = (key: string, patch: Partial<CompareColumn>) => {
    const cols = get().compareColumns;
    set({ compareColumns: { ...cols, [key]: { ...(cols[key] ?? emptyColumn('idle')), ...patch } } });
  };


  const slotOf = (key: string) => (key === CURRENT_MODEL ? undefined : key);

  /** The version of the model behind a key, to know whether its slot is stale. */
  const versionOf = (key: string): string => {
    if (key.startsWith('ckpt:')) {
      const c = get().checkpoints.find((x) => `ckpt:${x.id}` === key);
      return c ? `${c.savedAt}` : 'gone';
    }
    return 'shipped';
  };

  const fetchModelFiles = async (m: ShippedModel) => {
    const [safetensors, configJson, tokenizerJson] = await Promise.all([
      deps.fetchBytes(`${m.dir}/model.safetensors`),
      deps.fetchText(`${m.dir}/config.json`),
      deps.fetchText(`${m.dir}/tokenizer.json`),
    ]);
    return { safetensors, configJson, tokenizerJson };
  };

  /** Makes sure the model behind `key` is in its comparison slot. */
  const ensureLoaded = async (key: string): Promise<void> => {
    if (key === CURRENT_MODEL) {
      const s = get();
      if (!s.model) throw new Error('There is no model in the studio yet: create or load one first.');
      if (s.trainState === 'running') throw new Error('Pause training to include the model in training: its weights change at every step.');
      return;
    }
    const version = versionOf(key);
    if (loaded.get(key) === version) return;
    let req: { name: string; safetensors: ArrayBuffer; configJson: string; tokenizerJson: string };
    if (key.startsWith('shipped:')) {
      const m = get().shippedModels.find((x) => `shipped:${x.id}` === key);
      if (!m) throw new Error('This shipped model is not available.');
      req = { name: m.title, ...(await fetchModelFiles(m)) };
    } else if (key.startsWith('ckpt:')) {
      const { meta, bytes } = await deps.checkpoints.load(key.slice(5));
      req = { name: meta.name, safetensors: bytes, configJson: '', tokenizerJson: '' };
    } else throw new Error(`Unknown model "${key}".`);
    await ctx.client.request('loadModel', { slot: key, ...req });
    loaded.set(key, version);
  };

  const formatFor = (template: PromptTemplate | null, input = ''): PromptFormat | undefined =>
    template ? { template, ...(input ? { input } : {}) } : undefined;

  /** Loads every chosen model in turn; returns the keys that are ready, marking the others failed. */
  const loadAll = async (keys: string[], onFail: (key: string, message: string) => void): Promise<string[]> => {
    const ready: string[] = [];
    for (const key of keys) {
      try {
        await ensureLoaded(key);
        ready.push(key);
      } catch (e) {
        onFail(key, messageOf(e));
      }
    }
    return ready;
  };

  const checkReady = (): { keys: string[]; options: GenerateOptions } | null => {
    const s = get();
    const keys = s.compareSelection.slice(0, MAX_COMPARE_MODELS);
    if (keys.length === 0) {
      set({ compareError: 'Choose at least one model (two or more to compare).' });
      return null;
    }
    if (s.backendStatus !== 'ready') {
      set({ compareError: 'The trainer is still starting: wait for the backend badge in the header.' });
      return null;
    }
    const problems = genOptionProblems(s.genOptions);
    if (problems.length > 0) {
      set({ compareError: problems.map((p) => p.message).join(' ') });
      return null;
    }
    return { keys, options: { ...s.genOptions } };
  };

  return {
    onCompareStarted: (requestId, promptText) => {
      const key = streams.get(requestId);
      if (key) setColumn(key, { promptText });
    },

    onCompareToken: (requestId, text) => {
      const key = streams.get(requestId);
      const col = key ? get().compareColumns[key] : undefined;
      if (key && col) setColumn(key, { text: col.text + text, tokenCount: col.tokenCount + 1 });
    },

    forgetCompareSlots: () => loaded.clear(),

    shippedModels: [],
    shippedModelsLoaded: false,
    compareSelection: [],
    comparePrompt: PRESET_PROMPTS[0]!,
    compareTemplateId: DEFAULT_TEMPLATE.id,
    compareColumns: {},
    compareShown: [],
    compareRunning: false,
    compareError: null,
    evalSetId: null,
    evalSetTitle: '',
    evalExamples: null,
    evalSetError: null,
    batchLimit: 20,
    batchGreedy: true,
    batchModels: [],
    batchRows: [],
    batchRunning: false,
    batchProgress: null,
    batchError: null,

    fetchShippedModel: fetchModelFiles,

    loadShippedModels: () => {
      shippedOnce ??= (async () => {
        let entries: ShippedModel[] = [];
        try {
          entries = readShippedIndex(JSON.parse(await deps.fetchText(SHIPPED_MODELS_INDEX)));
        } catch {
          // No index, or not JSON (a server answering with its page): no shipped models.
        }
        // List only models whose files are there: a config.json that reads as a model config.
        const present = await Promise.all(
          entries.map(async (m) => {
            try {
              const cfg = JSON.parse(await deps.fetchText(`${m.dir}/config.json`)) as Record<string, unknown>;
              return typeof cfg === 'object' && cfg !== null && typeof cfg.n_embd === 'number' ? m : null;
            } catch {
              return null;
            }
          }),
        );
        const models = present.filter((m): m is ShippedModel => m !== null);
        const s = get();
        // Base and tuned side by side is the comparison the studio exists for: preselect them.
        const selection = s.compareSelection.length > 0 ? s.compareSelection : models.slice(0, MAX_COMPARE_MODELS).map((m) => `shipped:${m.id}`);
        const tuned = models.find((m) => m.template);
        set({
          shippedModels: models,
          shippedModelsLoaded: true,
          compareSelection: selection,
          ...(tuned?.template && getTemplate(tuned.template) ? { compareTemplateId: tuned.template } : {}),
        });
      })();
      return shippedOnce;
    },

    toggleCompareModel: (key) => {
      const s = get();
      if (s.compareRunning || s.batchRunning) return;
      if (s.compareSelection.includes(key)) {
        set({ compareSelection: s.compareSelection.filter((k) => k !== key), compareError: null });
        if (loaded.delete(key)) ctx.client.request('unloadModel', { slot: key }).catch(() => undefined);
        return;
      }
      if (s.compareSelection.length >= MAX_COMPARE_MODELS) {
        set({ compareError: `Compare at most ${MAX_COMPARE_MODELS} models at a time: untick one first.` });
        return;
      }
      set({ compareSelection: [...s.compareSelection, key], compareError: null });
    },

    setComparePrompt: (prompt) => set({ comparePrompt: prompt }),

    setCompareTemplate: (id) => set({ compareTemplateId: id }),

    runCompare: async () => {
      const s = get();
      if (s.compareRunning || s.batchRunning) return;
      if (s.comparePrompt.trim() === '') {
        set({ compareError: 'Type a prompt, or pick one of the presets.' });
        return;
      }
      const ready = checkReady();
      if (!ready) return;
      const { keys, options } = ready;
      const template = compareTemplate(s.compareTemplateId);
      const prompt = s.comparePrompt;
      set({
        compareRunning: true,
        compareError: null,
        compareShown: keys,
        compareColumns: Object.fromEntries(keys.map((k) => [k, emptyColumn('loading')])),
      });
      try {
        const loadedKeys = await loadAll(keys, (key, message) => setColumn(key, { status: 'failed', error: message }));
        // All columns start together: same prompt, template, settings and seed.
        await Promise.all(
          loadedKeys.map(async (key) => {
            const slot = slotOf(key);
            const format = formatFor(template);
            const { id, reply } = ctx.client.send('generate', { prompt, options, ...(format ? { format } : {}), ...(slot ? { slot } : {}) });
            streams.set(id, key);
            setColumn(key, { status: 'running' });
            try {
              const done = await reply;
              setColumn(key, { status: 'done', text: done.text, tokenCount: done.tokenCount, tokensPerSec: done.tokensPerSec, reason: done.reason });
            } catch (e) {
              setColumn(key, { status: 'failed', error: messageOf(e) });
            } finally {
              streams.delete(id);
            }
          }),
        );
      } finally {
        set({ compareRunning: false });
      }
    },

    cancelCompare: () => {
      for (const id of streams.keys()) ctx.client.request('cancelGenerate', { generateId: id }).catch(() => undefined);
    },

    chooseEvalSet: async (id) => {
      if (get().batchRunning) return;
      set({ evalSetId: id, evalExamples: null, evalSetError: null, batchRows: [], batchProgress: null });
      try {
        let examples: Example[];
        let title: string;
        if (id.startsWith('dataset:')) {
          const d = await ctx.data.repo.get(id.slice(8));
          if (!d) throw new Error('That dataset is no longer stored.');
          examples = d.examples;
          title = d.name;
        } else {
          const set_ = EVAL_SETS.find((e) => e.id === id);
          if (!set_) throw new Error(`Unknown evaluation set "${id}".`);
          const text = await deps.fetchText(set_.file);
          const r = importDataset(text, { fileName: set_.file, format: 'alpaca', dedupe: { near: false } });
          if (!r.ok) throw new Error(r.error.message);
          examples = r.examples;
          title = set_.title;
        }
        if (get().evalSetId !== id) return;
        set({ evalExamples: examples, evalSetTitle: title });
      } catch (e) {
        if (get().evalSetId === id) set({ evalSetError: `Could not open the evaluation set: ${messageOf(e)}` });
      }
    },

    importEvalSet: (fileName, text) => {
      if (get().batchRunning) return;
      const r = importDataset(text, { fileName, dedupe: { near: false } });
      if (!r.ok) {
        set({ evalSetError: r.error.message });
        return;
      }
      set({ evalSetId: `file:${fileName}`, evalSetTitle: fileName, evalExamples: r.examples, evalSetError: null, batchRows: [], batchProgress: null });
    },

    setBatchLimit: (n) => {
      if (Number.isInteger(n) && n >= 1) set({ batchLimit: n });
    },

    setBatchGreedy: (on) => set({ batchGreedy: on }),

    runBatch: async () => {
      const s = get();
      if (s.compareRunning || s.batchRunning) return;
      if (!s.evalExamples || s.evalExamples.length === 0) {
        set({ batchError: 'Choose an evaluation set first.' });
        return;
      }
      const ready = checkReady();
      if (!ready) return;
      const { keys } = ready;
      const options: GenerateOptions = s.batchGreedy ? { ...ready.options, temperature: 0 } : ready.options;
      const template = compareTemplate(s.compareTemplateId);
      const examples = s.evalExamples.slice(0, s.batchLimit);
      batchCancelled = false;
      set({ batchRunning: true, batchError: null, batchModels: keys, batchRows: [], batchProgress: { done: 0, total: examples.length } });
      try {
        const failed: string[] = [];
        const loadedKeys = await loadAll(keys, (key, message) => failed.push(`${compareModelLabel(get(), key)}: ${message}`));
        if (failed.length > 0) set({ batchError: `Left out of the batch: ${failed.join(' ')}` });
        if (loadedKeys.length === 0) return;
        for (const [i, ex] of examples.entries()) {
          if (batchCancelled) break;
          const { question, input, reference } = evalQuestion(ex);
          const answers: Record<string, BatchAnswer> = {};
          batchIds = [];
          await Promise.all(
            loadedKeys.map(async (key) => {
              const slot = slotOf(key);
              const format = formatFor(template, input);
              const { id, reply } = ctx.client.send('generate', { prompt: question, options, ...(format ? { format } : {}), ...(slot ? { slot } : {}) });
              batchIds.push(id);
              try {
                const done = await reply;
                const { raw, answer, correct, questionLike } = scoreAnswer(done.text, reference, template);
                answers[key] = { raw, answer, correct, questionLike };
              } catch (e) {
                answers[key] = failedAnswer(messageOf(e));
              }
            }),
          );
          // A cancelled question's answers are cut short: leave it out rather than score it.
          if (batchCancelled) break;
          set({ batchRows: [...get().batchRows, { question, input, reference, answers }], batchProgress: { done: i + 1, total: examples.length } });
        }
      } finally {
        batchIds = [];
        set({ batchRunning: false });
      }
    },

    cancelBatch: () => {
      batchCancelled = true;
      for (const id of batchIds) ctx.client.request('cancelGenerate', { generateId: id }).catch(() => undefined);
    },
  };
};
