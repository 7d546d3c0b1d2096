// Edits of the open dataset: each change is one undo step, shows at once and
// is saved in the background (several quick edits share a write, see
// DatasetsService.saveLatest). A failed save keeps the edits on screen and
// says so; `retrySave` tries again. A save refused because another tab saved
// the dataset first hands over to `onConflict`, which shows the stored version.

import type { Example } from '../../data/schema';
import { DatasetStorageError, type DatasetMeta } from '../../storage/datasets';
import { messageOf } from '../../util/errors';
import type { DatasetsService } from './service';
import type { DatasetsSlice, UndoEntry } from './state';

/** Most undo steps kept; each holds an array of references, not copies of the examples. */
export const MAX_UNDO = 50;

/** The stack with `entry` on top, the oldest steps dropped beyond MAX_UNDO. */
export function pushUndo(stack: readonly UndoEntry[], entry: UndoEntry): UndoEntry[] {
  return [...stack, entry].slice(-MAX_UNDO);
}

export interface EditHistory {
  /** Replaces the open dataset's examples as one undo step labelled `label`, and saves. */
  change: (label: string, next: Example[]) => void;
  /** Restores the examples before the last step, if it belongs to the open dataset, and saves. */
  undo: () => void;
  /** Saves the open dataset now (after a change that is not an undo step, or to retry). */
  save: () => Promise<void>;
}

export function createEditHistory(
  service: DatasetsService,
  showMeta: (meta: DatasetMeta) => void,
  set: (partial: Partial<DatasetsSlice>) => void,
  get: () => DatasetsSlice,
  /** A save was refused as stale: `unsaved` names the changes that were not stored. */
  onConflict: (datasetId: string, error: DatasetStorageError, unsaved: string[]) => Promise<void>,
): EditHistory {
  /** The changes made since the last completed save, by label, for the conflict message. */
  let unsaved: string[] = [];
  const save = async (): Promise<void> => {
    const datasetId = get().activeDataset?.id;
    set({ saveState: 'saving' });
    try {
      const done = await service.saveLatest(
        () => get().activeDataset,
        (meta) => {
          const active = get().activeDataset;
          if (active?.id !== meta.id) return;
          showMeta(meta);
          // The next write is based on the version just stored.
          set({ activeDataset: { ...active, version: meta.version } });
        },
      );
      if (done === 'saved') {
        unsaved = [];
        set({ saveState: 'saved', storageError: null });
      }
    } catch (e) {
      if (e instanceof DatasetStorageError && e.kind === 'conflict' && datasetId) {
        const lost = unsaved;
        unsaved = [];
        await onConflict(datasetId, e, lost);
        return;
      }
      const base = messageOf(e);
      const note = /Nothing was changed/.test(base) ? ' Your latest edits are still on screen but not saved.' : ' Your latest edits are on screen but not saved yet.';
      set({ saveState: 'failed', storageError: `${base}${note}` });
    }
  };

  return {
    save,
    change: (label, next) => {
      const active = get().activeDataset;
      if (!active) return;
      set({
        activeDataset: { ...active, examples: next, count: next.length },
        undoStack: pushUndo(get().undoStack, { label, datasetId: active.id, examples: active.examples }),
      });
      unsaved.push(label);
      void save();
    },
    undo: () => {
      const s = get();
      const entry = s.undoStack[s.undoStack.length - 1];
      if (!entry || !s.activeDataset || entry.datasetId !== s.activeDataset.id) return;
      set({ activeDataset: { ...s.activeDataset, examples: entry.examples, count: entry.examples.length }, undoStack: s.undoStack.slice(0, -1) });
      unsaved.push(`undo ${entry.label}`);
      void save();
    },
  };
}
