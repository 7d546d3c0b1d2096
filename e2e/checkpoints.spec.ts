import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { test, expect, lossHistory, openStudio, storedCheckpoints } from './fixtures';

// Checkpoints tab and resuming: a reload mid-run resumes from the last autosave
// on the same loss curve, a failed save leaves nothing behind, and imports of
// damaged or foreign files change nothing.

// Tiny enough to train several steps per second on WebGPU emulated by SwiftShader.
const MICRO = { vocabSize: 300, contextLength: 16, width: 32, layers: 1, heads: 2 };
const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(12);


async function createMicroModel(page: Page): Promise<void> {
  await page.getByTestId('studio-tab').click();
  for (const [k, v] of Object.entries(MICRO)) await page.getByTestId(`cfg-${k}`).fill(String(v));
  await page.getByTestId('train-text').fill(TEXT);
  await page.getByTestId('create-model').click();
  await expect(page.getByTestId('model-summary')).toContainText(/param/i);
  await expect(page.getByTestId('create-model')).toBeEnabled();
}

async function setRun(page: Page, steps: number): Promise<void> {
  await page.getByTestId('train-steps').fill(String(steps));
  await page.getByTestId('train-batch').fill('4');
  await page.getByTestId('train-lr').fill('0.01');
  await page.getByTestId('train-warmup').fill('2');
}

async function openCheckpoints(page: Page): Promise<void> {
  await page.getByTestId('checkpoints-tab').click();
  await expect(page.getByTestId('checkpoints-view')).toBeVisible();
}


/** Keys of both checkpoint stores, read straight from IndexedDB. */
async function rawCheckpointKeys(page: Page): Promise<{ meta: string[]; data: string[] }> {
  const { meta, data } = await storedCheckpoints(page);
  return { meta: meta.map((m) => m.id).sort(), data: data.map((d) => d.id).sort() };
}

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: d.suggestedFilename(), bytes: await readFile((await d.path())!) };
}

test('a reload mid-run offers to resume, and the resumed run follows the loss of an uninterrupted one', async ({ page }) => {
  await openStudio(page);
  await openCheckpoints(page);
  await page.getByTestId('autosave-every').fill('4');
  await createMicroModel(page);

  // The reference: the whole run without interruption.
  const STEPS = 24;
  await setRun(page, STEPS);
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 240_000 });
  const reference = await lossHistory(page);
  expect(reference.map((p) => p.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));

  // The same model again (same seed, same text), the same run, cut short by a reload after an autosave.
  await page.getByTestId('create-model').click();
  await page.getByTestId('replace-discard').click();
  await expect(page.getByTestId('train-step')).toContainText(`— / ${STEPS}`);
  await expect(page.getByTestId('train-start')).toBeEnabled();
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => (window.__studio!.store.getState().lastAutosave?.runStep ?? 0) >= 8, undefined, { timeout: 240_000 });
  const beforeReload = await lossHistory(page);
  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|webgl|wasm|cpu/, { timeout: 120_000 });

  const banner = page.getByTestId('resume-banner');
  await expect(banner).toBeVisible();
  const from = Number(await banner.getAttribute('data-step'));
  expect(from).toBeGreaterThanOrEqual(8);
  expect(from).toBeLessThan(STEPS);
  expect(from % 4).toBe(0);
  await expect(banner).toContainText(`step ${from} of ${STEPS}`);
  // The steps trained before the reload matched the reference too (same seed, same batches).
  for (const p of beforeReload) expect(p.loss).toBeCloseTo(reference[p.step - 1]!.loss, 4);

  await page.getByTestId('resume-run').click();
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 240_000 });
  await expect(page.getByTestId('train-step')).toContainText(`${STEPS} / ${STEPS}`);
  const resumed = await lossHistory(page);
  expect(resumed.map((p) => p.step)).toEqual(reference.map((p) => p.step));
  // Steps after the autosave were trained again after the reload: they must land on the reference curve.
  const after = resumed.filter((p) => p.step > from);
  expect(after.length).toBe(STEPS - from);
  for (const p of after) expect(p.loss, `loss at step ${p.step}`).toBeCloseTo(reference[p.step - 1]!.loss, 4);
  const maxDiff = Math.max(...after.map((p) => Math.abs(p.loss - reference[p.step - 1]!.loss)));
  console.log(`resumed at step ${from}: steps ${from + 1}-${STEPS} within ${maxDiff.toExponential(2)} of the uninterrupted run`);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);

  // Finished: once the final autosave is stored (after the run's end), a reload offers nothing.
  await openCheckpoints(page);
  await expect(page.locator('[data-testid="checkpoint-row"][data-kind="auto"]').first().getByTestId('checkpoint-step')).toHaveText(`${STEPS} / ${STEPS}`);
  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /\w/, { timeout: 120_000 });
  await openCheckpoints(page);
  await expect(page.getByTestId('checkpoint-row').first()).toBeVisible();
  await expect(page.getByTestId('resume-banner')).toHaveCount(0);
  // The autosave interval is kept across reloads.
  await expect(page.getByTestId('autosave-every')).toHaveValue('4');
});

test('a save whose transaction fails leaves no checkpoint behind, names what to delete, and stops autosave', async ({ page }) => {
  // Fault injection: while window.__failCheckpointData is set, writing checkpoint
  // bytes fails as a full disk does, after the same transaction wrote the metadata.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if ((window as unknown as { __failCheckpointData?: boolean }).__failCheckpointData && this.name === 'checkpointData') {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return put.apply(this, args);
    };
  });
  await openStudio(page);
  await createMicroModel(page);
  await openCheckpoints(page);
  await expect(page.getByTestId('checkpoints-empty')).toBeVisible();
  await expect(page.getByTestId('storage-usage')).toContainText(/used of .* available/);
  await expect(page.getByTestId('storage-persistence')).toHaveAttribute('data-state', /persistent|best-effort|unsupported/);
  // Asking for persistent storage gets an answer either way: granted, or declined with what to do.
  if ((await page.getByTestId('storage-persistence').getAttribute('data-state')) === 'best-effort') {
    await page.getByTestId('storage-persist').click();
    await expect(page.getByTestId('storage-persist-declined').or(page.locator('[data-testid="storage-persistence"][data-state="persistent"]'))).toBeVisible();
  }

  await page.getByTestId('checkpoint-save').click();
  await expect(page.getByTestId('checkpoint-notice')).toHaveAttribute('data-kind', 'ok');
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
  const kept = (await page.getByTestId('checkpoint-name').textContent())!;
  const before = await rawCheckpointKeys(page);
  expect(before.meta).toHaveLength(1);
  expect(before.data).toEqual(before.meta);

  await page.evaluate(() => ((window as unknown as { __failCheckpointData?: boolean }).__failCheckpointData = true));
  await page.getByTestId('checkpoint-save').click();
  const notice = page.getByTestId('checkpoint-notice');
  await expect(notice).toHaveAttribute('data-kind', 'error');
  await expect(notice).toContainText('Storage is full');
  await expect(notice).toContainText('Your saved checkpoints are unchanged');
  await expect(notice).toContainText(`"${kept}"`);
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
  // The metadata written before the failing put was rolled back with it: no half entry.
  expect(await rawCheckpointKeys(page)).toEqual(before);

  // Autosave during a run hits the same full disk: it stops, says what to delete, and keeps what is stored.
  await page.getByTestId('autosave-every').fill('2');
  await page.getByTestId('studio-tab').click();
  await setRun(page, 4);
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 240_000 });
  await openCheckpoints(page);
  await expect(page.getByTestId('autosave-stopped')).toContainText(`"${kept}"`);
  await expect(page.getByTestId('autosave-enabled')).not.toBeChecked();
  expect(await rawCheckpointKeys(page)).toEqual(before);

  // After a reload the list still holds exactly the one whole checkpoint.
  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /\w/, { timeout: 120_000 });
  await openCheckpoints(page);
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
  await expect(page.getByTestId('checkpoint-name')).toHaveText(kept);
  // The stored bytes are whole: the checkpoint loads.
  await page.getByTestId('checkpoint-load').click();
  await expect(page.getByTestId('checkpoint-notice')).toContainText(`Loaded "${kept}"`);
});

test('exports and imports a checkpoint bit for bit, refuses truncated and foreign files, renames and deletes', async ({ page }) => {
  await openStudio(page);
  await createMicroModel(page);
  await openCheckpoints(page);
  await page.getByTestId('checkpoint-save').click();
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
  const row = page.getByTestId('checkpoint-row').first();
  await expect(row.getByTestId('checkpoint-step')).toHaveText('0');
  await expect(row.getByTestId('checkpoint-size')).toHaveText(/KB|MB/);

  // Rename to text with markup: it is shown as text and survives a reload.
  const name = '<b>micro</b> & base';
  await row.getByTestId('checkpoint-rename').click();
  await row.getByTestId('checkpoint-rename-input').fill(name);
  await row.getByTestId('checkpoint-rename-save').click();
  await expect(row.getByTestId('checkpoint-name')).toHaveText(name);
  await expect(page.locator('[data-testid="checkpoints-view"] b')).toHaveCount(0);

  const file = await download(page, () => row.getByTestId('checkpoint-export').click());
  expect(file.name).toMatch(/\.safetensors$/);
  const zip = await download(page, () => row.getByTestId('checkpoint-export-hf').click());
  expect(zip.name).toMatch(/\.zip$/);
  const entries = unzipSync(new Uint8Array(zip.bytes));
  // One folder named after the checkpoint: a complete Hugging Face model with its metadata and the scale-out bundle.
  const files = Object.keys(entries).filter((n) => !n.endsWith('/'));
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json', 'README.md', 'train_trl.py']) {
    expect(files).toContain(`b-micro-b-base/${f}`);
  }
  const hfWeights = Object.entries(entries).find(([n]) => n.endsWith('model.safetensors'))![1];
  const config = JSON.parse(Buffer.from(Object.entries(entries).find(([n]) => n.endsWith('config.json'))![1]).toString('utf8'));
  expect(config.n_embd).toBe(MICRO.width);

  const refused = async (fileName: string, buffer: Buffer, why: RegExp) => {
    await page.getByTestId('checkpoint-import-input').setInputFiles({ name: fileName, mimeType: 'application/octet-stream', buffer });
    const notice = page.getByTestId('checkpoint-notice');
    await expect(notice).toHaveAttribute('data-kind', 'error');
    await expect(notice).toContainText(`"${fileName}"`);
    await expect(notice).toContainText('Nothing was imported');
    await expect(notice).toContainText(why);
    await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
    await notice.getByRole('button', { name: /dismiss/i }).click();
  };
  await refused('half.safetensors', file.bytes.subarray(0, Math.floor(file.bytes.length / 2)), /not a usable checkpoint/);
  await refused('hf-model.safetensors', Buffer.from(hfWeights), /not an Instruct Studio checkpoint/);
  await refused('notes.safetensors', Buffer.from('{"instruction": "not a model"}'), /not a usable checkpoint/);
  const keys = await rawCheckpointKeys(page);
  expect(keys.meta).toHaveLength(1);
  expect(keys.data).toEqual(keys.meta);

  // The whole file imports, and exporting the import gives back the same bytes.
  await page.getByTestId('checkpoint-import-input').setInputFiles({ name: 'copy.safetensors', mimeType: 'application/octet-stream', buffer: file.bytes });
  await expect(page.getByTestId('checkpoint-notice')).toHaveAttribute('data-kind', 'ok');
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(2);
  const imported = page.locator('[data-testid="checkpoint-row"][data-kind="import"]');
  const again = await download(page, () => imported.getByTestId('checkpoint-export').click());
  expect(again.bytes.equals(file.bytes)).toBe(true);

  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /\w/, { timeout: 120_000 });
  await openCheckpoints(page);
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(2);
  const renamed = page.locator('[data-testid="checkpoint-row"][data-kind="manual"]');
  await expect(renamed.getByTestId('checkpoint-name')).toHaveText(name);

  // Delete asks first; keeping it changes nothing, confirming removes it.
  await renamed.getByTestId('checkpoint-delete').click();
  await renamed.getByTestId('checkpoint-delete-cancel').click();
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(2);
  await renamed.getByTestId('checkpoint-delete').click();
  await renamed.getByTestId('checkpoint-delete-confirm').click();
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
  await expect(page.getByTestId('checkpoint-notice')).toContainText('Deleted');
  expect((await rawCheckpointKeys(page)).meta).toHaveLength(1);

  // The Hugging Face zip imports back as a model: a folder without config.json is refused first.
  await page.getByTestId('hf-import-input').setInputFiles([
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(hfWeights) },
  ]);
  await expect(page.getByTestId('checkpoint-notice')).toHaveAttribute('data-kind', 'error');
  await expect(page.getByTestId('checkpoint-notice')).toContainText('config.json: is missing');
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);
  await page.getByTestId('hf-import-input').setInputFiles({ name: zip.name, mimeType: 'application/zip', buffer: zip.bytes });
  await expect(page.getByTestId('checkpoint-notice')).toHaveAttribute('data-kind', 'ok');
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(2);
  await page.getByTestId('checkpoint-row').filter({ hasText: 'b-micro-b-base' }).getByTestId('checkpoint-load').click();
  await expect(page.getByTestId('checkpoint-notice')).toContainText(`Loaded "${zip.name.replace(/\.zip$/, '')}"`);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

test('discarding the resume offer keeps the autosave, and "Continue run" in the list picks the run up from it', async ({ page }) => {
  await openStudio(page);
  await openCheckpoints(page);
  await page.getByTestId('autosave-every').fill('3');
  await createMicroModel(page);
  await setRun(page, 300);
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => (window.__studio!.store.getState().lastAutosave?.runStep ?? 0) >= 3, undefined, { timeout: 240_000 });
  await page.reload();
  await expect(page.getByTestId('resume-banner')).toBeVisible({ timeout: 120_000 });
  const from = Number(await page.getByTestId('resume-banner').getAttribute('data-step'));
  await page.getByTestId('resume-dismiss').click();
  await expect(page.getByTestId('resume-banner')).toHaveCount(0);

  // Declined: a reload no longer offers it, but its autosave stays, ready to continue.
  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /\w/, { timeout: 120_000 });
  await openCheckpoints(page);
  const row = page.locator('[data-testid="checkpoint-row"][data-kind="auto"]');
  await expect(row).toHaveCount(1);
  await expect(page.getByTestId('resume-banner')).toHaveCount(0);
  await expect(row.getByTestId('checkpoint-step')).toHaveText(`${from} / 300`);
  await row.getByTestId('checkpoint-continue').click();
  await page.getByTestId('studio-tab').click();
  await expect(page.getByTestId('train-status')).toHaveText(/running/i);
  await page.waitForFunction((f) => window.__studio!.store.getState().step >= f + 2, from);
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('train-status')).toHaveText(/stopped/i);
  const history = await lossHistory(page);
  // The curve carries on from the autosave: the steps before it, then the new ones, without a gap or a restart.
  expect(history.map((p) => p.step)).toEqual(Array.from({ length: history.length }, (_, i) => i + 1));
  expect(history.length).toBeGreaterThan(from);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});
