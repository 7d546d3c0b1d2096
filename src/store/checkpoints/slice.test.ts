// The checkpoints slice driven without a DOM: a fake worker plays the engine's
// side, fake-indexeddb stores checkpoints and runs. Each test waits for the
// state or the stored record it checks next, never a fixed time: on a busy
// machine a write takes as long as it takes.

import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { dataFingerprint } from '../../train/fingerprint';
import { STORES } from '../../storage/db';
import { autosaveId, CHECKPOINT_SETTINGS_KEY } from '../../storage/runs';
import { CURRENT_MODEL } from '../compare/state';
import { checkpointEvent, config, runState, setup, TEXT, until } from '../testStudio';
import { unzipSync, zipSync } from 'fflate';
import { initParameters } from '../../model/gpt';
import { toHfConfig, type ModelConfig } from '../../model/config';
import { readSafetensors, writeSafetensors } from '../../model/safetensors';
import { BpeTokenizer } from '../../tokenizer/bpe';

/** Retries `check` until it passes (10 s at most), then fails with its own assertion. */
const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 10_000, interval: 5 });
/** Until the autosave of run step `runStep` is stored and shown. */
const autosaved = (t: ReturnType<typeof setup>, runStep: number) => eventually(() => expect(t.state().lastAutosave?.runStep).toBe(runStep));

describe('checkpoints slice', () => {
  it("records a run when training starts and keeps one autosave per run, replaced as it goes on", async () => {
    const t = setup();
    await t.ready();
    t.state().startTraining();
    await eventually(async () => expect(await t.runs.active()).toMatchObject({ id: 'run1', status: 'running', data: { kind: 'text' }, modelName: 'Micro' }));
    expect(t.state().activeRunId).toBe('run1');
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    t.worker().send(checkpointEvent(3));
    t.worker().send(checkpointEvent(6));
    await autosaved(t, 6);
    const list = await t.checkpoints.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: autosaveId('run1'), kind: 'auto', runStep: 6, reason: 'autosave' });
    expect(t.state().checkpoints.map((c) => c.runStep)).toEqual([6]);
    expect(t.state().lastAutosave).toMatchObject({ runStep: 6, totalSteps: 10 });
    t.worker().send({ type: 'trainState', state: 'done', step: 10, totalSteps: 10 });
    t.worker().send(checkpointEvent(10, 'done'));
    await eventually(async () => expect(await t.runs.active()).toBeUndefined());
    expect((await t.checkpoints.list())[0]).toMatchObject({ runStep: 10, reason: 'done' });
  });

  it('after a reload offers the interrupted run and resumes it from its autosave with the same data, sampler and curve', async () => {
    const first = setup();
    await first.ready();
    first.state().setTrainText(TEXT.kind === 'text' ? TEXT.text : '');
    first.state().startTraining();
    first.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    first.worker().send(checkpointEvent(4));
    await autosaved(first, 4);
    const posted = first.worker().of('train')[0]!;

    // The page reloads: a new store over the same database.
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().interruptedRun).toMatchObject({ runId: 'run1', runStep: 4, totalSteps: 10, checkpointId: autosaveId('run1') });
    const resuming = t.state().resumeInterruptedRun();
    await until(() => t.worker().of('loadModel').length > 0);
    expect(t.state().errors).toEqual([]);
    const load = t.worker().of('loadModel')[0]!;
    expect(load).toMatchObject({ configJson: '', tokenizerJson: '' });
    expect(load.slot).toBeUndefined();
    t.worker().modelReady({ config, paramCount: 1, tokenizerVocab: 260, name: 'Micro', step: 4, slot: 'main' }, 'loadModel');
    await resuming;
    const train = t.worker().of('train')[0]!;
    expect(train.data).toEqual(posted.data);
    expect(train.options).toEqual(runState(4).options);
    expect(train.resume).toMatchObject({ runStep: 4, samplerState: { state: 99, spareNormal: null }, dataHash: dataFingerprint(TEXT) });
    expect(t.state().lossHistory).toHaveLength(4);
    expect(t.state()).toMatchObject({ step: 4, totalSteps: 10, interruptedRun: null, activeRunId: 'run1', trainText: TEXT.kind === 'text' ? TEXT.text : '' });
    // Later autosaves go on replacing the same run's checkpoint.
    t.worker().send(checkpointEvent(8));
    await autosaved(t, 8);
    expect((await t.checkpoints.list()).map((c) => [c.id, c.runStep])).toEqual([[autosaveId('run1'), 8]]);
  });

  it('renames the model in the studio, its run autosave and the resume offer; refuses a bad name before asking the worker', async () => {
    const first = setup();
    await first.ready();
    expect(await first.state().renameModel('   ')).toMatch(/cannot be empty/);
    expect(await first.state().renameModel('y'.repeat(61))).toMatch(/61 characters long/);
    expect(first.worker().of('renameModel')).toEqual([]);
    expect(first.state().model?.name).toBe('Micro');

    first.state().setTrainText(TEXT.kind === 'text' ? TEXT.text : '');
    first.state().startTraining();
    first.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    first.worker().send(checkpointEvent(4));
    await autosaved(first, 4);
    const renaming = first.state().renameModel(' Geo bot ');
    await until(() => first.worker().of('renameModel').length > 0);
    expect(first.worker().last('renameModel').name).toBe(' Geo bot ');
    first.worker().reply('renameModel', { name: 'Geo bot' });
    expect(await renaming).toBeNull();
    expect(first.state().model).toMatchObject({ name: 'Geo bot', named: true });
    expect(first.state().checkpoints[0]).toMatchObject({ id: autosaveId('run1'), name: 'Geo bot', named: true });
    // A refusal by the worker comes back as the message, and the name stays.
    const refused = first.state().renameModel('Other');
    await until(() => first.worker().of('renameModel').length > 1);
    first.worker().fail('renameModel', 'bad-input', 'No model yet: create or load a model first.');
    expect(await refused).toMatch(/No model yet/);
    expect(first.state().model?.name).toBe('Geo bot');

    // After a reload the resume offer names the model as the user named it, and resumes it as named.
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().interruptedRun).toMatchObject({ modelName: 'Geo bot' });
    const resuming = t.state().resumeInterruptedRun();
    await until(() => t.worker().of('loadModel').length > 0);
    expect(t.worker().of('loadModel')[0]).toMatchObject({ name: 'Geo bot', named: true });
    t.worker().modelReady({ config, paramCount: 1, tokenizerVocab: 260, name: 'Geo bot', named: true, step: 4, slot: 'main' }, 'loadModel');
    await resuming;
    expect(t.state().model).toMatchObject({ name: 'Geo bot', named: true });
  });

  it('offers nothing when the run finished, and forgets a run the user declines to resume', async () => {
    const first = setup();
    await first.ready();
    first.state().startTraining();
    first.worker().send(checkpointEvent(4));
    await autosaved(first, 4);
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().interruptedRun).not.toBeNull();
    await t.state().dismissInterruptedRun();
    const again = setup(first.dbName);
    await again.ready();
    expect(again.state().interruptedRun).toBeNull();
    // The autosave itself stays in the list.
    expect(again.state().checkpoints).toHaveLength(1);
  });

  it('says a paused run is saved only once its autosave is stored', async () => {
    const t = setup();
    await t.ready();
    t.state().startTraining();
    t.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    let stored = false;
    const save = t.checkpoints.save.bind(t.checkpoints);
    vi.spyOn(t.checkpoints, 'save').mockImplementation(async (...args) => {
      const meta = await save(...args);
      stored = true;
      return meta;
    });
    const savedWhileStored: boolean[] = [];
    t.store.subscribe((s, prev) => {
      if (s.lastAutosave !== prev.lastAutosave) savedWhileStored.push(stored);
    });
    t.worker().send({ type: 'trainState', state: 'paused', step: 4, totalSteps: 10 });
    t.worker().send(checkpointEvent(4, 'pause'));
    expect(t.state().autosaveInFlight).toEqual({ runStep: 4, reason: 'pause' });
    expect(t.state().lastAutosave).toBeNull();
    await until(() => t.state().lastAutosave !== null);
    expect(savedWhileStored).toEqual([true]);
    expect(t.state().autosaveInFlight).toBeNull();
    expect(t.state().lastAutosave).toMatchObject({ runStep: 4, totalSteps: 10 });
    expect((await t.checkpoints.list())[0]).toMatchObject({ runStep: 4, reason: 'pause' });
  });

  it('withdraws the resume offer once a new run starts, and keeps the old run continuable from its checkpoint', async () => {
    const first = setup();
    await first.ready();
    first.state().startTraining();
    first.worker().send({ type: 'trainState', state: 'running', step: 0, totalSteps: 10 });
    first.worker().send(checkpointEvent(4));
    await autosaved(first, 4);
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().interruptedRun).toMatchObject({ runId: 'run1' });
    t.state().startTraining();
    await eventually(() => expect(t.state().interruptedRun).toBeNull());
    expect(t.state().checkpoints.map((c) => c.id)).toEqual([autosaveId('run1')]);
  });

  it('takes a deleted checkpoint out of the comparison and frees its slot', async () => {
    const t = setup();
    await t.ready();
    await t.state().importCheckpointFile('a.safetensors', checkpointEvent(4, 'request').bytes);
    const id = t.state().checkpoints[0]!.id;
    t.state().toggleCompareModel(CURRENT_MODEL);
    t.state().toggleCompareModel(`ckpt:${id}`);
    expect(t.state().compareSelection).toEqual([CURRENT_MODEL, `ckpt:${id}`]);
    await t.state().deleteCheckpoint(id);
    expect(t.state().compareSelection).toEqual([CURRENT_MODEL]);
    expect(t.state().checkpoints).toEqual([]);
  });

  it('on a full disk stops autosave with a message naming what to delete, and keeps every stored checkpoint', async () => {
    const t = setup();
    await t.ready();
    await t.checkpoints.save(checkpointEvent(2, 'request', 16).bytes, { kind: 'manual', name: 'Old big run' });
    t.state().startTraining();
    await eventually(async () => expect(await t.runs.active()).toMatchObject({ id: t.state().activeRunId }));
    const put = IDBObjectStore.prototype.put;
    const spy = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === STORES.checkpointData) throw new DOMException('Quota exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    });
    t.worker().send(checkpointEvent(5));
    await eventually(() => expect(t.state().autosaveEnabled).toBe(false));
    spy.mockRestore();
    const s = t.state();
    expect(s.autosaveEnabled).toBe(false);
    expect(s.autosaveStopped).toMatch(/Storage is full.*not saved.*unchanged.*"Old big run".*Autosave is now off/);
    expect(s.errors.at(-1)!.message).toBe(s.autosaveStopped);
    expect(t.worker().of('setAutosave').at(-1)).toMatchObject({ type: 'setAutosave', everySteps: 0 });
    expect((await t.checkpoints.list()).map((c) => c.name)).toEqual(['Old big run']);
    // Turning it back on clears the message and tells the worker.
    s.setAutosaveEnabled(true);
    expect(t.state().autosaveStopped).toBeNull();
    expect(t.worker().of('setAutosave').at(-1)).toMatchObject({ type: 'setAutosave', everySteps: 25 });
  });

  it('keeps the autosave interval across reloads and sends it to every new worker', async () => {
    const first = setup();
    await first.ready();
    first.state().setAutosaveEvery(7);
    await eventually(async () => expect(await first.runs.getSetting(CHECKPOINT_SETTINGS_KEY)).toMatchObject({ autosaveEvery: 7 }));
    const t = setup(first.dbName);
    await t.ready();
    expect(t.state().autosaveEvery).toBe(7);
    expect(t.worker().of('setAutosave').at(-1)).toMatchObject({ type: 'setAutosave', everySteps: 7 });
  });

  it('saves on request, imports a file bit for bit and refuses a truncated one, changing nothing', async () => {
    const t = setup();
    await t.ready();
    const saving = t.state().saveCheckpointNow();
    await until(() => t.worker().of('captureCheckpoint').length > 0);
    const { type: _type, ...captured } = checkpointEvent(3, 'request');
    t.worker().reply('captureCheckpoint', captured);
    await saving;
    expect(t.state().checkpoints).toHaveLength(1);
    expect(t.state().checkpointNotice).toMatchObject({ kind: 'ok', text: expect.stringMatching(/^Saved "Micro at step 3"/) });
    const file = (await t.state().exportCheckpointFile(t.state().checkpoints[0]!.id))!;
    await t.state().importCheckpointFile(file.fileName, file.bytes.slice(0, 50));
    expect(t.state().checkpointNotice).toMatchObject({ kind: 'error', text: expect.stringMatching(/is not a usable checkpoint.*Nothing was imported/) });
    expect(t.state().checkpoints).toHaveLength(1);
    const imported = await t.state().importCheckpointFile(file.fileName, file.bytes);
    expect(t.state().checkpoints).toHaveLength(2);
    const back = (await t.state().exportCheckpointFile(imported!.id))!;
    expect(Buffer.from(back.bytes).equals(Buffer.from(file.bytes))).toBe(true);
  });

  it('imports a Hugging Face GPT-2 zip as a checkpoint that exports back, and refuses a folder without config.json, storing nothing', async () => {
    const t = setup();
    await t.ready();
    const hfConfig: ModelConfig = { vocabSize: 260, contextLength: 8, width: 8, layers: 1, heads: 2, tiedHead: false, activation: 'relu' };
    const weights = initParameters(hfConfig, 9);
    const enc = new TextEncoder();
    const folder = {
      'model.safetensors': writeSafetensors([...weights].map(([n, w]) => [n.replace(/^transformer\./, ''), w])),
      'config.json': enc.encode(JSON.stringify(toHfConfig(hfConfig))),
      'tokenizer.json': enc.encode(JSON.stringify(BpeTokenizer.train('', { vocabSize: 258 }).toJSON())),
    };
    const broken = [{ name: 'model.safetensors', bytes: folder['model.safetensors'].slice().buffer }, { name: 'tokenizer.json', bytes: folder['tokenizer.json'].slice().buffer }];
    expect(await t.state().importHfModel(broken)).toBeNull();
    expect(t.state().checkpointNotice).toMatchObject({ kind: 'error', text: expect.stringMatching(/^config\.json: is missing/) });
    expect(await t.checkpoints.list()).toHaveLength(0);

    const zip = zipSync({ 'tiny-gpt2': folder });
    const meta = await t.state().importHfModel([{ name: 'tiny-gpt2.zip', bytes: zip.slice().buffer }]);
    expect(meta).toMatchObject({ name: 'tiny-gpt2' });
    expect(t.state().checkpoints).toHaveLength(1);
    const out = (await t.state().exportCheckpointHfZip(meta!.id))!;
    const back = readSafetensors(unzipSync(out.bytes)['tiny-gpt2/model.safetensors']!);
    expect(Array.from(back.tensors.get('lm_head.weight')!.data)).toEqual(Array.from(weights.get('lm_head.weight')!.data));
  });
});
