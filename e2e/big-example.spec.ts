import { test, expect, openStudio } from './fixtures';

// A 200 KB example must not freeze the page: while it is shown in the table
// and the token view, no main-thread task runs 200 ms or longer (issue 16; it was 19 s before the
// token view drew only what fits the context). Opening it in the editor and
// saving is measured and printed but not yet held to 200 ms (see
// docs/RELIABILITY.md).

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

interface PerfLog {
  longTasks: number[];
  clicks: number[];
}

test('a 200 KB example is shown and edited without blocking the page for 200 ms', async ({ page }) => {
  // Long tasks and click event durations (input delay + handlers + next paint), from the page itself.
  await page.addInitScript(() => {
    const log: PerfLog = { longTasks: [], clicks: [] };
    (window as unknown as { __perf: PerfLog }).__perf = log;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => log.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false });
    new PerformanceObserver((list) =>
      list.getEntries().forEach((e) => {
        if (e.name === 'click' || e.name === 'pointerdown' || e.name === 'pointerup') log.clicks.push(e.duration);
      }),
    ).observe({ type: 'event', durationThreshold: 16, buffered: false } as PerformanceObserverInit);
  });
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
  await expect(bigRow.getByTestId('example-tokens')).toHaveText(/^\d+$/);
  await page.waitForTimeout(500);
  await page.evaluate(() => {
    const log = (window as unknown as { __perf: PerfLog }).__perf;
    log.longTasks.length = 0;
    log.clicks.length = 0;
  });

  const t0 = Date.now();
  // Show it in the token view: only what fits the context is drawn.
  await bigRow.getByTestId('example-open').click();
  const view = page.getByTestId('token-view');
  await expect(view).toHaveAttribute('data-ready', 'true');
  await expect(view.locator('.token-view .tok')).toHaveCount(MICRO.contextLength + 1);
  await expect(page.getByTestId('token-hidden')).toContainText(/more tokens (cut to fit|past the context)/);
  // While it is shown, other clicks are answered.
  await page.getByTestId('example-search').click();
  await page.getByTestId('example-row').nth(1).getByTestId('example-open').click();
  await bigRow.getByTestId('example-open').click();
  await expect(page.getByTestId('token-hidden')).toBeVisible();
  await page.getByTestId('example-search').click();
  await page.waitForTimeout(300);
  const shown = await page.evaluate(() => {
    const log = (window as unknown as { __perf: PerfLog }).__perf;
    const copy = { longTasks: log.longTasks.slice(), clicks: log.clicks.slice() };
    log.longTasks.length = 0;
    log.clicks.length = 0;
    return copy;
  });
  const report = (what: string, l: PerfLog): string =>
    `${what}: longest task ${Math.max(0, ...l.longTasks).toFixed(0)} ms (${l.longTasks.length} over 50 ms); slowest click ${Math.max(0, ...l.clicks).toFixed(0)} ms (${l.clicks.length} over 16 ms)`;
  console.log(report('big example shown', shown));
  expect(Math.max(0, ...shown.longTasks)).toBeLessThan(200);
  // Click-to-next-paint (Event Timing) is printed, not held: on two shared
  // emulated cores it includes paint delays the page does not control.

  // Open it in the editor, change it and save.
  await bigRow.getByTestId('example-edit').click();
  await page.getByTestId('example-field-response').fill('A long text, edited.');
  await page.getByTestId('example-save').click();
  await expect(page.getByTestId('dataset-save-state')).toHaveAttribute('data-state', 'saved');
  await expect(page.getByTestId('example-row').first().getByTestId('example-response')).toHaveText('A long text, edited.');
  await page.getByTestId('example-search').click();
  await page.waitForTimeout(300);
  const edited = await page.evaluate(() => (window as unknown as { __perf: PerfLog }).__perf);
  console.log(report('big example edited and saved', edited));
  console.log(`big example: ${Date.now() - t0} ms for all the clicks`);
});
