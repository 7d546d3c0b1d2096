import type { Page } from '@playwright/test';
import { test, expect, openStudio } from './fixtures';

// Two tabs of one browser on the same dataset. Tab B plays a tab that missed
// tab A's live update (frozen in the background: no BroadcastChannel), so it
// edits a stale copy: its save must be refused with a message, tab B must then
// show the stored version, and tab A's edit must survive.

async function openData(page: Page): Promise<void> {
  await page.getByTestId('data-tab').click();
  await expect(page.getByTestId('data-view')).toBeVisible();
  await expect(page.getByTestId('dataset-item').first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('example-row').first()).toBeVisible();
}

async function editResponse(page: Page, row: number, text: string): Promise<void> {
  await page.getByTestId('example-row').nth(row).getByTestId('example-edit').click();
  await page.getByTestId('example-field-response').fill(text);
  await page.getByTestId('example-save').click();
}

const response = (page: Page, row: number) => page.getByTestId('example-row').nth(row).getByTestId('example-response');

test("a stale tab's edit is refused with a message and the other tab's edit survives", async ({ page }) => {
  const a = page;
  await openStudio(a);
  await openData(a);
  const title = await a.getByTestId('dataset-title').textContent();

  const b = await a.context().newPage();
  await b.addInitScript(() => Object.defineProperty(window, 'BroadcastChannel', { value: undefined }));
  await openStudio(b);
  await openData(b);
  await expect(b.getByTestId('dataset-title')).toHaveText(title!);
  const secondBefore = await response(b, 1).textContent();

  await editResponse(a, 0, 'Edited in tab A.');
  await expect(response(a, 0)).toHaveText('Edited in tab A.');
  await expect(a.getByTestId('dataset-save-state')).toHaveAttribute('data-state', 'saved');

  // Tab B still shows the version before A's edit, and edits another row.
  await editResponse(b, 1, 'Edited in tab B.');
  const error = b.getByTestId('dataset-storage-error');
  await expect(error).toContainText(`"${title}" was changed in another tab or window after this tab read it`);
  await expect(error).toContainText("this tab's change was not saved and the other tab's edit was kept");
  await expect(error).toContainText('This tab now shows the saved version. Not saved from this tab: edit.');
  // B now shows what is stored: A's edit, and not its own.
  await expect(response(b, 0)).toHaveText('Edited in tab A.');
  await expect(response(b, 1)).toHaveText(secondBefore!);

  // After a reload, tab A finds its edit and not B's.
  await a.reload();
  await expect(a.getByTestId('backend-badge')).toHaveAttribute('data-backend', /\w/, { timeout: 120_000 });
  await openData(a);
  await expect(a.getByTestId('dataset-title')).toHaveText(title!);
  await expect(response(a, 0)).toHaveText('Edited in tab A.');
  await expect(response(a, 1)).toHaveText(secondBefore!);
});
