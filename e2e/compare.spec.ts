import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { test, expect, openStudio, foreignRequests } from './fixtures';

// Compare tab: two models answer one prompt in parallel columns with the same
// template, settings and seed; batch mode scores an evaluation set per model.
// Micro models only: the shipped base and tuned models are too slow for
// SwiftShader, and the view must work without them.

// The context holds a plain-template question and a few answer tokens.
const MICRO = { vocabSize: 320, contextLength: 64, width: 32, layers: 1, heads: 2 };
const TEXT = 'Question: What is the capital of France?\nAnswer: Paris\nQuestion: What is the capital of Spain?\nAnswer: Madrid\n'.repeat(8);

async function createMicroModel(page: Page): Promise<void> {
  for (const [k, v] of Object.entries(MICRO)) await page.getByTestId(`cfg-${k}`).fill(String(v));
  await page.getByTestId('train-text').fill(TEXT);
  await page.getByTestId('create-model').click();
  await expect(page.getByTestId('model-summary')).toContainText(/param/i);
  await expect(page.getByTestId('create-model')).toBeEnabled();
}

test('two models answer the France question side by side with the same prompt, and a batch is scored per model and exported', async ({ page, requests, baseURL }) => {
  await openStudio(page);
  await createMicroModel(page);

  // Model A: the untrained model, saved as a checkpoint.
  await page.getByTestId('checkpoints-tab').click();
  await page.getByTestId('checkpoint-save').click();
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
  const ckptId = (await page.getByTestId('checkpoint-row').getAttribute('data-id'))!;

  // Model B: the same model after a few steps of training.
  await page.getByTestId('studio-tab').click();
  await page.getByTestId('train-steps').fill('6');
  await page.getByTestId('train-batch').fill('4');
  await page.getByTestId('train-lr').fill('0.01');
  await page.getByTestId('train-warmup').fill('1');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 240_000 });

  await page.getByTestId('compare-tab').click();
  await expect(page.getByTestId('compare-view')).toBeVisible();
  // No shipped models are needed: without public/models the view says so and still works.
  await expect(page.getByTestId('compare-no-shipped').or(page.getByTestId('compare-shipped'))).toBeVisible();
  // Shipped base and tuned models, where public/models has them, come preselected: start from none.
  const ticked = page.locator('[data-testid="compare-model"]:checked');
  while ((await ticked.count()) > 0) await ticked.first().uncheck();
  await page.locator(`[data-testid="compare-model"][data-key="ckpt:${ckptId}"]`).check();
  await page.locator('[data-testid="compare-model"][data-key="current"]').check();

  await page.getByTestId('compare-preset').filter({ hasText: 'What is the capital of France?' }).click();
  await expect(page.getByTestId('compare-prompt')).toHaveValue('What is the capital of France?');
  await page.getByTestId('compare-template').selectOption('plain');
  await page.getByTestId('compare-maxtokens').fill('6');
  await page.getByTestId('compare-temperature').fill('0.8');
  await page.getByTestId('compare-seed').fill('7');
  await page.getByTestId('compare-run').click();

  const columns = page.getByTestId('compare-column');
  await expect(columns).toHaveCount(2);
  await expect(columns.nth(0)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(columns.nth(1)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  for (const col of await columns.all()) {
    await expect(col.getByTestId('compare-column-output')).not.toBeEmpty();
    // Same template for both: the exact prompt each model saw is the same text.
    await expect(col.getByTestId('compare-column-prompt')).toHaveText('Question: What is the capital of France?\nAnswer:');
  }
  await expect(columns.nth(0).getByTestId('compare-column-title')).toContainText('step 0');
  await expect(columns.nth(1).getByTestId('compare-column-title')).toContainText('In the studio');
  // Both used the settings above, the same for every column.
  const cols = await page.evaluate(() => window.__studio!.store.getState().compareColumns);
  expect(Object.keys(cols).sort()).toEqual([`ckpt:${ckptId}`, 'current'].sort());
  for (const c of Object.values(cols)) expect(c.tokenCount).toBeGreaterThan(0);
  for (const c of Object.values(cols)) expect(c.tokenCount).toBeLessThanOrEqual(6);

  // Batch: two held-out questions, both models, greedy; a table with totals, exported as CSV.
  await page.getByTestId('batch-set').selectOption('geo-eval-heldout-capitals');
  await expect(page.getByTestId('batch-set-summary')).toContainText('questions');
  await page.getByTestId('batch-limit').fill('2');
  await page.getByTestId('compare-maxtokens').fill('4');
  await page.getByTestId('batch-run').click();
  await expect(page.getByTestId('batch-progress')).toHaveText('2 / 2 questions', { timeout: 180_000 });
  await expect(page.getByTestId('batch-run')).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('batch-row')).toHaveCount(2);
  await expect(page.getByTestId('batch-row').first()).toContainText('What is the capital of Albania?');
  await expect(page.getByTestId('batch-answer')).toHaveCount(4);
  for (const a of await page.getByTestId('batch-answer').all()) await expect(a).toHaveAttribute('data-correct', /^(true|false)$/);
  const totals = page.getByTestId('batch-total');
  await expect(totals).toHaveCount(2);
  for (const t of await totals.all()) await expect(t).toHaveAttribute('data-answered', '2');
  const shownCorrect = await Promise.all((await totals.all()).map(async (t) => Number(await t.getAttribute('data-correct'))));
  const marked = await Promise.all(
    [`ckpt:${ckptId}`, 'current'].map((k) => page.locator(`[data-testid="batch-answer"][data-key="${k}"][data-correct="true"]`).count()),
  );
  expect(shownCorrect).toEqual(marked);

  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('batch-export').click()]);
  expect(dl.suggestedFilename()).toMatch(/\.csv$/);
  const csv = (await readFile((await dl.path())!, 'utf8')).split('\r\n');
  expect(csv[0]).toMatch(/^question,input,reference,/);
  expect(csv[0]).toContain('In the studio');
  expect(csv[1]).toContain('What is the capital of Albania?');
  expect(csv[3]).toMatch(/^TOTAL,,2 questions,/);

  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  expect(foreignRequests(requests, new URL(baseURL!).origin)).toEqual([]);
});

test('lists the shipped models of models/index.json, and the same weights answer alike in every column', async ({ page }) => {
  // The index is read once, when the page opens (the Lessons view lists the shipped models), so it is served from the start.
  await page.route('**/models/index.json', (r) =>
    r.fulfill({
      contentType: 'application/json',
      body: JSON.stringify([
        { id: 'base', title: 'Shipped base <i>model</i>', dir: 'models/base' },
        { id: 'tuned', title: 'Shipped tuned model', dir: 'models/tuned', template: 'plain' },
        { id: 'missing', title: 'Listed but absent', dir: 'models/missing' },
      ]),
    }),
  );
  await openStudio(page);
  await createMicroModel(page);
  await page.getByTestId('checkpoints-tab').click();
  for (let i = 1; i <= 2; i++) {
    await page.getByTestId('checkpoint-save').click();
    await expect(page.getByTestId('checkpoint-row')).toHaveCount(i);
  }

  // Shipped models are Hugging Face folders (model.safetensors, config.json, tokenizer.json):
  // serve the studio's own model, exported as such a folder, as a stand-in base and tuned model,
  // under the {id, title, dir} index the real public/models/index.json holds.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('checkpoint-export-hf').first().click()]);
  const zip = unzipSync(new Uint8Array(await readFile((await dl.path())!)));
  const file = (name: string) => Buffer.from(Object.entries(zip).find(([n]) => n.endsWith(`/${name}`))![1]);
  for (const dir of ['base', 'tuned']) {
    for (const name of ['model.safetensors', 'config.json', 'tokenizer.json']) {
      await page.route(`**/models/${dir}/${name}`, (r) => r.fulfill({ contentType: 'application/octet-stream', body: file(name) }));
    }
  }
  await page.route('**/models/missing/**', (r) => r.fulfill({ status: 404, body: 'not found' }));

  await page.getByTestId('compare-tab').click();
  const shipped = page.getByTestId('compare-shipped');
  await expect(shipped).toBeVisible();
  await expect(shipped.getByTestId('compare-model')).toHaveCount(2);
  await expect(shipped).toContainText('Shipped base <i>model</i>');
  await expect(shipped.locator('i')).toHaveCount(0);
  await expect(shipped).not.toContainText('Listed but absent');
  // Base and tuned are preselected, and the tuned model's template is chosen.
  await expect(page.locator('[data-testid="compare-model"][data-key="shipped:base"]')).toBeChecked();
  await expect(page.locator('[data-testid="compare-model"][data-key="shipped:tuned"]')).toBeChecked();
  await expect(page.getByTestId('compare-template')).toHaveValue('plain');

  // The studio's model holds the same weights: with one template, sampling and seed, all three columns agree.
  await page.locator('[data-testid="compare-model"][data-key="current"]').check();
  await page.getByTestId('compare-maxtokens').fill('8');
  await page.getByTestId('compare-temperature').fill('1');
  await page.getByTestId('compare-seed').fill('11');
  await page.getByTestId('compare-run').click();
  const columns = page.getByTestId('compare-column');
  await expect(columns).toHaveCount(3);
  for (const col of await columns.all()) await expect(col).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const outputs = await Promise.all((await columns.all()).map((c) => c.getByTestId('compare-column-output').textContent()));
  expect(outputs[0]!.length).toBeGreaterThan(0);
  expect(outputs[1]).toBe(outputs[0]);
  expect(outputs[2]).toBe(outputs[0]);
  await expect(columns.nth(0).getByTestId('compare-column-title')).toHaveText('Shipped base <i>model</i>');

  // Four at most: once four are ticked the rest are disabled.
  const ckpts = page.locator('[data-testid="compare-model"][data-key^="ckpt:"]');
  await ckpts.nth(0).check();
  await expect(page.locator('[data-testid="compare-model"]:checked')).toHaveCount(4);
  await expect(ckpts.nth(1)).toBeDisabled();
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});
