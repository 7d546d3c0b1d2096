// After a reload, a crash or a closed tab: the run that was training when the
// page went away, offered for resuming from its last autosave.

import { canResume, useStudio } from '../store';

export function ResumeBanner() {
  const run = useStudio((s) => s.interruptedRun);
  const resuming = useStudio((s) => s.resumingRun);
  const ready = useStudio((s) => canResume(s));
  const backendReady = useStudio((s) => s.backendStatus === 'ready');
  const resume = useStudio((s) => s.resumeInterruptedRun);
  const dismiss = useStudio((s) => s.dismissInterruptedRun);
  if (!run) return null;
  return (
    <div className="banners">
      <div className="banner banner-notice resume-banner" role="status" data-testid="resume-banner" data-step={run.runStep} data-total={run.totalSteps}>
        <div className="banner-body">
          <strong>A training run was interrupted.</strong> “<span data-testid="resume-model">{run.modelName}</span>” was training when the page closed. Its last
          autosave is at step {run.runStep} of {run.totalSteps} ({new Date(run.savedAt).toLocaleString()}); resuming continues from there with the same data and
          batches.
          {!backendReady && <small className="banner-source">Waiting for the trainer to start…</small>}
        </div>
        <div className="banner-actions">
          <button type="button" className="primary" data-testid="resume-run" disabled={!ready} onClick={() => void resume()}>
            {resuming ? 'Resuming…' : 'Resume training'}
          </button>
          <button type="button" data-testid="resume-dismiss" disabled={resuming} onClick={() => void dismiss()}>
            Discard
          </button>
        </div>
      </div>
    </div>
  );
}
