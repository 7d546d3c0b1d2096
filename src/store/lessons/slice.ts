// The lessons as state: which view is open, the lesson step on screen and
// presenter mode (persisted), and the steps' live experiments. Asking a
// question loads each model into its comparison slot (the compare service's),
// reads the next-token probabilities at the answer position (LessonsService)
// and then streams every model's answer, greedy unless the learner chose to
// sample, so base and tuned differ only by their weights.

import { DEFAULT_TEMPLATE, getTemplate, type PromptTemplate } from '../../data/templates';
import { batchTotals } from '../../eval/batch';
import { DEFAULT_GENERATE_OPTIONS, type GenerateOptions } from '../../model/sampling';
import { messageOf } from '../../util/errors';
import type { SliceCreator } from '../types';
import type { ModelsInView } from '../compare/service';
import { modelSource, shippedKey, type ShippedModel } from '../compare/state';
import type { InstructionExample } from '../../data/schema';
import type { ExperimentName, ExperimentRequest, ExperimentResult } from '../../experiments';
import { FLAN_QUICK, type FlanSettings } from '../../experiments/flan';
import { MIX_QUICK } from '../../experiments/mix';
import { SELF_INSTRUCT_QUICK } from '../../experiments/selfInstruct';
import {
  LESSON_BATCH_SIZE,
  LESSON_EVAL_SET,
  LESSON_MAX_TOKENS,
  LESSON_QUESTION,
  LESSON_SAMPLING_TEMPERATURE,
  SELF_INSTRUCT_REVIEW_MAX,
  TOP_TOKENS,
  type LessonBatch,
  type LessonExperiment,
  type LessonModelResult,
  type LessonsSlice,
} from './state';

function emptyResult(status: LessonModelResult['status']): LessonModelResult {
  return { status, promptText: '', top: [], answer: '', error: null };
}

/** The template lessons ask with: the shipped tuned model's (the one it learned), else the default. */
export function lessonTemplate(shipped: readonly ShippedModel[]): PromptTemplate {
  const id = shipped.find((m) => m.template)?.template;
  return (id ? getTemplate(id) : undefined) ?? DEFAULT_TEMPLATE;
}

/** Generation settings of a lesson: greedy (temperature 0) unless sampling, few tokens, the studio's seed. */
export function lessonOptions(sampling: boolean, seed: number): GenerateOptions {
  return { ...DEFAULT_GENERATE_OPTIONS, seed, maxTokens: LESSON_MAX_TOKENS, temperature: sampling ? LESSON_SAMPLING_TEMPERATURE : 0 };
}

export const createLessonsSlice: SliceCreator<
  LessonsSlice,
  'model' | 'trainState' | 'backendStatus' | 'genOptions' | 'checkpoints' | 'shippedModels' | 'loadShippedModels' | 'fetchShippedModel' | 'loadIntoMain' | 'trainDataKind' | 'saveExamplesAsDataset'
> = (ctx) => (set, get) => {
  const svc = ctx.lessons;
  let dataOnce: Promise<void> | null = null;

  const setResult = (key: string, patch: Partial<LessonModelResult>) => {
    const all = get().lessonResults;
    set({ lessonResults: { ...all, [key]: { ...(all[key] ?? emptyResult('idle')), ...patch } } });
  };
  const setBatch = (patch: Partial<LessonBatch>) => set({ lessonBatch: { ...get().lessonBatch, ...patch } });
  const setExperiment = (patch: Partial<LessonExperiment>) => set({ lessonExperiment: { ...get().lessonExperiment, ...patch } });

  const modelsInView = (): ModelsInView => {
    const s = get();
    return { current: s.model ? { name: s.model.name, training: s.trainState === 'running' } : null, shipped: s.shippedModels, checkpoints: s.checkpoints };
  };

  /**
   * Loads the models into their comparison slots, trying each failure once more:
   * a shipped model's download can fail when the page fetches the same file at
   * the same moment (Chromium answers the second with ERR_CACHE_WRITE_FAILURE).
   */
  const loadModels = async (keys: readonly string[], onFail: (key: string, message: string) => void): Promise<string[]> => {
    const failed: string[] = [];
    const ready = await ctx.compare.loadModels(keys, modelsInView(), (key) => failed.push(key));
    const again = failed.length > 0 ? await ctx.compare.loadModels(failed, modelsInView(), onFail) : [];
    return keys.filter((k) => ready.includes(k) || again.includes(k));
  };

  /** Why the lesson cannot ask now, or null. */
  const blocker = (): string | null => {
    const s = get();
    if (s.backendStatus !== 'ready') return 'The trainer is still starting: wait for the backend badge in the header.';
    if (s.lessonRunning || s.lessonBatch.running) return 'The models are still answering.';
    if (s.lessonExperiment.running) return 'An experiment is running: wait for it, or stop it.';
    return null;
  };

  /**
   * Runs an experiment in the worker from a shipped model: `prepare` reads what it needs
   * and names the model to start from. Resolves with the result (also kept by name), or
   * null when it could not run (the reason is in lessonExperiment.error).
   */
  const runInWorker = async (name: ExperimentName, prepare: (shipped: readonly ShippedModel[]) => Promise<{ start: ShippedModel; run: ExperimentRequest }>): Promise<ExperimentResult | null> => {
    const why = blocker();
    if (why) {
      setExperiment({ error: why, errorFor: name });
      return null;
    }
    if (get().trainState === 'running' || get().trainState === 'paused') {
      setExperiment({ error: 'A training run is in progress: stop it (Studio tab) before running an experiment.', errorFor: name });
      return null;
    }
    setExperiment({ running: name, progress: 'Loading the shipped model and data…', error: null, errorFor: null });
    try {
      await get().loadShippedModels();
      const shipped = get().shippedModels;
      const { start, run } = await prepare(shipped);
      const key = shippedKey(start.id);
      const failed: string[] = [];
      const loaded = await loadModels([key], (_k, message) => failed.push(message));
      if (!loaded.includes(key)) throw new Error(`Could not load ${start.title}: ${failed.join(' ')}`);
      const result = await svc.runExperiment(key, lessonTemplate(shipped), run);
      setExperiment({ results: { ...get().lessonExperiment.results, [name]: result }, progress: '' });
      return result;
    } catch (e) {
      setExperiment({ error: messageOf(e), errorFor: name, progress: '' });
      return null;
    } finally {
      setExperiment({ running: null });
    }
  };

  return {
    openView: 'lessons',
    lessonStepId: '',
    presenter: false,
    lessonQuestion: LESSON_QUESTION,
    lessonSampling: false,
    lessonShown: [],
    lessonResults: {},
    lessonRunning: false,
    lessonError: null,
    lessonTokenizer: null,
    lessonExamples: null,
    lessonDataError: null,
    lessonBatch: { models: [], rows: [], done: 0, total: 0, running: false, error: null },
    lessonBatchSize: LESSON_BATCH_SIZE,
    lessonExperiment: { running: null, progress: '', results: {}, error: null, errorFor: null },
    selfInstructDrafts: [],
    selfInstructSaved: null,

    setOpenView: (view) => set({ openView: view }),
    setLessonStep: (id) => set({ lessonStepId: id }),
    setPresenter: (on) => set({ presenter: on }),
    setLessonQuestion: (q) => set({ lessonQuestion: q }),
    setLessonSampling: (on) => set({ lessonSampling: on }),
    setLessonBatchSize: (n) => {
      if (Number.isInteger(n) && n >= 1) set({ lessonBatchSize: n });
    },

    askLesson: async (keys) => {
      const question = get().lessonQuestion.trim();
      if (question === '') {
        set({ lessonError: 'Type a question first.' });
        return;
      }
      const why = blocker();
      if (why) {
        set({ lessonError: why });
        return;
      }
      set({ lessonRunning: true, lessonError: null, lessonShown: [...keys], lessonResults: Object.fromEntries(keys.map((k) => [k, emptyResult('loading')])) });
      try {
        await get().loadShippedModels();
        const s = get();
        const template = lessonTemplate(s.shippedModels);
        const failed = (key: string, error: string) => setResult(key, { status: 'failed', error });
        const loaded = await loadModels(keys, failed);
        // The bars first: one forward pass per model, before any answer streams.
        for (const key of loaded) {
          const src = modelSource(key);
          const shipped = src.kind === 'shipped' ? get().shippedModels.find((m) => m.id === src.id) : undefined;
          if (!shipped) continue;
          try {
            const { promptText, top } = await svc.nextTokens(key, shipped, question, template, TOP_TOKENS);
            setResult(key, { promptText, top });
          } catch (e) {
            setResult(key, { error: `No probabilities: ${messageOf(e)}` });
          }
        }
        await ctx.compare.compare(loaded, question, { options: lessonOptions(s.lessonSampling, s.genOptions.seed), template }, {
          onRunning: (key) => setResult(key, { status: 'running' }),
          onPromptText: (key, promptText) => setResult(key, { promptText }),
          onToken: (key, text) => setResult(key, { answer: (get().lessonResults[key]?.answer ?? '') + text }),
          onDone: (key, done) => setResult(key, { status: 'done', answer: done.text }),
          onFailed: failed,
        });
      } catch (e) {
        set({ lessonError: messageOf(e) });
      } finally {
        set({ lessonRunning: false });
      }
    },

    loadLessonData: () => {
      dataOnce ??= (async () => {
        try {
          await get().loadShippedModels();
          const shipped = get().shippedModels;
          const tuned = shipped.find((m) => m.template) ?? shipped[0];
          const [examples, text] = await Promise.all([svc.starterExamples(), tuned ? svc.modelText(tuned) : Promise.resolve(null)]);
          set({ lessonExamples: examples, lessonTokenizer: text, lessonDataError: null });
        } catch (e) {
          dataOnce = null;
          set({ lessonDataError: `Could not read the starter data: ${messageOf(e)}` });
        }
      })();
      return dataOnce;
    },

    loadLessonBase: async () => {
      await get().loadShippedModels();
      const base = get().shippedModels.find((m) => !m.template);
      if (!base) {
        set({ lessonError: 'No shipped base model is here to tune (models/index.json lists none).' });
        return;
      }
      try {
        const files = await get().fetchShippedModel(base);
        await get().loadIntoMain({ name: base.title, ...files });
        if (get().trainDataKind === 'text') set({ trainDataKind: 'instructions' });
      } catch (e) {
        set({ lessonError: `Could not load the base model: ${messageOf(e)}` });
      }
    },

    runLessonBatch: async (keys) => {
      const why = blocker();
      if (why) {
        setBatch({ error: why });
        return;
      }
      const s = get();
      setBatch({ models: [...keys], rows: [], done: 0, total: 0, running: true, error: null });
      try {
        await get().loadShippedModels();
        const { examples } = await ctx.compare.openEvalSet(LESSON_EVAL_SET);
        const chosen = examples.slice(0, s.lessonBatchSize);
        setBatch({ total: chosen.length });
        const failed: string[] = [];
        const loaded = await loadModels(keys, (key, message) => failed.push(`${key}: ${message}`));
        if (failed.length > 0) setBatch({ error: `Left out: ${failed.join(' ')}` });
        setBatch({ models: loaded });
        // Scored greedily, whatever the lesson's sampling setting: a score should not depend on luck.
        const settings = { options: lessonOptions(false, s.genOptions.seed), template: lessonTemplate(get().shippedModels) };
        await ctx.compare.runBatch(loaded, chosen, settings, (row, done) => setBatch({ rows: [...get().lessonBatch.rows, row], done }));
      } catch (e) {
        setBatch({ error: messageOf(e) });
      } finally {
        setBatch({ running: false });
      }
    },

    runLessonExperiment: async (name) => {
      await runInWorker(name, async (shipped) => {
        if (name === 'mix') {
          const [tuneExamples, heldOut, countries] = await Promise.all([svc.shippedDataset(EXPERIMENT_FILES.tune), svc.shippedDataset(EXPERIMENT_FILES.heldOut), svc.flanCountries(EXPERIMENT_FILES.flan)]);
          const avoid = new Set(tuneExamples.flatMap((e) => (e.kind === 'instruction' ? e.response.split(/\s+/) : [])));
          return { start: shippedTuned(shipped), run: { name, inputs: { tuneExamples, heldOut, avoid, heldOutFacts: countries.heldOut }, settings: MIX_QUICK, quick: true } };
        }
        const inputs = await svc.flanCountries(EXPERIMENT_FILES.flan);
        return { start: shippedBase(shipped), run: { name, inputs, settings: FLAN_LESSON, quick: true } };
      });
    },

    // The review accepts the tuning pool's own shapes (no final mark, lower case first): the
    // user reads every pair anyway, and the strict checks dropped sound proposals (docs/EXPERIMENTS.md).
    proposeSelfInstruct: async (count) => {
      if (!Number.isInteger(count) || count < 1 || count > SELF_INSTRUCT_REVIEW_MAX) {
        setExperiment({ error: `Ask for 1 to ${SELF_INSTRUCT_REVIEW_MAX} proposals (got ${count}).`, errorFor: 'self-instruct' });
        return;
      }
      const result = await runInWorker('self-instruct', async (shipped) => {
        const seedTasks = await svc.shippedDataset(EXPERIMENT_FILES.tune);
        return { start: shippedTuned(shipped), run: { name: 'self-instruct', inputs: { seedTasks, heldOut: [] }, settings: { ...SELF_INSTRUCT_QUICK, proposals: count, measure: false, shapeRules: 'pool' }, quick: true } };
      });
      if (result) set({ selfInstructDrafts: (result.pairs ?? []).map((p) => ({ id: p.id, instruction: p.instruction, response: p.response, accepted: true })), selfInstructSaved: null });
    },

    editSelfInstructDraft: (id, patch) => {
      set({ selfInstructDrafts: get().selfInstructDrafts.map((d) => (d.id === id ? { ...d, ...patch } : d)), selfInstructSaved: null });
    },

    saveSelfInstructDrafts: async (name) => {
      const accepted = get().selfInstructDrafts.filter((d) => d.accepted);
      const examples = accepted.map((d): InstructionExample => ({ id: d.id, source: 'self-instruct', kind: 'instruction', category: 'self-instruct', instruction: d.instruction.trim(), response: d.response.trim() }));
      const why = await get().saveExamplesAsDataset(name, 'self-instruct: proposed and answered by the shipped tuned model, reviewed in the studio', examples);
      if (why === null) set({ selfInstructSaved: name.trim() });
      return why;
    },

    stopLessonExperiment: () => {
      if (!get().lessonExperiment.running) return;
      setExperiment({ progress: 'Stopping after the current step…' });
      svc.stopExperiment().catch(() => undefined);
    },

    onExperimentProgress: (line) => {
      if (get().lessonExperiment.running) setExperiment({ progress: line });
    },
  };
};

/**
 * The shipped files the experiments read: the tuning set (old countries; self-instruct's
 * seed tasks), held-out capital questions, and the flan experiment's countries.
 */
const EXPERIMENT_FILES = { tune: 'datasets/geo-tune.json', heldOut: 'datasets/geo-eval-heldout-capitals.json', flan: 'datasets/flan-countries.json' } as const;

/** The lesson's flan run: arms (a) and (c) only, the two the step shows, at the quick settings. */
export const FLAN_LESSON: FlanSettings = { ...FLAN_QUICK, arms: ['a', 'c'] };

function shippedTuned(shipped: readonly ShippedModel[]): ShippedModel {
  const m = shipped.find((x) => x.template);
  if (!m) throw new Error('No shipped instruction-tuned model is here to start from (models/index.json lists none).');
  return m;
}

function shippedBase(shipped: readonly ShippedModel[]): ShippedModel {
  const m = shipped.find((x) => !x.template);
  if (!m) throw new Error('No shipped base model is here to start from (models/index.json lists none without a template).');
  return m;
}

/** Correct answers and answers that continued with a question, per model, of a lesson batch. */
export function lessonBatchTotals(batch: LessonBatch) {
  return batchTotals(batch.rows, batch.models);
}
