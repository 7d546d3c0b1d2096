// npm run bench:dedupe: how long the near-duplicate search takes on two 1 MB
// requests (the case that took 28.6 s with the unbounded DP), printed with a
// ratio against the old unbounded DP timed in the same process on a 20 KB
// pair and scaled by the cell count, so the figure does not depend on how
// fast this machine happens to be.
//
//   npx tsx scripts/dedupe-bench.ts [--mb 1]

import { performance } from 'node:perf_hooks';
import { findDuplicates } from '../src/data/dedupe';
import { lcsLength, rougeTokens } from '../src/data/rouge';
import { Random } from '../src/util/random';
import type { Example } from '../src/data/schema';

const mbArg = process.argv.indexOf('--mb');
const mb = mbArg >= 0 ? Number(process.argv[mbArg + 1]) : 1;

function words(rnd: Random, bytes: number): string[] {
  const out: string[] = [];
  let size = 0;
  while (size < bytes) {
    const w = `w${rnd.int(5000)}`;
    out.push(w);
    size += w.length + 1;
  }
  return out;
}

const ex = (id: string, instruction: string): Example => ({ id, source: 'bench', kind: 'instruction', instruction, response: 'r' });

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
}

const rnd = new Random(1);
const base = words(rnd, mb * 1024 * 1024);
const a = base.join(' ');
const cases: [string, string][] = [];
{
  const edited = base.slice();
  for (let k = 0; k < 100; k++) edited[rnd.int(edited.length)] = 'edited';
  cases.push(['near-identical (100 words changed)', edited.join(' ')]);
}
{
  const edited = base.slice();
  for (let k = 0; k < edited.length; k += 10) edited[k] = 'edited';
  cases.push(['10% of words changed', edited.join(' ')]);
}
{
  const shuffled = base.slice();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rnd.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
  }
  cases.push(['same words, shuffled (worst case)', shuffled.join(' ')]);
}

// Reference: the unbounded DP on a 20 KB pair, scaled to this size by cells.
const small = rougeTokens(a.slice(0, 20_000));
const smallB = rougeTokens(cases[0]![1].slice(0, 20_000));
const [, refMs] = time(() => lcsLength(small, smallB));
const m = rougeTokens(a).length;
const unboundedMs = (refMs * m * m) / (small.length * smallB.length);

console.log(`two ${(a.length / 1024 / 1024).toFixed(2)} MB requests, ${m} words each`);
console.log(`reference: unbounded DP on ${small.length}x${smallB.length} words took ${refMs.toFixed(0)} ms -> ~${(unboundedMs / 1000).toFixed(1)} s at this size`);
for (const [name, b] of cases) {
  const [report, ms] = time(() => findDuplicates([ex('a', a), ex('b', b)]));
  const pair = report.pairs[0];
  console.log(
    `${name}: ${ms.toFixed(0)} ms (${(unboundedMs / ms).toFixed(0)}x faster than unbounded), ` +
      `${pair ? `near-duplicate, ROUGE-L ${pair.score.toFixed(4)}` : 'not a near-duplicate'}, capped comparisons ${report.cappedComparisons}`,
  );
}
