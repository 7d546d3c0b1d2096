// The worker's experiment request: it runs on copies of a comparison slot's model
// (the slot's weights stay as they were), streams progress, answers with the result,
// and stops on request keeping nothing.

import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tf';
import { PLAIN_TEMPLATE } from '../data/templates';
import type { InstructionExample } from '../data/schema';
import { MIX_QUICK } from '../experiments/mix';
import type { ExperimentRequest } from '../experiments';
import { harness, micro, TEXT } from './engineHarness';

beforeAll(async () => {
  await useCpuBackend();
});

const questions: InstructionExample[] = ['Paris', 'Rome', 'Lima', 'Oslo', 'Bern', 'Riga', 'Kyiv', 'Doha', 'Suva', 'Apia', 'Male'].map((y, i) => ({ id: `q${i}`, source: 't', kind: 'instruction', instruction: `What is the capital of country ${i}?`, response: y }));
const mix = (steps: number): Extract<ExperimentRequest, { name: 'mix' }> => ({
  name: 'mix',
  inputs: { tuneExamples: questions, heldOut: questions },
  settings: { ...MIX_QUICK, steps, batchSize: 2, warmupSteps: 1, countries: 3, taughtCountries: 1, docsPerCountry: 2, heldOutQuestions: 10, oldExamples: 10 },
  quick: true,
});

async function withSlot() {
  const h = harness();
  await h.send({ type: 'init', backend: 'cpu' });
  const text = `${TEXT} ${questions.map((q) => `Question: ${q.instruction}\nAnswer: ${q.response}`).join('\n')} The capital of`;
  await h.send({ type: 'createModel', config: { ...micro, contextLength: 48 }, seed: 1, tokenizer: { kind: 'bpe-train', text } });
  await h.send({ type: 'exportModel', includeOptimizer: false });
  const ck = h.replies('exportModel')[0]!;
  await h.send({ type: 'loadModel', name: 'start', slot: 'start', safetensors: ck.safetensors.slice(0), configJson: ck.configJson, tokenizerJson: ck.tokenizerJson });
  const logits = async () => {
    await h.send({ type: 'logits', ids: [1, 2, 3], slot: 'start' });
    return Array.from(h.replies('logits').at(-1)!.logits);
  };
  return { h, logits };
}

describe('StudioEngine experiments', () => {
  it('runs the mix experiment from a slot, streaming progress, and leaves the slot model as it was', async () => {
    const { h, logits } = await withSlot();
    const before = await logits();
    await h.send({ type: 'experiment', slot: 'start', template: PLAIN_TEMPLATE, run: mix(2) });
    expect(h.failures()).toEqual([]);
    const result = h.replies('experiment')[0]!;
    expect(result.rows.map((r) => r.arm)).toEqual(['before', 'prose', 'mix']);
    const lines = h.of('experimentProgress').map((e) => e.line);
    expect(lines[0]).toBe('before: measuring');
    expect(lines.some((l) => /^prose only: step 2\/2, loss \d/.test(l))).toBe(true);
    expect(lines.some((l) => /^prose \+ instructions: step 2\/2, loss \d/.test(l))).toBe(true);
    expect(await logits()).toEqual(before);
  }, 120_000);

  it('stops between steps on request, answering with why and keeping nothing; refuses a missing slot', async () => {
    const { h, logits } = await withSlot();
    const before = await logits();
    const started = h.next('experimentProgress', (e) => e.line.startsWith('prose only: step'));
    const done = h.send({ type: 'experiment', slot: 'start', template: PLAIN_TEMPLATE, run: mix(200) });
    await started;
    await h.send({ type: 'stopExperiment' });
    await done;
    expect(h.failures()[0]).toMatchObject({ request: 'experiment', code: 'bad-input', message: expect.stringMatching(/stopped; nothing was saved/) });
    expect(await logits()).toEqual(before);
    await h.send({ type: 'experiment', slot: 'nowhere', template: PLAIN_TEMPLATE, run: mix(2) });
    expect(h.failures()[1]).toMatchObject({ request: 'experiment', code: 'no-model' });
    // Too few held-out questions for the split: refused with the reason before any tuning.
    const small = mix(2);
    await h.send({ type: 'experiment', slot: 'start', template: PLAIN_TEMPLATE, run: { ...small, inputs: { ...small.inputs, heldOut: questions.slice(0, 3) } } });
    expect(h.failures()[2]).toMatchObject({ request: 'experiment', code: 'bad-input', message: expect.stringMatching(/held-out question set has 3 example/) });
  }, 180_000);
});
