// Shared helpers for the browser tests: a page that records every request it
// makes, and typed access to the studio's diagnostics hook (window.__studio).
import { expect, test as base, type Page } from '@playwright/test';

export const test = base.extend<{ requests: string[] }>({
  requests: async ({ page }, use) => {
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') console.log(`[console error] ${m.text()}`);
    });
    await use(urls);
  },
});
export { expect };

/**
 * Waits until the worker reports its backend, opens the Studio tab (a first
 * visit lands on the Lessons), and returns the backend name. The studio opens
 * empty (`start=empty`: no shipped base model loaded) unless `withBaseModel`
 * is set, so tests that create their own model do not race it.
 */
export async function openStudio(page: Page, query = '', opts: { withBaseModel?: boolean } = {}): Promise<string> {
  const params = new URLSearchParams(query.replace(/^\?/, ''));
  if (!opts.withBaseModel) params.set('start', 'empty');
  const qs = params.toString();
  await page.goto(qs ? `/?${qs}` : '/');
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveAttribute('data-backend', /webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
  await page.getByTestId('studio-tab').click();
  return (await badge.getAttribute('data-backend'))!;
}

/** Every URL that is not served by the page's own origin. */
export function foreignRequests(urls: string[], origin: string): string[] {
  return urls.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('blob:')) return false;
    return new URL(u).origin !== origin;
  });
}

export type LossPoint = { step: number; loss: number };

/** The studio's loss history, as its store holds it. */
export const lossHistory = (page: Page) => page.evaluate(() => window.__studio!.store.getState().lossHistory as LossPoint[]);

/** Every checkpoint record and every checkpoint's bytes, by key, read straight from IndexedDB. */
export function storedCheckpoints(page: Page): Promise<{ meta: Array<{ id: string; runStep?: number; sizeBytes: number }>; data: Array<{ id: string; size: number }> }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('instruct-studio');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['checkpoints', 'checkpointData']);
          const meta = tx.objectStore('checkpoints').getAll();
          const data = tx.objectStore('checkpointData').getAll();
          tx.oncomplete = () => {
            db.close();
            resolve({
              meta: (meta.result as Array<{ id: string; runStep?: number; sizeBytes: number }>).map((m) => ({ id: m.id, runStep: m.runStep, sizeBytes: m.sizeBytes })),
              data: (data.result as Array<{ id: string; bytes: ArrayBuffer }>).map((d) => ({ id: d.id, size: d.bytes.byteLength })),
            });
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}
