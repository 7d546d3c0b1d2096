// Two tabs of the studio on one database, as two stores in one process: each
// with its own end of the tabs' BroadcastChannel and the Web Locks they share.
// No edit is lost without a word: a stale save is refused and the tab shows the
// stored version; a tab with nothing unsaved follows the other's edits live; a
// run trains in one tab only.

import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { Example } from '../data/schema';
import { otherTabFeed, silentFeed } from '../storage/changes';
import { DATASET_SETTINGS_KEY } from '../storage/datasets';
import { LocalLocks } from '../storage/locks';
import { autosaveId } from '../storage/runs';
import { checkpointEvent, flush, setup, TEXT, until } from './testStudio';

function ex(n: number): Example {
  return { id: `e${n}`, source: 'test', kind: 'instruction', instruction: `Question ${n}?`, response: `Answer ${n}.` };
}
const responses = (examples: readonly Example[] | undefined) => (examples ?? []).map((e) => (e.kind === 'instruction' ? e.response : ''));

let n = 0;
/** Two tabs over one database holding the dataset "Facts" (3 examples), both showing it. `bFrozen`: tab B hears nothing (a frozen or discarded tab). */
async function twoTabs(opts: { bFrozen?: boolean } = {}) {
  const dbName = `tabs-test-${++n}`;
  const channel = `changes-${dbName}`;
  const locks = new LocalLocks();
  const a = setup(dbName, { changes: otherTabFeed(channel), locks, datasets: true });
  const b = setup(dbName, { changes: opts.bFrozen ? silentFeed : otherTabFeed(channel), locks, datasets: true });
  await a.datasets.putAll([{ id: 'facts', name: 'Facts', source: 'test', licence: '', description: '', templateId: 'plain', examples: [ex(0), ex(1), ex(2)] }], {
    key: DATASET_SETTINGS_KEY,
    value: { startersLoaded: true, selectedDatasetId: 'facts' },
  });
  await a.state().loadDatasets();
  await b.state().loadDatasets();
  expect(a.state().activeDataset?.id).toBe('facts');
  expect(b.state().activeDataset?.id).toBe('facts');
  return { a, b };
}

const saved = async (t: ReturnType<typeof setup>) => vi.waitFor(() => expect(t.state().saveState).toBe('saved'));

describe('two tabs on one dataset', () => {
  it("refuses a stale tab's edit with a message, keeps the other tab's edit and shows it (edit/edit)", async () => {
    const { a, b } = await twoTabs({ bFrozen: true });
    const [first, second] = a.state().activeDataset!.examples;
    a.state().updateExample(first!.id, { ...first!, response: 'Edited in A.' } as Example);
    await saved(a);
    // Tab B still shows version 1 and edits another row.
    b.state().updateExample(second!.id, { ...second!, response: 'Edited in B.' } as Example);
    await vi.waitFor(() => expect(b.state().storageError).not.toBeNull());
    expect(b.state().storageError).toBe(
      '"Facts" was changed in another tab or window after this tab read it (saved version 2, this tab had version 1), ' +
        "so this tab's change was not saved and the other tab's edit was kept. This tab now shows the saved version. " +
        'Not saved from this tab: edit. Make the change again if you still want it.',
    );
    // B now shows what is stored: A's edit, not its own.
    expect(responses(b.state().activeDataset?.examples)).toEqual(['Edited in A.', 'Answer 1.', 'Answer 2.']);
    expect(b.state().saveState).toBe('saved');
    expect(responses((await a.datasets.get('facts'))?.examples)).toEqual(['Edited in A.', 'Answer 1.', 'Answer 2.']);
    // Made again on the version B now shows, the edit is stored beside A's.
    b.state().updateExample(second!.id, { ...second!, response: 'Edited in B.' } as Example);
    await saved(b);
    expect(responses((await a.datasets.get('facts'))?.examples)).toEqual(['Edited in A.', 'Edited in B.', 'Answer 2.']);
  });

  it('does not bring back a row the other tab deleted (delete/edit)', async () => {
    const { a, b } = await twoTabs({ bFrozen: true });
    a.state().deleteExample('e2');
    await saved(a);
    const third = b.state().activeDataset!.examples[2]!;
    b.state().updateExample('e2', { ...third, response: 'Edited in B.' } as Example);
    await vi.waitFor(() => expect(b.state().storageError).toMatch(/was changed in another tab/));
    expect((await a.datasets.get('facts'))?.examples.map((e) => e.id)).toEqual(['e0', 'e1']);
    expect(b.state().activeDataset?.examples.map((e) => e.id)).toEqual(['e0', 'e1']);
  });

  it("shows the other tab's edits as they are saved, when this tab has nothing unsaved", async () => {
    const { a, b } = await twoTabs();
    const first = a.state().activeDataset!.examples[0]!;
    a.state().updateExample(first.id, { ...first, response: 'Edited in A.' } as Example);
    await saved(a);
    await vi.waitFor(() => expect(responses(b.state().activeDataset?.examples)[0]).toBe('Edited in A.'));
    expect(b.state().activeDataset?.version).toBe(2);
    expect(b.state().storageError).toBeNull();
    // B's next edit is based on the version it was shown, so it is saved, and A follows.
    const second = b.state().activeDataset!.examples[1]!;
    b.state().updateExample(second.id, { ...second, response: 'Edited in B.' } as Example);
    await saved(b);
    expect(b.state().storageError).toBeNull();
    await vi.waitFor(() => expect(responses(a.state().activeDataset?.examples)).toEqual(['Edited in A.', 'Edited in B.', 'Answer 2.']));
    // A rename shows in the other tab's list.
    await a.state().renameDataset('facts', 'Country facts');
    await vi.waitFor(() => expect(b.state().datasets.find((d) => d.id === 'facts')?.name).toBe('Country facts'));
  });

  it('says so when the other tab deletes the open dataset', async () => {
    const { a, b } = await twoTabs();
    await a.state().deleteDataset('facts');
    await vi.waitFor(() => expect(b.state().storageError).toBe('"Facts" was deleted in another tab or window.'));
    expect(b.state().datasets.map((d) => d.id)).toEqual([]);
    expect(b.state().activeDataset).toBeNull();
  });
});

describe('two tabs and an import', () => {
  it('reloads by itself when an append import is refused as stale, says so, and adds the file to the saved version when run again', async () => {
    const { a, b } = await twoTabs({ bFrozen: true });
    const first = a.state().activeDataset!.examples[0]!;
    a.state().updateExample(first.id, { ...first, response: 'Edited in A.' } as Example);
    await saved(a);
    // Tab B, still at version 1, imports a file into the dataset.
    const file = ['{"instruction": "Question 3?", "output": "Answer 3."}', '{"instruction": "Question 4?", "output": "Answer 4."}'].join('\n');
    await b.state().chooseImportFile({ fileName: 'more.jsonl', text: file });
    b.state().setImportTarget('append');
    await b.state().runImport();
    expect(b.state().importDraft?.phase).toBe('review');
    await b.state().commitImport();
    expect(b.state().storageError).toBe(
      '"Facts" was changed in another tab or window after this tab read it (saved version 2, this tab had version 1), ' +
        "so this tab's change was not saved and the other tab's edit was kept. This tab now shows the saved version. " +
        'Not saved from this tab: the import from "more.jsonl" (press Import to add it to the saved version). Make the change again if you still want it.',
    );
    // B reloaded the stored version by itself; nothing of the file was stored.
    expect(responses(b.state().activeDataset?.examples)).toEqual(['Edited in A.', 'Answer 1.', 'Answer 2.']);
    expect(b.state().activeDataset?.version).toBe(2);
    expect((await a.datasets.get('facts'))?.examples).toHaveLength(3);
    // The import is back at its first step with the same file; run again, it adds to the saved version.
    expect(b.state().importDraft).toMatchObject({ phase: 'setup', result: null, target: 'append' });
    await b.state().runImport();
    await b.state().commitImport();
    expect(b.state().importNotice).toMatch(/Added 2 examples from "more.jsonl"/);
    expect(responses((await a.datasets.get('facts'))?.examples)).toEqual(['Edited in A.', 'Answer 1.', 'Answer 2.', 'Answer 3.', 'Answer 4.']);
  });
});

describe('two tabs and checkpoints', () => {
  it("refuses a rename of a checkpoint the other tab renamed first, and lists the other tab's saves", async () => {
    const { a, b } = await twoTabs();
    await a.ready();
    await b.ready();
    a.state().startTraining();
    a.worker().send(checkpointEvent(4));
    await until(() => b.state().checkpoints.length === 1);
    expect(b.state().checkpoints[0]?.id).toBe(autosaveId('run1'));
    const id = autosaveId('run1');
    // B renames from a list that predates A's rename: refused, and B's list shows A's name.
    const stale = b.state().checkpoints[0]!;
    expect(await a.state().renameCheckpoint(id, 'From A')).toBe(true);
    b.store.setState({ checkpoints: [stale] });
    expect(await b.state().renameCheckpoint(id, 'From B')).toBe(false);
    expect(b.state().checkpointNotice?.text).toMatch(/^The checkpoint now named "From A" was changed in another tab or window after this tab listed it \(saved version 2, this tab had version 1\), so it was not renamed/);
    expect(b.state().checkpoints[0]?.name).toBe('From A');
    expect((await a.checkpoints.get(id))?.name).toBe('From A');
  });

  it('trains a run in one tab only: the other is not offered it and cannot continue it', async () => {
    const { a, b } = await twoTabs();
    await a.ready();
    a.state().setTrainText(TEXT.kind === 'text' ? TEXT.text : '');
    a.state().startTraining();
    a.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    a.worker().send(checkpointEvent(4));
    await flush();
    await until(() => b.state().checkpoints.length === 1);
    // A second tab opened now sees a run marked running, held by tab A: no resume offer.
    await b.ready();
    expect(b.state().interruptedRun).toBeNull();
    await b.state().continueRunFrom(autosaveId('run1'));
    expect(b.state().checkpointNotice?.text).toBe(
      'This run is being trained in another tab or window of the studio. Continue it there, or stop it there first; two tabs never train the same run.',
    );
    expect(b.worker().of('train')).toEqual([]);
    expect(b.worker().of('loadModel')).toEqual([]);
    // Once A stops, the run is free, and B may continue it.
    a.worker().send({ type: 'trainState', state: 'stopped', step: 4, totalSteps: 10 });
    await flush();
    const going = b.state().continueRunFrom(autosaveId('run1'));
    await until(() => b.worker().of('loadModel').length > 0);
    expect(b.worker().of('loadModel')).toHaveLength(1);
    b.worker().modelReady({ config: { vocabSize: 260, contextLength: 8, width: 8, layers: 1, heads: 2 }, paramCount: 1, tokenizerVocab: 260, name: 'Micro', step: 4, slot: 'main' }, 'loadModel');
    await going;
    expect(b.worker().of('train')).toHaveLength(1);
  });
});
