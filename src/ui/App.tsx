// The studio page: header, errors, then the open view: the lessons (where a
// first visit lands), the studio's three steps side by side on wide screens
// and stacked on narrow ones, or the data, compare and checkpoints views.

import { useEffect } from 'react';
import { useStudio, type AppView } from '../store';
import { CheckpointsView } from './checkpoints/CheckpointsView';
import { CompareView } from './compare/CompareView';
import { DataView } from './data/DataView';
import { ErrorBanners } from './ErrorBanners';
import { GeneratePanel } from './GeneratePanel';
import { Header } from './Header';
import { LessonsView } from './lessons/LessonsView';
import { ModelPanel } from './ModelPanel';
import { NothingLeaves } from './NothingLeaves';
import { ResumeBanner } from './ResumeBanner';
import { StartupProgress, useStartupLoading } from './StartupProgress';
import { TrainPanel } from './TrainPanel';

/** The views the tabs switch between (data-testid `${id}-tab`); the lessons come first. */
const VIEWS: ReadonlyArray<{ id: AppView; label: string }> = [
  { id: 'lessons', label: 'Lessons' },
  { id: 'studio', label: 'Studio' },
  { id: 'data', label: 'Data' },
  { id: 'compare', label: 'Compare' },
  { id: 'checkpoints', label: 'Checkpoints' },
];

export function App() {
  // The open view is a persisted preference: a reload returns to it.
  const view = useStudio((s) => s.openView);
  const setView = useStudio((s) => s.setOpenView);
  const presenter = useStudio((s) => s.presenter);
  // Until the shipped base model is in, the studio shows what is loading, not empty panels.
  const loading = useStartupLoading();
  // Presenter mode scales the whole page (its sizes are in rem) and raises contrast.
  useEffect(() => {
    document.documentElement.classList.toggle('presenter', presenter);
  }, [presenter]);
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
      <StartupProgress />
      {view === 'lessons' ? (
        <LessonsView />
      ) : view === 'data' ? (
        <DataView />
      ) : view === 'compare' ? (
        <CompareView />
      ) : view === 'checkpoints' ? (
        <CheckpointsView />
      ) : loading ? null : (
        <main className="panels">
          <ModelPanel />
          <TrainPanel />
          <GeneratePanel />
        </main>
      )}
      <footer className="app-footer muted">
        <NothingLeaves />
      </footer>
    </div>
  );
}
