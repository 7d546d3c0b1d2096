// The Compare view: two to four models answer one prompt side by side, with the
// same template, sampling settings and seed, so the differences come from the
// weights alone. Batch mode runs an evaluation set across the same models and
// scores every answer. A thin view over the compare slice; prompts, answers and
// names are user or model text and are rendered as text.

import { useEffect, useMemo } from 'react';
import { extractResponse } from '../../data/templates';
import {
  batchCsv,
  batchTotals,
  compareBlocker,
  compareModelLabel,
  compareTemplate,
  COMPARE_TEMPLATES,
  CURRENT_MODEL,
  EVAL_SETS,
  genOptionProblems,
  MAX_COMPARE_MODELS,
  PRESET_PROMPTS,
  SHIPPED_MODELS_INDEX,
  useStudio, useStudioValues,
  type CompareColumn,
} from '../../store';
import { downloadText } from '../data/download';
import { FileBytesInput } from '../FileBytesInput';
import { formatRate } from '../format';
import { NumberField } from '../NumberField';
import { PromptBox } from '../PromptBox';
import { SamplingFields } from '../SamplingFields';
import './compare.css';

export function CompareView() {
  const loadShipped = useStudio((s) => s.loadShippedModels);
  useEffect(() => {
    void loadShipped();
  }, [loadShipped]);
  return (
    <main className="side-view compare-view" data-testid="compare-view">
      <aside className="panel compare-side">
        <ModelPicker />
        <SamplingSettings />
      </aside>
      <div className="compare-main">
        <section className="panel" aria-labelledby="compare-prompt-title">
          <PromptControls />
          <CompareColumns />
        </section>
        <section className="panel" aria-labelledby="batch-title">
          <BatchMode />
        </section>
      </div>
    </main>
  );
}

function ModelPicker() {
  const selection = useStudio((s) => s.compareSelection);
  const shipped = useStudio((s) => s.shippedModels);
  const shippedLoaded = useStudio((s) => s.shippedModelsLoaded);
  const checkpoints = useStudio((s) => s.checkpoints);
  const model = useStudio((s) => s.model);
  const training = useStudio((s) => s.trainState === 'running');
  const locked = useStudio((s) => s.compareRunning || s.batchRunning);
  const toggle = useStudio((s) => s.toggleCompareModel);

  const option = (key: string, title: string, detail: string) => {
    const checked = selection.includes(key);
    const order = selection.indexOf(key);
    return (
      <li key={key}>
        <label className={`compare-model${checked ? ' compare-model-on' : ''}`}>
          <input
            type="checkbox"
            data-testid="compare-model"
            data-key={key}
            checked={checked}
            disabled={locked || (!checked && selection.length >= MAX_COMPARE_MODELS)}
            onChange={() => toggle(key)}
          />
          <span>
            <span className="compare-model-title">
              {checked && <span className="compare-model-order">{order + 1}</span>}
              {title}
            </span>
            <span className="compare-model-detail muted">{detail}</span>
          </span>
        </label>
      </li>
    );
  };

  // Chosen models that are no longer listed (a checkpoint deleted meanwhile), so they can be unticked.
  const known = new Set([CURRENT_MODEL, ...shipped.map((m) => `shipped:${m.id}`), ...checkpoints.map((c) => `ckpt:${c.id}`)]);
  const gone = selection.filter((k) => !known.has(k) && (shippedLoaded || !k.startsWith('shipped:')));

  return (
    <section aria-labelledby="compare-models-title">
      <h3 id="compare-models-title">Models</h3>
      <p className="muted">
        Tick two to four ({selection.length} of {MAX_COMPARE_MODELS} chosen).
      </p>
      <h4>Shipped with the studio</h4>
      {!shippedLoaded ? (
        <p className="muted">Looking for shipped models…</p>
      ) : shipped.length === 0 ? (
        <p className="muted" data-testid="compare-no-shipped">
          No shipped models here ({SHIPPED_MODELS_INDEX} lists none that are present). Compare your own checkpoints instead.
        </p>
      ) : (
        <ul className="compare-model-list" data-testid="compare-shipped">
          {shipped.map((m) => option(`shipped:${m.id}`, m.title, m.description ?? (m.template ? `tuned with the ${m.template} template` : 'base model')))}
        </ul>
      )}
      <h4>In the studio</h4>
      <ul className="compare-model-list">
        {option(
          CURRENT_MODEL,
          model ? model.name : 'The current model',
          !model ? 'create or load one first' : training ? 'training now: pause it to compare its weights as they are' : 'the model you are training, as it is now',
        )}
      </ul>
      <h4>Saved checkpoints</h4>
      {checkpoints.length === 0 ? (
        <p className="muted">None yet: save one under Checkpoints, or train (runs autosave).</p>
      ) : (
        <ul className="compare-model-list">
          {checkpoints.map((c) =>
            option(
              `ckpt:${c.id}`,
              c.name,
              `step ${c.runStep !== null && c.totalSteps !== null ? `${c.runStep} of ${c.totalSteps}` : c.step}${c.lastLoss !== null ? `, loss ${c.lastLoss.toFixed(3)}` : ''}`,
            ),
          )}
        </ul>
      )}
      {gone.length > 0 && (
        <>
          <h4>No longer available</h4>
          <ul className="compare-model-list">{gone.map((k) => option(k, k.startsWith('ckpt:') ? 'Deleted checkpoint' : k, 'untick to free its place'))}</ul>
        </>
      )}
    </section>
  );
}

function SamplingSettings() {
  const genOptions = useStudio((s) => s.genOptions);
  const locked = useStudio((s) => s.compareRunning || s.batchRunning);
  const greedy = useStudio((s) => s.compareGreedy);
  const fromLesson = useStudio((s) => s.compareFromLesson);
  const setGreedy = useStudio((s) => s.setCompareGreedy);
  const problems = useMemo(() => genOptionProblems(genOptions), [genOptions]);
  return (
    <section aria-labelledby="compare-sampling-title">
      <h3 id="compare-sampling-title">Sampling, the same for every model</h3>
      <label className="compare-greedy">
        <input type="checkbox" data-testid="compare-greedy" checked={greedy} disabled={locked} onChange={(e) => setGreedy(e.target.checked)} />
        Greedy decoding (temperature 0)
      </label>
      <p className="field-hint" data-testid="compare-decoding" data-greedy={greedy}>
        {fromLesson && <strong>Opened from the lesson. </strong>}
        {greedy
          ? 'Greedy: every model takes its likeliest next token each time, so a question always gets the same answer and any difference comes from the weights. Untick to sample with the temperature below.'
          : 'Sampling: each token is drawn at random from the model’s probabilities at the temperature below, so answers vary and a base model sometimes states a fact instead of asking. The same seed repeats the same draw.'}
      </p>
      <SamplingFields prefix="compare" problems={problems} disabled={locked} />
      <p className="field-hint">Shared with the Generate panel. Every column starts from the same seed.</p>
    </section>
  );
}

function PromptControls() {
  const prompt = useStudio((s) => s.comparePrompt);
  const templateId = useStudio((s) => s.compareTemplateId);
  const running = useStudio((s) => s.compareRunning);
  const batchRunning = useStudio((s) => s.batchRunning);
  const error = useStudio((s) => s.compareError);
  const count = useStudio((s) => s.compareSelection.length);
  const blocker = useStudio((s) => compareBlocker(s));
  const setPrompt = useStudio((s) => s.setComparePrompt);
  const setTemplate = useStudio((s) => s.setCompareTemplate);
  const run = useStudio((s) => s.runCompare);
  const cancel = useStudio((s) => s.cancelCompare);
  // Enabled only when every chosen model is ready; otherwise the reason is shown beside it.
  const canRun = !running && !batchRunning && blocker === null;
  return (
    <>
      <h3 id="compare-prompt-title">One prompt, side by side</h3>
      <div className="compare-presets" role="group" aria-label="Preset prompts">
        {PRESET_PROMPTS.map((p) => (
          <button key={p} type="button" data-testid="compare-preset" aria-pressed={prompt === p} disabled={running} onClick={() => setPrompt(p)}>
            {p}
          </button>
        ))}
      </div>
      <div className="compare-prompt-row">
        <PromptBox id="compare-prompt" rows={2} value={prompt} onChange={setPrompt} onRun={() => void run()} canRun={canRun} readOnly={running} />
        <div className="field">
          <label htmlFor="compare-template">Template</label>
          <select id="compare-template" data-testid="compare-template" value={templateId} disabled={running || batchRunning} onChange={(e) => setTemplate(e.target.value)}>
            {COMPARE_TEMPLATES.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="actions">
        <button type="button" className="primary" data-testid="compare-run" disabled={!canRun} aria-describedby={blocker && !running ? 'compare-blocker' : undefined} onClick={() => void run()}>
          {running ? 'Answering…' : `Ask ${count === 1 ? 'the model' : `all ${count}`}`}
        </button>
        <button type="button" data-testid="compare-stop" disabled={!running} onClick={cancel}>
          Stop
        </button>
        {blocker && !running && (
          <small id="compare-blocker" className="field-hint" data-testid="compare-blocker">
            {blocker}
          </small>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="compare-error">
          {error}
        </p>
      )}
    </>
  );
}

const STATUS_TEXT: Record<CompareColumn['status'], string> = {
  idle: 'waiting',
  loading: 'loading the model…',
  running: 'answering…',
  done: 'done',
  failed: 'failed',
};

const REASON_TEXT: Record<NonNullable<CompareColumn['reason']>, string> = {
  maxTokens: 'stopped at the token limit',
  eos: 'the model ended its answer',
  cancelled: 'stopped by you',
};

function CompareColumns() {
  const shown = useStudio((s) => s.compareShown);
  const columns = useStudio((s) => s.compareColumns);
  const templateId = useStudio((s) => s.compareTemplateId);
  const labels = useStudio((s) => s.compareShown.map((k) => compareModelLabel(s, k)).join('\u0000'));
  const names = labels.split('\u0000');
  if (shown.length === 0) return <p className="muted">The answers appear here, one column per model.</p>;
  const template = compareTemplate(templateId);
  return (
    <div className="compare-columns" data-testid="compare-columns" style={{ gridTemplateColumns: `repeat(${shown.length}, minmax(0, 1fr))` }}>
      {shown.map((key, i) => {
        const c = columns[key];
        if (!c) return null;
        const answer = c.status === 'done' && template ? extractResponse(c.text, template).trim() : null;
        return (
          <article key={key} className={`compare-column compare-column-${c.status}`} data-testid="compare-column" data-key={key} data-status={c.status} aria-busy={c.status === 'running' || c.status === 'loading'}>
            <h4 className="compare-column-title" data-testid="compare-column-title">
              {names[i]}
            </h4>
            <p className="compare-column-status muted">{STATUS_TEXT[c.status]}</p>
            <pre className="compare-column-text">
              {c.promptText && (
                <span className="output-prompt compare-column-prompt" data-testid="compare-column-prompt" title="The exact prompt this model was given">
                  {c.promptText}
                </span>
              )}
              <span className="compare-column-output" data-testid="compare-column-output">
                {c.text}
              </span>
              {c.status === 'running' && <span className="cursor" aria-hidden="true" />}
            </pre>
            {answer !== null && (
              <p className="compare-column-answer" data-testid="compare-column-answer">
                <strong>Answer:</strong> {answer || <span className="muted">(nothing)</span>}
              </p>
            )}
            {c.error && (
              <p className="field-error" data-testid="compare-column-error">
                {c.error}
              </p>
            )}
            {c.status === 'done' && (
              <p className="gen-stats muted">
                {c.tokenCount} tokens · {formatRate(c.tokensPerSec)} tokens/s{c.reason ? ` · ${REASON_TEXT[c.reason]}` : ''}
              </p>
            )}
          </article>
        );
      })}
    </div>
  );
}

function BatchMode() {
  const evalSetId = useStudio((s) => s.evalSetId);
  const examples = useStudio((s) => s.evalExamples);
  const { evalSetTitle, evalSetError, datasets } = useStudioValues('evalSetTitle', 'evalSetError', 'datasets');
  const limit = useStudio((s) => s.batchLimit);
  const greedy = useStudio((s) => s.batchGreedy);
  const models = useStudio((s) => s.batchModels);
  const rows = useStudio((s) => s.batchRows);
  const running = useStudio((s) => s.batchRunning);
  const compareRunning = useStudio((s) => s.compareRunning);
  const progress = useStudio((s) => s.batchProgress);
  const error = useStudio((s) => s.batchError);
  const count = useStudio((s) => s.compareSelection.length);
  const labelsKey = useStudio((s) => s.batchModels.map((k) => compareModelLabel(s, k)).join('\u0000'));
  const chooseEvalSet = useStudio((s) => s.chooseEvalSet);
  const importEvalSet = useStudio((s) => s.importEvalSet);
  const setLimit = useStudio((s) => s.setBatchLimit);
  const setGreedy = useStudio((s) => s.setBatchGreedy);
  const run = useStudio((s) => s.runBatch);
  const cancel = useStudio((s) => s.cancelBatch);
  const labels = labelsKey.split('\u0000');
  const label = (k: string) => labels[models.indexOf(k)] ?? k;
  const totals = useMemo(() => batchTotals(rows, models), [rows, models]);
  const limitProblem = !Number.isInteger(limit) || limit < 1 ? 'A whole number of questions, 1 or more.' : null;
  const canRun = !running && !compareRunning && count > 0 && examples !== null && examples.length > 0;
  const fileSet = evalSetId?.startsWith('file:') ? evalSetId : null;

  return (
    <>
      <h3 id="batch-title">Batch: a whole evaluation set</h3>
      <p className="muted">
        Every question goes to every chosen model with the template above; an answer counts as correct when its first line matches the reference (case and
        punctuation aside), as in <code>npm run eval</code>.
      </p>
      <div className="batch-controls">
        <div className="field">
          <label htmlFor="batch-set">Evaluation set</label>
          <select id="batch-set" data-testid="batch-set" value={evalSetId ?? ''} disabled={running} onChange={(e) => e.target.value && void chooseEvalSet(e.target.value)}>
            <option value="">Choose a set…</option>
            <optgroup label="Shipped evaluation sets">
              {EVAL_SETS.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.title}
                </option>
              ))}
            </optgroup>
            {datasets.length > 0 && (
              <optgroup label="Your datasets">
                {datasets.map((d) => (
                  <option key={d.id} value={`dataset:${d.id}`}>
                    {d.name}
                  </option>
                ))}
              </optgroup>
            )}
            {fileSet && <option value={fileSet}>{evalSetTitle}</option>}
          </select>
        </div>
        <div className="field">
          <label htmlFor="batch-file">…or a file (Alpaca JSON, JSONL, CSV)</label>
          {/* The bytes, so the encoding check of the Data tab's import applies here too. */}
          <FileBytesInput id="batch-file" testId="batch-file" accept=".json,.jsonl,.csv,.tsv" disabled={running} onFiles={([file]) => importEvalSet(file!.name, file!.bytes)} />
        </div>
        <NumberField label="Questions" testId="batch-limit" value={limit} min={1} step={1} disabled={running} onChange={setLimit} errors={limitProblem ? [limitProblem] : []} />
        <label className="check">
          <input type="checkbox" data-testid="batch-greedy" checked={greedy} disabled={running} onChange={(e) => setGreedy(e.target.checked)} />
          Greedy decoding (temperature 0) for scoring
        </label>
      </div>
      {evalSetError && (
        <p className="field-error" role="alert" data-testid="eval-set-error">
          {evalSetError}
        </p>
      )}
      {examples && (
        <p className="muted" data-testid="batch-set-summary">
          {evalSetTitle}: {examples.length} questions, running the first {Math.min(limit, examples.length)}.
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" data-testid="batch-run" disabled={!canRun} onClick={() => void run()}>
          {running ? 'Running…' : 'Run the batch'}
        </button>
        <button type="button" data-testid="batch-cancel" disabled={!running} onClick={cancel}>
          Stop
        </button>
        {progress && (
          <span className="muted" data-testid="batch-progress">
            {progress.done} / {progress.total} questions
          </span>
        )}
        {rows.length > 0 && !running && (
          <button
            type="button"
            data-testid="batch-export"
            onClick={() => downloadText(batchCsv(rows, models, label), `${(evalSetId ?? 'batch').replace(/[^A-Za-z0-9._-]+/g, '-')}-comparison.csv`, 'text/csv')}
          >
            Export CSV
          </button>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="batch-error">
          {error}
        </p>
      )}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="batch-table" data-testid="batch-table">
            <thead>
              <tr>
                <th scope="col">Question</th>
                <th scope="col">Reference</th>
                {models.map((k) => (
                  <th key={k} scope="col" data-testid="batch-model-header">
                    {label(k)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i} data-testid="batch-row">
                  <td className="batch-question">
                    {r.question}
                    {r.input && <span className="batch-input muted">{r.input}</span>}
                  </td>
                  <td>{r.reference}</td>
                  {models.map((k) => {
                    const a = r.answers[k];
                    if (!a) return <td key={k} />;
                    return (
                      <td key={k} className={`batch-answer ${a.error ? 'batch-failed' : a.correct ? 'batch-correct' : 'batch-wrong'}`} data-testid="batch-answer" data-key={k} data-correct={a.error ? 'failed' : String(a.correct)}>
                        <span className="batch-mark" aria-label={a.error ? 'failed' : a.correct ? 'correct' : 'wrong'}>
                          {a.error ? '!' : a.correct ? '✓' : '✗'}
                        </span>{' '}
                        {a.error ? a.error : a.answer || <span className="muted">(no answer)</span>}
                        {a.questionLike && <span className="batch-qlike muted"> · continues with questions</span>}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={2}>
                  Correct
                </th>
                {models.map((k) => {
                  const t = totals[k]!;
                  return (
                    <td key={k} className="batch-total" data-testid="batch-total" data-key={k} data-correct={t.correct} data-answered={t.answered}>
                      {t.correct} / {t.answered}
                      {t.answered > 0 ? ` (${Math.round((t.correct / t.answered) * 100)}%)` : ''}
                      {t.questionLike > 0 && <span className="muted"> · {t.questionLike} continue with questions</span>}
                    </td>
                  );
                })}
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </>
  );
}
