// The page's entry: mounts the studio and starts the trainer worker.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { studioClient, useStudio } from './store';
import { openShippedBase } from './store/startup';
import { registerServiceWorker } from './offline/register';
import { App } from './ui/App';
import './ui/studio.css';

declare global {
  interface Window {
    /**
     * Test and diagnostics hook: the browser tests (and a curious user in the
     * console) read state with `__studio.store.getState()` and can talk to the
     * worker directly through `__studio.client`, e.g.
     * `__studio.client.request('logits', { ids: [1, 2] })`.
     */
    __studio?: { store: typeof useStudio; client: typeof studioClient };
  }
}

window.__studio = { store: useStudio, client: studioClient };

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element to mount the studio into.');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

useStudio.getState().initBackend();
// Saved datasets (and, on first run, the starter datasets) from IndexedDB.
void useStudio.getState().loadDatasets();
// Saved checkpoints, the autosave setting, and a run a reload cut short (offered for resuming).
void useStudio.getState().initCheckpoints();
// The shipped base model, so the page opens ready to ask, tune and compare
// (`?start=empty` opens an empty studio instead, as the browser tests do).
if (new URLSearchParams(window.location.search).get('start') !== 'empty') void openShippedBase(useStudio);
// Keep a copy of the app, models and datasets for the next visit without a network.
registerServiceWorker();
