// For the store's tests: a whole studio over a fake worker and a fresh
// fake-indexeddb database, and checkpoint files as the engine would send them.
// The test file imports 'fake-indexeddb/auto' first.

import { encodeCheckpoint } from '../checkpoint/file';
import { TINY_TOKENIZER } from '../checkpoint/fixtures';
import { initParameters } from '../model/gpt';
import type { ModelConfig } from '../model/config';
import { dataFingerprint } from '../train/fingerprint';
import { META } from '../checkpoint/format';
import type { BackendReport } from '../worker/backends';
import type { EventOf } from '../worker/protocol';
import type { CheckpointInfo } from '../checkpoint/info';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import type { RunState, TrainingData } from '../train/run';
import { CheckpointRepository } from '../storage/checkpoints';
import { silentFeed, type ChangeFeed } from '../storage/changes';
import { DatasetRepository } from '../storage/datasets';
import { openStudioDb } from '../storage/db';
import type { Locks } from '../storage/locks';
import { createInProcessDataWorker, DataJobs } from './datasets/jobs';
import { RunRepository } from '../storage/runs';
import { createStudio, memoryStorage } from './studio';
import { fakeClient } from './fakeWorker';

export const REPORT: BackendReport = { name: 'cpu', reason: 'CPU', skipped: [], limits: { maxBufferBytes: 2 ** 28, maxBindingBytes: 2 ** 27, memoryBudgetBytes: 2 ** 30 } };
export const config: ModelConfig = { vocabSize: 260, contextLength: 8, width: 8, layers: 1, heads: 2 };
export const TEXT: TrainingData = { kind: 'text', text: 'the cat sat on the mat' };
export const flush = () => new Promise((r) => setTimeout(r, 20));
/** Waits (2 s at most) until `ok()` holds: for an action that reads storage before it posts, on a busy machine. */
export async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
}

let dbCount = 0;
/**
 * How a studio shares with others on the same database, to play a second tab:
 * `changes`, its end of the tabs' channel (by default one nobody else hears);
 * `locks`, the Web Locks the tabs share (by default its own).
 */
export interface TabOptions {
  changes?: ChangeFeed;
  locks?: Locks;
  /** Datasets in the same database too (by default the datasets repository's own default). */
  datasets?: boolean;
}

/** A studio with its own database (or `dbName`'s, to play a reload or a second tab), shipped files served from `files`. */
export function setup(dbName = `slice-test-${++dbCount}`, tab: TabOptions = {}) {
  const { client, workers } = fakeClient();
  let ids = 0;
  const changes = tab.changes ?? silentFeed;
  const checkpoints = new CheckpointRepository({ open: () => openStudioDb(dbName), changes });
  const runs = new RunRepository(() => openStudioDb(dbName));
  const datasets = new DatasetRepository({ open: () => openStudioDb(dbName), changes });
  const files = new Map<string, string>();
  const store = createStudio({
    client,
    storage: memoryStorage(),
    ...(tab.datasets ? { data: { repo: datasets, jobs: new DataJobs(createInProcessDataWorker), importJobs: new DataJobs(createInProcessDataWorker), tokenJobs: new DataJobs(createInProcessDataWorker) } } : {}),
    checkpoints: {
      ...(tab.locks ? { locks: tab.locks } : {}),
      checkpoints,
      runs,
      newId: () => `run${++ids}`,
      estimate: async () => ({ usage: 1000, quota: 10_000 }),
      persisted: async () => 'best-effort',
      persist: async () => 'persistent',
      fetchText: async (url) => {
        const t = files.get(url);
        if (t === undefined) throw new Error(`${url} answered 404`);
        return t;
      },
      fetchBytes: async () => new ArrayBuffer(8),
    },
  });
  const worker = () => workers.at(-1)!;
  const ready = async () => {
    store.getState().initBackend();
    worker().send({ type: 'backend', report: REPORT });
    await store.getState().initCheckpoints();
    worker().modelReady({ config, paramCount: 1, tokenizerVocab: 260, name: 'Micro', step: 0, slot: 'main' });
  };
  return { store, client, worker, ready, checkpoints, runs, datasets, files, dbName, state: () => store.getState() };
}

export function runState(runStep: number, data: TrainingData = TEXT): RunState {
  return {
    runStep,
    totalSteps: 10,
    options: { ...DEFAULT_TRAIN_OPTIONS, steps: 10, seed: 3 },
    samplerState: { state: 99, spareNormal: null },
    dataHash: dataFingerprint(data),
    dataKind: data.kind,
    lossHistory: Array.from({ length: runStep }, (_, i) => ({ step: i + 1, loss: 6 - i * 0.25 })),
    valHistory: [{ step: 4, loss: 5.5 }],
  };
}

/** The event the engine sends with a checkpoint file it took by itself. */
export function checkpointEvent(runStep: number, reason: 'autosave' | 'pause' | 'stop' | 'done' | 'request' = 'autosave', width = 8): EventOf<'autoCheckpoint'> {
  const cfg = { ...config, width };
  const weights = initParameters(cfg, 1);
  const moments = new Map([...weights].map(([n, t]) => [n, { shape: t.shape, data: new Float32Array(t.data.length) }]));
  const run = runState(runStep);
  const info: CheckpointInfo = { name: 'Micro', step: runStep, config: cfg, hasOptimizer: true, run, createdAt: 5000 + runStep };
  const bytes = encodeCheckpoint({
    config: cfg,
    weights,
    optimizer: { step: runStep, m: moments, v: moments },
    meta: { [META.name]: 'Micro', [META.step]: String(runStep), [META.tokenizer]: TINY_TOKENIZER, [META.createdAt]: String(info.createdAt), [META.run]: JSON.stringify(run) },
  });
  return { type: 'autoCheckpoint', reason, bytes: bytes.buffer as ArrayBuffer, info };
}
