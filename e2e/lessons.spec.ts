import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { test, expect, foreignRequests } from './fixtures';

// The Lessons view as a first visit finds it: every step walked on the shipped
// models, once on WebGPU (the page's first choice) and once on the WebGL
// fallback in presenter mode on a 1024x768 projector. Greedy answers: the base
// model continues with a question, the tuned model says Paris, and the
// next-token bars show why. Few generated tokens; tuning itself is not run
// (40 steps take many minutes on emulated GPUs), only its step is walked.
// Both walks run offline: after the first visit the network is cut and the
// page reloaded from the service worker's copy, under the page's CSP.

/**
 * Opens the page as a first-time visitor, waits until the service worker has
 * kept its offline copy, then cuts the network and reloads: everything after
 * this runs offline. Returns the Content-Security-Policy complaints the
 * console shows (there must be none).
 */
async function firstVisit(page: Page): Promise<string[]> {
  const refused: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) refused.push(m.text());
  });
  await page.goto('/');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.context().setOffline(true);
  const reloaded = await page.reload();
  expect(reloaded?.fromServiceWorker(), 'the page came from the offline copy').toBe(true);
  // Really offline: what the copy does not hold cannot be fetched at all.
  const probe = await page.evaluate(async () => {
    const held = (await fetch('./models/index.json')).ok;
    const notHeld = await fetch('./not-in-the-offline-copy.json').then((r) => `HTTP ${r.status}`, () => 'network error');
    return { held, notHeld };
  });
  expect(probe).toEqual({ held: true, notHeld: 'network error' });
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
  return refused;
}

/** The document is no wider than the window: nothing scrolls sideways. */
async function noSidewaysScroll(page: Page): Promise<void> {
  const w = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
  expect(w.doc, `document ${w.doc}px wide in a ${w.view}px window`).toBe(w.view);
}

const px = (page: Page, testId: string) => page.getByTestId(testId).first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));

async function walk(page: Page, opts: { presenter: boolean }): Promise<void> {
  const step = page.getByTestId('lesson-step');
  const next = async () => {
    // Presenter mode is driven from the keyboard (a clicker sends PageDown), otherwise by the button.
    if (opts.presenter) await page.keyboard.press('PageDown');
    else await page.getByTestId('lesson-next').click();
  };
  const fits = async () => {
    if (opts.presenter) await noSidewaysScroll(page);
  };

  // 1. Meet the base model: base and tuned, greedy, with their next-token bars.
  await expect(step).toHaveAttribute('data-step', 'base-model');
  await expect(page.getByTestId('lesson-title')).toHaveText('Meet the base model');
  await expect(page.getByTestId('lesson-text')).toContainText('with another question');
  await expect(page.getByTestId('lesson-question')).toHaveValue('What is the capital of France?');
  await expect(page.getByTestId('lesson-sampling')).not.toBeChecked();
  await expect(page.getByTestId('lesson-decoding')).toContainText('Greedy decoding');
  await page.getByTestId('lesson-ask').click();
  const base = page.locator('[data-testid="lesson-column"][data-key="shipped:base"]');
  const tuned = page.locator('[data-testid="lesson-column"][data-key="shipped:tuned"]');
  await expect(base).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(tuned).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(base.getByTestId('lesson-column-prompt')).toHaveText('Question: What is the capital of France?\nAnswer:');
  await expect(base.getByTestId('lesson-verdict')).toHaveAttribute('data-kind', 'question');
  await expect(tuned.getByTestId('lesson-verdict')).toHaveAttribute('data-kind', 'answer');
  await expect(tuned.getByTestId('lesson-answer')).toContainText('Paris');
  console.log(`base: ${JSON.stringify(await base.getByTestId('lesson-answer').textContent())}, tuned: ${JSON.stringify(await tuned.getByTestId('lesson-answer').textContent())}`);
  for (const col of [base, tuned]) await expect(col.getByTestId('prob-bar')).toHaveCount(10);
  await expect(tuned.getByTestId('prob-bar').first()).toHaveAttribute('data-token', ' Paris');
  expect(Number(await tuned.getByTestId('prob-bar').first().getAttribute('data-p'))).toBeGreaterThan(0.5);
  const baseTokens = await base.getByTestId('prob-bar').evaluateAll((els) => els.map((e) => e.getAttribute('data-token')));
  expect(baseTokens.slice(0, 3)).toContain(' What');
  // The base model's favourite is a word that opens another question or request, never an answer.
  expect(baseTokens[0]!.trim().toLowerCase()).toMatch(/^(what|which|how|name|give|tell|could|quick)$/);
  expect(baseTokens[0]).not.toBe(' Paris');
  if (opts.presenter) {
    expect(await px(page, 'lesson-text')).toBeGreaterThanOrEqual(22);
    expect(await px(page, 'lesson-answer')).toBeGreaterThanOrEqual(28);
    await expect(page.getByTestId('lesson-list-item')).toHaveCount(0);
  }
  await fits();

  // 2. Instruction data: the pair, its template, its tokens with the mask, four published formats.
  await next();
  await expect(step).toHaveAttribute('data-step', 'instruction-data');
  await expect(page.getByTestId('lesson-title')).toHaveText('Instruction data');
  await expect(page.getByTestId('lesson-text')).toContainText('over 1,800 tasks');
  await expect(page.getByTestId('lesson-template-text')).toHaveText('Question: What is the capital of France?\nAnswer: The capital of France is Paris.');
  await expect(page.getByTestId('token-view')).toHaveAttribute('data-ready', 'true');
  expect(await page.locator('.tok[data-trained="1"]').count()).toBeGreaterThan(0);
  expect(await page.locator('.token-view .tok[data-trained="0"]').count()).toBeGreaterThan(0);
  await expect(page.getByTestId('lesson-format')).toHaveCount(4);
  await expect(page.locator('[data-testid="lesson-format"][data-format="dolly"]')).toContainText('"context"');
  await expect(page.locator('[data-testid="lesson-format"][data-format="oasst"]')).toContainText('"prompter"');
  await fits();

  // 3. Tune it yourself: the workshop settings on the base model (not run here).
  await next();
  await expect(step).toHaveAttribute('data-step', 'tune');
  await expect(page.getByTestId('lesson-title')).toHaveText('Tune it yourself');
  const load = page.getByTestId('lesson-load-base');
  // A backend switch empties the studio: the lesson offers the base model again.
  if (await load.isVisible()) await load.click();
  await expect(page.getByTestId('lesson-tune-setup')).toContainText('40 steps of 16 rows, short examples packed several to a row, learning rate 0.0005', { timeout: 120_000 });
  await expect(page.getByTestId('lesson-tune-setup')).toContainText('Base model');
  await expect(page.getByTestId('lesson-tune-start')).toBeEnabled();
  await fits();

  // 4. Compare: a held-out batch of countries never seen in tuning, scored per model.
  await next();
  await expect(step).toHaveAttribute('data-step', 'compare');
  await expect(page.getByTestId('lesson-text')).toContainText('never appeared in the tuning set');
  await page.getByTestId('lesson-batch-size').fill('2');
  await page.getByTestId('lesson-batch-run').click();
  const totals = page.getByTestId('lesson-batch-total');
  await expect(totals).toHaveCount(2, { timeout: 240_000 });
  await expect(page.getByTestId('lesson-batch-run')).toBeEnabled({ timeout: 240_000 });
  for (const t of await totals.all()) await expect(t).toHaveAttribute('data-answered', '2');
  await expect(page.locator('[data-testid="lesson-batch-total"][data-key="shipped:base"]')).toHaveAttribute('data-correct', '0');
  console.log(`held-out: tuned ${await page.locator('[data-testid="lesson-batch-total"][data-key="shipped:tuned"]').getAttribute('data-correct')} of 2`);
  await fits();
  if (!opts.presenter) {
    // The Compare view opened from here: the same models and question, greedy, and it says so.
    await page.getByTestId('lesson-open-compare').click();
    await expect(page.getByTestId('compare-view')).toBeVisible();
    await expect(page.getByTestId('compare-prompt')).toHaveValue('What is the capital of France?');
    await expect(page.locator('[data-testid="compare-model"]:checked')).toHaveCount(2);
    await expect(page.getByTestId('compare-greedy')).toBeChecked();
    await expect(page.getByTestId('compare-decoding')).toContainText('Opened from the lesson.');
    await expect(page.getByTestId('compare-decoding')).toContainText('Greedy');
    await expect(page.getByTestId('compare-run')).toBeEnabled();
    // Sampling stays one click away; "Ask all" waits until every chosen model is ready.
    await page.getByTestId('compare-greedy').uncheck();
    await expect(page.getByTestId('compare-decoding')).toContainText('Sampling');
    await page.getByTestId('compare-greedy').check();
    for (const key of ['shipped:base', 'shipped:tuned']) await page.locator(`[data-testid="compare-model"][data-key="${key}"]`).uncheck();
    await expect(page.getByTestId('compare-run')).toBeDisabled();
    await expect(page.getByTestId('compare-blocker')).toHaveText('Tick the models to compare on the left.');
    for (const key of ['shipped:base', 'shipped:tuned']) await page.locator(`[data-testid="compare-model"][data-key="${key}"]`).check();
    await expect(page.getByTestId('compare-run')).toBeEnabled();
    await page.getByTestId('lessons-tab').click();
    await expect(step).toHaveAttribute('data-step', 'compare');
  }

  // 5. Many tasks, many phrasings: the flan runner (arms (a) and (c) tune for minutes, so it
  // is not run here; src/store/lessons/slice.test.ts checks what it asks the worker).
  await next();
  await expect(step).toHaveAttribute('data-step', 'many-tasks');
  await expect(page.getByTestId('lesson-text')).toContainText('in all thirteen phrasings');
  await expect(page.getByTestId('experiment-run')).toBeEnabled();
  await fits();

  // 6. The model writes its own data: three proposals from the shipped tuned model (no
  // tuning), counted and filtered in the worker.
  await next();
  await expect(step).toHaveAttribute('data-step', 'self-instruct');
  if (!opts.presenter) {
    await page.getByTestId('self-instruct-count').fill('3');
    await page.getByTestId('self-instruct-run').click();
    await expect(page.getByTestId('self-instruct-summary')).toContainText('3 proposed', { timeout: 240_000 });
    await expect(page.getByTestId('self-instruct-error')).toHaveCount(0);
  }
  await fits();

  // 7. Preference tuning: text. 8. Your own domain: the mix experiment's runner (its run takes
  // minutes, so it is not run here; src/worker/engine.experiment.test.ts runs it). 9. Your own models.
  await next();
  await expect(step).toHaveAttribute('data-step', 'preference-tuning');
  await expect(page.getByTestId('lesson-text')).toContainText('helpful, honest and harmless');
  await fits();
  await next();
  await expect(step).toHaveAttribute('data-step', 'your-domain');
  await expect(page.getByTestId('lesson-text')).toContainText('Raw text adds knowledge but can wear away instruction following');
  await expect(page.getByTestId('experiment-run')).toBeEnabled();
  await fits();
  await next();
  await expect(step).toHaveAttribute('data-step', 'your-models');
  await expect(page.getByTestId('lesson-text')).toContainText('Keep instruction-formatted examples in the mix');
  await expect(page.getByTestId('lesson-next')).toBeDisabled();
  await fits();
}

test('walks every lesson on WebGPU: base continues with a question, tuned says Paris, and progress survives a reload', async ({ page, browser, requests, baseURL }) => {
  test.setTimeout(600_000);
  const started = Date.now();
  const refused = await firstVisit(page);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('lessons-view')).toBeVisible();
  await walk(page, { presenter: false });

  // Progress is kept across a reload; the keyboard goes back a step.
  await page.reload();
  await expect(page.getByTestId('lesson-step')).toHaveAttribute('data-step', 'your-models');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('lesson-step')).toHaveAttribute('data-step', 'your-domain');
  await expect(page.getByTestId('error-banner')).toHaveCount(0);

  // The model in the studio takes the user's own name; empty and too long names are refused.
  await page.getByTestId('studio-tab').click();
  await expect(page.getByTestId('model-name')).toBeVisible({ timeout: 120_000 });
  await page.getByTestId('model-rename').click();
  await page.getByTestId('model-rename-input').fill('  ');
  await expect(page.getByTestId('model-rename-error')).toContainText('cannot be empty');
  await expect(page.getByTestId('model-rename-save')).toBeDisabled();
  await page.getByTestId('model-rename-input').fill('x'.repeat(61));
  await expect(page.getByTestId('model-rename-error')).toContainText('61 characters');
  await page.getByTestId('model-rename-input').fill('Geo bot');
  await page.getByTestId('model-rename-save').click();
  await expect(page.getByTestId('model-name')).toHaveText('Geo bot');
  await page.getByTestId('compare-tab').click();
  await expect(page.locator('label:has([data-testid="compare-model"][data-key="current"])')).toContainText('Geo bot');

  // Workshop pack: the renamed model saved (under its name), a dataset and the lesson progress in one file;
  // another machine (a fresh browser profile) imports all of it; a cut-short copy is refused whole.
  await page.getByTestId('checkpoints-tab').click();
  await page.getByTestId('checkpoint-save').click();
  await expect(page.getByTestId('checkpoint-name')).toHaveText(['Geo bot']);
  await page.getByTestId('pack-checkpoint').first().check();
  await page.getByTestId('pack-dataset').first().check();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('pack-export').click()]);
  await expect(page.getByTestId('pack-notice')).toContainText('Exported 1 dataset, 1 checkpoint and the lesson progress');
  const packPath = (await download.path())!;
  const packBytes = await readFile(packPath);
  await page.getByTestId('pack-import-input').setInputFiles({ name: 'cut.zip', mimeType: 'application/zip', buffer: packBytes.subarray(0, packBytes.length >> 1) });
  await expect(page.getByTestId('pack-notice')).toHaveAttribute('data-kind', 'error');
  await expect(page.getByTestId('pack-notice')).toContainText('Nothing was imported');
  await expect(page.getByTestId('checkpoint-row')).toHaveCount(1);

  const other = await browser.newContext();
  const learner = await other.newPage();
  await learner.goto('/?start=empty');
  await learner.getByTestId('checkpoints-tab').click();
  await learner.getByTestId('pack-import-input').setInputFiles(packPath);
  await expect(learner.getByTestId('pack-notice')).toContainText('Imported 1 dataset, 1 checkpoint and the lesson progress', { timeout: 60_000 });
  await expect(learner.getByTestId('checkpoint-name')).toHaveText(['Geo bot']);
  await learner.getByTestId('lessons-tab').click();
  await expect(learner.getByTestId('lesson-step')).toHaveAttribute('data-step', 'your-domain');
  await other.close();

  expect(foreignRequests(requests, new URL(baseURL!).origin)).toEqual([]);
  expect(refused).toEqual([]);
  console.log(`WebGPU walk: ${((Date.now() - started) / 1000).toFixed(0)} s`);
});

test('walks every lesson on the WebGL fallback in presenter mode on a 1024x768 projector', async ({ page }) => {
  test.setTimeout(600_000);
  const started = Date.now();
  await page.setViewportSize({ width: 1024, height: 768 });
  const refused = await firstVisit(page);
  // Switch once the base model is in (a switch restarts the trainer and empties the studio).
  await page.waitForFunction(() => window.__studio!.store.getState().model !== null, undefined, { timeout: 120_000 });
  await page.getByTestId('backend-select').selectOption('webgl');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgl', { timeout: 120_000 });
  await page.getByTestId('presenter-toggle').check();
  await noSidewaysScroll(page);
  await walk(page, { presenter: true });
  // Back from the keyboard, and presenter mode is kept across a reload.
  await page.keyboard.press('PageUp');
  await expect(page.getByTestId('lesson-step')).toHaveAttribute('data-step', 'your-domain');
  await page.reload();
  await expect(page.getByTestId('presenter-toggle')).toBeChecked();
  await noSidewaysScroll(page);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  expect(refused).toEqual([]);
  console.log(`WebGL presenter walk: ${((Date.now() - started) / 1000).toFixed(0)} s`);
});

test.describe('opening the page', () => {
  // Requests go straight to the network here (no service worker), so the test can hold and refuse them.
  test.use({ serviceWorkers: 'block' });

  test('shows what is loading instead of an empty studio, and why when the base model fails to load', async ({ page }) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/models/base/model.safetensors', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto('/');
    await page.getByTestId('studio-tab').click();
    const progress = page.getByTestId('startup-progress');
    await expect(progress).toHaveAttribute('data-phase', 'download', { timeout: 120_000 });
    await expect(progress).toContainText(/Downloading .+…/);
    // No empty studio meanwhile: no "Create model" panel to click by mistake.
    await expect(page.getByTestId('create-model')).toHaveCount(0);
    release();
    await expect(page.getByTestId('model-summary')).toContainText(/param/i, { timeout: 120_000 });
    await expect(progress).toHaveCount(0);

    await page.unroute('**/models/base/model.safetensors');
    await page.route('**/models/base/model.safetensors', (route) => route.fulfill({ status: 500, body: 'disk failed' }));
    await page.reload();
    await expect(progress).toHaveAttribute('data-phase', 'failed', { timeout: 120_000 });
    await expect(progress).toContainText('could not be read');
    await expect(progress).toContainText('500');
    // The studio opens empty after it, ready to create a model.
    await expect(page.getByTestId('create-model')).toBeVisible();
  });
});
