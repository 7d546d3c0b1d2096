// While the page opens the shipped base model: what it is loading and how far,
// in place of an empty studio; if that fails, why, and that a model can be created instead.

import { useStudio } from '../store';
import { formatBytes } from '../util/text';

/** True while the page is still opening the shipped base model (not once it failed). */
export function useStartupLoading(): boolean {
  return useStudio((s) => s.startup !== null && s.startup.phase !== 'failed' && s.model === null);
}

export function StartupProgress() {
  const startup = useStudio((s) => s.startup);
  const hasModel = useStudio((s) => s.model !== null);
  if (!startup || hasModel) return null;
  if (startup.phase === 'failed') {
    return (
      <div className="startup startup-failed" role="alert" data-testid="startup-progress" data-phase="failed">
        <strong>The shipped base model did not load.</strong> <span data-testid="startup-text">{startup.text}</span>
      </div>
    );
  }
  const total = startup.total ?? null;
  const loaded = startup.loaded ?? 0;
  return (
    <div className="startup" role="status" aria-live="polite" data-testid="startup-progress" data-phase={startup.phase}>
      <span data-testid="startup-text">{startup.text}</span>
      {startup.phase === 'download' && total !== null ? (
        <>
          <progress max={total} value={loaded} aria-label={startup.text} />
          <span className="muted">
            {formatBytes(loaded)} of {formatBytes(total)}
          </span>
        </>
      ) : (
        // No byte count to show: an indeterminate bar, so the page visibly works.
        <progress aria-label={startup.text} />
      )}
    </div>
  );
}
