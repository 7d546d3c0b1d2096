// CheckpointsService without a store: fake-indexeddb holds checkpoints and runs,
// a fake worker answers its requests.

import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { tinyCheckpoint } from '../../checkpoint/fixtures';
import { CheckpointRepository, CheckpointStorageError } from '../../storage/checkpoints';
import { openStudioDb } from '../../storage/db';
import { autosaveId, RunRepository } from '../../storage/runs';
import type { TrainingData } from '../../train/run';
import { FakeWorker } from '../fakeWorker';
import { checkpointEvent, flush, runState, TEXT } from '../testStudio';
import { WorkerClient } from '../workerClient';
import { CheckpointsService, defaultCheckpointDeps } from './service';

let dbCount = 0;
function setup() {
  const db = `ckpt-service-${++dbCount}`;
  const worker = new FakeWorker();
  const checkpoints = new CheckpointRepository({ open: () => openStudioDb(db) });
  const runs = new RunRepository(() => openStudioDb(db));
  let ids = 0;
  const svc = new CheckpointsService(defaultCheckpointDeps({ checkpoints, runs, newId: () => `run${++ids}`, wallClock: () => 1000 }), new WorkerClient(() => worker));
  return { svc, worker, checkpoints, runs };
}

const options = runState(0).options;

describe('CheckpointsService', () => {
  it('records a run as active, keeps one autosave per run replaced in place, and ends the run with its status', async () => {
    const t = setup();
    const { id, recorded } = t.svc.startRun(TEXT, options, 'Micro');
    await recorded;
    expect(await t.runs.active()).toMatchObject({ id, status: 'running', modelName: 'Micro', data: TEXT });
    const a = await t.svc.storeAutosave(id, checkpointEvent(3));
    const b = await t.svc.storeAutosave(id, checkpointEvent(6));
    expect([a.kind, b.kind]).toEqual(['saved', 'saved']);
    expect((await t.svc.list()).map((c) => [c.id, c.runStep, c.runId])).toEqual([[autosaveId(id), 6, id]]);
    t.svc.setRunStatus(id, 'done');
    await flush();
    expect(await t.runs.active()).toBeUndefined();
    expect(await t.runs.get(id)).toMatchObject({ status: 'done' });
  });

  it('tells a full disk apart from other failures of an autosave', async () => {
    const t = setup();
    const save = vi.spyOn(t.checkpoints, 'save');
    save.mockRejectedValueOnce(new CheckpointStorageError('Storage is full.', 'quota'));
    expect(await t.svc.storeAutosave('run1', checkpointEvent(5))).toEqual({ kind: 'full', message: expect.stringMatching(/^Storage is full\. Autosave is now off/) });
    save.mockRejectedValueOnce(new Error('disk on fire'));
    expect(await t.svc.storeAutosave('run1', checkpointEvent(5))).toEqual({ kind: 'failed', message: 'Autosave at step 5 failed: disk on fire' });
    expect(await t.svc.list()).toEqual([]);
  });

  it('offers an active run whose autosave is short of its end, and nothing else', async () => {
    const t = setup();
    expect(await t.svc.interruptedRun([])).toBeNull();
    const { id, recorded } = t.svc.startRun(TEXT, options, 'Micro');
    await recorded;
    expect(await t.svc.interruptedRun(await t.svc.list())).toBeNull();
    await t.svc.storeAutosave(id, checkpointEvent(4));
    expect(await t.svc.interruptedRun(await t.svc.list())).toMatchObject({ runId: id, modelName: 'Micro', checkpointId: autosaveId(id), runStep: 4, totalSteps: 10 });
    await t.svc.storeAutosave(id, checkpointEvent(10, 'done'));
    expect(await t.svc.interruptedRun(await t.svc.list())).toBeNull();
    await t.svc.storeAutosave(id, checkpointEvent(7));
    await t.svc.forgetActiveRun();
    expect(await t.svc.interruptedRun(await t.svc.list())).toBeNull();
  });

  it('resumes only a run whose record, steps left and data still fit its checkpoint', async () => {
    const t = setup();
    const { id, recorded } = t.svc.startRun(TEXT, options, 'Micro');
    await recorded;
    await t.svc.storeAutosave(id, checkpointEvent(4));
    const plan = await t.svc.prepareResume(autosaveId(id));
    expect(plan).toMatchObject({ run: { id, data: TEXT }, runState: { runStep: 4, totalSteps: 10 } });
    void t.svc.resume(plan);
    await flush();
    expect(t.worker.last('train')).toMatchObject({ data: TEXT, options: runState(4).options, resume: { runStep: 4, samplerState: { state: 99, spareNormal: null }, dataHash: runState(4).dataHash } });
    expect(await t.runs.active()).toMatchObject({ id, status: 'running' });

    await t.svc.storeAutosave(id, checkpointEvent(10, 'done'));
    await expect(t.svc.prepareResume(autosaveId(id))).rejects.toThrow(/end of its run \(step 10 of 10\)/);
    const weightsOnly = await t.checkpoints.save(tinyCheckpoint({ withRun: false }), { kind: 'manual', runId: id });
    await expect(t.svc.prepareResume(weightsOnly.id)).rejects.toThrow(/holds no run state to continue/);
    const orphan = await t.checkpoints.save(checkpointEvent(4).bytes, { kind: 'manual', runId: 'gone' });
    await expect(t.svc.prepareResume(orphan.id)).rejects.toThrow(/no longer stored/);
    const other: TrainingData = { kind: 'text', text: 'other text' };
    const changed = t.svc.startRun(other, options, 'Micro');
    await changed.recorded;
    await t.svc.storeAutosave(changed.id, checkpointEvent(4));
    await expect(t.svc.prepareResume(autosaveId(changed.id))).rejects.toThrow(/does not match its checkpoint/);
  });

  it('keeps only a well-formed autosave setting, and tells the worker 0 steps when it is off', async () => {
    const t = setup();
    expect(await t.svc.readAutosaveSetting()).toEqual({});
    t.svc.storeAutosaveSetting({ every: 7, enabled: false });
    await flush();
    expect(await t.svc.readAutosaveSetting()).toEqual({ every: 7, enabled: false });
    await t.runs.setSetting('checkpoints.settings', { autosaveEvery: 2.5, autosaveEnabled: 'yes' });
    expect(await t.svc.readAutosaveSetting()).toEqual({});
    void t.svc.sendAutosaveSetting({ every: 7, enabled: false });
    void t.svc.sendAutosaveSetting({ every: 7, enabled: true });
    expect(t.worker.of('setAutosave').map((r) => r.everySteps)).toEqual([0, 7]);
  });

  it('saves a checkpoint taken on request under the run only when it holds run state', async () => {
    const t = setup();
    const { type: _t, ...midRun } = checkpointEvent(3, 'request');
    const saving = t.svc.saveNow('run1');
    await flush();
    t.worker.reply('captureCheckpoint', midRun);
    expect(await saving).toMatchObject({ kind: 'manual', runId: 'run1', step: 3 });
    const again = t.svc.saveNow('run1');
    await flush();
    t.worker.reply('captureCheckpoint', { ...midRun, info: { ...midRun.info, run: null } });
    expect((await again).runId).toBeUndefined();
  });
});
