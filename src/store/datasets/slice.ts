// The datasets slice: state for the Data tab and the actions that change it.
// The work (storage, the dataset worker, starter files, the tokenizer fetch)
// is DatasetsService's; the import wizard and the edit history are their own
// modules. An import or a new dataset is stored first and shown only once
// stored, so a failure leaves everything as it was; edits show at once and
// are saved in the background. Another tab's saves arrive through
// `onDatasetChanged`: the open dataset is reloaded when this tab has nothing
// unsaved, and a save of a stale copy is refused and the stored one shown.

import { dropDuplicates } from '../../data/dedupe';
import { cleanExample, exampleProblems, type Example } from '../../data/schema';
import { DEFAULT_TEMPLATE, validateUserTemplate } from '../../data/templates';
import type { DatasetMeta, DatasetRecord, DatasetStorageError } from '../../storage/datasets';
import { messageOf } from '../../util/errors';
import { plural } from '../../util/text';
import { allTemplates, currentTemplate } from '../selectors';
import type { SliceCreator } from '../types';
import { createEditHistory } from './history';
import { createImportWizard, type DatasetsTools } from './importWizard';
import { DataJobCancelled } from './jobs';
import { initialSelection } from './service';
import type { DatasetsSlice } from './state';

export const createDatasetsSlice: SliceCreator<DatasetsSlice, 'model' | 'modelStatus'> = (ctx) => (set, get) => {
  const service = ctx.datasets;

  const storageFailed = (e: unknown): void => set({ storageError: messageOf(e) });
  const saveSettings = (): void => {
    service.saveSettings(get()).catch(storageFailed);
  };
  const showMeta = (meta: DatasetMeta): void => {
    set({ datasets: [meta, ...get().datasets.filter((d) => d.id !== meta.id)] });
  };
  const applySelection = (record: DatasetRecord | null): void => {
    const templateKnown = record && allTemplates(get()).some((t) => t.id === record.templateId);
    set({
      selectedDatasetId: record?.id ?? null,
      activeDataset: record,
      undoStack: [],
      duplicateReport: null,
      stats: null,
      saveState: 'saved',
      ...(record && templateKnown ? { templateId: record.templateId } : {}),
    });
  };
  const addStarters = async (skip: ReadonlySet<string>): Promise<number> => {
    const metas = await service.addStarters(skip, get());
    set({ startersLoaded: true });
    for (const meta of metas) showMeta(meta);
    return metas.length;
  };

  const metaOf = (record: DatasetRecord): DatasetMeta => {
    const { examples: _e, ...meta } = record;
    return meta;
  };
  /** The open dataset is gone (deleted in another tab): select the next one and say why. */
  const lostActive = async (id: string, message: string): Promise<void> => {
    const datasets = get().datasets.filter((d) => d.id !== id);
    set({ datasets });
    if (get().selectedDatasetId === id) await get().selectDataset(datasets[0]?.id ?? null);
    set({ storageError: message });
  };
  /** A save of the open dataset was refused as stale: show the stored version, and say what was not saved. */
  const onConflict = async (id: string, error: DatasetStorageError, unsaved: string[]): Promise<void> => {
    const what = unsaved.length > 0 ? ` Not saved from this tab: ${unsaved.join(', ')}.` : '';
    let record: DatasetRecord | undefined;
    try {
      record = await service.open(id);
    } catch (e) {
      set({ saveState: 'failed', storageError: `${error.message}${what} Reading the saved version failed too: ${messageOf(e)}` });
      return;
    }
    if (get().activeDataset?.id !== id) return;
    if (!record) {
      await lostActive(id, `${error.message}${what}`);
      return;
    }
    showMeta(metaOf(record));
    applySelection(record);
    set({ storageError: `${error.message} This tab now shows the saved version.${what} Make the change again if you still want it.` });
  };

  const tools: DatasetsTools = { showMeta, applySelection, saveSettings, storageFailed, onConflict };
  const history = createEditHistory(service, showMeta, set, get, onConflict);
  let statsRun = 0;

  return {
    datasets: [],
    datasetsStatus: 'idle',
    storageError: null,
    selectedDatasetId: null,
    activeDataset: null,
    saveState: 'saved',
    undoStack: [],
    startersLoaded: false,
    importDraft: null,
    importError: null,
    importNotice: null,
    duplicateReport: null,
    duplicateSearch: null,
    stats: null,
    userTemplates: [],
    templateId: DEFAULT_TEMPLATE.id,
    trainOnInputs: false,
    // Packed by default: short examples share a row instead of padding it (docs/BENCHMARK.md, the lesson's levers).
    pack: true,
    overflow: 'truncate',
    dataTokenizer: null,
    modelVersion: 0,

    // ---- the list and the open dataset

    loadDatasets: async () => {
      if (get().datasetsStatus === 'loading') return;
      set({ datasetsStatus: 'loading' });
      let loaded: Awaited<ReturnType<typeof service.load>>;
      try {
        loaded = await service.load();
      } catch (e) {
        storageFailed(e);
        set({ datasetsStatus: 'failed' });
        return;
      }
      const { settings, datasets } = loaded;
      set({
        datasets,
        userTemplates: settings.userTemplates,
        startersLoaded: settings.startersLoaded ?? false,
        ...(settings.templateId ? { templateId: settings.templateId } : {}),
        ...(settings.trainOnInputs !== undefined ? { trainOnInputs: settings.trainOnInputs } : {}),
        ...(settings.pack !== undefined ? { pack: settings.pack } : {}),
        ...(settings.overflow ? { overflow: settings.overflow } : {}),
      });
      if (!get().startersLoaded) {
        try {
          await addStarters(new Set());
        } catch (e) {
          set({ storageError: `The starter datasets could not be added: ${messageOf(e)}` });
        }
      }
      set({ datasetsStatus: 'ready' });
      await get().selectDataset(initialSelection(get().datasets, settings.selectedDatasetId));
    },

    addStarterDatasets: async () => {
      try {
        const n = await addStarters(new Set(get().datasets.map((d) => d.id)));
        set({ importNotice: n === 0 ? 'Every starter dataset is already in the list.' : `Added ${plural(n, 'starter dataset')}.`, storageError: null });
      } catch (e) {
        set({ storageError: `The starter datasets could not be added: ${messageOf(e)}` });
      }
    },

    selectDataset: async (id) => {
      if (id === null) {
        applySelection(null);
        saveSettings();
        return;
      }
      set({ selectedDatasetId: id });
      if (get().activeDataset?.id === id) return;
      try {
        const record = await service.open(id);
        if (get().selectedDatasetId !== id) return; // another choice came in meanwhile
        applySelection(record ?? null);
        if (!record) set({ datasets: get().datasets.filter((d) => d.id !== id) });
        saveSettings();
      } catch (e) {
        storageFailed(e);
      }
    },

    createDataset: async (name = 'New dataset') => {
      try {
        const saved = await service.create(name, get().templateId);
        const { examples: _e, ...meta } = saved;
        showMeta(meta);
        applySelection(saved);
        saveSettings();
        set({ storageError: null });
        return saved.id;
      } catch (e) {
        storageFailed(e);
        return null;
      }
    },

    expandPhrasings: async (pool, count) => {
      const source = get().activeDataset;
      if (!source) return 'Choose a dataset to rephrase first.';
      try {
        const { saved, notice } = await service.expandPhrasings(source, pool, count, get().templateId);
        const { examples: _e, ...meta } = saved;
        showMeta(meta);
        applySelection(saved);
        saveSettings();
        set({ storageError: null, importNotice: notice });
        return null;
      } catch (e) {
        return messageOf(e);
      }
    },

    saveExamplesAsDataset: async (name, source, examples) => {
      try {
        const saved = await service.saveNew(name, source, examples, get().templateId);
        const { examples: _e, ...meta } = saved;
        showMeta(meta);
        applySelection(saved);
        saveSettings();
        set({ storageError: null, importNotice: `Saved "${saved.name}": ${plural(saved.examples.length, 'example')}.` });
        return null;
      } catch (e) {
        return messageOf(e);
      }
    },

    renameDataset: async (id, name) => {
      try {
        const meta = await service.rename(id, name);
        set({ datasets: get().datasets.map((d) => (d.id === id ? meta : d)), storageError: null });
        const active = get().activeDataset;
        if (active?.id === id) set({ activeDataset: { ...active, name: meta.name, version: meta.version } });
      } catch (e) {
        storageFailed(e);
      }
    },

    deleteDataset: async (id) => {
      try {
        await service.remove(id);
      } catch (e) {
        storageFailed(e);
        return;
      }
      const datasets = get().datasets.filter((d) => d.id !== id);
      set({ datasets, storageError: null });
      if (get().selectedDatasetId === id) await get().selectDataset(datasets[0]?.id ?? null);
    },

    ...createImportWizard(service, tools, set, get),

    // ---- editing

    addExample: (example) => {
      const active = get().activeDataset;
      if (!active || exampleProblems(example).length > 0) return null;
      const id = service.exampleId(example.id, new Set(active.examples.map((e) => e.id)));
      const added = { ...cleanExample(example), id, source: example.source || 'studio' } as Example;
      history.change('add example', [...active.examples, added]);
      return id;
    },

    updateExample: (id, example) => {
      const active = get().activeDataset;
      if (!active || exampleProblems(example).length > 0) return false;
      const k = active.examples.findIndex((e) => e.id === id);
      if (k < 0) return false;
      const next = active.examples.slice();
      next[k] = { ...cleanExample(example), id } as Example;
      history.change('edit', next);
      return true;
    },

    deleteExample: (id) => {
      const active = get().activeDataset;
      if (!active) return;
      const next = active.examples.filter((e) => e.id !== id);
      if (next.length !== active.examples.length) history.change('delete', next);
    },

    undo: history.undo,
    retrySave: () => void history.save(),

    onDatasetChanged: async (id, version) => {
      if (version === null) {
        const name = get().datasets.find((d) => d.id === id)?.name ?? 'The dataset';
        if (get().activeDataset?.id === id) await lostActive(id, `"${name}" was deleted in another tab or window.`);
        else set({ datasets: get().datasets.filter((d) => d.id !== id) });
        return;
      }
      const listed = get().datasets.find((d) => d.id === id);
      const active = get().activeDataset;
      if ((active?.id === id ? active.version : listed?.version ?? -1) >= version) return;
      let record: DatasetRecord | undefined;
      try {
        record = await service.open(id);
      } catch {
        return; // the list stays as it was; the next read says what is wrong
      }
      if (!record) return;
      showMeta(metaOf(record));
      const now = get().activeDataset;
      // Reloaded only while this tab has nothing unsaved; otherwise its save is
      // refused as stale and the conflict shows the stored version with a message.
      if (now?.id === id && now.version < record.version && get().saveState === 'saved') {
        set({ activeDataset: record, undoStack: [], duplicateReport: null, stats: null });
      }
    },

    // ---- duplicates and statistics

    findDatasetDuplicates: async () => {
      const active = get().activeDataset;
      if (!active) return;
      const examples = active.examples;
      set({ duplicateSearch: { phase: 'dedupe', done: 0, total: examples.length }, duplicateReport: null });
      try {
        const report = await service.findDuplicates(examples, (p) => set({ duplicateSearch: p }));
        set({ duplicateReport: { datasetId: active.id, examples, report }, duplicateSearch: null });
      } catch (e) {
        set({ duplicateSearch: null });
        if (!(e instanceof DataJobCancelled)) set({ storageError: `The duplicate search failed: ${messageOf(e)}` });
      }
    },

    dropDatasetDuplicates: () => {
      const s = get();
      const r = s.duplicateReport;
      // Only while the report still describes the examples on screen.
      if (!r || !s.activeDataset || r.datasetId !== s.activeDataset.id || r.examples !== s.activeDataset.examples) return;
      if (r.report.pairs.length === 0) return;
      history.change(`drop ${plural(r.report.pairs.length, 'duplicate')}`, dropDuplicates(r.examples, r.report));
      set({ duplicateReport: null });
    },

    refreshStats: async () => {
      const s = get();
      const active = s.activeDataset;
      if (!active) {
        set({ stats: null });
        return;
      }
      const template = currentTemplate(s);
      const tok = s.dataTokenizer && s.dataTokenizer.modelVersion === s.modelVersion ? s.dataTokenizer : null;
      const run = ++statsRun;
      try {
        const stats = await service.stats(active.examples, tok ? { template, tokenizerJson: tok.json } : null);
        if (run !== statsRun) return;
        set({ stats: { examples: active.examples, templateId: template.id, withTokens: tok !== null, stats } });
      } catch (e) {
        if (!(e instanceof DataJobCancelled) && run === statsRun) set({ storageError: `Statistics could not be computed: ${messageOf(e)}` });
      }
    },

    tokenizeInWorker: (examples, template, tokenizer, view) => service.tokenize(examples, template, tokenizer, view),

    // ---- template and encoding choices

    setTemplateId: (id) => {
      if (!allTemplates(get()).some((t) => t.id === id)) return;
      set({ templateId: id });
      const active = get().activeDataset;
      if (active && active.templateId !== id) {
        set({ activeDataset: { ...active, templateId: id } });
        void history.save();
      }
      saveSettings();
    },

    addUserTemplate: (def) => {
      const r = validateUserTemplate(def);
      if (!r.ok) return r;
      set({ userTemplates: [...get().userTemplates.filter((t) => t.id !== r.template.id), r.template], templateId: r.template.id });
      saveSettings();
      return r;
    },

    deleteUserTemplate: (id) => {
      const userTemplates = get().userTemplates.filter((t) => t.id !== id);
      set({ userTemplates, ...(get().templateId === id ? { templateId: DEFAULT_TEMPLATE.id } : {}) });
      saveSettings();
    },

    setTrainOnInputs: (on) => {
      set({ trainOnInputs: on });
      saveSettings();
    },
    setPack: (on) => {
      set({ pack: on });
      saveSettings();
    },
    setOverflow: (rule) => {
      set({ overflow: rule });
      saveSettings();
    },

    // ---- the main model's tokenizer

    ensureDataTokenizer: async () => {
      const s = get();
      if (!s.model || s.modelStatus !== 'ready') return;
      const version = s.modelVersion;
      if (s.dataTokenizer?.modelVersion === version) return;
      try {
        const { tokenizer, json } = await service.tokenizer(version);
        if (get().modelVersion === version) set({ dataTokenizer: { modelVersion: version, tokenizer, json } });
      } catch {
        // The worker's error event already reached the error banners.
      }
    },

    onMainModelReady: () => set({ modelVersion: get().modelVersion + 1, dataTokenizer: null }),
  };
};
