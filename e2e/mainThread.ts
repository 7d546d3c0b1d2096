// The page's main thread as Chromium's trace records it: every task with its
// wall time (`dur`) and its thread time (`tdur`, CPU time the thread actually
// ran), and each click from its dispatch to the next frame the page commits.
// Thread time is what the page's code and layout cost; wall time adds
// whatever the machine's other jobs took meanwhile (on this repo's shared
// 2-core machines, 10x at times). So specs hold the thread time to a bound
// and print the wall time.

import type { Browser, Page } from '@playwright/test';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: { type?: string } };
}

export interface ClickAnswer {
  /** Thread time from the task that dispatched the click to the end of the next frame's commit, in ms. */
  cpuMs: number;
  /** Wall time over the same tasks, from the start of the click's task to the end of the frame's, in ms. */
  wallMs: number;
}

export interface MainThreadReport {
  /** The longest task by thread time, and by wall time, in ms. */
  longestTaskCpuMs: number;
  longestTaskWallMs: number;
  /** Tasks whose thread time was 50 ms or more. */
  longTasks: number;
  clicks: ClickAnswer[];
}

const TASK = 'ThreadControllerImpl::RunTask';
/** The frame reaches the compositor: the click's effect can be on screen from here. */
const FRAME_END = new Set(['Commit']);
/** A click whose frame does not come within this much wall time is counted up to here. */
const FRAME_WAIT_US = 2_000_000;

/** Runs `act` while Chromium traces the page, and reports the page's main thread over that time. */
export async function traceMainThread(browser: Browser, page: Page, act: () => Promise<void>): Promise<MainThreadReport> {
  await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  let trace: Buffer;
  try {
    await act();
  } finally {
    trace = await browser.stopTracing();
  }
  return readMainThread(JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] });
}

export function readMainThread(doc: { traceEvents: TraceEvent[] }): MainThreadReport {
  const events = doc.traceEvents;
  const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph !== 'X' || !mains.has(key)) continue;
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push(e);
  }
  // The page's main thread is the one the clicks were dispatched on.
  const isClick = (e: TraceEvent) => e.name === 'EventDispatch' && e.args?.data?.type === 'click';
  let main: TraceEvent[] = [];
  for (const list of byThread.values()) if (list.filter(isClick).length > main.filter(isClick).length || main.length === 0) main = list;
  main.sort((a, b) => a.ts - b.ts);
  const tasks = main.filter((e) => e.name === TASK && e.dur !== undefined);
  const end = (e: TraceEvent) => e.ts + (e.dur ?? 0);
  const within = (outer: TraceEvent, e: TraceEvent) => e.ts >= outer.ts && end(e) <= end(outer);
  // Top-level tasks only (a task runner may nest another's task).
  const top = tasks.filter((t, k) => !tasks.slice(Math.max(0, k - 3), k).some((o) => o !== t && within(o, t)));
  const cpu = (t: TraceEvent) => (t.tdur ?? t.dur ?? 0) / 1000;
  const frameEnds = main.filter((e) => FRAME_END.has(e.name));

  const clicks: ClickAnswer[] = [];
  for (const click of main.filter(isClick)) {
    const first = top.findIndex((t) => within(t, click));
    if (first < 0) continue;
    const frame = frameEnds.find((f) => f.ts > click.ts && f.ts - click.ts < FRAME_WAIT_US);
    let last = first;
    if (frame) while (last + 1 < top.length && top[last + 1]!.ts <= frame.ts) last++;
    const span = top.slice(first, last + 1);
    clicks.push({ cpuMs: span.reduce((s, t) => s + cpu(t), 0), wallMs: (end(top[last]!) - top[first]!.ts) / 1000 });
  }
  return {
    longestTaskCpuMs: Math.max(0, ...top.map(cpu)),
    longestTaskWallMs: Math.max(0, ...top.map((t) => (t.dur ?? 0) / 1000)),
    longTasks: top.filter((t) => cpu(t) >= 50).length,
    clicks,
  };
}

/** One line for the test's log. */
export function describeMainThread(what: string, r: MainThreadReport): string {
  const slowest = r.clicks.reduce<ClickAnswer>((a, c) => (c.cpuMs > a.cpuMs ? c : a), { cpuMs: 0, wallMs: 0 });
  return (
    `${what}: longest task ${r.longestTaskCpuMs.toFixed(0)} ms thread time (${r.longestTaskWallMs.toFixed(0)} ms wall), ${r.longTasks} of 50 ms or more; ` +
    `${r.clicks.length} clicks answered in at most ${slowest.cpuMs.toFixed(0)} ms thread time (that click: ${slowest.wallMs.toFixed(0)} ms wall; ` +
    `all: ${r.clicks.map((c) => `${c.cpuMs.toFixed(0)}/${c.wallMs.toFixed(0)}`).join(' ')})`
  );
}
