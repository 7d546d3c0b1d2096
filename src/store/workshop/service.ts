// Workshop packs without zustand or React: gathers the chosen datasets and
// checkpoints from storage into one pack file, and imports a pack as new
// datasets and checkpoints (new ids, so nothing the user has is replaced) in
// one transaction: all of it or, for a damaged file or a full disk, nothing.

import { describeMeta, type CheckpointMeta, type CheckpointRepository } from '../../storage/checkpoints';
import type { DatasetMeta, DatasetRecord, DatasetRepository } from '../../storage/datasets';
import type { PackRepository } from '../../storage/pack';
import { describePack, encodePack, readPack, type PackContents, type PackLessons } from './packFile';

export interface WorkshopDeps {
  datasets: Pick<DatasetRepository, 'get'>;
  checkpoints: Pick<CheckpointRepository, 'load'>;
  packs: Pick<PackRepository, 'storeAll'>;
  newId: () => string;
  /** Wall-clock milliseconds, for the pack's date and the imported records. */
  wallClock: () => number;
}

/** What goes in a pack: dataset and checkpoint ids, and the lesson progress (or null to leave it out). */
export interface PackChoice {
  datasetIds: readonly string[];
  checkpointIds: readonly string[];
  lessons: PackLessons | null;
}

export interface ImportedPack {
  datasets: DatasetMeta[];
  checkpoints: CheckpointMeta[];
  lessons: PackLessons | null;
  /** "2 datasets, 1 checkpoint and the lesson progress". */
  summary: string;
}

export class WorkshopService {
  constructor(private readonly deps: WorkshopDeps) {}

  /** The chosen datasets and checkpoints, read from storage, as one pack file. */
  async exportPack(choice: PackChoice): Promise<{ fileName: string; bytes: Uint8Array; summary: string }> {
    if (choice.datasetIds.length === 0 && choice.checkpointIds.length === 0 && !choice.lessons) {
      throw new Error('Choose at least one dataset, checkpoint or the lesson progress to put in the pack.');
    }
    const contents: PackContents = { datasets: [], checkpoints: [], lessons: choice.lessons };
    for (const id of choice.datasetIds) {
      const d = await this.deps.datasets.get(id);
      if (!d) throw new Error('A chosen dataset no longer exists (deleted in another tab?): untick it and export again.');
      contents.datasets.push({ name: d.name, source: d.source, licence: d.licence, description: d.description, templateId: d.templateId, examples: d.examples });
    }
    for (const id of choice.checkpointIds) {
      const { meta, bytes } = await this.deps.checkpoints.load(id);
      contents.checkpoints.push({ name: meta.name, named: meta.named, bytes });
    }
    const now = this.deps.wallClock();
    const bytes = await encodePack(contents, now);
    return { fileName: `workshop-pack-${new Date(now).toISOString().slice(0, 10)}.zip`, bytes, summary: describePack(contents) };
  }

  /** Reads and checks the whole pack, then stores everything it holds in one transaction. */
  async importPack(fileName: string, bytes: ArrayBuffer | Uint8Array): Promise<ImportedPack> {
    const pack = await readPack(fileName, bytes);
    const now = this.deps.wallClock();
    const datasets: DatasetRecord[] = pack.datasets.map((d) => ({
      id: this.deps.newId(),
      ...d,
      source: d.source || `workshop pack ${fileName}`,
      count: d.examples.length,
      createdAt: now,
      updatedAt: now,
      version: 1,
    }));
    const checkpoints = pack.checkpoints.map((c) => ({
      meta: { ...describeMeta(c.info, c.bytes, { kind: 'import', reason: 'import', fileName, name: c.name }, this.deps.newId(), now), named: c.named, version: 1 },
      bytes: c.bytes,
    }));
    await this.deps.packs.storeAll(datasets, checkpoints);
    return {
      datasets: datasets.map(({ examples: _examples, ...meta }) => meta),
      checkpoints: checkpoints.map((c) => c.meta),
      lessons: pack.lessons,
      summary: describePack(pack),
    };
  }
}
