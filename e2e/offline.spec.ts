import { test, expect, foreignRequests, openStudio } from './fixtures';

// The built page is locked down: it carries its Content-Security-Policy (as a
// <meta> tag, and as a header from `vite preview` so its workers run under it
// too), every tfjs backend still starts under that policy, and the page links
// an installable manifest. The offline walk itself is in lessons.spec.ts.

test('the built page carries its CSP, links a manifest, and the WASM backend starts under the policy', async ({ page, requests, baseURL }) => {
  const refused: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) refused.push(m.text());
  });
  await openStudio(page);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-eval'/);
  // The policy holds: a request to another host is refused by the browser itself.
  const outside = await page.evaluate(() => fetch('http://example.invalid/').then(() => 'sent', () => 'refused'));
  expect(outside).toBe('refused');
  refused.length = 0;

  const manifest = await page.evaluate(async () => {
    const href = document.querySelector<HTMLLinkElement>('link[rel="manifest"]')!.href;
    return (await fetch(href)).json();
  });
  expect(manifest).toMatchObject({ name: 'Instruct Studio', display: 'standalone', start_url: './' });
  // Installable: PNG icons of 192 and 512 px, each really a PNG of the size it claims.
  const icons = await page.evaluate(async (list: Array<{ src: string; sizes: string; type: string }>) => {
    const out: Array<{ sizes: string; width: number; height: number; magic: string }> = [];
    for (const icon of list.filter((i) => i.type === 'image/png')) {
      const bytes = new Uint8Array(await (await fetch(icon.src)).arrayBuffer());
      const view = new DataView(bytes.buffer);
      out.push({ sizes: icon.sizes, width: view.getUint32(16), height: view.getUint32(20), magic: String.fromCharCode(...bytes.slice(1, 4)) });
    }
    return out;
  }, manifest.icons);
  expect(icons).toEqual([
    { sizes: '192x192', width: 192, height: 192, magic: 'PNG' },
    { sizes: '512x512', width: 512, height: 512, magic: 'PNG' },
  ]);

  // The footer states the promise, shows the policy that enforces it, and says when the offline copy is kept.
  const note = page.getByTestId('nothing-leaves');
  await expect(note).toContainText('Nothing leaves this page.');
  await note.locator('summary').click();
  await expect(note.getByTestId('nothing-leaves-policy')).toHaveText(csp!);
  await expect(note.getByTestId('offline-copy')).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });

  // The trainer worker runs tfjs on WASM under the same policy ('wasm-unsafe-eval', nothing more).
  await page.getByTestId('backend-select').selectOption('wasm');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 120_000 });
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  expect(refused).toEqual([]);
  expect(foreignRequests(requests, new URL(baseURL!).origin)).toEqual([]); // blocked before it became a request
});
