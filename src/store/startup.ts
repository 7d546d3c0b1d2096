// What the studio does when the page opens with nothing in it: it loads the
// shipped base model (public/models, listed in models/index.json) into the main
// slot and sets the Train step up for instruction tuning on the lesson's starter
// dataset, so a first-time user can ask the base model a question, tune it, and
// compare, without creating anything first.

import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import type { StudioStore } from './studio';
import type { StudioState } from './types';

/**
 * The lesson's first-visit tuning settings, chosen by time to the lesson's outcome
 * (`npm run bench -- --lesson`; docs/BENCHMARK.md has the runs): with packing on (the
 * Data step's default) they reach Paris and >= 80% on held-out capitals within the run.
 */
export const SHIPPED_TUNE_OPTIONS = { steps: 40, batchSize: 16, learningRate: 5e-4, warmupSteps: 4 } as const;

/** The lesson's question, one click away in the Generate step. */
export const LESSON_PROMPT = 'What is the capital of France?';

export type StartupOutcome =
  | { kind: 'loaded'; id: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; message: string };

function untouchedTrainOptions(s: StudioState): boolean {
  return (['steps', 'batchSize', 'learningRate', 'warmupSteps'] as const).every((k) => s.trainOptions[k] === DEFAULT_TRAIN_OPTIONS[k]);
}

/** Resolves once the backend is ready (true) or failed (false). */
function backendSettled(store: StudioStore): Promise<boolean> {
  const now = store.getState().backendStatus;
  if (now === 'ready') return Promise.resolve(true);
  if (now === 'failed') return Promise.resolve(false);
  return new Promise((resolve) => {
    const off = store.subscribe((s) => {
      if (s.backendStatus === 'ready' || s.backendStatus === 'failed') {
        off();
        resolve(s.backendStatus === 'ready');
      }
    });
  });
}

/** Busy or already holding a model: the user (or a resumed run) came first. */
function occupied(s: StudioState): string | null {
  if (s.model) return 'a model is already loaded';
  if (s.modelStatus !== 'none') return 'a model is being created or loaded';
  if (s.resumingRun) return 'a run is being resumed';
  return null;
}

/**
 * Loads the shipped base model into the studio when it holds no model. A missing
 * index or base model is not an error (the studio then starts empty, as before);
 * a base model that is listed but fails to load is reported in the error banner.
 * As it goes, `startup` says what it is doing (the page shows that rather than an
 * empty studio), and it is cleared when the model is in or the studio starts empty;
 * on a failure it keeps the message.
 */
export async function openShippedBase(store: StudioStore): Promise<StartupOutcome> {
  const progress = (p: StudioState['startup']) => store.setState({ startup: p });
  const settle = (out: StartupOutcome): StartupOutcome => {
    progress(out.kind === 'failed' ? { phase: 'failed', text: out.message } : null);
    return out;
  };
  progress({ phase: 'backend', text: 'Starting the trainer (looking for WebGPU, then WebGL)…' });
  if (!(await backendSettled(store))) return settle({ kind: 'skipped', reason: 'no backend' });
  progress({ phase: 'index', text: 'Reading the list of shipped models…' });
  await store.getState().loadShippedModels();
  const base = store.getState().shippedModels.find((m) => !m.template);
  if (!base) return settle({ kind: 'skipped', reason: 'no shipped base model' });
  const before = occupied(store.getState());
  if (before) return settle({ kind: 'skipped', reason: before });

  let files: { safetensors: ArrayBuffer; configJson: string; tokenizerJson: string };
  const downloading = `Downloading ${base.title}…`;
  progress({ phase: 'download', text: downloading, loaded: 0, total: null });
  try {
    files = await store.getState().fetchShippedModel(base, (loaded, total) => progress({ phase: 'download', text: downloading, loaded, total }));
  } catch (e) {
    const message = `The shipped base model could not be read (${e instanceof Error ? e.message : String(e)}). Create a model in step 1 instead.`;
    store.getState().pushError({ request: 'ui', code: 'bad-input', message });
    return settle({ kind: 'failed', message });
  }
  // The download took a while: the user may have created a model meanwhile.
  const after = occupied(store.getState());
  if (after) return settle({ kind: 'skipped', reason: after });

  progress({ phase: 'load', text: `Loading ${base.title} into the trainer…` });
  try {
    await store.getState().loadIntoMain({ name: base.title, ...files });
  } catch (e) {
    return settle({ kind: 'failed', message: `The shipped base model could not be loaded (${e instanceof Error ? e.message : String(e)}). Create a model in step 1 instead.` });
  }
  progress(null);

  // Ready to tune: instruction data, gentle settings for a pretrained model, and the
  // lesson's question in the prompt box (only where the user has not chosen otherwise).
  const s = store.getState();
  const patch: Partial<StudioState> = {};
  if (s.trainDataKind === 'text') patch.trainDataKind = 'instructions';
  if (untouchedTrainOptions(s)) patch.trainOptions = { ...s.trainOptions, ...SHIPPED_TUNE_OPTIONS };
  if (s.prompt.trim() === '' || s.prompt === store.getInitialState().prompt) patch.prompt = LESSON_PROMPT;
  store.setState(patch);
  return { kind: 'loaded', id: base.id };
}
