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
