// Duplicates and near-duplicates.
//
// Exact: two examples whose whole content (system, instruction, input,
// response, or every turn) is the same after lower-casing and collapsing
// whitespace. Found by bucketing on that normalised text, in linear time.
//
// Near: the request texts (instruction plus input; a conversation's first user
// turn) have a ROUGE-L F-measure >= 0.7, the filter Self-Instruct applies to
// new instructions. As there, records are taken in order and each is compared
// with the records kept so far; a record that matches one is reported as its
// duplicate and is not kept, so dropping every reported record leaves a set
// with no near-duplicate pair in it.
//
// Comparing every pair is quadratic (50,000 records: over a billion LCS
// runs), so candidates are found with an inverted index and filters that
// never lose a true match:
//  - length: F >= θ needs the shorter text to have at least θ/(2-θ) of the
//    longer one's words (0.538 for θ = 0.7);
//  - rare words (prefix filtering): words are ordered rarest first over the
//    whole set (repeated words counted as distinct occurrences); F >= θ needs
//    at least t = ⌈θ·m/(2-θ)⌉ common words for a text of m words, and two texts
//    sharing that many words must share one of the first m - t + 1 rarest
//    words of each. Only those "prefix" words are indexed and looked up;
//  - position: walking both word lists in that order, once a common word is
//    found at position i of one and j of the other, at most
//    min(m - i - 1, n - j - 1) more can follow; a candidate that cannot reach
//    ⌈θ(m+n)/2⌉ common words is dropped there (PPJoin's positional filter);
//  - common words: the LCS is at most the number of words two texts share
//    (with repeats), counted by merging their sorted word lists; the LCS is
//    computed only where that count reaches θ(m+n)/2.
// Each LCS is bounded (rouge.ts `lcsAtLeast`): common prefix and suffix are
// stripped, the DP runs when it fits a work budget, else a diff whose cost
// grows with how different the texts are, stopped once they cannot reach θ.
// Two near-identical 1 MB requests are so decided exactly in well under a
// second instead of 29 billion DP cells.
//
// Two approximations, both counted in the report:
//  - the index lookups for one record stop after `maxCandidates` entries
//    (default 20,000). Only records whose rarest words are still very common
//    reach that (heavily templated data, or a huge set of near-identical
//    requests); they are compared with the candidates found by then, rarest
//    words first (`cappedSearches`);
//  - a pair of long texts that share enough words but whose LCS cannot be
//    decided within the budget (e.g. the same 100,000 words in another
//    order) is scored on the first √budget words of each
//    (`cappedComparisons`).

import { contentKey, requestOf, type Example } from './schema';
import { DEFAULT_LCS_BUDGET, lcsAtLeast, lcsLength, rougeTokens } from './rouge';
import { plural } from '../util/text';

export interface DuplicatePair {
  /** Index (in the checked list) of the record that repeats an earlier one. */
  index: number;
  id: string;
  /** Index of the record it repeats: in `existing` when `inExisting`, else in the checked list. */
  duplicateOf: number;
  duplicateOfId: string;
  inExisting: boolean;
  kind: 'exact' | 'near';
  /** 1 for exact duplicates; the ROUGE-L F-measure of the request texts for near ones. */
  score: number;
}

export interface DuplicateReport {
  pairs: DuplicatePair[];
  exact: number;
  near: number;
  threshold: number;
  /** ROUGE-L computations made. */
  comparisons: number;
  /** Records whose candidate search hit `maxCandidates` (see the approximations above). */
  cappedSearches: number;
  /** Comparisons of long texts scored on their first words only (see the approximations above). */
  cappedComparisons: number;
}

export interface DedupeProgress {
  phase: 'exact' | 'near';
  done: number;
  total: number;
}

export interface DedupeOptions {
  /** Near-duplicate threshold on ROUGE-L F (default 0.7). */
  threshold?: number;
  /** Examples already in the dataset: new records are checked against them too. */
  existing?: readonly Example[];
  /** Look for near-duplicates (default true); false finds exact ones only. */
  near?: boolean;
  /** Most index entries looked at per record (default 20,000); see the approximations above. */
  maxCandidates?: number;
  /** Work one LCS may spend (default DEFAULT_LCS_BUDGET); see the approximations above. */
  lcsBudget?: number;
  onProgress?: (p: DedupeProgress) => void;
}

export const DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.7;

/** Whole content, lower-cased, with runs of whitespace made one space. */
export function exactKey(example: Example): string {
  return contentKey(example).toLowerCase().replace(/\s+/g, ' ');
}

const PROGRESS_EVERY = 1000;

export function findDuplicates(examples: readonly Example[], opts: DedupeOptions = {}): DuplicateReport {
  const threshold = opts.threshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be above 0 and at most 1, got ${threshold}`);
  const existing = opts.existing ?? [];
  const maxCandidates = opts.maxCandidates ?? 20_000;
  const report: DuplicateReport = { pairs: [], exact: 0, near: 0, threshold, comparisons: 0, cappedSearches: 0, cappedComparisons: 0 };
  const total = examples.length;

  // Pool entries: existing examples first (entry e < existing.length), then checked ones.
  const E = existing.length;
  const entryId = (e: number): string => (e < E ? (existing[e] as Example).id : (examples[e - E] as Example).id);
  const pair = (index: number, entry: number, kind: 'exact' | 'near', score: number): DuplicatePair => ({
    index,
    id: (examples[index] as Example).id,
    duplicateOf: entry < E ? entry : entry - E,
    duplicateOfId: entryId(entry),
    inExisting: entry < E,
    kind,
    score,
  });

  // ---- exact
  const byKey = new Map<string, number>();
  existing.forEach((ex, e) => {
    const key = exactKey(ex);
    if (!byKey.has(key)) byKey.set(key, e);
  });
  const exactOf = new Int32Array(total).fill(-1);
  for (let i = 0; i < total; i++) {
    const key = exactKey(examples[i] as Example);
    const seen = byKey.get(key);
    if (seen !== undefined) exactOf[i] = seen;
    else byKey.set(key, E + i);
    if (opts.onProgress && (i + 1) % PROGRESS_EVERY === 0 && i + 1 < total) opts.onProgress({ phase: 'exact', done: i + 1, total });
  }
  opts.onProgress?.({ phase: 'exact', done: total, total });

  const nearOf = new Int32Array(total).fill(-1);
  const nearScore = new Float64Array(total);
  if (opts.near !== false) {
    // ---- tokens as ints, repeated words as distinct labels
    const words = new Map<string, number>();
    const labels = new Map<number, number>();
    const toLabels = (text: string): { seq: Int32Array; bag: number[] } => {
      const toks = rougeTokens(text);
      const seq = new Int32Array(toks.length);
      const occurrences = new Map<number, number>();
      const bag: number[] = [];
      toks.forEach((w, k) => {
        let id = words.get(w);
        if (id === undefined) {
          id = words.size;
          words.set(w, id);
        }
        seq[k] = id;
        const n = occurrences.get(id) ?? 0;
        occurrences.set(id, n + 1);
        const lk = id * 0x100000000 + n; // (word, occurrence) as one exact number
        let label = labels.get(lk);
        if (label === undefined) {
          label = labels.size;
          labels.set(lk, label);
        }
        bag.push(label);
      });
      return { seq, bag };
    };
    const raw = [...existing, ...examples].map((ex) => toLabels(requestOf(ex)));
    const df = new Int32Array(labels.size);
    for (const { bag } of raw) for (const l of bag) df[l] = (df[l] as number) + 1;
    // Global order of labels, rarest first; each bag becomes its labels' ranks, sorted.
    const byRarity = Array.from({ length: labels.size }, (_, l) => l).sort(
      (x, y) => (df[x] as number) - (df[y] as number) || x - y,
    );
    const rank = new Int32Array(labels.size);
    byRarity.forEach((l, r) => (rank[l] = r));
    const entries = raw.map(({ seq, bag }) => ({ seq, bag: Int32Array.from(bag, (l) => rank[l] as number).sort() }));
    const budget = opts.lcsBudget ?? DEFAULT_LCS_BUDGET;
    // Words of each text a capped comparison keeps: the DP on them fits the budget.
    const capWords = Math.max(1, Math.floor(Math.sqrt(budget)));
    // Whether two sorted bags share at least `need` words (with repeats), an
    // upper bound on the LCS; stops as soon as the answer is known.
    const overlapAtLeast = (a: Int32Array, b: Int32Array, need: number): boolean => {
      let i = 0;
      let j = 0;
      let n = 0;
      while (i < a.length && j < b.length) {
        if (n + Math.min(a.length - i, b.length - j) < need) return false;
        const x = a[i] as number;
        const y = b[j] as number;
        if (x === y) {
          if (++n >= need) return true;
          i++;
          j++;
        } else if (x < y) i++;
        else j++;
      }
      return n >= need;
    };
    const ratio = threshold / (2 - threshold);
    const minOverlap = (m: number): number => Math.max(1, Math.ceil(ratio * m - 1e-9));
    const prefixLength = (m: number): number => m - minOverlap(m) + 1;
    // label rank -> flat list of (entry, position of the label in that entry's bag) pairs
    const index = new Map<number, number[]>();
    const sizes = new Int32Array(entries.length);
    entries.forEach((entry, e) => (sizes[e] = entry.bag.length));
    const keep = (e: number): void => {
      const { bag } = entries[e] as { bag: Int32Array };
      const p = prefixLength(bag.length);
      for (let k = 0; k < p && k < bag.length; k++) {
        const l = bag[k] as number;
        const list = index.get(l);
        if (list) list.push(e, k);
        else index.set(l, [e, k]);
      }
    };
    for (let e = 0; e < E; e++) if ((sizes[e] as number) > 0) keep(e);

    const seenStamp = new Int32Array(entries.length).fill(-1);
    // Common prefix words found so far per candidate; -1 once it cannot reach the bound.
    const found = new Int32Array(entries.length);
    const half = threshold / 2;
    for (let i = 0; i < total; i++) {
      const e = E + i;
      const { seq, bag } = entries[e] as { seq: Int32Array; bag: Int32Array };
      const m = bag.length;
      if ((exactOf[i] as number) < 0 && m > 0) {
        const minLen = Math.ceil(ratio * m - 1e-9);
        const maxLen = Math.floor(m / ratio + 1e-9);
        const p = prefixLength(m);
        const touched: number[] = [];
        let visits = 0;
        let capped = false;
        for (let k = 0; k < p && !capped; k++) {
          const list = index.get(bag[k] as number);
          if (!list) continue;
          for (let x = 0; x < list.length; x += 2) {
            const c = list[x] as number;
            const n = sizes[c] as number;
            if (n < minLen || n > maxLen) continue;
            if (++visits > maxCandidates) {
              capped = true;
              break;
            }
            if (seenStamp[c] !== i) {
              seenStamp[c] = i;
              found[c] = 0;
              touched.push(c);
            } else if ((found[c] as number) < 0) continue;
            // Positional bound: words before this one in the order were all
            // seen already, so at most min(words left on either side) more can match.
            const j = list[x + 1] as number;
            const need = Math.ceil(half * (m + n) - 1e-9);
            if ((found[c] as number) + 1 + Math.min(m - k - 1, n - j - 1) >= need) found[c] = (found[c] as number) + 1;
            else found[c] = -1;
          }
        }
        if (capped) report.cappedSearches++;
        const candidates = touched.filter((c) => (found[c] as number) > 0);
        let best = -1;
        let bestScore = 0;
        for (const c of candidates) {
          const other = entries[c] as { seq: Int32Array; bag: Int32Array };
          const n = other.seq.length;
          // F >= θ needs LCS >= θ(m+n)/2; common words bound the LCS from above.
          if (!overlapAtLeast(bag, other.bag, Math.ceil(half * (m + n) - 1e-9))) continue;
          report.comparisons++;
          const need = Math.ceil(half * (m + n) - 1e-9);
          const bounded = lcsAtLeast(seq, other.seq, need, budget);
          let f: number;
          if (bounded.kind === 'exact') f = (2 * bounded.lcs) / (m + n);
          else if (bounded.kind === 'below') continue;
          else {
            // Too long and too different to decide within the budget: score
            // the first capWords words of each instead (see the header).
            report.cappedComparisons++;
            const pa = seq.subarray(0, capWords);
            const pb = other.seq.subarray(0, capWords);
            f = (2 * lcsLength(pa, pb)) / (pa.length + pb.length);
          }
          if (f >= threshold && f > bestScore) {
            best = c;
            bestScore = f;
            if (f >= 1) break;
          }
        }
        if (best >= 0) {
          nearOf[i] = best;
          nearScore[i] = bestScore;
        } else {
          keep(e);
        }
      }
      if (opts.onProgress && (i + 1) % PROGRESS_EVERY === 0 && i + 1 < total) opts.onProgress({ phase: 'near', done: i + 1, total });
    }
    opts.onProgress?.({ phase: 'near', done: total, total });
  }

  for (let i = 0; i < total; i++) {
    const ex = exactOf[i] as number;
    const near = nearOf[i] as number;
    if (ex >= 0) {
      report.pairs.push(pair(i, ex, 'exact', 1));
      report.exact++;
    } else if (near >= 0) {
      report.pairs.push(pair(i, near, 'near', nearScore[i] as number));
      report.near++;
    }
  }
  return report;
}

/** The examples without the ones a report marks as duplicates (the first of each group stays). */
export function dropDuplicates<T extends Example>(examples: readonly T[], report: DuplicateReport): T[] {
  const drop = new Set(report.pairs.map((p) => p.index));
  return examples.filter((_, k) => !drop.has(k));
}

/** One sentence summarising a report. */
export function describeDuplicates(report: DuplicateReport): string {
  if (report.pairs.length === 0) return 'No duplicates found.';
  const parts: string[] = [];
  if (report.exact > 0) parts.push(plural(report.exact, 'exact duplicate'));
  if (report.near > 0) {
    parts.push(`${plural(report.near, 'near-duplicate')} (ROUGE-L ≥ ${report.threshold} with an earlier instruction)`);
  }
  return `${parts.join(' and ')}.`;
}
