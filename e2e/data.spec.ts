import type { Page } from '@playwright/test';
import { test, expect, openStudio, foreignRequests } from './fixtures';

// Data tab: import, edit, persistence across a reload, all-or-nothing imports,
// and tuning a tiny model on an instruction dataset.

const jsonl = (records: object[]): Buffer => Buffer.from(records.map((r) => JSON.stringify(r)).join('\n'));

const FACTS = [
  { instruction: 'What is the capital of France?', input: '', output: 'Paris.', category: 'geo' },
  { instruction: 'What colour is the sky on a clear day?', input: '', output: 'Blue.', category: 'nature' },
  { instruction: 'How many legs does a spider have?', input: '', output: 'Eight.', category: 'nature' },
  // User text must show as text: this must neither run nor load anything.
  { instruction: '<img src=x onerror="window.__xss = 1"> <script>window.__xss = 2</script>', input: '', output: 'Markup, shown literally.', category: 'markup' },
];

async function openData(page: Page): Promise<void> {
  await page.getByTestId('data-tab').click();
  await expect(page.getByTestId('data-view')).toBeVisible();
  // First run: the starter datasets are added and the first one is selected.
  await expect(page.getByTestId('dataset-item').first()).toBeVisible({ timeout: 60_000 });
}

async function importFile(page: Page, name: string, buffer: Buffer, target: 'new' | 'append' = 'new'): Promise<void> {
  await page.getByTestId('dataset-import-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
  await expect(page.getByTestId('import-draft').or(page.getByTestId('import-error'))).toBeVisible();
  if (await page.getByTestId('import-error').isVisible()) return;
  await expect(page.getByTestId('import-draft')).toHaveAttribute('data-phase', 'setup');
  await page.getByTestId('import-target').selectOption(target);
  await page.getByTestId('import-run').click();
  await expect(page.getByTestId('import-draft').or(page.getByTestId('import-error'))).toBeVisible();
}

test('imports a file, edits an example, and finds the edit after a reload', async ({ page, requests, baseURL }) => {
  await openStudio(page);
  await openData(page);
  const starters = await page.getByTestId('dataset-item').count();
  expect(starters).toBeGreaterThanOrEqual(2);

  await importFile(page, 'facts.jsonl', jsonl(FACTS));
  await expect(page.getByTestId('import-draft')).toHaveAttribute('data-phase', 'review');
  await expect(page.getByTestId('import-summary')).toContainText('4 examples');
  await expect(page.getByTestId('import-summary')).toContainText('Alpaca');
  await page.getByTestId('import-commit').click();
  await expect(page.getByTestId('import-notice')).toContainText('Imported 4 examples from "facts.jsonl"');
  await expect(page.getByTestId('dataset-title')).toHaveText('facts');
  await expect(page.getByTestId('dataset-item')).toHaveCount(starters + 1);
  await expect(page.getByTestId('example-row')).toHaveCount(4);
  await expect(page.getByTestId('dataset-stats').getByTestId('stats-examples')).toHaveText('4');

  // Markup in a record is shown as the characters it is made of.
  const markupRow = page.getByTestId('example-row').nth(3);
  await expect(markupRow.getByTestId('example-instruction')).toHaveText(FACTS[3]!.instruction);
  await expect(page.locator('[data-testid="data-view"] img')).toHaveCount(0);

  // Search and category filter.
  await page.getByTestId('example-search').fill('spider');
  await expect(page.getByTestId('example-row')).toHaveCount(1);
  await page.getByTestId('example-search').fill('');
  await page.getByTestId('example-category').selectOption('nature');
  await expect(page.getByTestId('example-row')).toHaveCount(2);
  await page.getByTestId('example-category').selectOption('');

  // Edit the first example; an empty response is refused at the field.
  await page.getByTestId('example-row').first().getByTestId('example-edit').click();
  await page.getByTestId('example-field-response').fill('   ');
  await page.getByTestId('example-save').click();
  await expect(page.getByTestId('example-error')).toContainText('response is empty');
  await page.getByTestId('example-field-response').fill('Paris, on the Seine.');
  await page.getByTestId('example-save').click();
  await expect(page.getByTestId('example-row').first().getByTestId('example-response')).toHaveText('Paris, on the Seine.');

  // Delete one and undo it.
  await page.getByTestId('example-row').nth(1).getByTestId('example-delete').click();
  await expect(page.getByTestId('example-row')).toHaveCount(3);
  await page.getByTestId('example-undo').click();
  await expect(page.getByTestId('example-row')).toHaveCount(4);
  await expect(page.getByTestId('dataset-save-state')).toHaveAttribute('data-state', 'saved');

  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /\w/, { timeout: 120_000 });
  await openData(page);
  await expect(page.getByTestId('dataset-title')).toHaveText('facts');
  await expect(page.getByTestId('dataset-item')).toHaveCount(starters + 1);
  await expect(page.getByTestId('example-row')).toHaveCount(4);
  await expect(page.getByTestId('example-row').first().getByTestId('example-response')).toHaveText('Paris, on the Seine.');

  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  expect(foreignRequests(requests, new URL(baseURL!).origin)).toEqual([]);
  expect(requests.some((u) => /\/x$/.test(u))).toBe(false);
});

test('refuses a malformed file whole: the message names the line, and the dataset is unchanged', async ({ page }) => {
  await openStudio(page);
  await openData(page);
  const starters = await page.getByTestId('dataset-item').count();
  await expect(page.getByTestId('example-count')).toBeVisible();
  const before = await page.getByTestId('example-count').textContent();
  const title = await page.getByTestId('dataset-title').textContent();

  const bad = Buffer.from(
    [
      '{"instruction": "What is 1 + 1?", "input": "", "output": "2"}',
      '{"instruction": "What is 2 + 2?", "input": "", "output": "4"}',
      '{"instruction": "What is 3 + 3?", "input": "", "output": 6',
      '{"instruction": "What is 4 + 4?", "input": "", "output": "8"}',
    ].join('\n'),
  );
  await importFile(page, 'bad.jsonl', bad, 'append');
  const error = page.getByTestId('import-error');
  await expect(error).toBeVisible();
  await expect(error).toContainText('Nothing was imported');
  await expect(error).toContainText('"bad.jsonl", line 3');
  await expect(page.getByTestId('import-error-file')).toHaveText('bad.jsonl');
  await expect(page.getByTestId('import-error-line')).toHaveText('3');
  await expect(page.getByTestId('import-error-reason')).toContainText('not valid JSON');

  // Same dataset, same examples, no new dataset.
  await expect(page.getByTestId('dataset-title')).toHaveText(title!);
  await expect(page.getByTestId('example-count')).toHaveText(before!);
  await expect(page.getByTestId('dataset-item')).toHaveCount(starters);

  // A record with a missing field names the record and the field.
  await page.getByTestId('import-error-dismiss').click();
  await importFile(page, 'missing.json', Buffer.from(JSON.stringify([{ instruction: 'a', output: 'b' }, { instruction: 'c' }])), 'append');
  await expect(page.getByTestId('import-error-record')).toHaveText('2');
  await expect(page.getByTestId('import-error-field')).toHaveText('output');
  await expect(page.getByTestId('example-count')).toHaveText(before!);
});

test('maps CSV columns before importing', async ({ page }) => {
  await openStudio(page);
  await openData(page);
  const csv = Buffer.from('question,answer,topic\n"Capital of Spain?",Madrid,geo\n"Two and two?",Four,maths\n');
  await page.getByTestId('dataset-import-input').setInputFiles({ name: 'quiz.csv', mimeType: 'text/csv', buffer: csv });
  await expect(page.getByTestId('import-mapping')).toBeVisible();
  await expect(page.getByTestId('import-preview')).toContainText('Capital of Spain?');
  await expect(page.getByTestId('import-map-instruction')).toHaveValue('question');
  await expect(page.getByTestId('import-map-response')).toHaveValue('answer');
  await page.getByTestId('import-map-category').selectOption('topic');
  await page.getByTestId('import-run').click();
  await expect(page.getByTestId('import-draft')).toHaveAttribute('data-phase', 'review');
  await page.getByTestId('import-commit').click();
  await expect(page.getByTestId('dataset-title')).toHaveText('quiz');
  await expect(page.getByTestId('example-row')).toHaveCount(2);
  await expect(page.getByTestId('example-category')).toContainText('maths');
});

// Tiny enough to train a few steps per second on WebGPU emulated by SwiftShader;
// the context holds a whole plain-template example.
const MICRO = { vocabSize: 320, contextLength: 48, width: 32, layers: 1, heads: 2 };
const CAPITALS: Array<[string, string]> = [
  ['France', 'Paris'],
  ['Spain', 'Madrid'],
  ['Italy', 'Rome'],
  ['Peru', 'Lima'],
  ['Japan', 'Tokyo'],
  ['Egypt', 'Cairo'],
  ['Kenya', 'Nairobi'],
  ['Chile', 'Santiago'],
  ['Cuba', 'Havana'],
  ['Iran', 'Tehran'],
];
const QA = CAPITALS.map(([c, k]) => ({ instruction: `What is the capital of ${c}?`, input: '', output: k }));
const TOKENIZER_TEXT = QA.map((r) => `Question: ${r.instruction}\nAnswer: ${r.output}\n`).join('').repeat(4);

test('tunes a micro model on an instruction dataset, shows its tokens and the data report, and answers a formatted prompt', async ({ page }) => {
  await openStudio(page);
  for (const [k, v] of Object.entries(MICRO)) await page.getByTestId(`cfg-${k}`).fill(String(v));
  await page.getByTestId('train-text').fill(TOKENIZER_TEXT);
  await page.getByTestId('create-model').click();
  await expect(page.getByTestId('model-summary')).toContainText(/param/i);

  await openData(page);
  await importFile(page, 'capitals.jsonl', jsonl(QA));
  await page.getByTestId('import-commit').click();
  await expect(page.getByTestId('dataset-title')).toHaveText('capitals');

  // Token view with the model's tokenizer: prompt masked, response and end-of-text trained.
  await expect(page.getByTestId('example-row').first().getByTestId('example-tokens')).toHaveText(/^\d+$/);
  await page.getByTestId('example-row').first().getByTestId('example-open').click();
  const view = page.getByTestId('token-view');
  await expect(view).toHaveAttribute('data-ready', 'true');
  await expect(view.locator('[data-trained="0"]').first()).toBeVisible();
  await expect(view.locator('[data-trained="1"]').last()).toHaveText('<|endoftext|>');
  const trained = (await view.locator('[data-trained="1"]').allTextContents()).join('');
  expect(trained).toBe(' Paris<|endoftext|>');
  await expect(page.getByTestId('stats-tokens')).toHaveText(/\d/);

  // Train on it.
  await page.getByTestId('studio-tab').click();
  await page.getByTestId('train-data-instructions').check();
  await expect(page.getByTestId('train-dataset-select').locator('option:checked')).toContainText('capitals');
  await page.getByTestId('train-steps').fill('8');
  await page.getByTestId('train-batch').fill('4');
  await page.getByTestId('train-lr').fill('0.01');
  await page.getByTestId('train-warmup').fill('1');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-data-report')).toContainText(/trained tokens/, { timeout: 120_000 });
  await expect(page.getByTestId('train-data-report')).toContainText('9 to train on, 1 held out');
  await expect(page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 240_000 });

  // Generate through the same template.
  await page.getByTestId('gen-format').check();
  await page.getByTestId('gen-prompt').fill('What is the capital of France?');
  await page.getByTestId('gen-maxtokens').fill('6');
  await page.getByTestId('gen-run').click();
  await expect(page.getByTestId('gen-prompt-text')).toHaveText('Question: What is the capital of France?\nAnswer:');
  await expect(page.getByTestId('gen-run')).toBeEnabled({ timeout: 120_000 });
  await expect(page.getByTestId('gen-answer')).toBeVisible();
  await expect(page.getByTestId('error-banner')).toHaveCount(0);

  // Text mixed with instructions: a share that leaves one side empty is refused beside the
  // field; half and half trains, and the instruction part's report shows.
  await page.getByTestId('train-data-mix').check();
  await page.getByTestId('train-text').fill(CAPITALS.map(([c, k]) => `The capital of ${c} is ${k}.`).join(' '));
  await page.getByTestId('train-mix-share').fill('1');
  await expect(page.getByTestId('train-option-error')).toContainText('instruction share must be above 0 and below 1');
  await expect(page.getByTestId('train-start')).toBeDisabled();
  await page.getByTestId('train-mix-share').fill('0.5');
  await page.getByTestId('train-steps').fill('4');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 240_000 });
  await expect(page.getByTestId('train-data-report')).toContainText('trained tokens');

  // Phrasings: a copy of the dataset with each question in 4 pool phrasings; the original stays.
  await openData(page);
  await page.getByTestId('phrasings-pool').selectOption('geo');
  await page.getByTestId('phrasings-count').fill('4');
  await page.getByTestId('phrasings-run').click();
  await expect(page.getByTestId('dataset-title')).toHaveText('capitals (4 phrasings)');
  await expect(page.getByTestId('dataset-item').filter({ hasText: 'capitals (4 phrasings)' })).toContainText('40 examples');
  await expect(page.getByTestId('dataset-item').filter({ has: page.locator('.dataset-name', { hasText: /^capitals$/ }) })).toContainText('10 examples');
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});
