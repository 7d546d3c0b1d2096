// Draws the installable app's PNG icons (192 and 512 px) from our own
// public/favicon.svg, in the Chromium the browser tests use, so the manifest
// offers the raster sizes installability checks ask for. Run it again after
// changing the SVG:   npx tsx scripts/icons.ts
// It writes public/icon-192.png and public/icon-512.png (committed; the build copies them).

import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../playwright.config';

const SIZES = [192, 512] as const;

async function main(): Promise<void> {
  const svg = readFileSync('public/favicon.svg', 'utf8');
  if (!svg.includes('<svg')) throw new Error('public/favicon.svg holds no <svg> element.');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
  try {
    for (const size of SIZES) {
      const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
      // The SVG scaled to fill the square; the page around it is transparent.
      const sized = svg.replace('<svg ', `<svg width="${size}" height="${size}" `);
      await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${sized}</body></html>`);
      const png = await page.locator('svg').screenshot({ omitBackground: true, type: 'png' });
      writeFileSync(`public/icon-${size}.png`, png);
      console.log(`public/icon-${size}.png: ${size}x${size}, ${png.length} bytes`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
