// The app name, the backend the trainer runs on and why, and the backend choice.

import { useStudio } from '../store';
import type { BackendChoice } from '../store';
import { BACKEND_ORDER } from '../worker/backends';
import { BACKEND_LABELS, skippedLine } from './format';

const CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_ORDER];

export function Header() {
  const status = useStudio((s) => s.backendStatus);
  const report = useStudio((s) => s.backendReport);
  const choice = useStudio((s) => s.backendChoice);
  const hasModel = useStudio((s) => s.model !== null);
  const setBackendChoice = useStudio((s) => s.setBackendChoice);

  const name = status === 'ready' && report ? report.name : '';
  const badgeText = status === 'ready' && report ? BACKEND_LABELS[report.name] : status === 'failed' ? 'No backend' : 'Starting…';

  return (
    <header className="app-header">
      <div className="brand">
        <h1>Instruct Studio</h1>
        <p className="tagline">Train a small GPT in your browser, on your own GPU. Nothing leaves this page.</p>
      </div>
      <div className="backend">
        <div className="backend-line">
          <span className={`badge badge-${name || status}`} data-testid="backend-badge" data-backend={name} title="The TensorFlow.js backend the trainer runs on">
            {badgeText}
            {name && <code className="badge-id">{name}</code>}
          </span>
          <label className="backend-choice">
            <span>Backend</span>
            <select data-testid="backend-select" value={choice} onChange={(e) => setBackendChoice(e.target.value as BackendChoice)}>
              {CHOICES.map((c) => (
                <option key={c} value={c}>
                  {c === 'auto' ? 'Auto (fastest available)' : BACKEND_LABELS[c]}
                </option>
              ))}
            </select>
          </label>
        </div>
        <p className="backend-reason" data-testid="backend-reason">
          {report && status === 'ready'
            ? `${report.reason}${report.adapter ? ` · ${report.adapter}` : ''}`
            : status === 'failed'
              ? 'The trainer could not start on any backend; see the error above.'
              : 'Looking for WebGPU, then WebGL, WASM and CPU…'}
        </p>
        {report && report.skipped.length > 0 && (
          <ul className="backend-skipped" data-testid="backend-skipped" aria-label="Backends passed over">
            {report.skipped.map((s) => (
              <li key={s.name}>{skippedLine(s.name, s.reason)}</li>
            ))}
          </ul>
        )}
        {hasModel && <p className="backend-warning">Changing the backend restarts the trainer: the model is recreated with fresh weights and its training is lost.</p>}
      </div>
    </header>
  );
}
