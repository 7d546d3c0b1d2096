import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tf';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import { readInfo } from '../checkpoint/info';
import { MAX_MODEL_NAME } from '../train/modelName';
import { harness, ready, TEXT } from './engineHarness';

beforeAll(async () => {
  await useCpuBackend();
});

describe('StudioEngine renaming the main model', () => {
  const run = { ...DEFAULT_TRAIN_OPTIONS, steps: 3, batchSize: 2, learningRate: 3e-3, warmupSteps: 1, evalEvery: 0 };
  const textData = { kind: 'text' as const, text: TEXT };

  it('refuses an empty or too long name with a message and keeps the old name', async () => {
    const h = await ready();
    const before = h.of('modelReady')[0]!.name;
    await h.send({ type: 'renameModel', name: '   ' });
    await h.send({ type: 'renameModel', name: 'x'.repeat(MAX_MODEL_NAME + 1) });
    const refused = h.failures();
    expect(refused.map((f) => [f.request, f.code])).toEqual([
      ['renameModel', 'bad-input'],
      ['renameModel', 'bad-input'],
    ]);
    expect(refused[0]!.message).toMatch(/cannot be empty/);
    expect(refused[1]!.message).toMatch(new RegExp(`${MAX_MODEL_NAME + 1} characters.*${MAX_MODEL_NAME}`));
    await h.send({ type: 'captureCheckpoint' });
    expect(h.replies('captureCheckpoint')[0]!.info).toMatchObject({ name: before });
    expect(h.replies('captureCheckpoint')[0]!.info.named).toBeUndefined();
  });

  it('keeps a given name through training and writes it, marked as given, into checkpoints', async () => {
    const h = await ready();
    await h.send({ type: 'renameModel', name: '  Geo bot  ' });
    expect(h.replies('renameModel')).toEqual([expect.objectContaining({ name: 'Geo bot' })]);
    await h.send({ type: 'train', data: textData, options: run });
    expect(h.failures()).toEqual([]);
    // Without the given name it would now be "Your model: trained from New model ..., 3 steps".
    expect(h.of('trainState').map((e) => e.modelName)).toEqual(h.of('trainState').map(() => 'Geo bot'));
    await h.send({ type: 'captureCheckpoint' });
    const ck = h.replies('captureCheckpoint')[0]!;
    expect(ck.info).toMatchObject({ name: 'Geo bot', named: true });
    expect(readInfo(ck.bytes).info).toMatchObject({ name: 'Geo bot', named: true });

    // Loaded again as named, it keeps the name as it trains on.
    const again = harness();
    await again.send({ type: 'init', backend: 'cpu' });
    await again.send({ type: 'loadModel', name: 'Geo bot', named: true, safetensors: ck.bytes.slice(0), configJson: '', tokenizerJson: '' });
    expect(again.of('modelReady')[0]).toMatchObject({ name: 'Geo bot', named: true });
    await again.send({ type: 'train', data: textData, options: run });
    expect(again.of('trainState').at(-1)).toMatchObject({ state: 'done', modelName: 'Geo bot' });

    // Loaded as a plain name, training names it for what it became.
    const plain = harness();
    await plain.send({ type: 'init', backend: 'cpu' });
    await plain.send({ type: 'loadModel', name: 'Geo bot', safetensors: ck.bytes.slice(0), configJson: '', tokenizerJson: '' });
    await plain.send({ type: 'train', data: textData, options: run });
    expect(plain.of('trainState').at(-1)).toMatchObject({ modelName: 'Your model: tuned from Geo bot, 3 steps' });
  });

  it('refuses to rename when no model is loaded', async () => {
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    await h.send({ type: 'renameModel', name: 'Geo bot' });
    expect(h.failures()).toEqual([expect.objectContaining({ request: 'renameModel', code: 'no-model' })]);
  });
});
