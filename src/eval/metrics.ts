// Scoring generated answers against references: normalised exact match (as
// SQuAD-style evaluations do), ROUGE-L, and whether a continuation is more
// questions rather than an answer (what a base model tends to produce).

import { rougeL } from '../data/rouge';

/**
 * Lower-case, accents removed (Brasília = Brasilia), punctuation dropped, the
 * articles a/an/the removed, whitespace collapsed.
 */
export function normalizeAnswer(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function exactMatch(prediction: string, reference: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(reference) && normalizeAnswer(reference) !== '';
}

/**
 * A sentence completion recalls the fact when, normalised, it starts with the
 * reference as whole words ("Paris. It lies on the Seine." recalls "Paris").
 */
export function recalls(completion: string, reference: string): boolean {
  const c = normalizeAnswer(completion);
  const r = normalizeAnswer(reference);
  return r !== '' && (c === r || c.startsWith(`${r} `));
}

export function rougeLF(prediction: string, reference: string): number {
  return rougeL(reference, prediction).f;
}

const QUESTION_START = /^(?:(?:question|quiz|q)\s*\d*\s*[:.)-]?\s*|\d+\s*[.):-]\s*|[-*•]\s*)?(?:what|which|who|whom|whose|where|when|why|how|name|is|are|does|do|can|could|list|give|tell|quick question)\b/i;

/**
 * True when a continuation reads as more questions instead of an answer: its first
 * non-empty line ends with "?", or starts like a question or a numbered quiz line
 * ("Question 3:", "4. Which ...", "Name the ...").
 */
export function continuesWithQuestion(text: string): boolean {
  const first = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (!first) return false;
  if (first.endsWith('?')) return true;
  if (/^(?:question|quiz|q)\s*\d+\s*[:.]/i.test(first)) return true;
  return QUESTION_START.test(first) && first.split(/\s+/).length >= 3;
}

/** The answer part of a generated response: up to the first line break, trimmed. */
export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim().length > 0) ?? '').trim();
}
