// Which tf backend the worker runs on, and switching it.

import type { BackendSlice, SliceCreator } from './types';
import { runReset } from './trainingSlice';
import { generationReset } from './generationSlice';

export const createBackendSlice: SliceCreator<BackendSlice> = (ctx) => (set, get) => ({
  backendChoice: 'auto',
  backendStatus: 'off',
  backendReport: null,

  initBackend: () => {
    if (get().backendStatus !== 'off') return;
    set({ backendStatus: 'starting' });
    ctx.client.post({ type: 'init', backend: get().backendChoice });
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
    ctx.client.post({ type: 'init', backend: choice });
  },
});
