// The build's offline and lock-down step (a Vite plugin, build only):
// - writes the Content-Security-Policy into index.html as a <meta> tag;
// - after the bundle is written, lists every file of dist/ (the app, the tfjs
//   wasm binaries, public/models, public/datasets) with a content hash, and
//   writes dist/sw.js from src/offline/service-worker.js with that list, so
//   each build's service worker precaches exactly that build.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './csp';

export const SERVICE_WORKER_FILE = 'sw.js';

/** Files the service worker does not precache: itself, and notes for people. */
const SKIP = (path: string) => path === SERVICE_WORKER_FILE || path.endsWith('.md') || path.endsWith('.map');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

const hash = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** [path, hash] for every file to precache, sorted so the list (and its hash) is reproducible. */
export function precacheList(outDir: string): Array<[string, string]> {
  return filesUnder(outDir)
    .map((full) => [relative(outDir, full).split(sep).join('/'), full] as const)
    .filter(([path]) => !SKIP(path))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, full]) => [path, hash(readFileSync(full))]);
}

export function renderServiceWorker(template: string, list: Array<[string, string]>, csp: string): string {
  const fill = (marker: string, value: string) => {
    const re = new RegExp(`/\\* ${marker} \\*/ [^;]+;`);
    if (!re.test(template)) throw new Error(`src/offline/service-worker.js lost its /* ${marker} */ placeholder.`);
    template = template.replace(re, () => `${value};`);
  };
  fill('PRECACHE', JSON.stringify(list));
  fill('VERSION', JSON.stringify(hash(JSON.stringify(list))));
  fill('CSP', JSON.stringify(csp));
  return template;
}

export function offline(): Plugin {
  let outDir = '';
  let root = '';
  let log: (msg: string) => void = () => {};
  return {
    name: 'instruct-studio-offline',
    apply: 'build',
    configResolved(config) {
      root = config.root;
      outDir = resolve(config.root, config.build.outDir);
      log = (msg) => config.logger.info(msg);
    },
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const meta = `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`;
        if (!html.includes('<meta charset="UTF-8" />')) throw new Error('index.html: the CSP <meta> goes after <meta charset="UTF-8" />, which is missing.');
        return html.replace('<meta charset="UTF-8" />', `<meta charset="UTF-8" />\n    ${meta}`);
      },
    },
    closeBundle() {
      const template = readFileSync(join(root, 'src/offline/service-worker.js'), 'utf8');
      const list = precacheList(outDir);
      writeFileSync(join(outDir, SERVICE_WORKER_FILE), renderServiceWorker(template, list, CONTENT_SECURITY_POLICY));
      const mb = list.reduce((n, [p]) => n + statSync(join(outDir, p)).size, 0) / 1e6;
      log(`${SERVICE_WORKER_FILE}: precaches ${list.length} files, ${mb.toFixed(1)} MB`);
    },
  };
}
