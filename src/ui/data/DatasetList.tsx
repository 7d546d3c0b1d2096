// The saved datasets: choose one, create an empty one, rename, delete, export
// (Alpaca JSON or messages JSONL, downloaded), and bring back the starters.

import { RenameForm } from '../RenameForm';
import { ConfirmDelete } from '../ConfirmDelete';
import { useState } from 'react';
import { exportDataset, type ExportFormat } from '../../data';
import { useStudio, useStudioValues } from '../../store';
import { formatCount } from '../format';
import { downloadText, safeFileName } from './download';

export function DatasetList() {
  const datasets = useStudio((s) => s.datasets);
  const status = useStudio((s) => s.datasetsStatus);
  const selectedId = useStudio((s) => s.selectedDatasetId);
  const { selectDataset, createDataset, addStarterDatasets } = useStudioValues('selectDataset', 'createDataset', 'addStarterDatasets');

  return (
    <section className="dataset-list-section" aria-labelledby="dataset-list-title">
      <h3 id="dataset-list-title">Datasets</h3>
      {status === 'loading' && datasets.length === 0 && <p className="muted">Opening saved datasets…</p>}
      {status === 'ready' && datasets.length === 0 && <p className="muted">No datasets yet: import a file or create one.</p>}
      <ul className="dataset-list" data-testid="dataset-list">
        {datasets.map((d) => (
          <li key={d.id}>
            <button
              type="button"
              className={`dataset-item${d.id === selectedId ? ' dataset-item-selected' : ''}`}
              data-testid="dataset-item"
              data-id={d.id}
              aria-current={d.id === selectedId ? 'true' : undefined}
              onClick={() => void selectDataset(d.id)}
            >
              <span className="dataset-name">{d.name}</span>
              <span className="dataset-count muted">{formatCount(d.count)} examples</span>
            </button>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" data-testid="dataset-create" onClick={() => void createDataset()}>
          New dataset
        </button>
        <button type="button" data-testid="dataset-add-starters" onClick={() => void addStarterDatasets()} title="Adds back any starter dataset that is not in the list">
          Add starter datasets
        </button>
      </div>
    </section>
  );
}

/** Name, source and licence of the selected dataset, with rename, delete and export. */
export function DatasetHeader() {
  const active = useStudio((s) => s.activeDataset);
  const renameDataset = useStudio((s) => s.renameDataset);
  const deleteDataset = useStudio((s) => s.deleteDataset);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [exportNote, setExportNote] = useState<string | null>(null);
  if (!active) return null;

  const doExport = (format: ExportFormat) => {
    const out = exportDataset(active.examples, format);
    downloadText(out.text, `${safeFileName(active.name)}${out.extension}`, format === 'alpaca' ? 'application/json' : 'application/jsonl');
    setExportNote(
      `Exported ${formatCount(active.examples.length)} examples as ${format === 'alpaca' ? 'Alpaca JSON' : 'messages JSONL'}.${out.warnings.length ? ` ${out.warnings.join(' ')}` : ''}`,
    );
  };

  return (
    <div className="dataset-header">
      {renaming !== null ? (
        <RenameForm initial={renaming} inputId="dataset-rename-input" testId="dataset-rename" onRename={(name) => renameDataset(active.id, name)} onClose={() => setRenaming(null)} />
      ) : (
        <h3 className="dataset-title" data-testid="dataset-title">
          {active.name}
        </h3>
      )}
      <p className="dataset-source muted">
        {formatCount(active.examples.length)} examples · from {active.source || 'unknown source'}
        {active.licence ? ` · licence: ${active.licence}` : ''}
      </p>
      {active.description && <p className="muted">{active.description}</p>}
      <div className="actions">
        {renaming === null && (
          <button type="button" data-testid="dataset-rename" onClick={() => setRenaming(active.name)}>
            Rename
          </button>
        )}
        <button type="button" data-testid="dataset-export-alpaca" onClick={() => doExport('alpaca')} disabled={active.examples.length === 0}>
          Export Alpaca JSON
        </button>
        <button type="button" data-testid="dataset-export-messages" onClick={() => doExport('messages')} disabled={active.examples.length === 0}>
          Export messages JSONL
        </button>
        <ConfirmDelete key={active.id} name={active.name} testId="dataset-delete" onDelete={() => void deleteDataset(active.id)} />
      </div>
      {exportNote && (
        <p className="muted" role="status" data-testid="dataset-export-note">
          {exportNote}
        </p>
      )}
    </div>
  );
}
