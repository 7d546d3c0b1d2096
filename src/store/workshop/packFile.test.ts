// The workshop pack file: what goes in comes out the same, and a damaged or
// foreign file is refused whole, naming the entry and what is wrong.

import { describe, expect, it } from 'vitest';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { tinyCheckpoint } from '../../checkpoint/fixtures';
import type { Example } from '../../data/schema';
import { describePack, encodePack, PACK_MANIFEST, PACK_VERSION, readPack, type PackContents } from './packFile';

const examples: Example[] = [
  { id: 'a', source: 'geo', kind: 'instruction', instruction: 'What is the capital of Peru?', response: 'Lima.', category: 'capital' },
  { id: 'b', source: 'geo', kind: 'conversation', messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }], system: 'Be brief.' },
];

function contents(): PackContents {
  const ck = tinyCheckpoint({ name: 'Geo bot', meta: { named: 'true' } });
  return {
    datasets: [{ name: 'Capitals', source: 'starter: geo.json', licence: 'CC0-1.0', description: 'capitals', templateId: 'plain', examples }],
    checkpoints: [{ name: 'Geo bot', named: true, bytes: ck.slice().buffer as ArrayBuffer }],
    lessons: { stepId: 'compare', presenter: true },
  };
}

/** The pack's entries, changed by `edit`, zipped again. */
function rezip(pack: Uint8Array, edit: (entries: Record<string, Uint8Array>) => void): Uint8Array {
  const entries = unzipSync(pack);
  edit(entries);
  return zipSync(entries);
}

describe('workshop pack file', () => {
  it('gives back the datasets, checkpoint bytes and lesson progress that went in', async () => {
    const c = contents();
    const read = await readPack('pack.zip', await encodePack(c, 1234));
    expect(read.createdAt).toBe(1234);
    expect(read.datasets).toEqual(c.datasets);
    expect(read.lessons).toEqual({ stepId: 'compare', presenter: true });
    expect(read.checkpoints).toHaveLength(1);
    expect(Buffer.compare(Buffer.from(read.checkpoints[0]!.bytes), Buffer.from(c.checkpoints[0]!.bytes))).toBe(0);
    expect(read.checkpoints[0]).toMatchObject({ name: 'Geo bot', named: true, info: { name: 'Geo bot', named: true, step: 4 } });
    expect(describePack(read)).toBe('1 dataset, 1 checkpoint and the lesson progress');
  });

  it('refuses a file that is not a zip, or was cut short while copying', async () => {
    await expect(readPack('notes.txt', strToU8('hello'))).rejects.toThrow(/"notes.txt" is not a readable workshop pack.*Nothing was imported/);
    const pack = await encodePack(contents(), 1);
    await expect(readPack('cut.zip', pack.slice(0, pack.length - 200))).rejects.toThrow(/"cut.zip" is not a readable workshop pack.*copy it again/);
  });

  it('refuses a zip without a manifest, one from a newer studio, and one of another format', async () => {
    await expect(readPack('other.zip', zipSync({ 'a.txt': strToU8('x') }))).rejects.toThrow(`has no ${PACK_MANIFEST}`);
    const pack = await encodePack(contents(), 1);
    const withManifest = (change: (m: Record<string, unknown>) => void) =>
      rezip(pack, (e) => {
        const m = JSON.parse(strFromU8(e[PACK_MANIFEST]!)) as Record<string, unknown>;
        change(m);
        e[PACK_MANIFEST] = strToU8(JSON.stringify(m));
      });
    await expect(readPack('new.zip', withManifest((m) => (m.version = PACK_VERSION + 1)))).rejects.toThrow(`pack version ${PACK_VERSION + 1}; this one reads up to ${PACK_VERSION}`);
    await expect(readPack('x.zip', withManifest((m) => (m.format = 'something-else')))).rejects.toThrow('format "something-else"');
    await expect(readPack('x.zip', withManifest((m) => (m.datasets = 'none')))).rejects.toThrow(`damaged ${PACK_MANIFEST}: its "datasets" must be a list`);
  });

  it('refuses a pack whose entry was changed or lost, naming it', async () => {
    const pack = await encodePack(contents(), 1);
    const flipped = rezip(pack, (e) => {
      const ck = e['checkpoints/1.safetensors']!;
      ck[ck.length - 1] = ck[ck.length - 1]! ^ 0xff;
    });
    await expect(readPack('p.zip', flipped)).rejects.toThrow('checkpoints/1.safetensors ("Geo bot") does not match its checksum');
    const lost = rezip(pack, (e) => delete e['datasets/1.json']);
    await expect(readPack('p.zip', lost)).rejects.toThrow('lists datasets/1.json ("Capitals") but the pack does not hold it');
  });

  it('refuses a dataset with a bad example, naming the example and field', async () => {
    const c = contents();
    c.datasets[0]!.examples = [examples[0]!, { ...examples[0]!, id: 'c', response: '  ' } as Example];
    await expect(readPack('p.zip', await encodePack(c, 1))).rejects.toThrow('datasets/1.json ("Capitals"): example 2, field "response": The response is empty');
    // A hand-edited pack with its checksum brought up to date is still read field by field.
    const pack = await encodePack(contents(), 1);
    const entries = unzipSync(pack);
    const d = JSON.parse(strFromU8(entries['datasets/1.json']!)) as { examples: Array<Record<string, unknown>> };
    d.examples[1]!.kind = 'chat';
    entries['datasets/1.json'] = strToU8(JSON.stringify(d));
    const m = JSON.parse(strFromU8(entries[PACK_MANIFEST]!)) as { datasets: Array<{ sha256: string }> };
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', entries['datasets/1.json']!));
    m.datasets[0]!.sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    entries[PACK_MANIFEST] = strToU8(JSON.stringify(m));
    await expect(readPack('p.zip', zipSync(entries))).rejects.toThrow('example 2, field "kind": must be "instruction" or "conversation" (got "chat")');
  });
});
