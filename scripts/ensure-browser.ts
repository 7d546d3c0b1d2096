// Makes sure the browser tests have a Chromium to drive, so `npm test` needs no
// set-up of its own on a fresh machine. In order: $CHROMIUM_PATH, Debian's
// /usr/bin/chromium, Playwright's own Chromium (downloaded where the network
// allows), Debian's chromium through apt-get (as root). Otherwise it stops and
// names both ways to get one.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 15 * 60_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

function playwrightChromium(): string | null {
  try {
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function lastLine(text: string): string {
  return text.split('\n').filter((l) => l.trim() !== '').at(-1) ?? text;
}

function main(): void {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) fail(`CHROMIUM_PATH=${fromEnv} does not exist.`);
    return say(`using CHROMIUM_PATH=${fromEnv}`);
  }
  if (existsSync(DEBIAN_CHROMIUM)) return say(`using ${DEBIAN_CHROMIUM}`);
  const own = playwrightChromium();
  if (own) return say(`using Playwright's Chromium at ${own}`);

  say("no Chromium found: downloading Playwright's");
  const download = run('npx', ['playwright', 'install', 'chromium']);
  if (download.ok && playwrightChromium()) return say("installed Playwright's Chromium");
  const downloadWhy = lastLine(download.output);

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = run('sh', ['-c', 'command -v apt-get']).ok;
  if (isRoot && hasApt) {
    say(`Playwright's download failed (${downloadWhy}); installing Debian's chromium with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = run('apt-get', ['update', '-qq'], env);
    const install = update.ok ? run('apt-get', ['install', '-y', '-qq', 'chromium'], env) : update;
    if (install.ok && existsSync(DEBIAN_CHROMIUM)) return say(`installed ${DEBIAN_CHROMIUM}`);
    fail(`apt-get could not install chromium: ${lastLine(install.output)}`);
  }
  fail(
    `No Chromium for the browser tests, and Playwright's download failed (${downloadWhy}). ` +
      'Either run `npx playwright install chromium` where the network allows it, or install Debian\'s chromium ' +
      '(`sudo apt-get install chromium`), or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  );
}

function say(text: string): void {
  console.log(`ensure-browser: ${text}`);
}

function fail(text: string): never {
  console.error(`ensure-browser: ${text}`);
  process.exit(1);
}

main();
