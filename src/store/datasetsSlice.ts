// Instruction datasets in the studio: the saved list, the selected dataset and
// its examples, the import flow (inspect -> set up -> import -> review -> save),
// edits with undo, the prompt template and the encoding switches that training
// uses, and the tokenizer the editor shows tokens with.
//
// Storage goes through DatasetRepository (IndexedDB), file work through the
// dataset worker (DataJobs); both are injected so tests run without a browser.
// Edits show at once and are saved in the background (several quick edits are
// saved together); an import or a new dataset is saved first and shown only
// once stored, so a failure leaves everything as it was.

import { dropDuplicates, type DuplicateReport } from '../data/dedupe';
import type { ImportError } from '../data/errors';
import type { FormatDetection } from '../data/detect';
import type { ImportProgress, ImportResult } from '../data/import';
import type { FileSource } from '../data/jobs';
import type { TablePreview } from '../data/formats/tabular';
import type { ColumnMapping, FormatId } from '../data/formats/types';
import { cleanExample, ensureUniqueIds, exampleProblems, type Example } from '../data/schema';
import type { OverflowRule } from '../data/sequences';
import type { DatasetStats } from '../data/stats';
import {
  BUILTIN_TEMPLATES,
  DEFAULT_TEMPLATE,
  validateTemplate,
  type PromptTemplate,
  type TemplateDefinition,
  type TemplateProblem,
} from '../data/templates';
import { BpeTokenizer } from '../tokenizer/bpe';
import type { Tokenizer } from '../tokenizer/types';
import { DATASET_SETTINGS_KEY, DatasetRepository, DatasetStorageError, type DatasetMeta, type DatasetRecord } from '../storage/datasets';
import { DataJobCancelled, DataJobs } from './dataJobs';
import { allTemplates, currentTemplate } from './selectors';
import type { SliceCreator } from './types';

/** What the datasets slice needs from outside: storage, the dataset worker, the starter files. */
export interface DataDeps {
  repo: DatasetRepository;
  /** Background work: starter datasets, statistics, duplicate search. */
  jobs: DataJobs;
  /** The user's file imports, on their own worker so cancelling one stops nothing else. */
  importJobs: DataJobs;
  /** Reads a file shipped with the app, by URL relative to the page (starter datasets). */
  fetchText: (url: string) => Promise<string>;
  /** A fresh unique id. */
  newId: () => string;
}

export function defaultDataDeps(over: Partial<DataDeps> = {}): DataDeps {
  return {
    repo: over.repo ?? new DatasetRepository(),
    jobs: over.jobs ?? new DataJobs(),
    importJobs: over.importJobs ?? new DataJobs(),
    fetchText:
      over.fetchText ??
      (async (url) => {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`.trim());
        return res.text();
      }),
    newId: over.newId ?? randomId,
  };
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The starter dataset selected on a first visit: the country-facts tuning set the shipped base model is tuned on. */
export const LESSON_DATASET_ID = 'starter-geo-tune';

/** The starter datasets' catalogue, shipped as public/datasets/index.json. */
export const STARTER_INDEX_URL = './datasets/index.json';

export interface StarterEntry {
  id: string;
  file: string;
  title: string;
  description: string;
  licence: string;
  source?: string;
  count?: number;
}

/** The CSV/TSV parts a column can be mapped to, in the order the mapping step shows them. */
export const MAPPING_KEYS: ReadonlyArray<keyof ColumnMapping> = ['instruction', 'input', 'response', 'category', 'system', 'id'];

export type ImportPhase = 'inspecting' | 'setup' | 'importing' | 'review' | 'saving';

/** An import under way. Nothing is stored until `commitImport`. */
export interface ImportDraft {
  source: FileSource;
  bytes: number;
  phase: ImportPhase;
  detection: FormatDetection | null;
  /** The table preview, for CSV/TSV files. */
  table: TablePreview | null;
  /** 'auto' uses the detected format. */
  format: FormatId | 'auto';
  mapping: Partial<ColumnMapping>;
  /** A new dataset, or added to the selected one. */
  target: 'new' | 'append';
  progress: ImportProgress | null;
  result: Extract<ImportResult, { ok: true }> | null;
  /** Off by default: templated (FLAN-style) data is mostly near-duplicates by ROUGE-L. */
  dropDuplicates: boolean;
}

export interface UndoEntry {
  label: string;
  datasetId: string;
  /** The examples before the change. */
  examples: Example[];
}

export type SaveState = 'saved' | 'saving' | 'failed';

/** The small settings kept in IndexedDB beside the datasets. */
export interface DatasetSettings {
  startersLoaded: boolean;
  selectedDatasetId: string | null;
  templateId: string;
  trainOnInputs: boolean;
  pack: boolean;
  overflow: OverflowRule;
  userTemplates: TemplateDefinition[];
}

export interface DataReportInfo {
  summary: string;
  trainExamples: number;
  valExamples: number;
  kept: number;
  truncated: number;
  dropped: number;
  trainedTokens: number;
}

export interface DatasetsSlice {
  datasets: DatasetMeta[];
  datasetsStatus: 'idle' | 'loading' | 'ready' | 'failed';
  /** The last storage problem, as a sentence; cleared by the next success. */
  storageError: string | null;
  selectedDatasetId: string | null;
  /** The selected dataset with its examples, once loaded from storage. */
  activeDataset: DatasetRecord | null;
  saveState: SaveState;
  undoStack: UndoEntry[];
  startersLoaded: boolean;

  importDraft: ImportDraft | null;
  /** Why the last import failed: file, line/record, field and reason. Nothing was changed. */
  importError: ImportError | null;
  /** Warnings and duplicate notes from the last import that was saved. */
  importNotice: string | null;

  /** Duplicates found in the selected dataset, for review. */
  duplicateReport: { datasetId: string; examples: Example[]; report: DuplicateReport } | null;
  duplicateSearch: ImportProgress | null;

  stats: { examples: Example[]; templateId: string; withTokens: boolean; stats: DatasetStats } | null;

  userTemplates: PromptTemplate[];
  templateId: string;
  trainOnInputs: boolean;
  pack: boolean;
  overflow: OverflowRule;

  /** The main model's tokenizer on this thread, for token counts and the token view. */
  dataTokenizer: { modelVersion: number; tokenizer: Tokenizer; json: string } | null;
  /** Counts main models announced, so a tokenizer is never used with the wrong model. */
  modelVersion: number;

  loadDatasets: () => Promise<void>;
  addStarterDatasets: () => Promise<void>;
  selectDataset: (id: string | null) => Promise<void>;
  createDataset: (name?: string) => Promise<string | null>;
  renameDataset: (id: string, name: string) => Promise<void>;
  deleteDataset: (id: string) => Promise<void>;

  chooseImportFile: (file: FileSource) => Promise<void>;
  setImportFormat: (format: FormatId | 'auto') => Promise<void>;
  setImportMapping: (key: keyof ColumnMapping, column: string) => void;
  setImportTarget: (target: 'new' | 'append') => void;
  setImportDropDuplicates: (drop: boolean) => void;
  runImport: () => Promise<void>;
  commitImport: () => Promise<void>;
  cancelImport: () => void;
  dismissImportError: () => void;
  dismissImportNotice: () => void;

  addExample: (example: Example) => string | null;
  updateExample: (id: string, example: Example) => boolean;
  deleteExample: (id: string) => void;
  undo: () => void;
  retrySave: () => void;

  findDatasetDuplicates: () => Promise<void>;
  dropDatasetDuplicates: () => void;
  refreshStats: () => Promise<void>;

  setTemplateId: (id: string) => void;
  addUserTemplate: (def: TemplateDefinition) => { ok: true; template: PromptTemplate } | { ok: false; problems: TemplateProblem[] };
  deleteUserTemplate: (id: string) => void;
  setTrainOnInputs: (on: boolean) => void;
  setPack: (on: boolean) => void;
  setOverflow: (rule: OverflowRule) => void;

  /** Fetches the main model's tokenizer once per model (through exportModel). */
  ensureDataTokenizer: () => Promise<void>;
}

/** Most undo steps kept; each holds an array of references, not copies of the examples. */
export const MAX_UNDO = 50;

// ---------------------------------------------------------------- helpers (pure)

function baseName(fileName: string): string {
  const name = fileName.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '');
  return name.trim() === '' ? 'Imported dataset' : name;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function readStarterIndex(text: string): StarterEntry[] {
  const doc: unknown = JSON.parse(text);
  if (!Array.isArray(doc)) throw new Error('index.json is not a list of datasets');
  return doc.filter((e): e is StarterEntry => {
    const r = e as Partial<StarterEntry> | null;
    return !!r && typeof r.id === 'string' && typeof r.file === 'string' && typeof r.title === 'string';
  });
}

function readSettings(value: unknown): Partial<DatasetSettings> {
  if (!value || typeof value !== 'object') return {};
  const v = value as Record<string, unknown>;
  const out: Partial<DatasetSettings> = {};
  if (typeof v.startersLoaded === 'boolean') out.startersLoaded = v.startersLoaded;
  if (typeof v.selectedDatasetId === 'string' || v.selectedDatasetId === null) out.selectedDatasetId = v.selectedDatasetId as string | null;
  if (typeof v.templateId === 'string') out.templateId = v.templateId;
  if (typeof v.trainOnInputs === 'boolean') out.trainOnInputs = v.trainOnInputs;
  if (typeof v.pack === 'boolean') out.pack = v.pack;
  if (v.overflow === 'truncate' || v.overflow === 'drop') out.overflow = v.overflow;
  if (Array.isArray(v.userTemplates)) out.userTemplates = v.userTemplates.filter((t) => t && typeof t === 'object') as TemplateDefinition[];
  return out;
}

function definitionOf(t: PromptTemplate): TemplateDefinition {
  const def: TemplateDefinition = {
    id: t.id,
    name: t.name,
    description: t.description,
    prompt: t.prompt,
    response: t.response,
    system: t.system,
    defaultSystem: t.defaultSystem,
    turnSeparator: t.turnSeparator,
  };
  if (t.promptNoInput !== undefined) def.promptNoInput = t.promptNoInput;
  return def;
}

// ---------------------------------------------------------------- the slice

export const createDatasetsSlice: SliceCreator<DatasetsSlice> = (ctx) => (set, get) => {
  const deps = ctx.data;
  const { repo, jobs, importJobs } = deps;


  const storageFailed = (e: unknown): string => {
    const message = messageOf(e);
    set({ storageError: message });
    return message;
  };

  const settingsNow = (): DatasetSettings => {
    const s = get();
    return {
      startersLoaded: s.startersLoaded,
      selectedDatasetId: s.selectedDatasetId,
      templateId: s.templateId,
      trainOnInputs: s.trainOnInputs,
      pack: s.pack,
      overflow: s.overflow,
      userTemplates: s.userTemplates.map(definitionOf),
    };
  };

  const saveSettings = (): void => {
    repo.putSetting(DATASET_SETTINGS_KEY, settingsNow()).catch((e: unknown) => storageFailed(e));
  };

  const updateMeta = (meta: DatasetMeta): void => {
    const rest = get().datasets.filter((d) => d.id !== meta.id);
    set({ datasets: [meta, ...rest] });
  };

  // ---- background saving of the active dataset (coalesced)
  let saving = false;
  let saveAgain = false;
  const flush = async (): Promise<void> => {
    if (saving) {
      saveAgain = true;
      return;
    }
    saving = true;
    set({ saveState: 'saving' });
    try {
      do {
        saveAgain = false;
        const active = get().activeDataset;
        if (!active) break;
        const { count: _c, updatedAt: _u, ...input } = active;
        const saved = await repo.put(input);
        const { examples: _e, ...meta } = saved;
        if (get().activeDataset?.id === saved.id) updateMeta(meta);
      } while (saveAgain);
      set({ saveState: 'saved', storageError: null });
    } catch (e) {
      set({ saveState: 'failed' });
      const base = messageOf(e);
      set({ storageError: `${base}${/Nothing was changed/.test(base) ? ' Your latest edits are still on screen but not saved.' : ' Your latest edits are on screen but not saved yet.'}` });
    } finally {
      saving = false;
    }
  };

  /** Replaces the active dataset's examples, remembering the old ones for undo, and saves. */
  const changeExamples = (label: string, next: Example[]): void => {
    const active = get().activeDataset;
    if (!active) return;
    const undoStack = [...get().undoStack, { label, datasetId: active.id, examples: active.examples }].slice(-MAX_UNDO);
    set({ activeDataset: { ...active, examples: next, count: next.length }, undoStack });
    void flush();
  };

  const recordFor = (name: string, source: string, examples: Example[], extra: Partial<DatasetMeta> = {}) => ({
    id: `ds-${deps.newId()}`,
    name,
    source,
    licence: extra.licence ?? '',
    description: extra.description ?? '',
    templateId: extra.templateId ?? get().templateId,
    examples,
  });

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

  const importStarters = async (missingOnly: boolean): Promise<number> => {
    const index = readStarterIndex(await deps.fetchText(STARTER_INDEX_URL));
    const have = new Set(get().datasets.map((d) => d.id));
    const records = [];
    for (const entry of index) {
      const id = `starter-${entry.id}`;
      if (missingOnly && have.has(id)) continue;
      const text = await deps.fetchText(`./datasets/${entry.file}`);
      const done = await jobs.run({ type: 'import', source: { fileName: entry.file, text } });
      if (!done.result.ok) throw new Error(done.result.error.message);
      records.push({
        id,
        name: entry.title,
        source: `starter: ${entry.file}${entry.source ? ` (${entry.source})` : ''}`,
        licence: entry.licence,
        description: entry.description,
        templateId: DEFAULT_TEMPLATE.id,
        examples: done.result.examples,
      });
    }
    set({ startersLoaded: true });
    const saved = await repo.putAll(records, { key: DATASET_SETTINGS_KEY, value: settingsNow() });
    for (const r of saved.slice().reverse()) {
      const { examples: _e, ...meta } = r;
      updateMeta(meta);
    }
    return saved.length;
  };

  let statsRun = 0;
  let tokenizerFetch: Promise<void> | null = null;

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
    pack: false,
    overflow: 'truncate',
    dataTokenizer: null,
    modelVersion: 0,

    loadDatasets: async () => {
      if (get().datasetsStatus === 'loading') return;
      set({ datasetsStatus: 'loading' });
      let settings: Partial<DatasetSettings>;
      try {
        settings = readSettings(await repo.getSetting(DATASET_SETTINGS_KEY));
        set({ datasets: await repo.list() });
      } catch (e) {
        storageFailed(e);
        set({ datasetsStatus: 'failed' });
        return;
      }
      const userTemplates: PromptTemplate[] = [];
      for (const def of settings.userTemplates ?? []) {
        const r = validateTemplate(def);
        if (r.ok && !BUILTIN_TEMPLATES.some((b) => b.id === r.template.id)) userTemplates.push(r.template);
      }
      set({
        userTemplates,
        startersLoaded: settings.startersLoaded ?? false,
        ...(settings.templateId ? { templateId: settings.templateId } : {}),
        ...(settings.trainOnInputs !== undefined ? { trainOnInputs: settings.trainOnInputs } : {}),
        ...(settings.pack !== undefined ? { pack: settings.pack } : {}),
        ...(settings.overflow ? { overflow: settings.overflow } : {}),
      });
      if (!get().startersLoaded) {
        try {
          await importStarters(false);
        } catch (e) {
          set({ storageError: `The starter datasets could not be added: ${messageOf(e)}` });
        }
      }
      set({ datasetsStatus: 'ready' });
      const list = get().datasets;
      // First visit: the lesson's tuning set (it matches the shipped base model), else the newest.
      const lesson = list.find((d) => d.id === LESSON_DATASET_ID)?.id;
      const wanted = settings.selectedDatasetId && list.some((d) => d.id === settings.selectedDatasetId) ? settings.selectedDatasetId : (lesson ?? list[0]?.id ?? null);
      await get().selectDataset(wanted);
    },

    addStarterDatasets: async () => {
      try {
        const n = await importStarters(true);
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
      if (get().activeDataset?.id === id) {
        set({ selectedDatasetId: id });
        return;
      }
      set({ selectedDatasetId: id });
      try {
        const record = await repo.get(id);
        if (get().selectedDatasetId !== id) return; // another choice came in meanwhile
        applySelection(record ?? null);
        if (!record) set({ datasets: get().datasets.filter((d) => d.id !== id) });
        saveSettings();
      } catch (e) {
        storageFailed(e);
      }
    },

    createDataset: async (name = 'New dataset') => {
      const input = recordFor(name, 'created in the studio', []);
      try {
        const saved = await repo.put(input);
        const { examples: _e, ...meta } = saved;
        updateMeta(meta);
        applySelection(saved);
        saveSettings();
        set({ storageError: null });
        return saved.id;
      } catch (e) {
        storageFailed(e);
        return null;
      }
    },

    renameDataset: async (id, name) => {
      try {
        const meta = await repo.rename(id, name);
        set({ datasets: get().datasets.map((d) => (d.id === id ? meta : d)), storageError: null });
        const active = get().activeDataset;
        if (active?.id === id) set({ activeDataset: { ...active, name: meta.name } });
      } catch (e) {
        storageFailed(e);
      }
    },

    deleteDataset: async (id) => {
      try {
        await repo.delete(id);
      } catch (e) {
        storageFailed(e);
        return;
      }
      const datasets = get().datasets.filter((d) => d.id !== id);
      set({ datasets, storageError: null });
      if (get().selectedDatasetId === id) await get().selectDataset(datasets[0]?.id ?? null);
    },

    // ---- import

    chooseImportFile: async (source) => {
      importJobs.cancel();
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
        const ev = await importJobs.run({ type: 'inspect', source });
        if (get().importDraft?.source !== source) return;
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
      const wantsTable = format === 'csv' || format === 'tsv';
      if (wantsTable && !d.table) {
        try {
          const ev = await importJobs.run({ type: 'inspect', source: { ...d.source, fileName: `${d.source.fileName}.${format}` } });
          const now = get().importDraft;
          if (now?.source !== d.source) return;
          set({ importDraft: { ...now, table: ev.table, mapping: ev.table ? { ...ev.table.guess.mapping } : {} } });
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
      const format = d.format === 'auto' ? undefined : d.format;
      const isTable = format === 'csv' || format === 'tsv' || (format === undefined && d.detection?.container === 'delimited');
      const existing = d.target === 'append' ? get().activeDataset?.examples : undefined;
      if (d.target === 'append' && !existing) {
        set({ importError: { file: d.source.fileName, reason: 'choose a dataset to add to', message: 'Choose the dataset to add the examples to, or import them as a new dataset.' } });
        return;
      }
      let columnMapping: ColumnMapping | undefined;
      if (isTable && d.table) {
        if (!d.mapping.instruction || !d.mapping.response) {
          const missing = [!d.mapping.instruction ? 'instruction' : '', !d.mapping.response ? 'response' : ''].filter(Boolean).join(' and the ');
          set({
            importError: {
              file: d.source.fileName,
              line: 1,
              field: !d.mapping.instruction ? 'instruction' : 'response',
              reason: `choose which column holds the ${missing}`,
              message: `"${d.source.fileName}", line 1: choose which column holds the ${missing}.`,
            },
          });
          return;
        }
        columnMapping = d.mapping as ColumnMapping;
      }
      set({ importDraft: { ...d, phase: 'importing', progress: null }, importError: null });
      try {
        const ev = await importJobs.run(
          {
            type: 'import',
            source: d.source,
            ...(format ? { format } : {}),
            ...(columnMapping ? { columnMapping } : {}),
            ...(existing ? { existing } : {}),
          },
          (progress) => {
            const now = get().importDraft;
            if (now?.source === d.source && now.phase === 'importing') set({ importDraft: { ...now, progress } });
          },
        );
        if (get().importDraft?.source !== d.source) return;
        if (!ev.result.ok) {
          // All or nothing: the draft goes, nothing was stored, the message says where.
          set({ importDraft: null, importError: ev.result.error });
          return;
        }
        set({ importDraft: { ...d, phase: 'review', progress: null, result: ev.result } });
      } catch (e) {
        if (e instanceof DataJobCancelled) return;
        set({ importDraft: null, importError: { file: d.source.fileName, reason: messageOf(e), message: `"${d.source.fileName}" could not be imported: ${messageOf(e)}` } });
      }
    },

    commitImport: async () => {
      const d = get().importDraft;
      if (!d || d.phase !== 'review' || !d.result) return;
      const result = d.result;
      const added = d.dropDuplicates ? dropDuplicates(result.examples, result.duplicates) : result.examples;
      const droppedNote = d.dropDuplicates && result.duplicates.pairs.length > 0 ? ` ${plural(result.duplicates.pairs.length, 'duplicate')} left out.` : '';
      const warningNote = result.warnings.length > 0 ? ` ${result.warnings.join(' ')}` : '';
      set({ importDraft: { ...d, phase: 'saving' } });
      try {
        if (d.target === 'new') {
          const input = recordFor(baseName(d.source.fileName), d.source.fileName, added);
          const saved = await repo.put(input);
          const { examples: _e, ...meta } = saved;
          updateMeta(meta);
          applySelection(saved);
          saveSettings();
          set({ importDraft: null, storageError: null, importNotice: `Imported ${plural(added.length, 'example')} from "${d.source.fileName}" as a new dataset.${droppedNote}${warningNote}` });
          return;
        }
        const active = get().activeDataset;
        if (!active) throw new DatasetStorageError('The dataset to add to is no longer open.', 'not-found');
        // Copies, so renaming a repeated id never touches the examples already stored.
        const combined = [...active.examples, ...added.map((e) => ({ ...e }))];
        ensureUniqueIds(combined);
        const { count: _c, updatedAt: _u, ...rest } = active;
        const saved = await repo.put({ ...rest, examples: combined });
        const { examples: _e, ...meta } = saved;
        updateMeta(meta);
        const undoStack = [...get().undoStack, { label: `import of ${plural(added.length, 'example')}`, datasetId: active.id, examples: active.examples }].slice(-MAX_UNDO);
        set({
          activeDataset: get().activeDataset?.id === active.id ? saved : get().activeDataset,
          undoStack,
          importDraft: null,
          storageError: null,
          duplicateReport: null,
          importNotice: `Added ${plural(added.length, 'example')} from "${d.source.fileName}" to "${active.name}".${droppedNote}${warningNote}`,
        });
      } catch (e) {
        // Nothing was stored: keep the review open so the user can free space and try again.
        set({ importDraft: { ...d, phase: 'review' } });
        storageFailed(e);
      }
    },

    cancelImport: () => {
      if (get().importDraft?.phase === 'importing' || get().importDraft?.phase === 'inspecting') importJobs.cancel();
      set({ importDraft: null });
    },

    dismissImportError: () => set({ importError: null }),
    dismissImportNotice: () => set({ importNotice: null }),

    // ---- editing

    addExample: (example) => {
      const active = get().activeDataset;
      if (!active || exampleProblems(example).length > 0) return null;
      const ids = new Set(active.examples.map((e) => e.id));
      let id = example.id && !ids.has(example.id) ? example.id : `new-${deps.newId()}`;
      while (ids.has(id)) id = `new-${deps.newId()}`;
      const added = { ...cleanExample(example), id, source: example.source || 'studio' } as Example;
      changeExamples('add example', [...active.examples, added]);
      return id;
    },

    updateExample: (id, example) => {
      const active = get().activeDataset;
      if (!active || exampleProblems(example).length > 0) return false;
      const k = active.examples.findIndex((e) => e.id === id);
      if (k < 0) return false;
      const next = active.examples.slice();
      next[k] = { ...cleanExample(example), id } as Example;
      changeExamples('edit', next);
      return true;
    },

    deleteExample: (id) => {
      const active = get().activeDataset;
      if (!active) return;
      const next = active.examples.filter((e) => e.id !== id);
      if (next.length !== active.examples.length) changeExamples('delete', next);
    },

    undo: () => {
      const s = get();
      const entry = s.undoStack[s.undoStack.length - 1];
      if (!entry || !s.activeDataset || entry.datasetId !== s.activeDataset.id) return;
      set({ activeDataset: { ...s.activeDataset, examples: entry.examples, count: entry.examples.length }, undoStack: s.undoStack.slice(0, -1) });
      void flush();
    },

    retrySave: () => void flush(),

    // ---- duplicates and statistics

    findDatasetDuplicates: async () => {
      const active = get().activeDataset;
      if (!active) return;
      const examples = active.examples;
      set({ duplicateSearch: { phase: 'dedupe', done: 0, total: examples.length }, duplicateReport: null });
      try {
        const ev = await jobs.run({ type: 'dedupe', examples }, (p) => set({ duplicateSearch: p }));
        set({ duplicateReport: { datasetId: active.id, examples, report: ev.report }, duplicateSearch: null });
      } catch (e) {
        set({ duplicateSearch: null });
        if (!(e instanceof DataJobCancelled)) set({ storageError: `The duplicate search failed: ${messageOf(e)}` });
      }
    },

    dropDatasetDuplicates: () => {
      const s = get();
      const r = s.duplicateReport;
      if (!r || !s.activeDataset || r.datasetId !== s.activeDataset.id || r.examples !== s.activeDataset.examples) return;
      if (r.report.pairs.length === 0) return;
      changeExamples(`drop ${plural(r.report.pairs.length, 'duplicate')}`, dropDuplicates(r.examples, r.report));
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
        const ev = await jobs.run({
          type: 'stats',
          examples: active.examples,
          ...(tok ? { template, tokenizerJson: tok.json } : {}),
        });
        if (run !== statsRun) return;
        set({ stats: { examples: active.examples, templateId: template.id, withTokens: tok !== null, stats: ev.stats } });
      } catch (e) {
        if (!(e instanceof DataJobCancelled) && run === statsRun) set({ storageError: `Statistics could not be computed: ${messageOf(e)}` });
      }
    },

    // ---- template and encoding choices

    setTemplateId: (id) => {
      if (!allTemplates(get()).some((t) => t.id === id)) return;
      set({ templateId: id });
      const active = get().activeDataset;
      if (active && active.templateId !== id) {
        set({ activeDataset: { ...active, templateId: id } });
        void flush();
      }
      saveSettings();
    },

    addUserTemplate: (def) => {
      const r = validateTemplate(def);
      if (!r.ok) return r;
      if (BUILTIN_TEMPLATES.some((b) => b.id === r.template.id)) {
        return { ok: false, problems: [{ part: 'name', message: `"${r.template.name}" is the name of a built-in template; choose another name.` }] };
      }
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

    ensureDataTokenizer: async () => {
      const s = get();
      if (!s.model || s.modelStatus !== 'ready') return;
      if (s.dataTokenizer?.modelVersion === s.modelVersion) return;
      if (tokenizerFetch) return tokenizerFetch;
      const version = s.modelVersion;
      tokenizerFetch = (async () => {
        try {
          const ev = await ctx.client.request('exportModel', { includeOptimizer: false });
          if (get().modelVersion !== version) return;
          const tokenizer = BpeTokenizer.fromJSON(JSON.parse(ev.tokenizerJson));
          set({ dataTokenizer: { modelVersion: version, tokenizer, json: ev.tokenizerJson } });
        } catch {
          // The worker's error event already reached the error banners.
        } finally {
          tokenizerFetch = null;
        }
      })();
      return tokenizerFetch;
    },
  };
};
