// Importing a file: choose it, check the detected format (or pick one), map
// CSV/TSV columns, import with a progress bar (the work runs in the dataset
// worker), review warnings and duplicates, then save. A failure shows the
// file, line, record, field and reason, and changes nothing.

import { useId, useRef } from 'react';
import { FORMAT_IDS, FORMAT_LABELS, describeDuplicates, requestOf, type Example, type FormatId, type ImportError } from '../../data';
import { MAPPING_KEYS, useStudio, useStudioValues } from '../../store';
import type { ImportDraft } from '../../store';
import { formatCount } from '../format';
import { formatBytes } from '../../util/text';

const ACCEPT = '.json,.jsonl,.ndjson,.csv,.tsv,.tab,.txt,application/json,text/csv,text/tab-separated-values,text/plain';

const MAPPING_LABELS: Record<(typeof MAPPING_KEYS)[number], string> = {
  instruction: 'Instruction (required)',
  input: 'Input',
  response: 'Response (required)',
  category: 'Category',
  system: 'System prompt',
  id: 'Id',
};

/** The parts of an import error listed under it, in order; those the error lacks are left out. */
const WHERE: ReadonlyArray<[Exclude<keyof ImportError, 'message'>, string]> = [
  ['file', 'File'],
  ['line', 'Line'],
  ['record', 'Record'],
  ['field', 'Field'],
  ['reason', 'Reason'],
];

const PHASES: Record<'parse' | 'validate' | 'dedupe', string> = {
  parse: 'Reading the file',
  validate: 'Checking every record',
  dedupe: 'Looking for duplicates',
};

export function ImportPanel() {
  const inputId = useId();
  const fileRef = useRef<HTMLInputElement>(null);
  const draft = useStudio((s) => s.importDraft);
  const { importError, importNotice, chooseImportFile, dismissImportError, dismissImportNotice } = useStudioValues('importError', 'importNotice', 'chooseImportFile', 'dismissImportError', 'dismissImportNotice');
  const busy = draft !== null && draft.phase !== 'setup' && draft.phase !== 'review';

  return (
    <section className="import-panel" aria-labelledby={`${inputId}-title`}>
      <h3 id={`${inputId}-title`}>Import a file</h3>
      <div className="field">
        <label htmlFor={inputId}>Alpaca, Dolly, Self-Instruct, OpenAssistant, messages or ShareGPT JSON/JSONL, or CSV/TSV</label>
        <input
          ref={fileRef}
          id={inputId}
          type="file"
          accept={ACCEPT}
          data-testid="dataset-import-input"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void chooseImportFile({ fileName: file.name, blob: file });
            // Let the same file be chosen again after a fix.
            e.target.value = '';
          }}
        />
      </div>
      {importError && (
        <div className="import-error" role="alert" data-testid="import-error">
          <p className="import-error-title">
            <strong>Nothing was imported.</strong> {importError.message}
          </p>
          <dl className="import-error-where">
            {WHERE.map(([key, title]) =>
              importError[key] === undefined ? null : (
                <div key={key}>
                  <dt>{title}</dt>
                  <dd data-testid={`import-error-${key}`}>{importError[key]}</dd>
                </div>
              ),
            )}
          </dl>
          <button type="button" data-testid="import-error-dismiss" onClick={dismissImportError}>
            Dismiss
          </button>
        </div>
      )}
      {importNotice && !draft && (
        <div className="import-notice" role="status" data-testid="import-notice">
          <span>{importNotice}</span>
          <button type="button" onClick={dismissImportNotice} aria-label="Dismiss the import note">
            Dismiss
          </button>
        </div>
      )}
      {draft && <ImportDraftView draft={draft} />}
    </section>
  );
}

function ImportDraftView({ draft }: { draft: ImportDraft }) {
  const id = useId();
  const active = useStudio((s) => s.activeDataset);
  const { setImportFormat, setImportMapping, setImportTarget, setImportDropDuplicates, runImport, commitImport, cancelImport } = useStudioValues('setImportFormat', 'setImportMapping', 'setImportTarget', 'setImportDropDuplicates', 'runImport', 'commitImport', 'cancelImport');
  const file = draft.source.fileName;
  const detectedLabel = draft.detection?.format ? FORMAT_LABELS[draft.detection.format] : 'not recognised';
  const isTable = draft.format === 'csv' || draft.format === 'tsv' || (draft.format === 'auto' && draft.detection?.container === 'delimited');

  if (draft.phase === 'inspecting') {
    return (
      <div className="import-draft" data-testid="import-draft" data-phase="inspecting">
        <p className="muted">Reading “{file}”…</p>
        <button type="button" onClick={cancelImport}>
          Cancel
        </button>
      </div>
    );
  }

  if (draft.phase === 'importing') {
    const p = draft.progress;
    const pct = p && p.total > 0 ? Math.min(100, Math.round((p.done / p.total) * 100)) : null;
    return (
      <div className="import-draft" data-testid="import-draft" data-phase="importing">
        <p>
          Importing “{file}” ({formatBytes(draft.bytes)}): {p ? PHASES[p.phase] : 'starting'}
          {pct !== null ? ` — ${pct}%` : '…'}
        </p>
        <progress data-testid="import-progress" max={100} value={pct ?? undefined} aria-label="Import progress" />
        <p className="field-hint">The file is read in a background worker; the page stays usable.</p>
        <button type="button" data-testid="import-cancel" onClick={cancelImport}>
          Cancel
        </button>
      </div>
    );
  }

  if ((draft.phase === 'review' || draft.phase === 'saving') && draft.result) {
    const r = draft.result;
    const dupes = r.duplicates;
    const kept = draft.dropDuplicates ? r.examples.length - dupes.pairs.length : r.examples.length;
    const appendTo = draft.target === 'append' ? active : null;
    return (
      <div className="import-draft" data-testid="import-draft" data-phase="review">
        <p data-testid="import-summary">
          <strong>{formatCount(r.examples.length)} examples</strong> read from “{file}” as {FORMAT_LABELS[r.format]} ({r.detection.reason}).
        </p>
        {r.warnings.length > 0 && (
          <ul className="import-warnings" data-testid="import-warnings">
            {r.warnings.map((w, k) => (
              <li key={k}>{w}</li>
            ))}
          </ul>
        )}
        <div className="import-duplicates" data-testid="import-duplicates">
          <p>{describeDuplicates(dupes)}</p>
          {dupes.pairs.length > 0 && (
            <>
              <DuplicateList pairs={dupes.pairs} examples={r.examples} existing={appendTo?.examples ?? []} />
              <label className="check">
                <input type="checkbox" data-testid="import-drop-duplicates" checked={draft.dropDuplicates} onChange={(e) => setImportDropDuplicates(e.target.checked)} />
                Drop the {formatCount(dupes.pairs.length)} duplicates ({formatCount(kept)} examples remain)
              </label>
              <small className="field-hint">
                Off by default: templated data (one question asked in several phrasings) is mostly near-duplicates by ROUGE-L, on purpose.
              </small>
            </>
          )}
        </div>
        <div className="actions">
          <button type="button" className="primary" data-testid="import-commit" disabled={draft.phase === 'saving'} onClick={() => void commitImport()}>
            {draft.phase === 'saving' ? 'Saving…' : appendTo ? `Add ${formatCount(kept)} examples to “${appendTo.name}”` : `Save ${formatCount(kept)} examples as a new dataset`}
          </button>
          <button type="button" data-testid="import-cancel" disabled={draft.phase === 'saving'} onClick={cancelImport}>
            Cancel
          </button>
        </div>
      </div>
    );
  }

  // Set-up: format, target and, for tables, the column mapping.
  return (
    <div className="import-draft" data-testid="import-draft" data-phase="setup">
      <p>
        “{file}” ({formatBytes(draft.bytes)}). Detected: <strong data-testid="import-detected">{detectedLabel}</strong>
        {draft.detection ? ` — ${draft.detection.reason}.` : ''}
      </p>
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-format`}>Format</label>
          <select id={`${id}-format`} data-testid="import-format" value={draft.format} onChange={(e) => void setImportFormat(e.target.value as FormatId | 'auto')}>
            <option value="auto">Detect ({detectedLabel})</option>
            {FORMAT_IDS.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-target`}>Import into</label>
          <select id={`${id}-target`} data-testid="import-target" value={draft.target} onChange={(e) => setImportTarget(e.target.value as 'new' | 'append')}>
            <option value="new">A new dataset</option>
            {active && <option value="append">“{active.name}” (add to it)</option>}
          </select>
        </div>
      </div>
      {isTable && draft.table && (
        <fieldset className="column-mapping" data-testid="import-mapping">
          <legend>Which column holds what</legend>
          <div className="field-grid">
            {MAPPING_KEYS.map((key) => (
              <div className="field" key={key}>
                <label htmlFor={`${id}-map-${key}`}>{MAPPING_LABELS[key]}</label>
                <select id={`${id}-map-${key}`} data-testid={`import-map-${key}`} value={draft.mapping[key] ?? ''} onChange={(e) => setImportMapping(key, e.target.value)}>
                  <option value="">{key === 'instruction' || key === 'response' ? '— choose a column —' : '— none —'}</option>
                  {draft.table!.headers.map((h, k) => (
                    <option key={k} value={h}>
                      {h}
                    </option>
                  ))}
                </select>
              </div>
            ))}
          </div>
          <div className="table-scroll">
            <table className="preview-table" data-testid="import-preview">
              <thead>
                <tr>
                  {draft.table.headers.map((h, k) => (
                    <th key={k} scope="col">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {draft.table.rows.map((row, r) => (
                  <tr key={r}>
                    {draft.table!.headers.map((_, c) => (
                      <td key={c}>{row[c] ?? ''}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </fieldset>
      )}
      <div className="actions">
        <button type="button" className="primary" data-testid="import-run" onClick={() => void runImport()}>
          Import
        </button>
        <button type="button" data-testid="import-cancel" onClick={cancelImport}>
          Cancel
        </button>
      </div>
    </div>
  );
}

const SHOWN_PAIRS = 50;

function DuplicateList({
  pairs,
  examples,
  existing,
}: {
  pairs: ReadonlyArray<{ index: number; duplicateOf: number; inExisting: boolean; kind: 'exact' | 'near'; score: number }>;
  examples: readonly Example[];
  existing: readonly Example[];
}) {
  return (
    <>
      <ol className="duplicate-list">
        {pairs.slice(0, SHOWN_PAIRS).map((p) => {
          const a = examples[p.index];
          const b = p.inExisting ? existing[p.duplicateOf] : examples[p.duplicateOf];
          return (
            <li key={p.index} data-testid="duplicate-pair">
              <span className="dup-kind">{p.kind === 'exact' ? 'exact' : `ROUGE-L ${p.score.toFixed(2)}`}</span> record {p.index + 1}: <q>{a ? requestOf(a) : '?'}</q> repeats{' '}
              {p.inExisting ? 'the dataset’s example' : 'record'} {p.duplicateOf + 1}: <q>{b ? requestOf(b) : '?'}</q>
            </li>
          );
        })}
      </ol>
      {pairs.length > SHOWN_PAIRS && <p className="field-hint">…and {formatCount(pairs.length - SHOWN_PAIRS)} more.</p>}
    </>
  );
}
