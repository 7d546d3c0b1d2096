// Self-Instruct in the studio: the shipped tuned model proposes instructions and
// answers the ones the filters keep (src/experiments/selfInstruct.ts, in the worker);
// the user reads each pair, fixes or drops it, and saves the accepted ones as a new
// dataset. The drafts live in the store, so leaving the view keeps the edits.
// Model output is rendered as text, never as HTML.

import { useState } from 'react';
import { SELF_INSTRUCT_REVIEW_MAX, SELF_INSTRUCT_REVIEW_PROPOSALS, useStudio } from '../../store';
import { NumberField } from '../NumberField';

export function SelfInstructReview() {
  const exp = useStudio((s) => s.lessonExperiment);
  const drafts = useStudio((s) => s.selfInstructDrafts);
  const saved = useStudio((s) => s.selfInstructSaved);
  const ready = useStudio((s) => s.backendStatus === 'ready');
  const propose = useStudio((s) => s.proposeSelfInstruct);
  const stop = useStudio((s) => s.stopLessonExperiment);
  const edit = useStudio((s) => s.editSelfInstructDraft);
  const save = useStudio((s) => s.saveSelfInstructDrafts);
  const [count, setCount] = useState(SELF_INSTRUCT_REVIEW_PROPOSALS);
  const [name, setName] = useState('Self-instruct pairs');
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const running = exp.running === 'self-instruct';
  const result = exp.results['self-instruct'];
  const counts = result?.rows[0]?.values;
  const accepted = drafts.filter((d) => d.accepted).length;
  const countProblem = Number.isInteger(count) && count >= 1 && count <= SELF_INSTRUCT_REVIEW_MAX ? null : `From 1 to ${SELF_INSTRUCT_REVIEW_MAX} proposals.`;

  const onSave = async () => {
    setSaving(true);
    setSaveError(await save(name));
    setSaving(false);
  };

  return (
    <section className="self-instruct" aria-labelledby="self-instruct-title" data-testid="self-instruct">
      <h4 id="self-instruct-title">Self-Instruct: pairs the tuned model writes</h4>
      <p className="muted">
        The shipped tuned model is shown three questions from the country-facts set as a quiz sheet and writes the next one. A proposal is kept only if it looks like a task and its ROUGE-L against every question so far is below 0.7 (the Self-Instruct paper’s filter); the model then answers the kept ones. Nothing checks that an answer is true: read each pair, fix it or untick it, then save the ticked ones as a new dataset.
      </p>
      <div className="lesson-ask-row">
        <NumberField label="Proposals" testId="self-instruct-count" value={count} onChange={setCount} min={1} max={SELF_INSTRUCT_REVIEW_MAX} step={1} errors={countProblem ? [countProblem] : []} disabled={running} />
        {running ? (
          <button type="button" data-testid="self-instruct-stop" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="button" className="primary" data-testid="self-instruct-run" disabled={!ready || exp.running !== null || countProblem !== null} onClick={() => void propose(count)}>
            {drafts.length > 0 ? 'Propose again (replaces the list)' : 'Propose pairs'}
          </button>
        )}
        <span className="muted" role="status" data-testid="self-instruct-progress">
          {running ? exp.progress : ''}
        </span>
      </div>
      {!ready && <p className="muted">The trainer is starting; the model can write once the header shows its backend.</p>}
      {exp.error && exp.errorFor === 'self-instruct' && (
        <p className="field-error" role="alert" data-testid="self-instruct-error">
          {exp.error}
        </p>
      )}
      {counts && !running && (
        <p data-testid="self-instruct-summary">
          {counts.proposedCount} proposed, {counts.validCount} shaped like a task, {counts.keptCount} kept by the ROUGE-L filter, {counts.pairsCount} with a usable answer.
        </p>
      )}
      {drafts.length > 0 && (
        <>
          <table className="self-instruct-table">
            <thead>
              <tr>
                <th>Keep</th>
                <th>Instruction</th>
                <th>Response</th>
              </tr>
            </thead>
            <tbody>
              {drafts.map((d, i) => (
                <tr key={d.id} data-testid="self-instruct-pair" data-accepted={d.accepted}>
                  <td>
                    <input type="checkbox" aria-label={`Keep pair ${i + 1}`} data-testid="self-instruct-accept" checked={d.accepted} onChange={(e) => edit(d.id, { accepted: e.target.checked })} />
                  </td>
                  <td>
                    <input aria-label={`Instruction ${i + 1}`} data-testid="self-instruct-instruction" value={d.instruction} onChange={(e) => edit(d.id, { instruction: e.target.value })} />
                  </td>
                  <td>
                    <input aria-label={`Response ${i + 1}`} data-testid="self-instruct-response" value={d.response} onChange={(e) => edit(d.id, { response: e.target.value })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="lesson-ask-row">
            <label className="field">
              <span>Dataset name</span>
              <input data-testid="self-instruct-name" value={name} onChange={(e) => setName(e.target.value)} />
            </label>
            <button type="button" data-testid="self-instruct-save" disabled={saving || accepted === 0} onClick={() => void onSave()}>
              Save {accepted} ticked pair{accepted === 1 ? '' : 's'} as a dataset
            </button>
          </div>
          {saveError && (
            <p className="field-error" role="alert" data-testid="self-instruct-save-error">
              {saveError}
            </p>
          )}
          {saved && !saveError && (
            <p data-testid="self-instruct-saved">
              Saved as “{saved}”: it is open in the Data tab, where it can be edited further and chosen for training.
            </p>
          )}
        </>
      )}
      {result && !running && drafts.length === 0 && <p className="muted">No proposal passed the filters with a usable answer; propose again or ask for more.</p>}
    </section>
  );
}
