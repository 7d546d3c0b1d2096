// Side-by-side comparison as state: two to four models answer the same prompt
// with the same template, sampling settings and seed, so any difference comes
// from the weights alone; batch mode runs an evaluation set across them. The
// work is CompareService's (ctx.compare); this slice checks what the user asked
// for against the state and turns the service's callbacks into columns and rows.

import { DEFAULT_TEMPLATE, getTemplate } from '../../data/templates';
import { generateOptionProblems } from '../../model/sampling';
import { messageOf } from '../../util/errors';
import type { SliceCreator, StudioState } from '../types';
import { compareModelLabel, compareTemplate, type AskSettings, type ModelsInView } from './service';
import { MAX_COMPARE_MODELS, modelSource, PRESET_PROMPTS, shippedKey, type ColumnStatus, type CompareColumn, type CompareSlice } from './state';

function emptyColumn(status: ColumnStatus): CompareColumn {
  return { status, promptText: '', text: '', tokenCount: 0, tokensPerSec: 0, reason: null, error: null };
}

/** What a chosen model needs before it can answer: null when it is ready, else why not. */
function columnBlocker(s: CompareReadiness, key: string): string | null {
  const src = modelSource(key);
  switch (src.kind) {
    case 'current':
      if (!s.model) return s.modelStatus === 'creating' ? 'The studio’s model is still loading.' : '“In the studio” holds no model yet: create or load one, or untick it.';
      if (s.trainState === 'running') return `“${s.model.name}” is training: pause it to compare its weights as they are, or untick it.`;
      return null;
    case 'shipped':
      if (!s.shippedModelsLoaded) return 'Looking for the shipped models…';
      return s.shippedModels.some((m) => m.id === src.id) ? null : `The shipped model “${src.id}” is not here: untick it.`;
    case 'checkpoint':
      return s.checkpoints.some((c) => c.id === src.id) ? null : 'A chosen checkpoint was deleted: untick it under “No longer available”.';
    default:
      return `Unknown model “${key}”: untick it.`;
  }
}

type CompareReadiness = Pick<
  StudioState,
  'compareSelection' | 'comparePrompt' | 'backendStatus' | 'genOptions' | 'model' | 'modelStatus' | 'trainState' | 'shippedModels' | 'shippedModelsLoaded' | 'checkpoints'
>;

/**
 * Why "Ask all" cannot run now, or null when every chosen model is ready (the
 * first reason only: the one to fix first). The button is disabled with it shown.
 */
export function compareBlocker(s: CompareReadiness): string | null {
  const keys = s.compareSelection.slice(0, MAX_COMPARE_MODELS);
  if (keys.length === 0) return 'Tick the models to compare on the left.';
  if (s.backendStatus !== 'ready') return 'The trainer is still starting: wait for the backend badge in the header.';
  for (const key of keys) {
    const why = columnBlocker(s, key);
    if (why) return why;
  }
  if (s.comparePrompt.trim() === '') return 'Type a prompt, or pick one of the presets.';
  if (generateOptionProblems(s.genOptions).length > 0) return 'Fix the sampling settings on the left.';
  return null;
}

export const createCompareSlice: SliceCreator<CompareSlice, 'model' | 'modelStatus' | 'trainState' | 'backendStatus' | 'genOptions' | 'checkpoints' | 'setOpenView'> =
  (ctx) => (set, get) => {
    const svc = ctx.compare;

    const setColumn = (key: string, patch: Partial<CompareColumn>) => {
      const cols = get().compareColumns;
      set({ compareColumns: { ...cols, [key]: { ...(cols[key] ?? emptyColumn('idle')), ...patch } } });
    };

    const modelsInView = (): ModelsInView => {
      const s = get();
      return { current: s.model ? { name: s.model.name, training: s.trainState === 'running' } : null, shipped: s.shippedModels, checkpoints: s.checkpoints };
    };

    /** The chosen models and settings, or null after saying why a comparison cannot start. */
    const checkReady = (): { keys: string[]; settings: AskSettings } | null => {
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
      const problems = generateOptionProblems(s.genOptions);
      if (problems.length > 0) {
        set({ compareError: problems.map((p) => p.message).join(' ') });
        return null;
      }
      return { keys, settings: { options: { ...s.genOptions }, template: compareTemplate(s.compareTemplateId) } };
    };

    return {
      shippedModels: [],
      shippedModelsLoaded: false,
      compareSelection: [],
      comparePrompt: PRESET_PROMPTS[0]!,
      compareTemplateId: DEFAULT_TEMPLATE.id,
      compareColumns: {},
      compareShown: [],
      compareRunning: false,
      compareError: null,
      compareGreedy: false,
      compareFromLesson: false,
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

      onCompareStarted: (requestId, promptText) => svc.started(requestId, promptText),
      onCompareToken: (requestId, text) => svc.token(requestId, text),
      forgetCompareSlots: () => svc.forgetSlots(),

      fetchShippedModel: (m, onProgress) => svc.fetchShippedModel(m, onProgress),

      loadShippedModels: async () => {
        const models = await svc.shippedModels();
        if (get().shippedModelsLoaded) return;
        const s = get();
        // Base and tuned side by side is the comparison the studio exists for: preselect them.
        const selection = s.compareSelection.length > 0 ? s.compareSelection : models.slice(0, MAX_COMPARE_MODELS).map((m) => shippedKey(m.id));
        const tuned = models.find((m) => m.template);
        set({
          shippedModels: models,
          shippedModelsLoaded: true,
          compareSelection: selection,
          ...(tuned?.template && getTemplate(tuned.template) ? { compareTemplateId: tuned.template } : {}),
        });
      },

      toggleCompareModel: (key) => {
        const s = get();
        if (s.compareRunning || s.batchRunning) return;
        if (s.compareSelection.includes(key)) {
          set({ compareSelection: s.compareSelection.filter((k) => k !== key), compareError: null });
          svc.releaseSlot(key);
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

      setCompareGreedy: (on) => set({ compareGreedy: on }),

      openCompareFromLesson: (keys, prompt, templateId) => {
        const s = get();
        if (s.compareRunning || s.batchRunning) {
          s.setOpenView('compare');
          return;
        }
        // Models no longer wanted give their comparison slots back.
        for (const k of s.compareSelection) if (!keys.includes(k)) svc.releaseSlot(k);
        set({
          compareSelection: keys.slice(0, MAX_COMPARE_MODELS),
          comparePrompt: prompt,
          compareTemplateId: templateId,
          compareGreedy: true,
          compareFromLesson: true,
          compareError: null,
        });
        s.setOpenView('compare');
      },

      runCompare: async () => {
        const s = get();
        if (s.compareRunning || s.batchRunning) return;
        // Every chosen model must be ready: a comparison with a column missing compares less than it says.
        const blocked = compareBlocker(s);
        if (blocked) {
          set({ compareError: blocked });
          return;
        }
        const ready = checkReady();
        if (!ready) return;
        const { keys } = ready;
        const settings: AskSettings = s.compareGreedy ? { ...ready.settings, options: { ...ready.settings.options, temperature: 0 } } : ready.settings;
        set({
          compareRunning: true,
          compareError: null,
          compareShown: keys,
          compareColumns: Object.fromEntries(keys.map((k) => [k, emptyColumn('loading')])),
        });
        const failed = (key: string, error: string) => setColumn(key, { status: 'failed', error });
        try {
          const loaded = await svc.loadModels(keys, modelsInView(), failed);
          // All columns start together: same prompt, template, settings and seed.
          await svc.compare(loaded, s.comparePrompt, settings, {
            onRunning: (key) => setColumn(key, { status: 'running' }),
            onPromptText: (key, promptText) => setColumn(key, { promptText }),
            onToken: (key, text) => {
              const col = get().compareColumns[key];
              if (col) setColumn(key, { text: col.text + text, tokenCount: col.tokenCount + 1 });
            },
            onDone: (key, done) => setColumn(key, { status: 'done', text: done.text, tokenCount: done.tokenCount, tokensPerSec: done.tokensPerSec, reason: done.reason }),
            onFailed: failed,
          });
        } finally {
          set({ compareRunning: false });
        }
      },

      cancelCompare: () => svc.cancelCompare(),

      chooseEvalSet: async (id) => {
        if (get().batchRunning) return;
        set({ evalSetId: id, evalExamples: null, evalSetError: null, batchRows: [], batchProgress: null });
        try {
          const { title, examples } = await svc.openEvalSet(id);
          // The user may have chosen another set while this one was read.
          if (get().evalSetId === id) set({ evalExamples: examples, evalSetTitle: title });
        } catch (e) {
          if (get().evalSetId === id) set({ evalSetError: `Could not open the evaluation set: ${messageOf(e)}` });
        }
      },

      importEvalSet: (fileName, content) => {
        if (get().batchRunning) return;
        const r = svc.importEvalSet(fileName, content);
        if (!r.ok) {
          set({ evalSetError: r.message });
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
        const settings: AskSettings = s.batchGreedy ? { ...ready.settings, options: { ...ready.settings.options, temperature: 0 } } : ready.settings;
        const examples = s.evalExamples.slice(0, s.batchLimit);
        const total = examples.length;
        set({ batchRunning: true, batchError: null, batchModels: keys, batchRows: [], batchProgress: { done: 0, total } });
        try {
          const failed: string[] = [];
          const loaded = await svc.loadModels(keys, modelsInView(), (key, message) => failed.push(`${compareModelLabel(get(), key)}: ${message}`));
          if (failed.length > 0) set({ batchError: `Left out of the batch: ${failed.join(' ')}` });
          if (loaded.length === 0) return;
          await svc.runBatch(loaded, examples, settings, (row, done) => set({ batchRows: [...get().batchRows, row], batchProgress: { done, total } }));
        } finally {
          set({ batchRunning: false });
        }
      },

      cancelBatch: () => svc.cancelBatch(),
    };
  };
