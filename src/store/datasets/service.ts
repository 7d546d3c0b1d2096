// The datasets' domain work, without zustand or React: IndexedDB storage
// (DatasetRepository), file work on the dataset worker (DataJobs), the starter
// files shipped with the app, and the main model's tokenizer from the trainer
// worker. The slice keeps state and calls this; tests drive it with fakes.

import { expandPhrasings, type PhrasingPool } from '../../experiments/phrasings';
import { dropDuplicates, type DuplicateReport } from '../../data/dedupe';
import type { ColumnMapping, FormatId } from '../../data/formats/types';
import type { ImportProgress } from '../../data/import';
import type { FileSource } from '../../data/jobs';
import { cleanExample, ensureUniqueIds, exampleProblems, type Example } from '../../data/schema';
import type { ExampleTokens, TokenViewOptions } from '../../data/exampleTokens';
import type { DatasetStats } from '../../data/stats';
import { readStarterIndex } from '../../data/starters';
import { DEFAULT_TEMPLATE, templateDefinition, validateUserTemplate, type PromptTemplate } from '../../data/templates';
import { BpeTokenizer } from '../../tokenizer/bpe';
import type { Tokenizer } from '../../tokenizer/types';
import { DATASET_SETTINGS_KEY, DatasetRepository, DatasetStorageError, type DatasetInput, type DatasetMeta, type DatasetRecord } from '../../storage/datasets';
import { plural } from '../../util/text';
import type { WorkerClient } from '../workerClient';
import { DataJobs } from './jobs';
import type { DatasetSettings, DatasetsSlice, ImportDraft } from './state';

/** What the datasets service needs from outside: storage, the dataset worker, the starter files. */
export interface DataDeps {
  repo: DatasetRepository;
  /** Background work: starter datasets, statistics, duplicate search. */
  jobs: DataJobs;
  /** The user's file imports, on their own worker so cancelling one stops nothing else. */
  importJobs: DataJobs;
  /** Tokens of long examples for the table and the token view, on their own worker so a long import or duplicate search never holds them up. */
  tokenJobs: DataJobs;
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
    tokenJobs: over.tokenJobs ?? new DataJobs(),
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

/** The settings as the slice holds them (templates validated); the service stores their definitions. */
export type SettingsState = Pick<DatasetsSlice, 'startersLoaded' | 'selectedDatasetId' | 'templateId' | 'trainOnInputs' | 'pack' | 'overflow' | 'userTemplates'>;

/** Stored settings as read back: only well-formed values, user templates validated again. */
export type StoredSettings = Partial<Omit<DatasetSettings, 'userTemplates'>> & { userTemplates: PromptTemplate[] };

/** A saved import: the stored dataset, the examples it replaced (for undo) and a sentence for the user. */
export type SavedImport =
  | { target: 'new'; saved: DatasetRecord; meta: DatasetMeta; notice: string }
  | { target: 'append'; saved: DatasetRecord; meta: DatasetMeta; added: number; before: Example[]; notice: string };

/** The dataset to select: the stored choice while it exists, else the lesson's tuning set, else the newest. */
export function initialSelection(list: readonly DatasetMeta[], stored: string | null | undefined): string | null {
  if (stored && list.some((d) => d.id === stored)) return stored;
  return list.find((d) => d.id === LESSON_DATASET_ID)?.id ?? list[0]?.id ?? null;
}

/** A dataset's name from the file it came from: "colours.jsonl" -> "colours". */
export function datasetNameOf(fileName: string): string {
  const name = fileName.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '');
  return name.trim() === '' ? 'Imported dataset' : name;
}

/** Takes from stored settings only what is well-formed, so a stale or hand-edited entry never breaks the page. */
export function readSettings(value: unknown): StoredSettings {
  const out: StoredSettings = { userTemplates: [] };
  if (!value || typeof value !== 'object') return out;
  const v = value as Record<string, unknown>;
  if (typeof v.startersLoaded === 'boolean') out.startersLoaded = v.startersLoaded;
  if (typeof v.selectedDatasetId === 'string' || v.selectedDatasetId === null) out.selectedDatasetId = v.selectedDatasetId as string | null;
  if (typeof v.templateId === 'string') out.templateId = v.templateId;
  if (typeof v.trainOnInputs === 'boolean') out.trainOnInputs = v.trainOnInputs;
  if (typeof v.pack === 'boolean') out.pack = v.pack;
  if (v.overflow === 'truncate' || v.overflow === 'drop') out.overflow = v.overflow;
  if (Array.isArray(v.userTemplates)) {
    for (const def of v.userTemplates) {
      if (!def || typeof def !== 'object') continue;
      const r = validateUserTemplate(def as never);
      if (r.ok) out.userTemplates.push(r.template);
    }
  }
  return out;
}

function metaOf(record: DatasetRecord): DatasetMeta {
  const { examples: _e, ...meta } = record;
  return meta;
}

function inputOf(record: DatasetRecord): DatasetInput {
  const { count: _c, updatedAt: _u, ...input } = record;
  return input;
}

export class DatasetsService {
  private saving = false;
  private saveAgain = false;
  private tokenizerFetch: { version: number; done: Promise<{ tokenizer: Tokenizer; json: string }> } | null = null;
  /** Each tokenizer's tokenizer.json text, made once for the dataset worker. */
  private readonly tokenizerJson = new WeakMap<Tokenizer, string>();

  constructor(
    private readonly deps: DataDeps,
    private readonly client: Pick<WorkerClient, 'request'>,
  ) {}

  // ---- settings, the list and single datasets

  /** The stored settings and the saved datasets' list. */
  async load(): Promise<{ settings: StoredSettings; datasets: DatasetMeta[] }> {
    const settings = readSettings(await this.deps.repo.getSetting(DATASET_SETTINGS_KEY));
    return { settings, datasets: await this.deps.repo.list() };
  }

  saveSettings(s: SettingsState): Promise<void> {
    return this.deps.repo.putSetting(DATASET_SETTINGS_KEY, this.settingsRecord(s));
  }

  /** Hears other tabs' dataset writes; returns the unsubscribe. */
  watchOtherTabs(listener: (id: string, version: number | null) => void): () => void {
    return this.deps.repo.changes.subscribe((c) => {
      if (c.kind === 'dataset') listener(c.id, c.version);
    });
  }

  open(id: string): Promise<DatasetRecord | undefined> {
    return this.deps.repo.get(id);
  }

  create(name: string, templateId: string): Promise<DatasetRecord> {
    return this.deps.repo.put(this.newRecord(name, 'created in the studio', [], templateId));
  }

  /**
   * A new dataset holding `source`'s examples expanded through a phrasing pool; `source`
   * itself is not changed. Refused, storing nothing, when the settings cannot apply.
   */
  async expandPhrasings(source: DatasetRecord, pool: PhrasingPool, count: number, templateId: string): Promise<{ saved: DatasetRecord; notice: string }> {
    const r = expandPhrasings(source.examples, pool, count, 1);
    if (r.expanded === 0) {
      throw new Error(pool === 'geo' ? `No example of "${source.name}" is a country question in the pool's phrasings, so there is nothing to rephrase; try the generic framings.` : `"${source.name}" has no instruction examples to rephrase.`);
    }
    const saved = await this.deps.repo.put(this.newRecord(`${source.name} (${count} phrasings)`, `${source.name}, expanded through the ${pool} phrasing pool`, r.examples, templateId));
    return { saved, notice: `Made "${saved.name}": ${plural(r.expanded, 'example')} in ${count} phrasings each${r.unchanged > 0 ? `, ${plural(r.unchanged, 'example')} kept as they were` : ''}; ${plural(r.examples.length, 'example')} in all. "${source.name}" is unchanged.` };
  }

  /**
   * A new dataset of `examples` (pairs the studio wrote and the user reviewed, e.g.
   * self-instruct's). Refused, storing nothing, when an example is not usable: the
   * message names its row and field.
   */
  async saveNew(name: string, source: string, examples: readonly Example[], templateId: string): Promise<DatasetRecord> {
    if (name.trim() === '') throw new Error('Give the new dataset a name.');
    if (examples.length === 0) throw new Error('There is nothing to save: accept at least one example.');
    examples.forEach((ex, i) => {
      const problem = exampleProblems(ex)[0];
      if (problem) throw new Error(`Example ${i + 1} (${problem.field}): ${problem.message}`);
    });
    const copies = examples.map((ex) => cleanExample({ ...ex }));
    ensureUniqueIds(copies);
    return this.deps.repo.put(this.newRecord(name.trim(), source, copies, templateId));
  }

  rename(id: string, name: string): Promise<DatasetMeta> {
    return this.deps.repo.rename(id, name);
  }

  remove(id: string): Promise<void> {
    return this.deps.repo.delete(id);
  }

  /**
   * Stores the starter datasets listed in index.json, except those in `skip`,
   * together with the settings (startersLoaded set) in one transaction.
   * Resolves with the stored datasets' metadata, newest first.
   */
  async addStarters(skip: ReadonlySet<string>, settings: SettingsState): Promise<DatasetMeta[]> {
    const index = readStarterIndex(await this.deps.fetchText(STARTER_INDEX_URL));
    const records: DatasetInput[] = [];
    for (const entry of index) {
      const id = `starter-${entry.id}`;
      if (skip.has(id)) continue;
      const text = await this.deps.fetchText(`./datasets/${entry.file}`);
      const done = await this.deps.jobs.run({ type: 'import', source: { fileName: entry.file, text } });
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
    const value = this.settingsRecord({ ...settings, startersLoaded: true });
    // Starters another tab stored first are kept as they are.
    const saved = await this.deps.repo.putAll(records, { key: DATASET_SETTINGS_KEY, value }, true);
    return saved.map(metaOf).reverse();
  }

  /**
   * Stores the dataset `latest()` gives. A call while a write is under way
   * asks that write for one more round with the then latest dataset, so quick
   * edits share writes; it resolves 'joined' at once and the first call
   * resolves 'saved' once the last round is stored. `onSaved` hears each write.
   */
  async saveLatest(latest: () => DatasetRecord | null, onSaved: (meta: DatasetMeta) => void): Promise<'saved' | 'joined'> {
    if (this.saving) {
      this.saveAgain = true;
      return 'joined';
    }
    this.saving = true;
    try {
      do {
        this.saveAgain = false;
        const record = latest();
        if (!record) break;
        onSaved(metaOf(await this.deps.repo.put(inputOf(record))));
      } while (this.saveAgain);
      return 'saved';
    } finally {
      this.saving = false;
    }
  }

  // ---- the import wizard's work

  /** Detects a file's format and, for a table, its columns. */
  inspect(source: FileSource) {
    return this.deps.importJobs.run({ type: 'inspect', source });
  }

  /** Reads the file as a CSV or TSV table, whatever its name says. */
  inspectAsTable(source: FileSource, format: 'csv' | 'tsv') {
    return this.deps.importJobs.run({ type: 'inspect', source: { ...source, fileName: `${source.fileName}.${format}` } });
  }

  /** Imports the whole file, checking duplicates against `existing` where it is added to a dataset. Nothing is stored. */
  importFile(
    source: FileSource,
    opts: { format?: FormatId | undefined; columnMapping?: ColumnMapping | undefined; existing?: Example[] | undefined },
    onProgress: (p: ImportProgress) => void,
  ) {
    return this.deps.importJobs.run(
      {
        type: 'import',
        source,
        ...(opts.format ? { format: opts.format } : {}),
        ...(opts.columnMapping ? { columnMapping: opts.columnMapping } : {}),
        ...(opts.existing ? { existing: opts.existing } : {}),
      },
      onProgress,
    );
  }

  /** Ends the import or inspection in progress; its promise rejects with DataJobCancelled. */
  cancelImport(): void {
    this.deps.importJobs.cancel();
  }

  /**
   * Stores a reviewed import: as a new dataset, or added to `target` (the
   * open dataset) with repeated ids renamed. Either all of it is stored or
   * nothing, and the promise rejects.
   */
  async saveImport(draft: ImportDraft, target: DatasetRecord | null, templateId: string): Promise<SavedImport> {
    const result = draft.result;
    if (!result) throw new Error('The import has no result to save yet.');
    const added = draft.dropDuplicates ? dropDuplicates(result.examples, result.duplicates) : result.examples;
    const droppedNote = draft.dropDuplicates && result.duplicates.pairs.length > 0 ? ` ${plural(result.duplicates.pairs.length, 'duplicate')} left out.` : '';
    const notes = `${droppedNote}${result.warnings.length > 0 ? ` ${result.warnings.join(' ')}` : ''}`;
    const file = draft.source.fileName;
    if (draft.target === 'new') {
      const saved = await this.deps.repo.put(this.newRecord(datasetNameOf(file), file, added, templateId));
      return { target: 'new', saved, meta: metaOf(saved), notice: `Imported ${plural(added.length, 'example')} from "${file}" as a new dataset.${notes}` };
    }
    if (!target) throw new DatasetStorageError('The dataset to add to is no longer open.', 'not-found');
    // Copies, so renaming a repeated id never touches the examples already stored.
    const combined = [...target.examples, ...added.map((e) => ({ ...e }))];
    ensureUniqueIds(combined);
    const saved = await this.deps.repo.put({ ...inputOf(target), examples: combined });
    return {
      target: 'append',
      saved,
      meta: metaOf(saved),
      added: added.length,
      before: target.examples,
      notice: `Added ${plural(added.length, 'example')} from "${file}" to "${target.name}".${notes}`,
    };
  }

  // ---- background analysis

  /** Near-duplicate pairs within the examples (ROUGE-L), off the main thread. */
  async findDuplicates(examples: Example[], onProgress: (p: ImportProgress) => void): Promise<DuplicateReport> {
    return (await this.deps.jobs.run({ type: 'dedupe', examples }, onProgress)).report;
  }

  /** Length statistics; in tokens too where a tokenizer is given, rendered with the template. */
  async stats(examples: Example[], tokens: { template: PromptTemplate; tokenizerJson: string } | null): Promise<DatasetStats> {
    return (await this.deps.jobs.run({ type: 'stats', examples, ...(tokens ?? {}) })).stats;
  }

  /** Token counts and, with `view`, token views of examples, in the dataset worker. */
  async tokenize(examples: Example[], template: PromptTemplate, tokenizer: Tokenizer, view?: TokenViewOptions): Promise<{ counts: number[]; views: ExampleTokens[] | null }> {
    let tokenizerJson = this.tokenizerJson.get(tokenizer);
    if (tokenizerJson === undefined) this.tokenizerJson.set(tokenizer, (tokenizerJson = JSON.stringify(tokenizer.toJSON())));
    const ev = await this.deps.tokenJobs.run({ type: 'tokens', examples, template, tokenizerJson, ...(view ? { view } : {}) });
    return { counts: ev.counts, views: ev.views };
  }

  /**
   * The main model's tokenizer, read from the trainer worker's export. Calls
   * for the same model version while one is on its way share it.
   */
  tokenizer(version: number): Promise<{ tokenizer: Tokenizer; json: string }> {
    if (this.tokenizerFetch?.version === version) return this.tokenizerFetch.done;
    const done = this.client.request('exportModel', { includeOptimizer: false }).then((ev) => ({
      tokenizer: BpeTokenizer.fromJSON(JSON.parse(ev.tokenizerJson)) as Tokenizer,
      json: ev.tokenizerJson,
    }));
    const fetch = { version, done };
    this.tokenizerFetch = fetch;
    const clear = () => {
      if (this.tokenizerFetch === fetch) this.tokenizerFetch = null;
    };
    done.then(clear, clear);
    return done;
  }

  // ---- helpers

  /** An id for an example added in the studio: the one it has unless taken, else a fresh one. */
  exampleId(wanted: string, taken: ReadonlySet<string>): string {
    let id = wanted && !taken.has(wanted) ? wanted : `new-${this.deps.newId()}`;
    while (taken.has(id)) id = `new-${this.deps.newId()}`;
    return id;
  }

  private newRecord(name: string, source: string, examples: Example[], templateId: string): DatasetInput {
    return { id: `ds-${this.deps.newId()}`, name, source, licence: '', description: '', templateId, examples };
  }

  private settingsRecord(s: SettingsState): DatasetSettings {
    return {
      startersLoaded: s.startersLoaded,
      selectedDatasetId: s.selectedDatasetId,
      templateId: s.templateId,
      trainOnInputs: s.trainOnInputs,
      pack: s.pack,
      overflow: s.overflow,
      userTemplates: s.userTemplates.map(templateDefinition),
    };
  }
}
