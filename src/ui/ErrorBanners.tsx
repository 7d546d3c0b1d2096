// Every error stays on screen until dismissed; the device-loss recovery notice too.

import { useStudioValues } from '../store';
import type { StudioError } from '../store';

const TITLES: Partial<Record<StudioError['code'], string>> = {
  'invalid-config': 'Invalid model settings',
  'no-model': 'No model yet',
  busy: 'Busy',
  'bad-input': 'Bad input',
  'device-lost': 'The GPU was lost',
  'out-of-memory': 'Out of memory',
  'backend-failed': 'Backend problem',
  diverged: 'Training diverged',
  internal: 'Something went wrong',
};

export function ErrorBanners() {
  const { errors, recovered, dismissError, dismissRecovered } = useStudioValues('errors', 'recovered', 'dismissError', 'dismissRecovered');
  if (errors.length === 0 && !recovered) return null;
  return (
    <div className="banners">
      {recovered && (
        <div className="banner banner-notice" role="status" data-testid="recovered-banner">
          <div className="banner-body">
            <strong>Recovered.</strong> {recovered.message} The model is back at step {recovered.step} on {recovered.backend}.
          </div>
          <button type="button" className="banner-close" onClick={dismissRecovered} aria-label="Dismiss recovery notice">
            Dismiss
          </button>
        </div>
      )}
      {errors.map((e) => (
        <div key={e.key} className="banner banner-error" role="alert" data-testid="error-banner" data-code={e.code}>
          <div className="banner-body">
            <strong>{TITLES[e.code] ?? 'Error'}:</strong> <span className="banner-message">{e.message}</span>
            {e.count > 1 && <span className="banner-count"> (×{e.count})</span>}
            <small className="banner-source">{e.request === 'ui' ? 'checked before sending' : `while handling “${e.request}”`}</small>
          </div>
          <button type="button" className="banner-close" data-testid="error-dismiss" onClick={() => dismissError(e.key)} aria-label={`Dismiss error: ${e.message}`}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
