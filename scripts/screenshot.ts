// Takes the README's picture of the Lessons view: the first lesson after asking
// the shipped base and tuned models the France question (their answers and
// next-token bars), in the Chromium the browser tests use, from the built app.
//   npx vite build && npx tsx scripts/screenshot.ts [--port 4390] [--out docs/lessons.png]
// Run it again when the lessons or the shipped models change.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../playwright.config';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function waitForServer(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${ms / 1000} s: is there a build in dist/ (npx vite build)?`);
}

async function main(): Promise<void> {
  const port = Number(arg('port', '4390'));
  const out = arg('out', 'docs/lessons.png');
  const url = `http://127.0.0.1:${port}/`;
  const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { stdio: 'ignore' });
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
  try {
    await waitForServer(url, 30_000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.getByTestId('backend-badge').and(page.locator('[data-backend]:not([data-backend=""])')).waitFor({ timeout: 120_000 });
    await page.getByTestId('lessons-view').waitFor();
    await page.getByTestId('lesson-ask').click();
    for (const key of ['shipped:base', 'shipped:tuned']) {
      await page.locator(`[data-testid="lesson-column"][data-key="${key}"][data-status="done"]`).waitFor({ timeout: 300_000 });
    }
    const png = await page.screenshot({ fullPage: true, type: 'png' });
    writeFileSync(out, png);
    console.log(`${out}: ${png.length} bytes`);
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
