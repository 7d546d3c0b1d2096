// What the datasets slice holds and offers: the saved list, the selected
// dataset and its examples, the import wizard (inspect -> set up -> import ->
// review -> save), edits with undo, the prompt template and the encoding
// switches that training uses, and the tokenizer the editor shows tokens with.
// Types only, so src/store/types.ts can compose StudioState from it without
// importing the slice.

import type { PhrasingPool } from '../../experiments/phrasings';
import type { DuplicateReport } from '../../data/dedupe';
import type { FormatDetection } from '../../data/detect';
import type { ImportError } from '../../data/errors';
import type { ExampleTokens, TokenViewOptions } from '../../data/exampleTokens';
import type { ColumnMapping, FormatId } from '../../data/formats/types';
import type { TablePreview } from '../../data/formats/tabular';
import type { ImportProgress, ImportResult } from '../../data/import';
import type { FileSource } from '../../data/jobs';
import type { Example } from '../../data/schema';
import type { OverflowRule } from '../../data/sequences';
import type { DatasetStats } from '../../data/stats';
import type { PromptTemplate, TemplateDefinition, TemplateProblem } from '../../data/templates';
import type { Tokenizer } from '../../tokenizer/types';
import type { DatasetMeta, DatasetRecord } from '../../storage/datasets';

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
  /**
   * Saves a copy of the open dataset expanded through a phrasing pool and opens it (the
   * original is unchanged); resolves with why it could not, or null.
   */
  expandPhrasings: (pool: PhrasingPool, count: number) => Promise<string | null>;
  /**
   * Saves `examples` (written in the studio, e.g. reviewed self-instruct pairs) as a new
   * dataset and opens it; resolves with why it could not (nothing stored then), or null.
   */
  saveExamplesAsDataset: (name: string, source: string, examples: readonly Example[]) => Promise<string | null>;
  updateExample: (id: string, example: Example) => boolean;
  deleteExample: (id: string) => void;
  undo: () => void;
  retrySave: () => void;
  /** Another tab stored (`version`) or deleted (null) the dataset `id`: reload what this tab shows of it. */
  onDatasetChanged: (id: string, version: number | null) => Promise<void>;

  findDatasetDuplicates: () => Promise<void>;
  dropDatasetDuplicates: () => void;
  refreshStats: () => Promise<void>;
  /**
   * Token counts of `examples` and, with `view`, their token views, computed in
   * the dataset worker: for examples too long to encode on the page's thread.
   */
  tokenizeInWorker: (examples: Example[], template: PromptTemplate, tokenizer: Tokenizer, view?: TokenViewOptions) => Promise<{ counts: number[]; views: ExampleTokens[] | null }>;

  setTemplateId: (id: string) => void;
  addUserTemplate: (def: TemplateDefinition) => { ok: true; template: PromptTemplate } | { ok: false; problems: TemplateProblem[] };
  deleteUserTemplate: (id: string) => void;
  setTrainOnInputs: (on: boolean) => void;
  setPack: (on: boolean) => void;
  setOverflow: (rule: OverflowRule) => void;

  /** Fetches the main model's tokenizer once per model (through exportModel). */
  ensureDataTokenizer: () => Promise<void>;
  /** A new main model was announced: any tokenizer fetched before belongs to the old one. */
  onMainModelReady: () => void;
}
