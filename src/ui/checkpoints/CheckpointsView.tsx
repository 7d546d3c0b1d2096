// The Checkpoints view: saved checkpoints with their step, loss, size and date;
// rename, delete, load, continue a run, export as one file or as a Hugging Face
// folder in a zip, import a file or a dropped Hugging Face folder; the autosave
// interval; how much storage the site uses and whether the browser keeps it; the
// workshop pack (datasets, checkpoints and lesson progress in one file). A thin view over the checkpoints
// slice; names come from users and files and are rendered as text.

import { RenameForm } from '../RenameForm';
import { ConfirmDelete } from '../ConfirmDelete';
import { useState } from 'react';
import { useStudio, type CheckpointMeta } from '../../store';
import { formatBytes, plural } from '../../util/text';
import { downloadBytes } from '../data/download';
import { NumberField } from '../NumberField';
import './checkpoints.css';
import { droppedFiles } from './dropped';
import { WorkshopPack } from './WorkshopPack';
import { FileBytesInput } from '../FileBytesInput';

const KIND_LABEL: Record<CheckpointMeta['kind'], string> = { auto: 'autosave', manual: 'saved', import: 'imported' };

export function CheckpointsView() {
  const loaded = useStudio((s) => s.checkpointsLoaded);
  const list = useStudio((s) => s.checkpoints);
  const unavailable = useStudio((s) => s.checkpointsUnavailable);
  const notice = useStudio((s) => s.checkpointNotice);
  const dismissNotice = useStudio((s) => s.dismissCheckpointNotice);
  return (
    <main className="side-view checkpoints-view" data-testid="checkpoints-view">
      <aside className="panel checkpoints-side">
        <SaveAndImport />
        <AutosaveSettings />
        <StorageInfo />
        <WorkshopPack />
      </aside>
      <section className="panel checkpoints-main" aria-labelledby="checkpoints-title">
        <h3 id="checkpoints-title">Saved checkpoints</h3>
        <p className="muted">
          A checkpoint holds the weights, the tokenizer, the optimizer state and where its run stood, so a run can continue exactly where it was saved. Everything
          stays in this browser until you export it.
        </p>
        {unavailable && (
          <p className="field-error" role="alert" data-testid="checkpoints-unavailable">
            {unavailable}
          </p>
        )}
        {notice && (
          <div className={`ck-notice ck-notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="checkpoint-notice" data-kind={notice.kind}>
            <span>{notice.text}</span>
            <button type="button" onClick={dismissNotice} aria-label="Dismiss this message">
              Dismiss
            </button>
          </div>
        )}
        {!loaded && <p className="muted">Opening saved checkpoints…</p>}
        {loaded && list.length === 0 && (
          <p className="muted" data-testid="checkpoints-empty">
            No checkpoints yet. Training saves one automatically; “Save now” saves the model as it is.
          </p>
        )}
        {list.length > 0 && (
          <div className="table-scroll">
            <table className="data-table" data-testid="checkpoint-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Step</th>
                  <th scope="col">Loss</th>
                  <th scope="col">Size</th>
                  <th scope="col">Saved</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <CheckpointRow key={c.id} meta={c} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}

function CheckpointRow({ meta }: { meta: CheckpointMeta }) {
  const busy = useStudio((s) => s.checkpointBusy);
  const training = useStudio((s) => s.trainState === 'running' || s.trainState === 'paused');
  const backendReady = useStudio((s) => s.backendStatus === 'ready');
  const rename = useStudio((s) => s.renameCheckpoint);
  const remove = useStudio((s) => s.deleteCheckpoint);
  const load = useStudio((s) => s.loadCheckpoint);
  const continueRun = useStudio((s) => s.continueRunFrom);
  const exportFile = useStudio((s) => s.exportCheckpointFile);
  const exportZip = useStudio((s) => s.exportCheckpointHfZip);
  const [renaming, setRenaming] = useState<string | null>(null);
  const anyBusy = busy !== null;
  const canContinue = meta.hasOptimizer && meta.runId !== undefined && meta.runStep !== null && meta.totalSteps !== null && meta.runStep < meta.totalSteps;
  const loadBlocker = !backendReady ? 'The trainer is still starting.' : training ? 'Stop training first.' : undefined;

  return (
    <tr data-testid="checkpoint-row" data-id={meta.id} data-kind={meta.kind}>
      <td className="ck-name-cell">
        {renaming !== null ? (
          <RenameForm initial={renaming} inputId={`ck-rename-${meta.id}`} testId="checkpoint-rename" disabled={anyBusy} onRename={(name) => rename(meta.id, name)} onClose={() => setRenaming(null)} />
        ) : (
          <span className="ck-name" data-testid="checkpoint-name">
            {meta.name}
          </span>
        )}
        <span className="ck-sub muted">
          {KIND_LABEL[meta.kind]}
          {meta.fileName ? ` from ${meta.fileName}` : ''} · {plural(meta.config.layers, 'layer')} × {meta.config.width} wide
          {meta.templateId ? ` · ${meta.templateId} template` : ''}
        </span>
      </td>
      <td className="num" data-testid="checkpoint-step">
        {meta.runStep !== null && meta.totalSteps !== null ? `${meta.runStep} / ${meta.totalSteps}` : String(meta.step)}
      </td>
      <td className="num" data-testid="checkpoint-loss">
        {meta.lastLoss === null ? '—' : meta.lastLoss.toFixed(4)}
      </td>
      <td className="num" data-testid="checkpoint-size">
        {formatBytes(meta.sizeBytes)}
      </td>
      <td className="num">
        <time dateTime={new Date(meta.savedAt).toISOString()}>{new Date(meta.savedAt).toLocaleString()}</time>
      </td>
      <td>
        <div className="ck-actions">
          <button type="button" data-testid="checkpoint-load" disabled={anyBusy || loadBlocker !== undefined} title={loadBlocker ?? 'Make this the model in the studio'} onClick={() => void load(meta.id)}>
            {busy === `load:${meta.id}` ? 'Loading…' : 'Load'}
          </button>
          {canContinue && (
            <button
              type="button"
              data-testid="checkpoint-continue"
              disabled={anyBusy || loadBlocker !== undefined}
              title={`Continue its run from step ${meta.runStep} of ${meta.totalSteps}`}
              onClick={() => void continueRun(meta.id)}
            >
              Continue run
            </button>
          )}
          <button
            type="button"
            data-testid="checkpoint-export"
            disabled={anyBusy}
            title="One .safetensors file with everything; import it back here"
            onClick={() => void exportFile(meta.id).then((f) => f && downloadBytes(f.bytes, f.fileName, 'application/octet-stream'))}
          >
            Export file
          </button>
          <button
            type="button"
            data-testid="checkpoint-export-hf"
            disabled={anyBusy}
            title="A zip of model.safetensors, config.json and tokenizer.json (Hugging Face GPT-2 names)"
            onClick={() => void exportZip(meta.id).then((f) => f && downloadBytes(f.bytes, f.fileName, 'application/zip'))}
          >
            Export HF zip
          </button>
          {renaming === null && (
            <button type="button" data-testid="checkpoint-rename" disabled={anyBusy} onClick={() => setRenaming(meta.name)}>
              Rename
            </button>
          )}
          <ConfirmDelete name={meta.name} testId="checkpoint-delete" disabled={anyBusy} onDelete={() => void remove(meta.id)} />
        </div>
      </td>
    </tr>
  );
}

function SaveAndImport() {
  const hasModel = useStudio((s) => s.model !== null && s.modelStatus === 'ready');
  const busy = useStudio((s) => s.checkpointBusy);
  const save = useStudio((s) => s.saveCheckpointNow);
  const importFile = useStudio((s) => s.importCheckpointFile);
  const importHf = useStudio((s) => s.importHfModel);
  const [dragging, setDragging] = useState(false);
  return (
    <section aria-labelledby="ck-save-title">
      <h3 id="ck-save-title">Save and import</h3>
      <div className="actions">
        <button type="button" className="primary" data-testid="checkpoint-save" disabled={!hasModel || busy !== null} onClick={() => void save()}>
          {busy === 'save' ? 'Saving…' : 'Save now'}
        </button>
        {!hasModel && <small className="field-hint">Create or load a model first.</small>}
      </div>
      <div className="field">
        <label htmlFor="checkpoint-import-input">Import a checkpoint file (.safetensors exported from this studio)</label>
        <FileBytesInput
          id="checkpoint-import-input"
          testId="checkpoint-import-input"
          accept=".safetensors,application/octet-stream"
          disabled={busy !== null}
          onFiles={([file]) => importFile(file!.name, file!.bytes)}
        />
        <small className="field-hint">A damaged or foreign file is refused whole; nothing already saved changes.</small>
      </div>
      <div
        className={`field drop-zone${dragging ? ' dragging' : ''}`}
        data-testid="hf-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          if (busy !== null) return;
          void droppedFiles(e.dataTransfer).then((files) => (files.length > 0 ? importHf(files) : null));
        }}
      >
        <label htmlFor="hf-import-input">
          Import a Hugging Face GPT-2 model: drop its folder or a .zip of it here, or choose its model.safetensors, config.json and tokenizer.json together
        </label>
        <FileBytesInput
          id="hf-import-input"
          testId="hf-import-input"
          multiple
          accept=".zip,.json,.safetensors"
          disabled={busy !== null}
          onFiles={(files) => importHf(files)}
        />
        <small className="field-hint">float16 and bfloat16 weights are widened; a config the studio cannot compute is refused naming the field.</small>
      </div>
    </section>
  );
}

function AutosaveSettings() {
  const every = useStudio((s) => s.autosaveEvery);
  const enabled = useStudio((s) => s.autosaveEnabled);
  const stopped = useStudio((s) => s.autosaveStopped);
  const last = useStudio((s) => s.lastAutosave);
  const setEvery = useStudio((s) => s.setAutosaveEvery);
  const setEnabled = useStudio((s) => s.setAutosaveEnabled);
  // What was typed, while it is not a valid interval; the stored setting otherwise.
  const [typed, setTyped] = useState<number | null>(null);
  const problem = typed !== null ? `Autosave needs a whole number of steps, 1 or more (got ${Number.isFinite(typed) ? typed : 'nothing'}).` : null;
  return (
    <section aria-labelledby="ck-autosave-title">
      <h3 id="ck-autosave-title">Autosave</h3>
      <label className="check">
        <input type="checkbox" data-testid="autosave-enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Save the run while it trains, and when it pauses, stops or finishes
      </label>
      <NumberField
        label="Every this many steps"
        testId="autosave-every"
        value={every}
        min={1}
        step={1}
        disabled={!enabled}
        errors={problem ? [problem] : []}
        errorTestId="autosave-error"
        hint="Each run keeps one autosave, replaced as it goes on"
        onChange={(v) => {
          const ok = Number.isInteger(v) && v >= 1;
          setTyped(ok ? null : v);
          if (ok) setEvery(v);
        }}
      />
      {stopped && (
        <p className="field-error" role="alert" data-testid="autosave-stopped">
          {stopped}
        </p>
      )}
      {last && (
        <p className="muted" data-testid="autosave-last">
          Last autosave: step {last.runStep} of {last.totalSteps}, {new Date(last.at).toLocaleTimeString()}.
        </p>
      )}
    </section>
  );
}

function StorageInfo() {
  const usage = useStudio((s) => s.storageUsage);
  const persistence = useStudio((s) => s.persistence);
  const request = useStudio((s) => s.requestPersistence);
  const refresh = useStudio((s) => s.refreshCheckpoints);
  const [asked, setAsked] = useState(false);
  const pct = usage && usage.quota > 0 ? Math.min(100, (usage.usage / usage.quota) * 100) : null;
  return (
    <section aria-labelledby="ck-storage-title">
      <h3 id="ck-storage-title">Storage</h3>
      {usage ? (
        <>
          <p data-testid="storage-usage">
            {formatBytes(usage.usage)} used of {formatBytes(usage.quota)} available to this site
            {pct !== null ? ` (${pct < 0.1 && pct > 0 ? '<0.1' : pct.toFixed(1)}%)` : ''}.
          </p>
          {pct !== null && (
            <progress className="ck-usage-bar" max={100} value={pct} aria-label="Storage used">
              {pct.toFixed(1)}%
            </progress>
          )}
        </>
      ) : (
        <p className="muted" data-testid="storage-usage">
          This browser does not say how much storage the site may use.
        </p>
      )}
      <p data-testid="storage-persistence" data-state={persistence}>
        {persistence === 'persistent'
          ? 'Persistent: the browser will not clear these checkpoints on its own.'
          : persistence === 'best-effort'
            ? 'Best effort: the browser may clear stored checkpoints when the disk runs low. Export the ones you care about, or ask it to keep them.'
            : persistence === 'unsupported'
              ? 'This browser cannot be asked to keep the data; export checkpoints you care about.'
              : 'Checking whether the browser keeps this data…'}
      </p>
      {asked && persistence === 'best-effort' && (
        <p className="field-hint" data-testid="storage-persist-declined">
          The browser declined for now (Chromium grants it to sites you visit often, bookmark or install). Export the checkpoints you want to keep.
        </p>
      )}
      <div className="actions">
        {persistence === 'best-effort' && (
          <button type="button" data-testid="storage-persist" onClick={() => void request().then(() => setAsked(true))}>
            Ask the browser to keep my data
          </button>
        )}
        <button type="button" data-testid="checkpoints-refresh" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
    </section>
  );
}
