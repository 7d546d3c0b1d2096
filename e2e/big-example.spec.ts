import { test, expect, openStudio } from './fixtures';
import { describeMainThread, traceMainThread } from './mainThread';

// A 200 KB example must not freeze the page (issue 16): while it is shown in
// the table and the token view, and while it is opened in the editor, edited
// and saved, every click is answered (its task and the next frame) within
// CLICK_CPU_MS of main-thread time and no task takes longer. Before, the token
// view blocked 19 s; then, with only what fits the context drawn, showing the
// example still took ~95 ms and editing or saving it ~70-80 ms of thread time
// (a 200 KB heading and text area laid out, the text encoded on the page).
// Thread time, not wall time: on the shared 2-core machines the wall time of
// the same task is up to 10x longer (both are printed; docs/RELIABILITY.md).
const CLICK_CPU_MS = 50;

const MICRO = { vocabSize: 300, contextLength: 32, width: 32, layers: 1, heads: 2 };
const TOKENIZER_TEXT = 'Question: What is the capital of France?\nAnswer: Paris\n'.repeat(20);

/** ~200 KB of varied words, so the tokenizer cannot take shortcuts. */
function bigText(bytes: number): string {
  const words = ['river', 'capital', 'mountain', 'quiet', 'number', 'Paris', 'grammar', 'seven', 'north', 'ocean', 'letter', 'window'];
  let out = '';
  let k = 0;
  while (out.length < bytes) {
    out += `${words[(k * 7 + (k >> 3)) % words.length]}${k % 97} `;
    if (k % 17 === 16) out += '\n';
    k++;
  }
  return out;
}

test('a 200 KB example is shown, edited and saved with every click answered within 50 ms of main-thread time', async ({ page, browser }) => {
  // Event Timing (click to next paint, wall time) from the page itself, printed beside the trace's figures.
  await page.addInitScript(() => {
    const clicks: number[] = [];
    (window as unknown as { __clicks: number[] }).__clicks = clicks;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => e.name === 'click' && clicks.push(e.duration))).observe({
      type: 'event',
      durationThreshold: 16,
      buffered: false,
    } as PerformanceObserverInit);
  });
  const eventTiming = async () => page.evaluate(() => (window as unknown as { __clicks: number[] }).__clicks.splice(0).map((d) => Math.round(d)));
  await openStudio(page);
  for (const [k, v] of Object.entries(MICRO)) await page.getByTestId(`cfg-${k}`).fill(String(v));
  await page.getByTestId('train-text').fill(TOKENIZER_TEXT);
  await page.getByTestId('create-model').click();
  await expect(page.getByTestId('model-summary')).toContainText(/param/i);

  await page.getByTestId('data-tab').click();
  await expect(page.getByTestId('dataset-item').first()).toBeVisible({ timeout: 60_000 });
  const big = bigText(200 * 1024);
  const file = [
    { instruction: 'Summarise this text.', input: big, output: 'A long text.' },
    { instruction: 'What is the capital of France?', input: '', output: 'Paris' },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n');
  await page.getByTestId('dataset-import-input').setInputFiles({ name: 'big.jsonl', mimeType: 'application/octet-stream', buffer: Buffer.from(file) });
  await expect(page.getByTestId('import-draft')).toHaveAttribute('data-phase', 'setup');
  await page.getByTestId('import-target').selectOption('new');
  await page.getByTestId('import-run').click();
  await expect(page.getByTestId('import-draft')).toHaveAttribute('data-phase', 'review');
  await page.getByTestId('import-commit').click();
  await expect(page.getByTestId('dataset-title')).toHaveText('big');
  await expect(page.getByTestId('dataset-save-state')).toHaveAttribute('data-state', 'saved');
  const bigRow = page.getByTestId('example-row').first();
  // Counted in the dataset worker: the cell says "…" until it answers.
  await expect(bigRow.getByTestId('example-tokens')).toHaveText(/^\d+$/);
  const bigCount = Number(await bigRow.getByTestId('example-tokens').textContent());
  expect(bigCount).toBeGreaterThan(40_000);
  await page.waitForTimeout(500);
  await eventTiming();

  // Show it in the token view (only what fits the context is drawn), and click around while it is shown.
  const shown = await traceMainThread(browser, page, async () => {
    await bigRow.getByTestId('example-open').click();
    const view = page.getByTestId('token-view');
    await expect(view).toHaveAttribute('data-ready', 'true');
    await expect(view.locator('.token-view .tok')).toHaveCount(MICRO.contextLength + 1);
    await expect(page.getByTestId('token-hidden')).toContainText(/more tokens (cut to fit|past the context)/);
    await page.getByTestId('example-search').click();
    await page.getByTestId('example-row').nth(1).getByTestId('example-open').click();
    await expect(page.getByTestId('token-hidden')).toHaveCount(0);
    await bigRow.getByTestId('example-open').click();
    await expect(page.getByTestId('token-hidden')).toBeVisible();
    await page.getByTestId('example-search').click();
    await page.waitForTimeout(300);
  });
  console.log(describeMainThread('big example shown', shown), `; Event Timing click-to-paint (wall): ${(await eventTiming()).join(' ')} ms`);

  // Open it in the editor: the 200 KB input is shown in part; change the response, type, save.
  const edited = await traceMainThread(browser, page, async () => {
    await bigRow.getByTestId('example-edit').click();
    await expect(page.getByTestId('example-field-input-collapsed')).toContainText(/204,\d{3} characters, shown in part/);
    await page.getByTestId('example-field-response').click();
    await page.getByTestId('example-field-response').fill('A long text');
    await page.keyboard.type(', edited.');
    await page.getByTestId('example-field-instruction').click();
    await page.getByTestId('example-save').click();
    await expect(page.getByTestId('dataset-save-state')).toHaveAttribute('data-state', 'saved');
    await expect(page.getByTestId('example-row').first().getByTestId('example-response')).toHaveText('A long text, edited.');
    await expect(bigRow.getByTestId('example-tokens')).toHaveText(/^\d+$/);
    await expect(page.getByTestId('token-view')).toHaveAttribute('data-ready', 'true');
    await page.getByTestId('example-search').click();
    await page.waitForTimeout(300);
  });
  console.log(describeMainThread('big example edited and saved', edited), `; Event Timing click-to-paint (wall): ${(await eventTiming()).join(' ')} ms`);

  // The collapsed field kept the whole input: what is stored is the 200 KB text with the new response.
  const stored = await page.evaluate(() => {
    const ex = window.__studio!.store.getState().activeDataset!.examples[0] as { input?: string; response: string };
    return { input: ex.input ?? '', response: ex.response };
  });
  expect(stored.response).toBe('A long text, edited.');
  expect(stored.input).toBe(big);
  expect(Number(await bigRow.getByTestId('example-tokens').textContent())).toBeGreaterThan(bigCount);

  for (const [what, r] of [
    ['shown', shown],
    ['edited and saved', edited],
  ] as const) {
    expect(r.clicks.length, `clicks traced while ${what}`).toBeGreaterThanOrEqual(4);
    expect(Math.max(...r.clicks.map((c) => c.cpuMs)), `slowest click while ${what}, ms of main-thread time`).toBeLessThan(CLICK_CPU_MS);
    expect(r.longestTaskCpuMs, `longest task while ${what}, ms of main-thread time`).toBeLessThan(CLICK_CPU_MS);
  }
});
