// The Train panel's instruction-dataset choice: which saved dataset, the
// template and encoding switches, and the worker's report on how the data was
// turned into training sequences.

import { useId } from 'react';
import { useStudio } from '../../store';
import { formatCount } from '../format';
import { TemplateControls } from './TemplateControls';

export function TrainDataControls({ disabled }: { disabled: boolean }) {
  const id = useId();
  const datasets = useStudio((s) => s.datasets);
  const selectedId = useStudio((s) => s.selectedDatasetId);
  const active = useStudio((s) => s.activeDataset);
  const selectDataset = useStudio((s) => s.selectDataset);
  return (
    <div className="train-data-controls">
      <div className="field">
        <label htmlFor={`${id}-dataset`}>Instruction dataset</label>
        <select id={`${id}-dataset`} data-testid="train-dataset-select" value={selectedId ?? ''} disabled={disabled} onChange={(e) => void selectDataset(e.target.value || null)}>
          {selectedId === null && <option value="">— choose a dataset —</option>}
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({formatCount(d.count)})
            </option>
          ))}
        </select>
        <small className="field-hint">
          {active && active.id === selectedId
            ? `${formatCount(active.examples.length)} examples; a tenth is held out for validation. Edit them in the Data tab.`
            : 'Import or pick datasets in the Data tab.'}{' '}
          The tokenizer is the model’s own, learned from the training text when the model was created.
        </small>
      </div>
      <TemplateControls disabled={disabled} />
    </div>
  );
}

/** The worker's account of the encoded dataset: kept, cut and dropped examples, trained tokens. */
export function DataReportLine() {
  const report = useStudio((s) => s.dataReport);
  if (!report) return null;
  return (
    <p className="data-report" data-testid="train-data-report" role="status">
      {report.summary} {formatCount(report.trainExamples)} to train on, {formatCount(report.valExamples)} held out; {formatCount(report.trainedTokens)} trained tokens
      {report.truncated > 0 ? `, ${formatCount(report.truncated)} cut to fit` : ''}
      {report.dropped > 0 ? `, ${formatCount(report.dropped)} left out` : ''}.
    </p>
  );
}
