// The models shipped in public/models: they load, have the documented config, stay
// small, and show the lesson: the tuned model answers held-out questions the base
// model does not.
import { readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadModelDir, readDataset } from '../../scripts/lib/node';
import { PLAIN_TEMPLATE } from '../data/templates';
import { evaluateModel } from './evaluate';
import type { Example } from '../data/schema';

const BASE = 'public/models/base';
const TUNED = 'public/models/tuned';
const CONFIG = { vocabSize: 4096, contextLength: 64, width: 256, layers: 4, heads: 4 };

/** Greedy answers of a shipped model folder to the examples. */
async function answers(dir: string, examples: readonly Example[]) {
  const { model, tokenizer } = loadModelDir(dir);
  const report = await evaluateModel(model, tokenizer, examples, { template: PLAIN_TEMPLATE, maxTokens: 8 });
  model.dispose();
  return report;
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('shipped models', () => {
  for (const dir of [BASE, TUNED]) {
    it(`${dir} loads, has the documented config and stays under 20 MB`, () => {
      const { model, tokenizer, config } = loadModelDir(dir);
      expect(config).toEqual(CONFIG);
      expect(tokenizer.vocabSize).toBe(CONFIG.vocabSize);
      const card = readFileSync(`${dir}/README.md`, 'utf8');
      expect(card).toContain(`vocab ${CONFIG.vocabSize}, context ${CONFIG.contextLength}, width ${CONFIG.width}, ${CONFIG.layers} layers, ${CONFIG.heads} heads`);
      expect(card).toMatch(/Licence/);
      expect(card).toMatch(/## Reproduce/);
      expect(statSync(`${dir}/model.safetensors`).size).toBeLessThan(20 * 2 ** 20);
      model.dispose();
    });
  }

  it('the tuned model answers held-out capital questions that the base model does not', async () => {
    const examples = readDataset('public/datasets/geo-eval-heldout-capitals.json').filter((_, i) => i % 5 === 0).slice(0, 12);
    const base = await answers(BASE, examples);
    const tuned = await answers(TUNED, examples);
    const fixed = tuned.rows.filter((r, i) => r.exact && !base.rows[i]!.exact);
    expect(fixed.length).toBeGreaterThanOrEqual(1);
    expect(tuned.totals.exactMatch).toBeGreaterThan(base.totals.exactMatch);
  }, 120_000);

  it('the tuned model answers held-out capitals in phrasings never seen; the base model continues with questions', async () => {
    // One row per held-out phrasing, each about another held-out country (the file is phrasing-major, 96 countries per phrasing).
    const all = readDataset('public/datasets/geo-eval-heldout-capitals-unseen-phrasings.json');
    const examples = Array.from({ length: 8 }, (_, k) => all[k * 96 + k * 11]!);
    const base = await answers(BASE, examples);
    const tuned = await answers(TUNED, examples);
    expect(base.totals.exactMatch).toBe(0);
    expect(base.totals.questionLike).toBeGreaterThanOrEqual(0.75);
    expect(tuned.totals.exactMatch).toBeGreaterThanOrEqual(3 / 8);
  }, 120_000);
});
