// The studio's service worker: after one visit, the page, its scripts, the
// tfjs wasm binaries, the shipped models and the starter datasets are kept in
// Cache Storage, so the studio opens and runs every lesson with no network.
//
// Plain JavaScript, not bundled: src/offline/vitePlugin.ts copies this file to
// dist/sw.js and fills in the three constants below from the finished build.
//
// Never stale: the precache list carries a content hash of every file, and its
// own hash names the cache, so each build gets a fresh cache and the old ones
// are deleted on activation. Files whose names Vite already hashes (assets/)
// are served from the cache first (a name never changes content). Everything
// else (the page itself, models, datasets) is fetched from the network first
// while there is one, and taken from the cache only when the network fails or
// does not answer within a few seconds: online, the newest build always wins.

/** [path relative to the scope, content hash] for every file of the build. */
const PRECACHE = /* PRECACHE */ [];
/** Hash of PRECACHE: names this build's cache. */
const VERSION = /* VERSION */ 'dev';
/** The Content-Security-Policy, added to the page and worker scripts served from the cache. */
const CSP = /* CSP */ '';

const PREFIX = 'instruct-studio-';
const CACHE = PREFIX + VERSION;
const REVISION_HEADER = 'x-studio-revision';
/** How long a network-first request waits before an answer from the cache will do. */
const NETWORK_TIMEOUT_MS = 4000;

const scope = () => self.registration.scope;
const urlOf = (path) => new URL(path, scope()).href;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const [path, revision] of PRECACHE) {
        const url = urlOf(path);
        // A file whose content did not change since an older build is copied
        // from that build's cache rather than downloaded again (20 MB of models).
        const old = await caches.match(url);
        if (old && old.headers.get(REVISION_HEADER) === revision) {
          await cache.put(url, old);
          continue;
        }
        const res = await fetch(url, { cache: 'reload' });
        if (!res.ok) throw new Error(`Precaching ${path} failed: HTTP ${res.status}`);
        await cache.put(url, await withHeaders(res, { [REVISION_HEADER]: revision }));
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !url.href.startsWith(scope())) return;
  // The page under any query (?start=empty, ?backend=webgl) is index.html.
  const key = req.mode === 'navigate' ? urlOf('index.html') : url.origin + url.pathname;
  const immutable = url.pathname.includes('/assets/');
  event.respondWith(immutable ? cacheFirst(req, key) : networkFirst(req, key));
});

async function fromCache(key) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  return hit ? secured(hit, key) : undefined;
}

async function cacheFirst(req, key) {
  return (await fromCache(key)) ?? fetch(req);
}

async function networkFirst(req, key) {
  const network = fetch(req);
  network.catch(() => undefined); // a late failure after the cache answered is not an error
  const cached = fromCache(key);
  let timer;
  const slow = new Promise((resolve) => {
    timer = setTimeout(() => resolve(cached), NETWORK_TIMEOUT_MS);
  });
  try {
    const res = await Promise.race([network, slow]);
    if (res) return res;
    return await network;
  } catch (err) {
    const hit = await cached;
    if (hit) return hit;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The page and worker scripts keep the policy when they come from the cache. */
function secured(res, key) {
  const needsPolicy = key.endsWith('.html') || key.endsWith('.js');
  return needsPolicy && CSP ? withHeaders(res, { 'content-security-policy': CSP }) : res;
}

function withHeaders(res, extra) {
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
