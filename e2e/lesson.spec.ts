import { test, expect, openStudio, foreignRequests } from './fixtures';

// The page as a first-time user finds it: the shipped base model loaded, the
// country-facts tuning set selected, tuning settings for a pretrained model, and
// the lesson's question one click away.

test('opens with the shipped base model ready to tune, and asks the France question in one click', async ({ page, requests, baseURL }) => {
  await openStudio(page, '', { withBaseModel: true });
  await expect(page.getByTestId('model-name')).toHaveText('Base model', { timeout: 120_000 });
  await expect(page.getByTestId('model-summary')).toContainText('context 64, width 256, 4 layers × 4 heads');

  const s = await page.evaluate(() => {
    const st = (window as any).__studio.store.getState();
    return { kind: st.trainDataKind, dataset: st.selectedDatasetId, steps: st.trainOptions.steps, lr: st.trainOptions.learningRate, warmup: st.trainOptions.warmupSteps, batch: st.trainOptions.batchSize, pack: st.pack, shipped: st.shippedModels.map((m: { id: string }) => m.id) };
  });
  // The lesson settings measured by `npm run bench -- --lesson`, on packed rows.
  expect(s).toMatchObject({ kind: 'instructions', steps: 40, batch: 16, lr: 5e-4, warmup: 4, pack: true, shipped: ['base', 'tuned'] });
  await expect.poll(() => page.evaluate(() => (window as any).__studio.store.getState().selectedDatasetId), { timeout: 60_000 }).toBe('starter-geo-tune');

  await page.getByTestId('gen-prompt').fill('');
  await page.getByTestId('gen-lesson-prompt').click();
  await expect(page.getByTestId('gen-prompt')).toHaveValue('What is the capital of France?');
  await page.getByTestId('gen-temperature').fill('0');
  await page.getByTestId('gen-maxtokens').fill('6');
  await page.getByTestId('gen-run').click();
  await expect(page.getByTestId('gen-run')).toBeEnabled({ timeout: 120_000 });
  expect(((await page.getByTestId('gen-output').textContent()) ?? '').length).toBeGreaterThan(0);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  expect(foreignRequests(requests, new URL(baseURL!).origin)).toEqual([]);
});

test('the Model panel shows the loaded model, and a new model asks before it replaces it', async ({ page }) => {
  await openStudio(page, '', { withBaseModel: true });
  await expect(page.getByTestId('model-name')).toHaveText('Base model', { timeout: 120_000 });
  // The loaded model's shape, not a preset's.
  await expect(page.getByTestId('cfg-width')).toHaveValue('256');
  await expect(page.getByTestId('cfg-layers')).toHaveValue('4');
  await expect(page.getByTestId('cfg-contextLength')).toHaveValue('64');
  await expect(page.getByTestId('cfg-vocabSize')).toHaveValue('4096');

  await page.getByTestId('preset-select').selectOption('micro');
  await page.getByTestId('create-model').click();
  const confirm = page.getByTestId('replace-confirm');
  await expect(confirm).toContainText('replaces Base model');
  await page.getByTestId('replace-cancel').click();
  await expect(confirm).toHaveCount(0);
  await expect(page.getByTestId('model-name')).toHaveText('Base model');

  // Saved first, then replaced: the base model is kept in Checkpoints.
  await page.getByTestId('create-model').click();
  await page.getByTestId('replace-save').click();
  await expect(page.getByTestId('model-name')).toHaveText(/^New model/, { timeout: 120_000 });
  await page.getByTestId('checkpoints-tab').click();
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
  await expect(page.getByTestId('checkpoint-row')).toContainText('Base model');
});
