// Which tf backend the worker runs on, and switching it.

import type { BackendChoice } from '../worker/backends';
import { asStudioError } from './errorsSlice';
import type { BackendSlice, GenerationValueKey, RunValueKey, SliceCreator } from './types';
import { runReset } from './training/slice';
import { generationReset } from './generationSlice';

export const createBackendSlice: SliceCreator<
  BackendSlice,
  'model' | 'modelStatus' | 'lastCreate' | 'recreateOnReady' | 'pushError' | 'trainState' | 'trainRequested' | 'trainMessage' | 'recovered' | RunValueKey | GenerationValueKey
> = (ctx) => (set, get) => {
  /** The `backend` event marks it ready; a refusal marks it failed, and a model waiting to be rebuilt is dropped. */
  const startBackend = (backend: BackendChoice) => {
    ctx.client.request('init', { backend }).catch((e: unknown) => {
      get().pushError(asStudioError(e));
      const s = get();
      if (s.backendStatus === 'starting') set({ backendStatus: 'failed' });
      if (s.recreateOnReady) set({ recreateOnReady: false, modelStatus: 'none' });
    });
  };
  return {
  backendChoice: 'auto',
  backendStatus: 'off',
  backendReport: null,

  initBackend: () => {
    if (get().backendStatus !== 'off') return;
    set({ backendStatus: 'starting' });
    startBackend(get().backendChoice);
  },

  setBackendChoice: (choice) => {
    const s = get();
    if (choice === s.backendChoice && s.backendStatus !== 'failed') return;
    // A fresh worker is the only clean way to move live tensors off a backend:
    // the old model goes with it and is rebuilt from the same config and seed.
    const hadModel = s.model !== null || s.modelStatus === 'creating';
    ctx.client.restart('The backend was changed, so the trainer worker restarted.');
    set({
      backendChoice: choice,
      backendStatus: 'starting',
      backendReport: null,
      model: null,
      modelStatus: hadModel && s.lastCreate ? 'creating' : 'none',
      recreateOnReady: hadModel && s.lastCreate !== null,
      trainState: 'idle',
      trainRequested: null,
      trainMessage: null,
      recovered: null,
      ...runReset(0, 0),
      ...generationReset(),
    });
    startBackend(choice);
  },
};
};
