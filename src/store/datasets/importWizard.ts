// The import wizard's actions: choose a file (inspect) -> set up format,
// column mapping and target -> import (on the import worker) -> review ->
// save. Nothing is stored before `commitImport`, and a file that fails
// changes nothing: the draft goes and `importError` names file, line, field.

import type { ImportError } from '../../data/errors';
import type { ColumnMapping, FormatId } from '../../data/formats/types';
import type { Example } from '../../data/schema';
import { DatasetStorageError, type DatasetMeta, type DatasetRecord } from '../../storage/datasets';
import { messageOf } from '../../util/errors';
import { plural } from '../../util/text';
import { pushUndo } from './history';
import { DataJobCancelled } from './jobs';
import type { DatasetsService } from './service';
import type { DatasetsSlice, ImportDraft } from './state';

type ImportActions = Pick<
  DatasetsSlice,
  | 'chooseImportFile'
  | 'setImportFormat'
  | 'setImportMapping'
  | 'setImportTarget'
  | 'setImportDropDuplicates'
  | 'runImport'
  | 'commitImport'
  | 'cancelImport'
  | 'dismissImportError'
  | 'dismissImportNotice'
>;

/** What the wizard uses of the rest of the datasets slice. */
export interface DatasetsTools {
  /** Puts a stored dataset's metadata at the top of the list. */
  showMeta: (meta: DatasetMeta) => void;
  /** Opens a dataset in the editor (null: none), with a fresh undo history. */
  applySelection: (record: DatasetRecord | null) => void;
  /** Stores the settings in the background. */
  saveSettings: () => void;
  /** Shows a storage failure. */
  storageFailed: (e: unknown) => void;
  /** A write to the open dataset was refused as stale: show the stored version and say what was not saved. */
  onConflict: (datasetId: string, error: DatasetStorageError, unsaved: string[]) => Promise<void>;
}

/**
 * What the worker is asked to import for this draft, or why it cannot start:
 * an append needs the open dataset's examples (`existing`), a table needs
 * its instruction and response columns chosen.
 */
export function importRequest(
  d: ImportDraft,
  existing: Example[] | undefined,
): { ok: true; format: FormatId | undefined; columnMapping: ColumnMapping | undefined; existing: Example[] | undefined } | { ok: false; error: ImportError } {
  const file = d.source.fileName;
  const format = d.format === 'auto' ? undefined : d.format;
  if (d.target === 'append' && !existing) {
    return { ok: false, error: { file, reason: 'choose a dataset to add to', message: 'Choose the dataset to add the examples to, or import them as a new dataset.' } };
  }
  const isTable = format === 'csv' || format === 'tsv' || (format === undefined && d.detection?.container === 'delimited');
  if (!isTable || !d.table) return { ok: true, format, columnMapping: undefined, existing };
  if (!d.mapping.instruction || !d.mapping.response) {
    const missing = [!d.mapping.instruction ? 'instruction' : '', !d.mapping.response ? 'response' : ''].filter(Boolean).join(' and the ');
    return {
      ok: false,
      error: {
        file,
        line: 1,
        field: !d.mapping.instruction ? 'instruction' : 'response',
        reason: `choose which column holds the ${missing}`,
        message: `"${file}", line 1: choose which column holds the ${missing}.`,
      },
    };
  }
  return { ok: true, format, columnMapping: d.mapping as ColumnMapping, existing };
}

export function createImportWizard(
  service: DatasetsService,
  tools: DatasetsTools,
  set: (partial: Partial<DatasetsSlice>) => void,
  get: () => DatasetsSlice,
): ImportActions {
  /** Applies a change to the draft only while it is still the draft of `source` (a newer file or a cancel wins). */
  const current = (source: ImportDraft['source']): ImportDraft | null => {
    const d = get().importDraft;
    return d?.source === source ? d : null;
  };

  return {
    chooseImportFile: async (source) => {
      service.cancelImport();
      const draft: ImportDraft = {
        source,
        bytes: source.blob?.size ?? source.text?.length ?? 0,
        phase: 'inspecting',
        detection: null,
        table: null,
        format: 'auto',
        mapping: {},
        target: 'new',
        progress: null,
        result: null,
        dropDuplicates: false,
      };
      set({ importDraft: draft, importError: null, importNotice: null });
      try {
        const ev = await service.inspect(source);
        if (!current(source)) return;
        if (ev.error) {
          set({ importDraft: null, importError: ev.error });
          return;
        }
        set({
          importDraft: {
            ...draft,
            phase: 'setup',
            bytes: ev.bytes,
            detection: ev.detection,
            table: ev.table,
            mapping: ev.table ? { ...ev.table.guess.mapping } : {},
          },
        });
      } catch (e) {
        if (e instanceof DataJobCancelled) return;
        set({ importDraft: null, importError: { file: source.fileName, reason: messageOf(e), message: `"${source.fileName}": ${messageOf(e)}` } });
      }
    },

    setImportFormat: async (format) => {
      const d = get().importDraft;
      if (!d || d.phase !== 'setup') return;
      set({ importDraft: { ...d, format } });
      // Choosing CSV/TSV for a file not detected as a table needs its columns.
      if ((format === 'csv' || format === 'tsv') && !d.table) {
        try {
          const ev = await service.inspectAsTable(d.source, format);
          const now = current(d.source);
          if (now) set({ importDraft: { ...now, table: ev.table, mapping: ev.table ? { ...ev.table.guess.mapping } : {} } });
        } catch {
          // The import itself will report why the file is not a table.
        }
      }
    },

    setImportMapping: (key, column) => {
      const d = get().importDraft;
      if (!d) return;
      const mapping = { ...d.mapping };
      if (column === '') delete mapping[key];
      else mapping[key] = column;
      set({ importDraft: { ...d, mapping } });
    },

    setImportTarget: (target) => {
      const d = get().importDraft;
      if (d) set({ importDraft: { ...d, target } });
    },

    setImportDropDuplicates: (drop) => {
      const d = get().importDraft;
      if (d) set({ importDraft: { ...d, dropDuplicates: drop } });
    },

    runImport: async () => {
      const d = get().importDraft;
      if (!d || d.phase !== 'setup') return;
      const req = importRequest(d, d.target === 'append' ? get().activeDataset?.examples : undefined);
      if (!req.ok) {
        set({ importError: req.error });
        return;
      }
      set({ importDraft: { ...d, phase: 'importing', progress: null }, importError: null });
      try {
        const ev = await service.importFile(d.source, req, (progress) => {
          const now = current(d.source);
          if (now?.phase === 'importing') set({ importDraft: { ...now, progress } });
        });
        if (!current(d.source)) return;
        // All or nothing: a refused file leaves no draft and nothing stored; the message says where.
        if (!ev.result.ok) set({ importDraft: null, importError: ev.result.error });
        else set({ importDraft: { ...d, phase: 'review', progress: null, result: ev.result } });
      } catch (e) {
        if (e instanceof DataJobCancelled) return;
        set({ importDraft: null, importError: { file: d.source.fileName, reason: messageOf(e), message: `"${d.source.fileName}" could not be imported: ${messageOf(e)}` } });
      }
    },

    commitImport: async () => {
      const d = get().importDraft;
      if (!d || d.phase !== 'review' || !d.result) return;
      set({ importDraft: { ...d, phase: 'saving' } });
      try {
        const r = await service.saveImport(d, get().activeDataset, get().templateId);
        tools.showMeta(r.meta);
        if (r.target === 'new') {
          tools.applySelection(r.saved);
          tools.saveSettings();
          set({ importDraft: null, storageError: null, importNotice: r.notice });
          return;
        }
        const s = get();
        set({
          activeDataset: s.activeDataset?.id === r.saved.id ? r.saved : s.activeDataset,
          // The import is one undo step.
          undoStack: pushUndo(s.undoStack, { label: `import of ${plural(r.added, 'example')}`, datasetId: r.saved.id, examples: r.before }),
          importDraft: null,
          storageError: null,
          duplicateReport: null,
          importNotice: r.notice,
        });
      } catch (e) {
        if (e instanceof DatasetStorageError && e.kind === 'conflict' && d.target === 'append' && get().activeDataset) {
          // Another tab saved the dataset first. Show the stored version, as for a stale edit, and
          // go back to the import's first step: its duplicate check was against the old examples,
          // so running it again checks the file against what is stored now.
          set({ importDraft: { ...d, phase: 'setup', result: null, progress: null } });
          await tools.onConflict(get().activeDataset!.id, e, [`the import from "${d.source.fileName}" (press Import to add it to the saved version)`]);
          return;
        }
        // Nothing was stored: keep the review open so the user can free space and try again.
        set({ importDraft: { ...d, phase: 'review' } });
        tools.storageFailed(e);
      }
    },

    cancelImport: () => {
      const phase = get().importDraft?.phase;
      if (phase === 'importing' || phase === 'inspecting') service.cancelImport();
      set({ importDraft: null });
    },

    dismissImportError: () => set({ importError: null }),
    dismissImportNotice: () => set({ importNotice: null }),
  };
}
