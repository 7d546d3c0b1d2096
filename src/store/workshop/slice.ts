// Workshop packs as state: the export and import buttons' busy flag and their
// outcome. The work is WorkshopService's (ctx.workshop); an import's datasets
// and checkpoints join the lists, and its lesson progress opens the lessons where
// the teacher left them.

import { messageOf } from '../../util/errors';
import type { SliceCreator } from '../types';
import type { WorkshopSlice } from './state';

export const createWorkshopSlice: SliceCreator<WorkshopSlice, 'datasets' | 'checkpoints' | 'lessonStepId' | 'presenter' | 'refreshCheckpoints'> = (ctx) => (set, get) => ({
  workshopBusy: null,
  workshopNotice: null,

  exportWorkshopPack: async (choice) => {
    if (get().workshopBusy) return null;
    set({ workshopBusy: 'export', workshopNotice: null });
    try {
      const s = get();
      const out = await ctx.workshop.exportPack({
        datasetIds: choice.datasetIds,
        checkpointIds: choice.checkpointIds,
        lessons: choice.lessons ? { stepId: s.lessonStepId, presenter: s.presenter } : null,
      });
      set({ workshopNotice: { kind: 'ok', text: `Exported ${out.summary} as ${out.fileName}.` } });
      return { fileName: out.fileName, bytes: out.bytes };
    } catch (e) {
      set({ workshopNotice: { kind: 'error', text: `Could not export the pack: ${messageOf(e)}` } });
      return null;
    } finally {
      set({ workshopBusy: null });
    }
  },

  importWorkshopPack: async (fileName, bytes) => {
    if (get().workshopBusy) return false;
    set({ workshopBusy: 'import', workshopNotice: null });
    try {
      const out = await ctx.workshop.importPack(fileName, bytes);
      set({
        datasets: [...out.datasets, ...get().datasets],
        ...(out.lessons ? { lessonStepId: out.lessons.stepId, presenter: out.lessons.presenter } : {}),
        workshopNotice: { kind: 'ok', text: `Imported ${out.summary} from ${fileName}.` },
      });
      await get().refreshCheckpoints();
      return true;
    } catch (e) {
      set({ workshopNotice: { kind: 'error', text: messageOf(e) } });
      return false;
    } finally {
      set({ workshopBusy: null });
    }
  },

  dismissWorkshopNotice: () => set({ workshopNotice: null }),
});
