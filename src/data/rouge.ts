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
