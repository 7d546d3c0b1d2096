// ROUGE-L: similarity of two texts by their longest common subsequence of
// words. Used to find near-duplicate instructions (Self-Instruct keeps a new
// instruction only if its ROUGE-L against every kept one is below 0.7) and by
// the evaluation code to score answers.
//
// Words are lower-cased runs of letters and digits in any script, so
// punctuation and spacing do not count. (The reference rouge_score package
// keeps only a-z and 0-9; we keep other scripts too, so non-English text is
// compared rather than ignored.)

export interface RougeScore {
  precision: number;
  recall: number;
  /** F-measure with beta = 1: 2PR / (P + R). */
  f: number;
}

/** The words ROUGE-L compares: lower-cased letter/digit runs. */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Length of the longest common subsequence of two sequences, in O(|a|*|b|) time and O(|b|) memory. */
export function lcsLength<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  if (a.length === 0 || b.length === 0) return 0;
  const prev = new Int32Array(b.length + 1);
  const cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      if (ai === b[j - 1]) cur[j] = (prev[j - 1] as number) + 1;
      else cur[j] = Math.max(prev[j] as number, cur[j - 1] as number);
    }
    prev.set(cur);
  }
  return prev[b.length] as number;
}

/** ROUGE-L from token lists: precision over the candidate, recall over the reference. */
export function rougeLTokens<T>(reference: ArrayLike<T>, candidate: ArrayLike<T>): RougeScore {
  const lcs = lcsLength(reference, candidate);
  if (lcs === 0) return { precision: 0, recall: 0, f: 0 };
  const precision = lcs / candidate.length;
  const recall = lcs / reference.length;
  return { precision, recall, f: (2 * precision * recall) / (precision + recall) };
}

/** ROUGE-L of a candidate text against a reference text. Symmetric in f. */
export function rougeL(reference: string, candidate: string): RougeScore {
  return rougeLTokens(rougeTokens(reference), rougeTokens(candidate));
}

/** Work (DP cells or diff steps) one bounded LCS may spend: about 0.1 s here. */
export const DEFAULT_LCS_BUDGET = 20_000_000;

/**
 * The answer of `lcsAtLeast`: the exact LCS when it reaches `need`; 'below'
 * when it certainly does not; 'unknown' when finding out would cost more than
 * the budget.
 */
export type BoundedLcs = { kind: 'exact'; lcs: number } | { kind: 'below' } | { kind: 'unknown' };

/**
 * Decides whether the LCS of a and b is at least `need`, and gives it exactly
 * when it is, in bounded time. The full DP costs |a|·|b| cells, 29 billion for
 * two 1 MB texts, so:
 *  1. a common prefix and suffix are part of every LCS and are stripped;
 *  2. what is left goes through the DP when it fits the budget;
 *  3. else through Myers' O((m+n)·D) diff, D being the number of words
 *     deleted from either side (D = m + n - 2·LCS), stopped at the largest D
 *     that still reaches `need`; near-identical texts have a small D, so
 *     this is fast exactly where near-duplicates are;
 *  4. if that too runs over the budget the answer is 'unknown' and the
 *     caller decides (dedupe.ts compares capped prefixes and counts it).
 */
export function lcsAtLeast(a: ArrayLike<number>, b: ArrayLike<number>, need: number, budget = DEFAULT_LCS_BUDGET): BoundedLcs {
  let m = a.length;
  let n = b.length;
  if (need > Math.min(m, n)) return { kind: 'below' };
  let start = 0;
  while (start < m && start < n && a[start] === b[start]) start++;
  let common = start;
  while (m > start && n > start && a[m - 1] === b[n - 1]) {
    m--;
    n--;
    common++;
  }
  const am = m - start;
  const bn = n - start;
  if (am === 0 || bn === 0) return common >= need ? { kind: 'exact', lcs: common } : { kind: 'below' };
  const needMiddle = need - common;
  if (am * bn <= budget) {
    const lcs = common + lcsLength(sliceOf(a, start, m), sliceOf(b, start, n));
    return lcs >= need ? { kind: 'exact', lcs } : { kind: 'below' };
  }
  // Myers: furthest x reached on each diagonal k = x - y after d deletions.
  const maxD = am + bn - 2 * Math.max(0, needMiddle);
  const offset = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  let work = 0;
  for (let d = 0; d <= maxD; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))
          ? (v[offset + k + 1] as number)
          : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      const x0 = x;
      while (x < am && y < bn && a[start + x] === b[start + y]) {
        x++;
        y++;
      }
      work += 1 + x - x0;
      v[offset + k] = x;
      if (x >= am && y >= bn) return { kind: 'exact', lcs: common + (am + bn - d) / 2 };
    }
    if (work > budget) return { kind: 'unknown' };
  }
  return { kind: 'below' };
}

function sliceOf(x: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return x instanceof Int32Array ? x.subarray(from, to) : Array.prototype.slice.call(x, from, to);
}
