// The UI thread's end of the worker protocol, over a fake worker: each request
// gets the one reply that carries its id, refusals and restarts reject, and
// large buffers travel as transfers.

import { describe, expect, it } from 'vitest';
import { fakeClient } from './fakeWorker';
import { RequestError } from './workerClient';

const clientSetup = fakeClient;

describe('worker client', () => {
  it('resolves a request with the reply carrying its id, and rejects on its error', async () => {
    const t = clientSetup();
    const tokens = t.client.request('tokenize', { text: 'hi' });
    const req = t.worker().last('tokenize');
    t.worker().reply('tokenize', { ids: [9], pieces: ['x'] }, req.id + 99);
    t.worker().reply('tokenize', { ids: [1, 2], pieces: ['h', 'i'] }, req.id);
    await expect(tokens).resolves.toMatchObject({ ids: [1, 2] });

    const logits = t.client.request('logits', { ids: [1] });
    t.worker().fail('logits', 'no-model', 'Create a model first.');
    await expect(logits).rejects.toBeInstanceOf(RequestError);
  });

  it('transfers large buffers instead of copying them', () => {
    const t = clientSetup();
    const safetensors = new ArrayBuffer(16);
    void t.client.request('loadModel', { name: 'm', safetensors, configJson: '{}', tokenizerJson: '{}' });
    expect(t.worker().transfers[0]).toEqual([safetensors]);
  });

  it('rejects pending requests when the worker restarts', async () => {
    const t = clientSetup();
    const pending = t.client.request('exportModel', { includeOptimizer: false });
    t.client.restart();
    await expect(pending).rejects.toBeInstanceOf(RequestError);
  });
});
