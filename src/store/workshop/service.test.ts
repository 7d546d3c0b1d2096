// WorkshopService on fake-indexeddb: a pack exported from one studio's storage
// imports into another's whole, with new ids, or not at all.

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { tinyCheckpoint } from '../../checkpoint/fixtures';
import type { Example } from '../../data/schema';
import { CheckpointRepository } from '../../storage/checkpoints';
import { DatasetRepository } from '../../storage/datasets';
import { openStudioDb, STORES } from '../../storage/db';
import { PackRepository } from '../../storage/pack';
import { WorkshopService } from './service';

const examples: Example[] = [{ id: 'a', source: 'geo', kind: 'instruction', instruction: 'What is the capital of Peru?', response: 'Lima.' }];

let dbCount = 0;
function studio(ids: () => string = (() => { let n = 0; return () => `id${++n}`; })()) {
  const name = `workshop-test-${++dbCount}`;
  const open = () => openStudioDb(name);
  const datasets = new DatasetRepository({ open });
  const checkpoints = new CheckpointRepository({ open });
  const svc = new WorkshopService({ datasets, checkpoints, packs: new PackRepository(open), newId: ids, wallClock: () => Date.UTC(2026, 11, 1) });
  const counts = async () => {
    const db = await open();
    const out = { datasets: await db.count(STORES.datasets), checkpoints: await db.count(STORES.checkpoints), data: await db.count(STORES.checkpointData) };
    db.close();
    return out;
  };
  return { svc, datasets, checkpoints, counts };
}

describe('WorkshopService', () => {
  it('exports the chosen datasets and checkpoints, and another studio imports them whole under new ids', async () => {
    const teacher = studio();
    await teacher.datasets.put({ id: 'd1', name: 'Capitals', source: 'starter', licence: 'CC0-1.0', description: '', templateId: 'plain', examples });
    await teacher.datasets.put({ id: 'd2', name: 'Not chosen', source: '', licence: '', description: '', templateId: 'plain', examples });
    const ck = await teacher.checkpoints.save(tinyCheckpoint({ step: 6 }), { kind: 'manual' });
    await teacher.checkpoints.rename(ck.id, 'Tuned for the class');
    const out = await teacher.svc.exportPack({ datasetIds: ['d1'], checkpointIds: [ck.id], lessons: { stepId: 'tune', presenter: false } });
    expect(out.fileName).toBe('workshop-pack-2026-12-01.zip');
    expect(out.summary).toBe('1 dataset, 1 checkpoint and the lesson progress');

    const student = studio(() => `new-${Math.random().toString(36).slice(2)}`);
    await student.datasets.put({ id: 'mine', name: 'My own', source: '', licence: '', description: '', templateId: 'plain', examples });
    const imported = await student.svc.importPack(out.fileName, out.bytes);
    expect(imported.summary).toBe('1 dataset, 1 checkpoint and the lesson progress');
    expect(imported.lessons).toEqual({ stepId: 'tune', presenter: false });
    expect(imported.datasets).toEqual([expect.objectContaining({ name: 'Capitals', licence: 'CC0-1.0', count: 1 })]);
    expect(imported.datasets[0]!.id).toMatch(/^new-/);
    const stored = await student.datasets.get(imported.datasets[0]!.id);
    expect(stored?.examples).toEqual(examples);
    expect(await student.datasets.get('mine')).toBeDefined();
    const [meta] = await student.checkpoints.list();
    expect(meta).toMatchObject({ name: 'Tuned for the class', named: true, kind: 'import', step: 6 });
    const { bytes } = await student.checkpoints.load(meta!.id);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from((await teacher.checkpoints.load(ck.id)).bytes))).toBe(0);
  });

  it('imports nothing when storing part of the pack fails, and nothing from a damaged file', async () => {
    const teacher = studio();
    await teacher.datasets.put({ id: 'd1', name: 'Capitals', source: '', licence: '', description: '', templateId: 'plain', examples });
    const ck = await teacher.checkpoints.save(tinyCheckpoint(), { kind: 'manual' });
    const out = await teacher.svc.exportPack({ datasetIds: ['d1'], checkpointIds: [ck.id], lessons: null });

    // The checkpoint's new id is already taken: the dataset written before it in the same transaction is rolled back.
    const student = studio(() => 'taken');
    await student.checkpoints.save(tinyCheckpoint(), { kind: 'manual', id: 'taken' });
    await expect(student.svc.importPack('pack.zip', out.bytes)).rejects.toThrow(/Could not import the pack.*Nothing was imported/);
    expect(await student.counts()).toEqual({ datasets: 0, checkpoints: 1, data: 1 });

    const fresh = studio();
    await expect(fresh.svc.importPack('pack.zip', out.bytes.slice(0, 100))).rejects.toThrow('"pack.zip" is not a readable workshop pack');
    expect(await fresh.counts()).toEqual({ datasets: 0, checkpoints: 0, data: 0 });
  });

  it('refuses to export an empty pack or a dataset that is gone', async () => {
    const t = studio();
    await expect(t.svc.exportPack({ datasetIds: [], checkpointIds: [], lessons: null })).rejects.toThrow('Choose at least one dataset, checkpoint or the lesson progress');
    await expect(t.svc.exportPack({ datasetIds: ['gone'], checkpointIds: [], lessons: null })).rejects.toThrow('A chosen dataset no longer exists');
  });
});
