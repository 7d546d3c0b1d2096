// The workshop pack: a teacher ticks datasets, checkpoints and the lesson
// progress and exports them as one file; on each learner's machine (no network
// needed) importing it adds all of it, or, for a damaged file, nothing. Names
// come from users and files and are rendered as text.

import { useState } from 'react';
import { useStudio } from '../../store';
import { formatBytes, plural } from '../../util/text';
import { downloadBytes } from '../data/download';
import { FileBytesInput } from '../FileBytesInput';

/** Toggles `id` in a set held in state. */
function toggled(set: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

export function WorkshopPack() {
  const datasets = useStudio((s) => s.datasets);
  const checkpoints = useStudio((s) => s.checkpoints);
  const busy = useStudio((s) => s.workshopBusy);
  const notice = useStudio((s) => s.workshopNotice);
  const exportPack = useStudio((s) => s.exportWorkshopPack);
  const importPack = useStudio((s) => s.importWorkshopPack);
  const dismiss = useStudio((s) => s.dismissWorkshopNotice);
  const [chosenData, setChosenData] = useState<Set<string>>(new Set());
  const [chosenCkpts, setChosenCkpts] = useState<Set<string>>(new Set());
  const [lessons, setLessons] = useState(true);
  // Only what still exists counts (a dataset or checkpoint may be deleted after it was ticked).
  const dataIds = datasets.filter((d) => chosenData.has(d.id)).map((d) => d.id);
  const ckptIds = checkpoints.filter((c) => chosenCkpts.has(c.id)).map((c) => c.id);
  const nothing = dataIds.length === 0 && ckptIds.length === 0 && !lessons;

  return (
    <section aria-labelledby="pack-title" data-testid="workshop-pack">
      <h3 id="pack-title">Workshop pack</h3>
      <p className="muted">
        Prepare once, hand round on a USB stick: one file with the datasets, checkpoints and lesson progress you tick. Importing it on another machine adds all of
        it, with no network; a damaged file is refused whole.
      </p>
      <fieldset className="pack-choice">
        <legend>Datasets</legend>
        {datasets.length === 0 && <p className="muted">No saved datasets.</p>}
        {datasets.map((d) => (
          <label key={d.id}>
            <input type="checkbox" data-testid="pack-dataset" data-id={d.id} checked={chosenData.has(d.id)} onChange={() => setChosenData((s) => toggled(s, d.id))} />
            {d.name} <span className="muted">({plural(d.count, 'example')})</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="pack-choice">
        <legend>Checkpoints</legend>
        {checkpoints.length === 0 && <p className="muted">No saved checkpoints.</p>}
        {checkpoints.map((c) => (
          <label key={c.id}>
            <input type="checkbox" data-testid="pack-checkpoint" data-id={c.id} checked={chosenCkpts.has(c.id)} onChange={() => setChosenCkpts((s) => toggled(s, c.id))} />
            {c.name} <span className="muted">({formatBytes(c.sizeBytes)})</span>
          </label>
        ))}
      </fieldset>
      <label className="pack-choice">
        <input type="checkbox" data-testid="pack-lessons" checked={lessons} onChange={(e) => setLessons(e.target.checked)} />
        The lesson progress (which step is open, presenter mode)
      </label>
      <div className="actions">
        <button
          type="button"
          className="primary"
          data-testid="pack-export"
          disabled={busy !== null || nothing}
          onClick={() =>
            void exportPack({ datasetIds: dataIds, checkpointIds: ckptIds, lessons }).then((out) => out && downloadBytes(out.bytes, out.fileName, 'application/zip'))
          }
        >
          {busy === 'export' ? 'Packing…' : 'Export the pack'}
        </button>
        {nothing && <small className="field-hint">Tick what goes in the pack.</small>}
      </div>
      <div className="field">
        <label htmlFor="pack-import-input">Import a workshop pack (.zip)</label>
        <FileBytesInput
          id="pack-import-input"
          testId="pack-import-input"
          accept=".zip,application/zip"
          disabled={busy !== null}
          onFiles={([file]) => importPack(file!.name, file!.bytes)}
        />
        <small className="field-hint">Adds to what is here; nothing already saved is replaced.</small>
      </div>
      {notice && (
        <div className={`ck-notice ck-notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="pack-notice" data-kind={notice.kind}>
          <span>{notice.text}</span>
          <button type="button" onClick={dismiss} aria-label="Dismiss this message">
            Dismiss
          </button>
        </div>
      )}
    </section>
  );
}
