// The Data view: saved datasets and import on the left; the selected dataset's
// template, statistics, duplicates, examples and one example's tokens on the
// right. A thin view over the datasets slice; all user text is rendered as text.

import { useEffect, useState } from 'react';
import { describeDuplicates, requestOf } from '../../data';
import { PHRASING_POOLS, phrasingsProblem, useStudio, type PhrasingPool } from '../../store';
import { NumberField } from '../NumberField';
import { formatCount, textPreview } from '../format';
import { DatasetHeader, DatasetList } from './DatasetList';
import { DatasetStats } from './DatasetStats';
import { ExampleTable } from './ExampleTable';
import { ImportPanel } from './ImportPanel';
import { TemplateControls } from './TemplateControls';
import { SelfInstructReview } from './SelfInstructReview';
import { TokenView } from './TokenView';
import './data.css';

export function DataView() {
  const active = useStudio((s) => s.activeDataset);
  const storageError = useStudio((s) => s.storageError);
  const modelVersion = useStudio((s) => s.modelVersion);
  const modelReady = useStudio((s) => s.model !== null && s.modelStatus === 'ready');
  const ensureDataTokenizer = useStudio((s) => s.ensureDataTokenizer);
  const [selectedExample, setSelectedExample] = useState<string | null>(null);

  // The token view and token counts need the current model's tokenizer.
  useEffect(() => {
    if (modelReady) void ensureDataTokenizer();
  }, [modelReady, modelVersion, ensureDataTokenizer]);
  useEffect(() => setSelectedExample(null), [active?.id]);

  const example = selectedExample ? active?.examples.find((e) => e.id === selectedExample) : undefined;

  return (
    <main className="side-view data-view" data-testid="data-view">
      <aside className="data-side panel">
        <DatasetList />
        <ImportPanel />
      </aside>
      <div className="data-main panel">
        {storageError && (
          <p className="field-error" role="alert" data-testid="dataset-storage-error">
            {storageError}
          </p>
        )}
        {active ? (
          <>
            <DatasetHeader key={active.id} />
            <div className="data-grid">
              <TemplateControls editable />
              <DatasetStats />
            </div>
            <DuplicateReview />
            <PhrasingsControl />
            {example && (
              <section className="selected-example" aria-label="Selected example">
                <h4>
                  Example: <span className="muted">{textPreview(requestOf(example))}</span>
                </h4>
                <TokenView example={example} />
              </section>
            )}
            <ExampleTable selectedId={selectedExample} onSelect={setSelectedExample} />
          </>
        ) : (
          <p className="muted">Choose a dataset on the left, import a file, or create an empty dataset.</p>
        )}
        <SelfInstructReview />
      </div>
    </main>
  );
}

function DuplicateReview() {
  const active = useStudio((s) => s.activeDataset);
  const report = useStudio((s) => s.duplicateReport);
  const search = useStudio((s) => s.duplicateSearch);
  const find = useStudio((s) => s.findDatasetDuplicates);
  const drop = useStudio((s) => s.dropDatasetDuplicates);
  if (!active) return null;
  const current = report && report.datasetId === active.id && report.examples === active.examples ? report : null;
  const pct = search && search.total > 0 ? Math.round((search.done / search.total) * 100) : null;
  return (
    <section className="duplicates" data-testid="dataset-duplicates" aria-label="Duplicates">
      <div className="actions">
        <button type="button" data-testid="dataset-find-duplicates" disabled={search !== null || active.examples.length < 2} onClick={() => void find()}>
          {search ? `Looking for duplicates… ${pct ?? 0}%` : 'Find duplicates'}
        </button>
        {current && <span data-testid="dataset-duplicates-summary">{describeDuplicates(current.report)}</span>}
        {current && current.report.pairs.length > 0 && (
          <button type="button" data-testid="dataset-drop-duplicates" onClick={drop}>
            Drop {formatCount(current.report.pairs.length)} duplicates (undoable)
          </button>
        )}
      </div>
      {current && current.report.pairs.length > 0 && (
        <details>
          <summary>Review the pairs</summary>
          <ol className="duplicate-list">
            {current.report.pairs.slice(0, 100).map((p) => (
              <li key={p.index} data-testid="duplicate-pair">
                <span className="dup-kind">{p.kind === 'exact' ? 'exact' : `ROUGE-L ${p.score.toFixed(2)}`}</span> #{p.index + 1} <q>{textPreview(requestOf(current.examples[p.index]!))}</q> repeats #
                {p.duplicateOf + 1} <q>{textPreview(requestOf(current.examples[p.duplicateOf]!))}</q>
              </li>
            ))}
          </ol>
          {current.report.pairs.length > 100 && <p className="field-hint">…and {formatCount(current.report.pairs.length - 100)} more.</p>}
          <p className="field-hint">Templated data asks the same thing in several phrasings on purpose; drop only what you do not want twice.</p>
        </details>
      )}
    </section>
  );
}

/** FLAN-style phrasings: a copy of the open dataset with each instruction asked in several wordings. */
function PhrasingsControl() {
  const expand = useStudio((s) => s.expandPhrasings);
  const [pool, setPool] = useState<PhrasingPool>('generic');
  const [count, setCount] = useState(4);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const problem = phrasingsProblem(count, pool);
  const run = async () => {
    setBusy(true);
    setError(await expand(pool, count));
    setBusy(false);
  };
  return (
    <section className="phrasings" aria-labelledby="phrasings-title" data-testid="phrasings">
      <h4 id="phrasings-title">Phrasings</h4>
      <p className="muted">
        FLAN tuned on many tasks, each asked through several instruction templates, so the model learns the task rather than one wording. Make a copy of this dataset with every instruction in several phrasings (the responses stay the same).
      </p>
      <div className="lesson-ask-row">
        <label className="field">
          <span>Template pool</span>
          <select data-testid="phrasings-pool" value={pool} onChange={(e) => setPool(e.target.value as PhrasingPool)}>
            {PHRASING_POOLS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}, {p.size} phrasings
              </option>
            ))}
          </select>
        </label>
        <NumberField label="Phrasings per example" testId="phrasings-count" value={count} onChange={setCount} min={2} step={1} errors={problem ? [problem] : []} />
        <button type="button" data-testid="phrasings-run" disabled={busy || problem !== null} onClick={() => void run()}>
          Make the copy
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="phrasings-error">
          {error}
        </p>
      )}
    </section>
  );
}
