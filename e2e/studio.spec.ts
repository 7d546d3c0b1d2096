import { test, expect, openStudio, foreignRequests } from './fixtures';

// Tiny enough to train a few steps per second on WebGPU emulated by SwiftShader.
const MICRO = { vocabSize: 300, contextLength: 16, width: 32, layers: 1, heads: 2 };
const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(12);

test('runs on WebGPU, trains a tiny model with falling loss, generates, and calls no other host', async ({ page, requests, baseURL }) => {
  const backend = await openStudio(page);
  expect(backend).toBe('webgpu');
  await expect(page.getByTestId('backend-reason')).toContainText(/WebGPU/);

  // Model: a micro config typed into the fields.
  for (const [k, v] of Object.entries(MICRO)) await page.getByTestId(`cfg-${k}`).fill(String(v));
  await page.getByTestId('train-text').fill(TEXT);
  await page.getByTestId('create-model').click();
  await expect(page.getByTestId('model-summary')).toContainText(/param/i);

  // Train: a handful of steps, watching the live numbers.
  await page.getByTestId('train-steps').fill('30');
  await page.getByTestId('train-batch').fill('4');
  await page.getByTestId('train-lr').fill('0.01');
  await page.getByTestId('train-warmup').fill('2');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-status')).toHaveText(/running/i);
  await expect(page.getByTestId('train-step')).toContainText('/ 30');
  await expect(page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 240_000 });
  await expect(page.getByTestId('train-step')).toContainText('30 / 30');
  // Trained, the model is named for what it is now.
  await expect(page.getByTestId('model-name')).toHaveText(/^Your model: trained from New model \(.+\), 30 steps$/);
  const history = await page.evaluate(() => (window as any).__studio.store.getState().lossHistory as Array<{ step: number; loss: number }>);
  expect(history).toHaveLength(30);
  const first = history.slice(0, 3).reduce((a, h) => a + h.loss, 0) / 3;
  const last = history.slice(-3).reduce((a, h) => a + h.loss, 0) / 3;
  expect(last).toBeLessThan(first * 0.8);
  await expect(page.getByTestId('train-tps')).toContainText(/\d/);
  await expect(page.getByTestId('loss-chart').locator('canvas')).toBeVisible();

  // Generate: streamed text appears.
  await page.getByTestId('gen-prompt').fill('the cat');
  await page.getByTestId('gen-maxtokens').fill('12');
  await page.getByTestId('gen-run').click();
  await expect(page.getByTestId('gen-output')).not.toBeEmpty();
  await expect(page.getByTestId('gen-run')).toBeEnabled({ timeout: 120_000 });
  const out = (await page.getByTestId('gen-output').textContent()) ?? '';
  expect(out.length).toBeGreaterThan(0);

  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  expect(foreignRequests(requests, new URL(baseURL!).origin)).toEqual([]);
});

test('pauses, resumes and stops a run from the buttons', async ({ page }) => {
  await openStudio(page);
  for (const [k, v] of Object.entries(MICRO)) await page.getByTestId(`cfg-${k}`).fill(String(v));
  await page.getByTestId('train-text').fill(TEXT);
  await page.getByTestId('create-model').click();
  await expect(page.getByTestId('model-summary')).toContainText(/param/i);
  await page.getByTestId('train-steps').fill('1000');
  await page.getByTestId('train-batch').fill('2');
  // What the panel shows as the run goes: every rendered change of the step,
  // the first-step notice, the ETA and the run's elapsed seconds.
  await page.evaluate(() => {
    const w = window as any;
    const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
    w.__panel = [];
    w.__steps = [];
    const observer = new MutationObserver(() => {
      w.__panel.push({ step: text('train-step'), notice: text('train-first-step') !== null, eta: text('train-eta'), status: text('train-status') });
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    w.__studio.store.subscribe((s: any, prev: any) => {
      if (s.step !== prev.step) w.__steps.push({ step: s.step, elapsed: s.elapsedSec });
    });
  });
  await page.getByTestId('train-start').click();
  // The first step compiles the GPU programs: minutes on a busy emulated GPU.
  await expect(page.getByTestId('train-step')).toContainText(/^\s*([4-9]|\d\d+) \/ 1000/, { timeout: 180_000 });
  await page.getByTestId('train-pause').click();
  await expect(page.getByTestId('train-status')).toHaveText(/paused/i);
  const pausedAt = await page.getByTestId('train-step').textContent();
  const pausedSince = await page.evaluate(() => performance.now());
  await page.waitForTimeout(1500);
  await expect(page.getByTestId('train-step')).toHaveText(pausedAt!);
  // Before the first evaluation point (every 50 steps), the Validation cell says when it comes.
  await expect(page.getByTestId('train-val-loss')).toHaveText('at step 50');
  // Generation is allowed while paused.
  await page.getByTestId('gen-prompt').fill('the');
  await page.getByTestId('gen-maxtokens').fill('4');
  await page.getByTestId('gen-run').click();
  await expect(page.getByTestId('gen-run')).toBeEnabled({ timeout: 60_000 });
  const pausedSec = (await page.evaluate(() => performance.now()) - pausedSince) / 1000;
  await page.getByTestId('train-resume').click();
  await expect(page.getByTestId('train-status')).toHaveText(/running/i);
  const resumedStep = Number(pausedAt!.split('/')[0]) + 1;
  await expect(page.getByTestId('train-step')).toContainText(new RegExp(`^\\s*${resumedStep} / 1000`));
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('train-status')).toHaveText(/stopped/i);
  const seen = (await page.evaluate(() => (window as any).__panel)) as Array<{ step: string; notice: boolean; eta: string; status: string }>;
  const steps = (await page.evaluate(() => (window as any).__steps)) as Array<{ step: number; elapsed: number }>;
  const stepOf = (r: { step: string }) => Number(r.step.split('/')[0]);
  // The first-step notice shows before the first step and never after it.
  expect(seen.some((r) => r.notice && stepOf(r) === 0)).toBe(true);
  expect(seen.filter((r) => r.notice && stepOf(r) > 0)).toEqual([]);
  // No ETA until steps after the first one are timed; a duration from step 3 while running.
  expect(seen.filter((r) => r.status === 'running' && stepOf(r) >= 1 && stepOf(r) <= 2).every((r) => r.eta === 'measuring…')).toBe(true);
  const timed = seen.filter((r) => r.status === 'running' && stepOf(r) >= 3);
  expect(timed.length).toBeGreaterThan(0);
  expect(timed.every((r) => /\d+ (s|min)/.test(r.eta))).toBe(true);
  // Elapsed time is kept across the pause and leaves the pause out.
  const before = steps.find((r) => r.step === resumedStep - 1)!.elapsed;
  const after = steps.find((r) => r.step === resumedStep)!.elapsed;
  expect(before).toBeGreaterThan(0);
  expect(after).toBeGreaterThan(before);
  expect(after - before).toBeLessThan(pausedSec);
  // LoRA: a rank above the width is refused beside its field; a 2-step adapter run completes.
  await page.getByTestId('train-tuning-lora').check();
  await page.getByTestId('train-lora-rank').fill('40');
  await expect(page.getByTestId('train-option-error')).toContainText("LoRA rank 40 is larger than the model's width (32)");
  await expect(page.getByTestId('train-start')).toBeDisabled();
  await page.getByTestId('train-lora-rank').fill('4');
  // Adapters on the attention only train fewer numbers; the run below uses them.
  await expect(page.getByTestId('train-lora-note')).toContainText('beside its attention and MLP layers train');
  const everyProjection = await page.getByTestId('train-lora-note').textContent();
  await page.getByTestId('train-lora-targets-attention').check();
  await expect(page.getByTestId('train-lora-note')).toContainText('beside its attention layers train');
  expect(await page.getByTestId('train-lora-note').textContent()).not.toBe(everyProjection?.replace('attention and MLP', 'attention'));
  await page.getByTestId('train-steps').fill('2');
  await page.getByTestId('train-warmup').fill('0');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 120_000 });
  await expect(page.getByTestId('train-step')).toContainText('2 / 2');
  // The run's last step is an evaluation point: the panel shows its validation loss.
  await expect(page.getByTestId('train-val-loss')).toHaveText(/^\d+\.\d{4}$/);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

test('refuses an invalid config next to the field, and creates nothing', async ({ page }) => {
  await openStudio(page);
  await page.getByTestId('cfg-width').fill('30');
  await page.getByTestId('cfg-heads').fill('4');
  await expect(page.getByTestId('config-error').first()).toContainText('width = 30 is not divisible by heads = 4');
  await expect(page.getByTestId('create-model')).toBeDisabled();
  await page.getByTestId('cfg-width').fill('32');
  await page.getByTestId('cfg-contextLength').fill('0');
  await expect(page.getByTestId('config-error').first()).toContainText('contextLength = 0');
  await expect(page.getByTestId('create-model')).toBeDisabled();
});

test('fits a 390x844 phone and a 1024x768 projector: no view scrolls sideways', async ({ page }) => {
  const widths: string[] = [];
  for (const [width, height] of [
    [390, 844],
    [1024, 768],
  ] as const) {
    await page.setViewportSize({ width, height });
    await openStudio(page, '', { withBaseModel: true });
    await expect(page.getByTestId('model-name')).toHaveText('Base model', { timeout: 120_000 });
    for (const view of ['studio', 'lessons', 'data', 'compare', 'checkpoints']) {
      await page.getByTestId(`${view}-tab`).click();
      const w = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
      widths.push(`${view}@${width}: ${w.doc}`);
      expect(w.doc, `${view} view: document ${w.doc}px wide in a ${w.view}px window`).toBe(w.view);
    }
  }
  console.log(widths.join(', '));
});
