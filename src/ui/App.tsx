// The studio page: header, errors, then the three steps side by side on wide
// screens and stacked on narrow ones.

import { useState } from 'react';
import { CheckpointsView } from './checkpoints/CheckpointsView';
import { CompareView } from './compare/CompareView';
import { DataView } from './data/DataView';
import { ErrorBanners } from './ErrorBanners';
import { GeneratePanel } from './GeneratePanel';
import { Header } from './Header';
import { ModelPanel } from './ModelPanel';
import { ResumeBanner } from './ResumeBanner';
import { TrainPanel } from './TrainPanel';

/** The views the tabs switch between (data-testid `${id}-tab`); the studio's three steps come first. */
const VIEWS = [
  { id: 'studio', label: 'Studio' },
  { id: 'data', label: 'Data' },
  { id: 'compare', label: 'Compare' },
  { id: 'checkpoints', label: 'Checkpoints' },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

export function App() {
  const [view, setView] = useState<ViewId>('studio');
  return (
    <div className="app">
      <Header />
      <ErrorBanners />
      <ResumeBanner />
      <nav className="view-tabs" role="tablist" aria-label="Views">
        {VIEWS.map((v) => (
          <button key={v.id} type="button" role="tab" aria-selected={view === v.id} data-testid={`${v.id}-tab`} onClick={() => setView(v.id)}>
            {v.label}
          </button>
        ))}
      </nav>
      {view === 'data' ? (
        <DataView />
      ) : view === 'compare' ? (
        <CompareView />
      ) : view === 'checkpoints' ? (
        <CheckpointsView />
      ) : (
        <main className="panels">
          <ModelPanel />
          <TrainPanel />
          <GeneratePanel />
        </main>
      )}
      <footer className="app-footer muted">
        Everything runs on this page: the model trains in a background worker on your own device, and no data is sent anywhere.
      </footer>
    </div>
  );
}
