// The live experiments of the lesson steps: thin views over the lessons slice.
// Model output and dataset text are rendered as text, never as HTML.

import { useEffect } from 'react';
import { renderSegments } from '../../data/templates';
import {
  continuesWithQuestion,
  CURRENT_MODEL,
  LESSON_QUESTION,
  LESSON_SAMPLING_TEMPERATURE,
  lessonBatchTotals,
  lessonTemplate,
  publishedRecord,
  runActive,
  useStudio,
  type LessonExamples,
  type LessonModelResult,
} from '../../store';
import type { ExperimentResult } from '../../experiments';
import { TokenView } from '../data/TokenView';
import { LossChart } from '../LossChart';
import { NumberField } from '../NumberField';

const BASE = 'shipped:base';
const TUNED = 'shipped:tuned';

/** A column's heading: the shipped model's title, or the learner's model (by the name they gave it, once renamed). */
function useModelLabel(): (key: string) => string {
  const shipped = useStudio((s) => s.shippedModels);
  const given = useStudio((s) => (s.model?.named ? s.model.name : null));
  return (key) => (key === CURRENT_MODEL ? (given ?? 'Your model (tuned in step 3)') : (shipped.find((m) => `shipped:${m.id}` === key)?.title ?? key));
}

/** The learner has tuned the studio's model in this session, and its weights are not changing now. */
function ownModelReady(s: { model: unknown; lossHistory: readonly unknown[]; trainState: string }): boolean {
  return s.model !== null && s.lossHistory.length > 0 && s.trainState !== 'running';
}

/** A token as the bars show it: quoted, with its leading space and line breaks visible. */
function shownToken(text: string): string {
  return `“${text.replace(/\n/g, '↵').replace(/ /g, '␣')}”`;
}

/** The question box, greedy or sampling, and the Ask button for the given models. */
function AskControls({ keys, label }: { keys: readonly string[]; label: string }) {
  const question = useStudio((s) => s.lessonQuestion);
  const sampling = useStudio((s) => s.lessonSampling);
  const running = useStudio((s) => s.lessonRunning);
  const ready = useStudio((s) => s.backendStatus === 'ready');
  const error = useStudio((s) => s.lessonError);
  const setQuestion = useStudio((s) => s.setLessonQuestion);
  const setSampling = useStudio((s) => s.setLessonSampling);
  const ask = useStudio((s) => s.askLesson);
  return (
    <div className="lesson-ask">
      <label className="lesson-question">
        <span>Question</span>
        <input data-testid="lesson-question" value={question} onChange={(e) => setQuestion(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && void ask(keys)} />
      </label>
      <div className="lesson-ask-row">
        <button type="button" className="primary" data-testid="lesson-ask" disabled={running || !ready} onClick={() => void ask(keys)}>
          {running ? 'Asking…' : label}
        </button>
        {question !== LESSON_QUESTION && (
          <button type="button" onClick={() => setQuestion(LESSON_QUESTION)}>
            Back to “{LESSON_QUESTION}”
          </button>
        )}
        <label className="lesson-sampling">
          <input type="checkbox" data-testid="lesson-sampling" checked={sampling} disabled={running} onChange={(e) => setSampling(e.target.checked)} />
          Sample (temperature {LESSON_SAMPLING_TEMPERATURE})
        </label>
      </div>
      <p className="muted lesson-decoding" data-testid="lesson-decoding">
        {sampling
          ? `Sampling: each token is drawn at random from the probabilities below, so answers vary, and the base model often states a fact (right or wrong) instead of asking. Untick for greedy decoding.`
          : 'Greedy decoding: every model takes its most likely next token each time, so the same question always gets the same answer.'}
      </p>
      {!ready && <p className="muted">The trainer is starting; the models can answer once the header shows its backend.</p>}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function Bars({ result }: { result: LessonModelResult }) {
  if (result.top.length === 0) return null;
  const max = result.top[0]!.p;
  return (
    <ol className="lesson-bars" data-testid="lesson-bars" aria-label="Most likely next tokens">
      {result.top.map((t) => (
        <li key={t.id} className="lesson-bar" data-testid="prob-bar" data-token={t.text} data-p={t.p.toFixed(4)}>
          <span className="lesson-bar-token">{shownToken(t.text)}</span>
          <span className="lesson-bar-track">
            <span className="lesson-bar-fill" style={{ width: `${Math.max(1, (t.p / max) * 100)}%` }} />
          </span>
          <span className="lesson-bar-p">{(t.p * 100).toFixed(1)}%</span>
        </li>
      ))}
    </ol>
  );
}

/** Each asked model's column: the bars, then its answer and what kind of answer it is. */
function Columns() {
  const shown = useStudio((s) => s.lessonShown);
  const results = useStudio((s) => s.lessonResults);
  const label = useModelLabel();
  if (shown.length === 0) return null;
  return (
    <div className="lesson-columns">
      {shown.map((key) => {
        const r = results[key];
        if (!r) return null;
        const done = r.status === 'done';
        const asks = done && continuesWithQuestion(r.answer);
        return (
          <section key={key} className="lesson-column" data-testid="lesson-column" data-key={key} data-status={r.status}>
            <h4 data-testid="lesson-column-title">{label(key)}</h4>
            {r.promptText && (
              <p className="muted lesson-prompt">
                Given: <code data-testid="lesson-column-prompt">{r.promptText}</code>
              </p>
            )}
            {r.top.length > 0 && <p className="lesson-bars-title">Next token, where the answer starts:</p>}
            <Bars result={r} />
            <p className="lesson-answer-title">{r.status === 'loading' ? 'Loading the model…' : 'It continues:'}</p>
            <p className="lesson-answer" data-testid="lesson-answer">
              {r.answer}
            </p>
            {done && (
              <p className={`lesson-verdict ${asks ? 'lesson-verdict-asks' : 'lesson-verdict-answers'}`} data-testid="lesson-verdict" data-kind={asks ? 'question' : 'answer'}>
                {asks ? 'Continues with another question' : 'Gives an answer'}
              </p>
            )}
            {r.error && <p className="field-error">{r.error}</p>}
          </section>
        );
      })}
    </div>
  );
}

/** Step 1: base beside tuned on one question, with their next-token probabilities. */
export function MeetBaseModel() {
  return (
    <>
      <AskControls keys={[BASE, TUNED]} label="Ask both models" />
      <Columns />
    </>
  );
}

/** Step 2: an instruction-response pair, its template, its tokens and the published formats. */
export function InstructionData() {
  const load = useStudio((s) => s.loadLessonData);
  const examples = useStudio((s) => s.lessonExamples);
  const text = useStudio((s) => s.lessonTokenizer);
  const error = useStudio((s) => s.lessonDataError);
  const template = useStudio((s) => lessonTemplate(s.shippedModels));
  useEffect(() => {
    void load();
  }, [load]);
  if (error) return <p className="field-error">{error}</p>;
  if (!examples) return <p className="muted">Reading the starter data…</p>;
  const ex = examples.alpaca;
  const laidOut = renderSegments(ex, template)
    .filter((s) => s.part !== 'eos')
    .map((s) => s.text)
    .join('');
  return (
    <>
      <dl className="lesson-pair" data-testid="lesson-pair">
        <dt>Instruction</dt>
        <dd>{ex.instruction}</dd>
        <dt>Response</dt>
        <dd>{ex.response}</dd>
      </dl>
      <p>
        Laid out with the “{template.name}” template, the one the shipped tuned model learned:
      </p>
      <pre className="lesson-template" data-testid="lesson-template-text">
        {laidOut}
      </pre>
      {text ? <TokenView example={ex} model={{ ...text, template }} /> : <p className="muted">Reading the tuned model’s tokenizer…</p>}
      <h4>The same kind of pair, as published datasets write it</h4>
      <div className="lesson-formats">
        {FORMATS.map((f) => (
          <figure key={f.key} className="lesson-format" data-testid="lesson-format" data-format={f.key}>
            <figcaption>
              <strong>{f.name}</strong> {f.note}
            </figcaption>
            <pre>{formatted(f.key, examples)}</pre>
          </figure>
        ))}
      </div>
    </>
  );
}

const FORMATS: ReadonlyArray<{ key: keyof LessonExamples; name: string; note: string }> = [
  { key: 'alpaca', name: 'Alpaca', note: '(JSON: instruction, input, output)' },
  { key: 'dolly', name: 'Dolly', note: '(JSON lines: instruction, context, response, category)' },
  { key: 'oasst', name: 'OpenAssistant', note: '(one message per line, each naming its parent, in conversation trees)' },
  { key: 'selfInstruct', name: 'Self-Instruct', note: '(seed tasks: an instruction with input-output instances)' },
];

function formatted(key: keyof LessonExamples, examples: LessonExamples): string {
  const rec = publishedRecord(key, examples[key]);
  return Array.isArray(rec) ? rec.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(rec, null, 2);
}

/** Step 3: the workshop-sized tuning run on the model in the studio, its loss, then its answer. */
export function TuneYourself() {
  const model = useStudio((s) => s.model);
  const modelStatus = useStudio((s) => s.modelStatus);
  const options = useStudio((s) => s.trainOptions);
  const datasetName = useStudio((s) => s.datasets.find((d) => d.id === s.selectedDatasetId)?.name ?? null);
  const kind = useStudio((s) => s.trainDataKind);
  const pack = useStudio((s) => s.pack);
  const trainState = useStudio((s) => s.trainState);
  const step = useStudio((s) => s.step);
  const total = useStudio((s) => s.totalSteps);
  const loss = useStudio((s) => s.loss);
  const active = useStudio((s) => runActive(s));
  const requested = useStudio((s) => s.trainRequested);
  const start = useStudio((s) => s.startTraining);
  const pause = useStudio((s) => s.pauseTraining);
  const resume = useStudio((s) => s.resumeTraining);
  const loadBase = useStudio((s) => s.loadLessonBase);
  // Trained in this session and not changing now (a loaded model's step counts its pretraining).
  const tuned = useStudio((s) => ownModelReady(s));

  if (!model) {
    return (
      <div>
        <p>{modelStatus === 'none' ? 'The studio holds no model (a backend switch empties it).' : 'Loading the base model…'}</p>
        <button type="button" className="primary" data-testid="lesson-load-base" disabled={modelStatus !== 'none'} onClick={() => void loadBase()}>
          Load the base model
        </button>
      </div>
    );
  }
  return (
    <>
      <p data-testid="lesson-tune-setup">
        Tuning <strong>{model.name}</strong> on {kind === 'instructions' ? <strong>{datasetName ?? 'the chosen dataset'}</strong> : 'raw text (choose instructions in the Studio tab)'}:{' '}
        {options.steps} steps of {options.batchSize} {kind !== 'text' && pack ? 'rows, short examples packed several to a row' : 'examples'}, learning rate {options.learningRate}.
      </p>
      <div className="lesson-ask-row">
        {!active ? (
          <button type="button" className="primary" data-testid="lesson-tune-start" disabled={requested !== null} onClick={start}>
            {tuned ? 'Tune again from this model' : 'Start tuning'}
          </button>
        ) : trainState === 'paused' ? (
          <button type="button" className="primary" data-testid="lesson-tune-resume" disabled={requested !== null} onClick={resume}>
            Resume
          </button>
        ) : (
          <button type="button" data-testid="lesson-tune-pause" disabled={requested !== null} onClick={pause}>
            Pause
          </button>
        )}
        <span className="muted" data-testid="lesson-tune-status" data-state={trainState}>
          {trainState === 'idle' ? 'Not started.' : `Step ${step} of ${total}${loss !== null ? `, loss ${loss.toFixed(3)}` : ''} (${trainState}).`}
        </span>
      </div>
      <LossChart />
      {tuned && (
        <>
          <p>Your model, asked the same question:</p>
          <AskControls keys={[CURRENT_MODEL]} label="Ask your model" />
          <Columns />
        </>
      )}
    </>
  );
}

/** Step 4: base, shipped tuned and the learner's model side by side; then a held-out batch. */
export function CompareAll() {
  const hasOwn = useStudio((s) => ownModelReady(s));
  const keys = hasOwn ? [BASE, TUNED, CURRENT_MODEL] : [BASE, TUNED];
  return (
    <>
      {!hasOwn && <p className="muted">Your own model joins these columns once you have tuned it in step 3.</p>}
      <AskControls keys={keys} label="Ask them all" />
      <Columns />
      <OpenInCompare keys={keys} />
      <HeldOutBatch keys={keys} />
    </>
  );
}

/** Opens the Compare view on the same models and question, greedy, for more settings and prompts. */
function OpenInCompare({ keys }: { keys: readonly string[] }) {
  const question = useStudio((s) => s.lessonQuestion);
  const templateId = useStudio((s) => lessonTemplate(s.shippedModels).id);
  const open = useStudio((s) => s.openCompareFromLesson);
  return (
    <p className="lesson-open-compare">
      <button type="button" data-testid="lesson-open-compare" onClick={() => open(keys, question.trim() || LESSON_QUESTION, templateId)}>
        Open these models in the Compare view
      </button>{' '}
      <span className="muted">with this question and greedy decoding; there you can change the sampling, the template and the models.</span>
    </p>
  );
}

function HeldOutBatch({ keys }: { keys: readonly string[] }) {
  const batch = useStudio((s) => s.lessonBatch);
  const size = useStudio((s) => s.lessonBatchSize);
  const setSize = useStudio((s) => s.setLessonBatchSize);
  const run = useStudio((s) => s.runLessonBatch);
  const busy = useStudio((s) => s.lessonRunning || s.lessonBatch.running || s.backendStatus !== 'ready');
  const label = useModelLabel();
  const totals = lessonBatchTotals(batch);
  return (
    <section className="lesson-batch" aria-labelledby="lesson-batch-title">
      <h4 id="lesson-batch-title">Countries never seen in tuning</h4>
      <div className="lesson-ask-row">
        <NumberField label="Questions" testId="lesson-batch-size" value={size} min={1} step={1} onChange={setSize} disabled={batch.running} />
        <button type="button" className="primary" data-testid="lesson-batch-run" disabled={busy} onClick={() => void run(keys)}>
          {batch.running ? `Asking… ${batch.done} / ${batch.total}` : 'Ask the held-out capitals'}
        </button>
      </div>
      {batch.error && <p className="field-error">{batch.error}</p>}
      {batch.models.length > 0 && batch.rows.length > 0 && (
        <table className="lesson-batch-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Correct</th>
              <th>Continued with a question</th>
            </tr>
          </thead>
          <tbody>
            {batch.models.map((k) => {
              const t = totals[k]!;
              return (
                <tr key={k} data-testid="lesson-batch-total" data-key={k} data-correct={t.correct} data-answered={t.answered}>
                  <td>{label(k)}</td>
                  <td>
                    {t.correct} of {t.answered}
                  </td>
                  <td>{t.questionLike}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A value as the Node script prints it: counts as counts, shares as percentages. */
function shown(key: string, v: number | undefined): string {
  if (v === undefined) return '–';
  return key.endsWith('Count') ? String(v) : `${(v * 100).toFixed(1)}%`;
}

/**
 * An experiment's result as the Node script prints it: one row per arm, then each claim,
 * held or not. `byArm` turns it on its side, one column per arm, for a step that sets
 * two arms side by side.
 */
export function ExperimentTable({ result, byArm = false }: { result: ExperimentResult; byArm?: boolean }) {
  return (
    <div data-testid="experiment-result" data-experiment={result.experiment}>
      {byArm ? (
        <table className="lesson-batch-table">
          <thead>
            <tr>
              <th>Measured</th>
              {result.rows.map((row) => (
                <th key={row.arm} data-testid="experiment-arm" data-arm={row.arm}>
                  {row.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.columns.map((c) => (
              <tr key={c.key} data-testid="experiment-measure" data-key={c.key}>
                <td>{c.label}</td>
                {result.rows.map((row) => (
                  <td key={row.arm} data-arm={row.arm}>
                    {shown(c.key, row.values[c.key])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <table className="lesson-batch-table">
          <thead>
            <tr>
              <th>Model</th>
              {result.columns.map((c) => (
                <th key={c.key}>{c.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.rows.map((row) => (
              <tr key={row.arm} data-testid="experiment-row" data-arm={row.arm}>
                <td>{row.label}</td>
                {result.columns.map((c) => (
                  <td key={c.key} data-key={c.key}>
                    {shown(c.key, row.values[c.key])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ul className="experiment-claims">
        {result.claims.map((c, i) => (
          <li key={i} data-testid="experiment-claim" data-holds={c.holds}>
            {c.holds ? '✓ ' : '✗ '}
            {c.text}
          </li>
        ))}
      </ul>
      {result.samples.length > 0 && (
        <details>
          <summary>Sample answers</summary>
          <ul className="experiment-samples">
            {result.samples.map((x, i) => (
              <li key={i}>
                <strong>{x.arm}</strong> {x.text}
              </li>
            ))}
          </ul>
        </details>
      )}
      {result.notes.map((n, i) => (
        <p key={i} className="muted">
          {n}
        </p>
      ))}
    </div>
  );
}

/** Runs a named experiment from a shipped model in the worker, with a stop button and progress. */
function ExperimentRunner({ name, label, byArm = false }: { name: 'mix' | 'flan'; label: string; byArm?: boolean }) {
  const exp = useStudio((s) => s.lessonExperiment);
  const ready = useStudio((s) => s.backendStatus === 'ready');
  const run = useStudio((s) => s.runLessonExperiment);
  const stop = useStudio((s) => s.stopLessonExperiment);
  const result = exp.results[name];
  const running = exp.running === name;
  return (
    <section className="lesson-batch">
      <div className="lesson-ask-row">
        {running ? (
          <button type="button" data-testid="experiment-stop" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="button" className="primary" data-testid="experiment-run" disabled={!ready || exp.running !== null} onClick={() => void run(name)}>
            {result ? 'Run again' : label}
          </button>
        )}
        <span className="muted" data-testid="experiment-progress" role="status">
          {running ? exp.progress : ''}
        </span>
      </div>
      {exp.error && exp.errorFor === name && (
        <p className="field-error" role="alert" data-testid="experiment-error">
          {exp.error}
        </p>
      )}
      {result && <ExperimentTable result={result} byArm={byArm} />}
    </section>
  );
}

/** The "many tasks, many phrasings" step: arm (a) beside arm (c) of the flan experiment, from the base model. */
export function FlanAgainstOne() {
  return <ExperimentRunner name="flan" label="Run both tunings" byArm />;
}

/** The "your own domain" step: the tuned model before, after prose only, and after prose mixed with instructions. */
export function MixBeforeAfter() {
  return <ExperimentRunner name="mix" label="Run both tunings" />;
}
