// The studio store: one zustand store composed of typed slices, wired to the
// trainer worker through a WorkerClient. `createStudio` builds one without any
// DOM, so tests hand it a client over a fake worker and feed it events.

import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import type { StateStorage } from 'zustand/middleware';
import { DEFAULT_GENERATE_OPTIONS, type GenerateOptions } from '../model/sampling';
import { createBackendSlice } from './backendSlice';
import { createErrorsSlice } from './errorsSlice';
import { createEventSlice } from './events';
import { createGenerationSlice } from './generationSlice';
import { createModelSlice, presetConfig } from './modelSlice';
import { createTrainingSlice } from './training/slice';
import { TrainingService } from './training/service';
import { createDatasetsSlice } from './datasets/slice';
import { DatasetsService, defaultDataDeps, type DataDeps } from './datasets/service';
import { createCheckpointsSlice } from './checkpoints/slice';
import { CheckpointsService, defaultCheckpointDeps, type CheckpointDeps } from './checkpoints/service';
import { createCompareSlice } from './compare/slice';
import { CompareService, defaultShippedFiles, type ShippedFiles } from './compare/service';
import { createLessonsSlice } from './lessons/slice';
import { LessonsService } from './lessons/service';
import { createWorkshopSlice } from './workshop/slice';
import { WorkshopService } from './workshop/service';
import { PackRepository } from '../storage/pack';
import { lessonPreferences, readLessonPreferences, type LessonPreferences } from './lessons/state';
import type { StudioContext, StudioState } from './types';
import { WorkerClient } from './workerClient';

/** Only these small UI preferences survive a reload; models and runs never go to localStorage. */
export interface StudioPreferences extends LessonPreferences {
  presetId: string;
  genOptions: GenerateOptions;
}

export const PREFERENCES_KEY = 'instruct-studio.preferences';
const PREFERENCES_VERSION = 1;

export interface CreateStudioOptions {
  /** The worker client; by default one that starts the real trainer worker on first use. */
  client?: WorkerClient;
  /** Where preferences persist; by default localStorage, or memory where there is none. */
  storage?: StateStorage;
  now?: () => number;
  /** Dataset storage and workers; by default IndexedDB and the dataset worker. */
  data?: Partial<DataDeps>;
  /** Checkpoint and run storage, by default IndexedDB; and how shipped files are fetched, by default fetch. */
  checkpoints?: Partial<CheckpointDeps & ShippedFiles>;
  /** Where a workshop pack's datasets and checkpoints are stored together; by default the studio's database. */
  packs?: PackRepository;
}

export function createStudio(opts: CreateStudioOptions = {}) {
  const client = opts.client ?? new WorkerClient();
  const dataDeps = defaultDataDeps(opts.data);
  const checkpointDeps = defaultCheckpointDeps(opts.checkpoints);
  const datasets = new DatasetsService(dataDeps, client);
  const checkpoints = new CheckpointsService(checkpointDeps, client);
  const shipped = defaultShippedFiles(opts.checkpoints);
  const ctx: StudioContext = {
    client,
    now: opts.now ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now())),
    datasets,
    checkpoints,
    training: new TrainingService(client),
    compare: new CompareService({
      client,
      ...shipped,
      loadCheckpoint: (id) => checkpoints.load(id),
      getDataset: (id) => datasets.open(id),
    }),
    lessons: new LessonsService({ client, fetchText: shipped.fetchText }),
    workshop: new WorkshopService({
      datasets: dataDeps.repo,
      checkpoints: checkpointDeps.checkpoints,
      packs: opts.packs ?? new PackRepository(undefined, dataDeps.repo.changes),
      newId: dataDeps.newId,
      wallClock: checkpointDeps.wallClock,
    }),
  };
  const store = create<StudioState>()(
    persist(
      (set, get) => {
        const partial = (p: Partial<StudioState>) => set(p);
        return {
          ...createBackendSlice(ctx)(partial, get),
          ...createModelSlice(ctx)(partial, get),
          ...createTrainingSlice(ctx)(partial, get),
          ...createGenerationSlice(ctx)(partial, get),
          ...createErrorsSlice(ctx)(partial, get),
          ...createEventSlice(ctx)(partial, get),
          ...createDatasetsSlice(ctx)(partial, get),
          ...createCheckpointsSlice(ctx)(partial, get),
          ...createCompareSlice(ctx)(partial, get),
          ...createLessonsSlice(ctx)(partial, get),
          ...createWorkshopSlice(ctx)(partial, get),
        };
      },
      {
        name: PREFERENCES_KEY,
        version: PREFERENCES_VERSION,
        storage: createJSONStorage(() => opts.storage ?? browserStorage()),
        partialize: (s): StudioPreferences => ({ presetId: s.presetId, genOptions: s.genOptions, ...lessonPreferences(s) }),
        merge: (persisted, current) => ({ ...current, ...readPreferences(persisted, current), ...readLessonPreferences(persisted) }),
      },
    ),
  );
  ctx.client.subscribe((ev) => store.getState().handleEvent(ev));
  // Other tabs' writes: the records this tab shows are read again.
  datasets.watchOtherTabs((id, version) => void store.getState().onDatasetChanged(id, version));
  checkpoints.watchOtherTabs((id) => void store.getState().onCheckpointChanged(id));
  return Object.assign(store, { client: ctx.client });
}

export type StudioStore = ReturnType<typeof createStudio>;

/**
 * Takes from stored preferences only what is well-formed, so a stale or
 * hand-edited localStorage entry can never break the page.
 */
function readPreferences(persisted: unknown, current: StudioState): Partial<StudioState> {
  if (typeof persisted !== 'object' || persisted === null) return {};
  const p = persisted as Partial<Record<keyof StudioPreferences, unknown>>;
  const out: Partial<StudioState> = {};
  if (typeof p.presetId === 'string') {
    const config = presetConfig(p.presetId);
    if (config) Object.assign(out, { presetId: p.presetId, draftConfig: config });
  }
  if (typeof p.genOptions === 'object' && p.genOptions !== null) {
    const g = p.genOptions as Record<string, unknown>;
    const genOptions = { ...current.genOptions };
    for (const key of Object.keys(DEFAULT_GENERATE_OPTIONS) as Array<keyof GenerateOptions>) {
      const v = g[key];
      if (typeof v === typeof DEFAULT_GENERATE_OPTIONS[key] && (typeof v !== 'number' || Number.isFinite(v))) {
        (genOptions as Record<string, unknown>)[key] = v;
      }
    }
    out.genOptions = genOptions;
  }
  return out;
}

/** localStorage where it exists and works (not in Node, not in some private modes); memory otherwise. */
function browserStorage(): StateStorage {
  try {
    if (typeof localStorage !== 'undefined') {
      localStorage.getItem(PREFERENCES_KEY);
      return localStorage;
    }
  } catch {
    // fall through to memory
  }
  return memoryStorage();
}

export function memoryStorage(): StateStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}
