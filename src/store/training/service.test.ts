// Planning a run without the store: the same refusals the worker would give,
// the model seed carried into the run, and the requests the worker receives.

import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_OPTIONS } from '../../train/options';
import { PLAIN_TEMPLATE } from '../../data/templates';
import { fakeClient } from '../fakeWorker';
import { TrainingService, type RunInput } from './service';

const noDataset = { ok: false as const, message: 'Choose an instruction dataset to train on (Data tab).' };
const base: RunInput = { options: { ...DEFAULT_TRAIN_OPTIONS, steps: 12 }, seed: 77, dataKind: 'text', text: 'the cat sat', mixShare: 0.5, instructions: noDataset };

function setup() {
  const { client, worker } = fakeClient();
  return { service: new TrainingService(client), worker };
}

describe('TrainingService', () => {
  it('plans a text run with the model seed as the run seed', () => {
    const plan = setup().service.plan(base);
    expect(plan).toEqual({ ok: true, data: { kind: 'text', text: 'the cat sat' }, options: { ...DEFAULT_TRAIN_OPTIONS, steps: 12, seed: 77 } });
  });

  it('refuses bad options, an empty text and a missing dataset with the message the panel shows', () => {
    const { service } = setup();
    const lr = service.plan({ ...base, options: { ...base.options, learningRate: 0 } });
    expect(lr).toMatchObject({ ok: false, message: expect.stringContaining('Learning rate must be above 0') });
    expect(service.plan({ ...base, text: '  \n' })).toEqual({ ok: false, message: 'The training text is empty: paste some text to learn from.' });
    expect(service.plan({ ...base, dataKind: 'instructions' })).toEqual(noDataset);
  });

  it('plans an instruction run on the selected dataset', () => {
    const data = { kind: 'instructions' as const, examples: [], template: PLAIN_TEMPLATE, trainOnInputs: false, pack: true, overflow: 'truncate' as const };
    const plan = setup().service.plan({ ...base, dataKind: 'instructions', instructions: { ok: true, data } });
    expect(plan).toMatchObject({ ok: true, data, options: { seed: 77 } });
  });

  it('plans a mix of the text and the selected dataset at the chosen share, and refuses a share outside (0, 1)', () => {
    const data = { kind: 'instructions' as const, examples: [], template: PLAIN_TEMPLATE, trainOnInputs: false, pack: false, overflow: 'truncate' as const };
    const { service } = setup();
    const plan = service.plan({ ...base, dataKind: 'mix', mixShare: 0.25, instructions: { ok: true, data } });
    expect(plan).toMatchObject({ ok: true, data: { kind: 'mix', text: 'the cat sat', instructions: data, instructionShare: 0.25 }, options: { seed: 77 } });
    expect(service.plan({ ...base, dataKind: 'mix', mixShare: 1, instructions: { ok: true, data } })).toMatchObject({ ok: false, message: expect.stringContaining('instruction share must be above 0 and below 1') });
    expect(service.plan({ ...base, dataKind: 'mix' })).toEqual(noDataset);
  });

  it('sends the planned run and answers with how it ended; pause, resume and stop are requests too', async () => {
    const t = setup();
    const plan = t.service.plan(base);
    if (!plan.ok) throw new Error(plan.message);
    const ended = t.service.start(plan);
    expect(t.worker().last('train')).toMatchObject({ data: plan.data, options: plan.options });
    void t.service.pause();
    void t.service.resume();
    void t.service.stop();
    expect(t.worker().types()).toEqual(['train', 'pause', 'resume', 'stop']);
    t.worker().reply('train', { state: 'stopped', step: 5 });
    await expect(ended).resolves.toEqual({ state: 'stopped', step: 5 });
  });
});
