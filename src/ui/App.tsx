// The studio page: header, errors, then the three steps side by side on wide
// screens and stacked on narrow ones.

import { ErrorBanners } from './ErrorBanners';
import { GeneratePanel } from './GeneratePanel';
import { Header } from './Header';
import { ModelPanel } from './ModelPanel';
import { TrainPanel } from './TrainPanel';

export function App() {
  return (
    <div className="app">
      <Header />
      <ErrorBanners />
      <main className="panels">
        <ModelPanel />
        <TrainPanel />
        <GeneratePanel />
      </main>
      <footer className="app-footer muted">
        Everything runs on this page: the model trains in a background worker on your own device, and no data is sent anywhere.
      </footer>
    </div>
  );
}
