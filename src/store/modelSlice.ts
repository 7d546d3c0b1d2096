// The model being configured and the model the worker holds.

import { PRESETS, validateConfig } from '../model/config';
import type { ModelConfig } from '../model/config';
import { modelNameProblem } from '../train/modelName';
import { messageOf } from '../util/errors';
import { asStudioError } from './errorsSlice';
import type { CreateRequest, ModelSlice, SliceCreator, StudioContext, StudioState } from './types';

export const DEFAULT_PRESET_ID = 'micro';
export const CUSTOM_PRESET_ID = 'custom';

/** The preset's config, or undefined for an unknown id. */
export function presetConfig(id: string): ModelConfig | undefined {
  const p = PRESETS.find((x) => x.id === id);
  return p ? { ...p.config } : undefined;
}

/** The id of the preset this config equals, or 'custom'. */
export function matchPreset(c: ModelConfig): string {
  const p = PRESETS.find((x) =>
    (Object.keys(x.config) as Array<keyof ModelConfig>).every((k) => x.config[k] === c[k]),
  );
  return p ? p.id : CUSTOM_PRESET_ID;
}

/**
 * Everything wrong with the draft config for the chosen batch size on this
 * device: the same check the worker makes, run live as the user types.
 */
export function draftProblems(s: Pick<StudioState, 'draftConfig' | 'trainOptions' | 'backendReport'>) {
  return validateConfig(s.draftConfig, {
    batchSize: s.trainOptions.batchSize,
    ...(s.backendReport ? { limits: s.backendReport.limits } : {}),
  });
}

const fallbackConfig = (): ModelConfig => presetConfig(DEFAULT_PRESET_ID) ?? { ...PRESETS[0]!.config };

export const createModelSlice: SliceCreator<ModelSlice, 'backendStatus' | 'backendReport' | 'trainState' | 'trainOptions' | 'trainText' | 'pushError' | 'onModelRenamed'> = (ctx) => (set, get) => ({
  presetId: DEFAULT_PRESET_ID,
  draftConfig: fallbackConfig(),
  modelSeed: 1234,
  model: null,
  modelStatus: 'none',
  lastCreate: null,
  recreateOnReady: false,
  startup: null,

  choosePreset: (id) => {
    const config = presetConfig(id);
    if (!config) return; // 'custom' keeps the fields as they are
    set({ presetId: id, draftConfig: config });
  },

  setConfigField: (field, value) => {
    const draftConfig = { ...get().draftConfig, [field]: value };
    set({ draftConfig, presetId: matchPreset(draftConfig) });
  },

  setModelSeed: (seed) => set({ modelSeed: seed }),

  createModel: () => {
    const s = get();
    if (s.backendStatus !== 'ready') {
      s.pushError({ request: 'ui', code: 'backend-failed', message: 'The backend is not ready yet: wait for the badge in the header to show one, then create the model.' });
      return;
    }
    if (s.trainState === 'running' || s.trainState === 'paused') {
      s.pushError({ request: 'ui', code: 'busy', message: 'Stop training before creating a new model.' });
      return;
    }
    const problems = draftProblems(s);
    if (problems.length > 0) {
      s.pushError({ request: 'ui', code: 'invalid-config', message: problems.map((p) => p.message).join(' ') });
      return;
    }
    if (!Number.isInteger(s.modelSeed)) {
      s.pushError({ request: 'ui', code: 'bad-input', message: `The seed must be a whole number (got ${s.modelSeed}).` });
      return;
    }
    const request = { config: { ...s.draftConfig }, seed: s.modelSeed, text: s.trainText };
    set({ lastCreate: request, recreateOnReady: false });
    sendCreate(ctx, get, set, request);
  },

  renameModel: async (name) => {
    if (!get().model) return 'No model is loaded to rename.';
    // The worker checks too; checking here answers at once, without a round trip.
    const problem = modelNameProblem(name);
    if (problem) return problem;
    let clean: string;
    try {
      clean = (await ctx.client.request('renameModel', { name })).name;
    } catch (e) {
      return messageOf(e);
    }
    const model = get().model;
    if (model) set({ model: { ...model, name: clean, named: true } });
    return get().onModelRenamed(clean);
  },
});

/** Asks the worker for a new model; its `modelReady` event fills the state, a refusal keeps the old model. */
export function sendCreate(
  ctx: StudioContext,
  get: () => Pick<StudioState, 'model' | 'modelStatus' | 'pushError'>,
  set: (partial: Partial<Pick<StudioState, 'modelStatus'>>) => void,
  request: CreateRequest,
): void {
  set({ modelStatus: 'creating' });
  ctx.client.request('createModel', { config: request.config, seed: request.seed, tokenizer: { kind: 'bpe-train', text: request.text } }).catch((e: unknown) => {
    get().pushError(asStudioError(e));
    if (get().modelStatus === 'creating') set({ modelStatus: get().model ? 'ready' : 'failed' });
  });
}
