// Settings checked field by field against a table of rules, so each layer
// states its limits once, as data, and reports every problem with its field.

export interface FieldRule<T> {
  field: keyof T;
  /** True when the value is acceptable. */
  ok: (o: T) => boolean;
  message: (o: T) => string;
}

export interface FieldProblem<T> {
  field: keyof T;
  message: string;
}

/** Every rule `o` breaks, in the rules' order; a field reports at most its first broken rule. */
export function fieldProblems<T>(o: T, rules: ReadonlyArray<FieldRule<T>>): Array<FieldProblem<T>> {
  const out: Array<FieldProblem<T>> = [];
  for (const r of rules) {
    if (out.some((p) => p.field === r.field)) continue;
    if (!r.ok(o)) out.push({ field: r.field, message: r.message(o) });
  }
  return out;
}

/** A number as a message shows it: 'nothing' for an empty or invalid field. */
export function shown(v: number): string {
  return Number.isFinite(v) ? String(v) : 'nothing';
}

export const isWhole = (v: number, min: number, max = Number.POSITIVE_INFINITY): boolean => Number.isInteger(v) && v >= min && v <= max;
