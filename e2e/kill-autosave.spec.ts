import type { BrowserContext, CDPSession, Page } from '@playwright/test';
import { test, expect, lossHistory, storedCheckpoints } from './fixtures';

// A training run killed again and again, as a crashing or killed tab is: the
// page's renderer is crashed (no unload, no pagehide; its workers, locks and
// open IndexedDB transactions die with it), KILLS times, each at a seeded
// moment, most of them inside an autosave's write. After each kill a new page
// must find the stored checkpoints whole (every record with its bytes), offer
// the run, load its checkpoint and continue; at the end the run's losses must
// equal an uninterrupted run's, step for step. The micro model trains on wasm
// with autosave every step, so each life is short. docs/RELIABILITY.md.

const KILLS = 21;
const STEPS = 80;
const MICRO = { vocabSize: 300, contextLength: 16, width: 32, layers: 1, heads: 2 };
const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(12);

/** Where a life ends: spun inside the write of its `autosave`-th checkpoint (the page frozen there, then crashed) or crashed `delayMs` after that checkpoint was stored. */
type Kill =
  | { kind: 'write-opened' | 'mid-write' | 'after-commit'; autosave: number }
  | { kind: 'random'; autosave: number; delayMs: number };

/** A seeded plan: the same kills in the same order on every run of the spec. */
function plan(seed: number, n: number): Kill[] {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const kinds = ['write-opened', 'mid-write', 'mid-write', 'after-commit', 'random'] as const;
  return Array.from({ length: n }, (_, k): Kill => {
    // The first life must store one checkpoint first, or there is no run to resume.
    const autosave = 1 + Math.floor(next() * 3) + (k === 0 ? 1 : 0);
    const kind = k === 0 ? 'mid-write' : kinds[Math.floor(next() * kinds.length)]!;
    return kind === 'random' ? { kind, autosave, delayMs: Math.floor(next() * 400) } : { kind, autosave };
  });
}

/**
 * In every page: the trainer on wasm (set through the diagnostics hook before
 * the app starts its worker), and the life's kill armed on the checkpoint
 * writes. A write transaction over `checkpointData` is an autosave being
 * stored; the page tells the test through `__kill` and then spins, so the
 * transaction stays open (or, after its commit, nothing else runs) until the
 * test crashes the renderer.
 */
function armPage(kill: Kill | null): void {
  let studio: unknown;
  Object.defineProperty(window, '__studio', {
    configurable: true,
    get: () => studio,
    set: (v: { store: { setState: (s: object) => void } }) => {
      v.store.setState({ backendChoice: 'wasm' });
      studio = v;
    },
  });
  const w = window as unknown as { __kill: (what: string) => Promise<void>; __stored: (n: number) => Promise<void> };
  const freeze = (what: string) => {
    void w.__kill(what);
    for (;;) {
      // Frozen inside the autosave until the renderer is crashed.
    }
  };
  let autosaves = 0;
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = transaction.apply(this, args);
    const stores = Array.isArray(args[0]) ? args[0] : [args[0]];
    if (tx.mode !== 'readwrite' || !stores.includes('checkpointData')) return tx;
    const n = ++autosaves;
    tx.addEventListener('complete', () => {
      void w.__stored(n);
      if (kill?.kind === 'after-commit' && kill.autosave === n) freeze('after-commit');
    });
    if (kill?.autosave !== n) return tx;
    if (kill.kind === 'write-opened') freeze('write-opened');
    if (kill.kind === 'mid-write') {
      // After the metadata is put, before the bytes are.
      const store = tx.objectStore('checkpointData');
      const put = store.put;
      store.put = function (this: IDBObjectStore, ...a: Parameters<IDBObjectStore['put']>) {
        freeze('mid-write');
        return put.apply(this, a);
      };
    }
    return tx;
  };
}



/** `p`, or a failure naming `what` after `ms`: a page that never answers fails the kill it is in, not the whole test's timeout. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function newLife(context: BrowserContext, kill: Kill | null): Promise<{ page: Page; cdp: CDPSession }> {
  const page = await context.newPage();
  await page.addInitScript(armPage, kill);
  const cdp = await context.newCDPSession(page);
  await page.goto('/?start=empty');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 120_000 });
  return { page, cdp };
}

async function createAndSetUp(page: Page): Promise<void> {
  await page.getByTestId('studio-tab').click();
  for (const [k, v] of Object.entries(MICRO)) await page.getByTestId(`cfg-${k}`).fill(String(v));
  await page.getByTestId('train-text').fill(TEXT);
  await page.getByTestId('create-model').click();
  await expect(page.getByTestId('model-summary')).toContainText(/param/i);
  await page.getByTestId('train-steps').fill(String(STEPS));
  await page.getByTestId('train-batch').fill('2');
  await page.getByTestId('train-lr').fill('0.01');
  await page.getByTestId('train-warmup').fill('2');
}

test(`a run crashed ${KILLS} times, mostly inside an autosave, keeps whole checkpoints and resumes on the uninterrupted loss curve`, async ({ browser }) => {
  // ~3 min on a quiet 2-core machine; far longer on a loaded one.
  test.setTimeout(2_400_000);
  const start = Date.now();
  const context = await browser.newContext();
  // What the page says before it freezes, and the autosaves it stored, per life.
  let killSignal: ((what: string) => void) | null = null;
  let storedThisLife = 0;
  await context.exposeBinding('__kill', (_source, what: string) => killSignal?.(what));
  await context.exposeBinding('__stored', (_source, n: number) => {
    storedThisLife = Math.max(storedThisLife, n);
  });

  // The reference: the same run, uninterrupted, in its own page.
  const first = await newLife(context, null);
  await first.page.getByTestId('checkpoints-tab').click();
  await first.page.getByTestId('autosave-every').fill('1');
  await createAndSetUp(first.page);
  await first.page.getByTestId('train-start').click();
  await expect(first.page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 300_000 });
  const reference = await lossHistory(first.page);
  console.log(`reference run of ${STEPS} steps done at ${((Date.now() - start) / 1000).toFixed(0)} s`);
  expect(reference.map((p) => p.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
  await first.page.close();

  const kills = plan(16, KILLS);
  const outcomes: Record<Kill['kind'], number> = { 'write-opened': 0, 'mid-write': 0, 'after-commit': 0, random: 0 };
  let from = 0;
  const resumedFrom: number[] = [];
  let life = await newLife(context, kills[0]!);
  // The same model (same config, seed and text) and the same run as the reference.
  await createAndSetUp(life.page);
  const t0 = Date.now();
  for (let k = 0; k < KILLS; k++) {
    const kill = kills[k]!;
    storedThisLife = 0;
    const signalled = new Promise<string>((resolve) => (killSignal = resolve));
    if (k === 0) await life.page.getByTestId('train-start').click();
    else {
      const banner = life.page.getByTestId('resume-banner');
      await expect(banner).toBeVisible();
      await expect(life.page.getByTestId('resume-run')).toBeEnabled({ timeout: 120_000 });
      await life.page.getByTestId('resume-run').click();
      await expect(banner).toHaveCount(0);
    }
    if (kill.kind === 'random') {
      // Polled every 20 ms: the default back-off (up to 1 s) lets the run go on
      // for many steps past the armed autosave, and a run that reaches its last
      // step before a later kill leaves nothing to resume.
      await expect.poll(() => storedThisLife, { timeout: 120_000, intervals: [20] }).toBeGreaterThanOrEqual(kill.autosave);
      await life.page.waitForTimeout(kill.delayMs);
    } else {
      // A run that ends or stalls instead of reaching the armed autosave fails here rather than at the test's timeout.
      const late = new Promise<string>((resolve) => setTimeout(() => resolve(`no signal within 120 s (stored ${storedThisLife} autosaves)`), 120_000));
      expect(await Promise.race([signalled, late]), `kill ${k + 1}`).toBe(kill.kind);
    }
    // The crash answers nothing (the renderer is gone), so its reply is not awaited; the page's crash event is.
    const crashed = life.page.waitForEvent('crash', { timeout: 60_000 });
    void life.cdp.send('Page.crash').catch(() => undefined);
    await crashed;
    await within(60_000, `closing the page crashed by kill ${k + 1}`, life.page.close().catch(() => undefined));
    outcomes[kill.kind]++;

    // A new page: every checkpoint stored whole, the run offered from the last one that was stored, never behind.
    life = await within(180_000, `opening the page after kill ${k + 1}`, newLife(context, kills[k + 1] ?? null));
    const stored = await within(60_000, `reading IndexedDB after kill ${k + 1}`, storedCheckpoints(life.page));
    expect(stored.meta.map((m) => m.id).sort(), `checkpoint records and their bytes after kill ${k + 1}`).toEqual(stored.data.map((d) => d.id).sort());
    for (const m of stored.meta) expect(stored.data.find((d) => d.id === m.id)!.size).toBe(m.sizeBytes);
    const banner = life.page.getByTestId('resume-banner');
    await expect(banner).toBeVisible({ timeout: 60_000 });
    const step = Number(await banner.getAttribute('data-step'));
    expect(step, `resume step after kill ${k + 1} (${kill.kind})`).toBeGreaterThanOrEqual(from);
    expect(stored.meta.some((m) => m.runStep === step)).toBe(true);
    from = step;
    resumedFrom.push(step);
    console.log(`kill ${k + 1} (${kill.kind} at autosave ${kill.autosave}): ${((Date.now() - t0) / 1000).toFixed(0)} s, resume from step ${step}`);
  }
  const killsSeconds = (Date.now() - t0) / 1000;

  // The last life resumes and finishes the run: the curve is the uninterrupted one.
  await life.page.getByTestId('resume-run').click();
  await expect(life.page.getByTestId('train-status')).toHaveText(/done/i, { timeout: 300_000 });
  const resumed = await lossHistory(life.page);
  expect(resumed.map((p) => p.step)).toEqual(reference.map((p) => p.step));
  const maxDiff = Math.max(...resumed.map((p) => Math.abs(p.loss - reference[p.step - 1]!.loss)));
  for (const p of resumed) expect(p.loss, `loss at step ${p.step}`).toBeCloseTo(reference[p.step - 1]!.loss, 4);
  await expect(life.page.getByTestId('error-banner')).toHaveCount(0);
  expect(outcomes['mid-write'] + outcomes['write-opened']).toBeGreaterThanOrEqual(KILLS / 2);
  console.log(
    `kill loop: ${KILLS} renderer crashes in ${killsSeconds.toFixed(0)} s (${outcomes['write-opened']} with the write just opened, ${outcomes['mid-write']} mid-write, ` +
      `${outcomes['after-commit']} right after a commit, ${outcomes.random} at a random moment after an autosave); resumed from steps ${resumedFrom.join(' ')}; ` +
      `all ${STEPS} losses within ${maxDiff.toExponential(2)} of the uninterrupted run`,
  );
  await context.close();
});
