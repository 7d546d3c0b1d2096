// FLAN-style expansion: one task (a table of rows such as country -> capital)
// phrased through several instruction templates, as FLAN mixes many
// phrasings of each task so the model learns the task, not one wording.
//
//   expandTask({ category: 'capitals', rows: [{ x: 'France', y: 'Paris' }],
//                templates: ['What is the capital of {x}?', 'Name the capital city of {x}.'] })
//   -> two examples, both answered "Paris".
//
// Placeholders name row fields ({x}, {y}, or any other column); "{{" and "}}"
// are literal braces. With templatesPerRow, each row gets a seeded random
// subset of the templates instead of all of them.

import { Random } from '../util/random';
import type { InstructionExample } from './schema';

export interface ExpandTaskSpec {
  /** Task name; becomes each example's category and part of its id. */
  category: string;
  rows: ReadonlyArray<Readonly<Record<string, string>>>;
  /** Instruction templates, e.g. "What is the capital of {x}?". */
  templates: readonly string[];
  /** Response template (default "{y}"). */
  responseTemplate?: string;
  /** Optional input template, e.g. "{passage}". */
  inputTemplate?: string;
  /** Templates per row, drawn without replacement with `seed`; default all. */
  templatesPerRow?: number;
  seed?: number;
  system?: string;
}

export class ExpandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpandError';
  }
}

/** Fills {field} placeholders from a row; fails naming the missing field. */
function fillRow(template: string, row: Readonly<Record<string, string>>, where: string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    const next = template[i + 1];
    if ((ch === '{' && next === '{') || (ch === '}' && next === '}')) {
      out += ch;
      i += 2;
      continue;
    }
    if (ch !== '{') {
      out += ch;
      i++;
      continue;
    }
    const close = template.indexOf('}', i + 1);
    if (close < 0) throw new ExpandError(`${where}: "${template}" has a "{" that is never closed; write "{{" for a literal brace.`);
    const name = template.slice(i + 1, close);
    const value = Object.prototype.hasOwnProperty.call(row, name) ? row[name] : undefined;
    if (typeof value !== 'string') {
      const fields = Object.keys(row).map((k) => `{${k}}`).join(', ');
      throw new ExpandError(`${where}: the template uses {${name}}, but the row has no "${name}" field (it has ${fields || 'no fields'}).`);
    }
    out += value;
    i = close + 1;
  }
  return out;
}

export function expandTask(spec: ExpandTaskSpec): InstructionExample[] {
  const category = spec.category.trim();
  if (category === '') throw new ExpandError('Give the task a name.');
  if (spec.templates.length === 0) throw new ExpandError(`Task "${category}" has no instruction templates.`);
  if (spec.rows.length === 0) throw new ExpandError(`Task "${category}" has no rows.`);
  const responseTemplate = spec.responseTemplate ?? '{y}';
  const perRow = spec.templatesPerRow ?? spec.templates.length;
  if (!Number.isInteger(perRow) || perRow < 1) {
    throw new ExpandError(`templatesPerRow must be a whole number of at least 1, got ${perRow}.`);
  }
  const rng = new Random(spec.seed ?? 0);
  const all = spec.templates.map((_, k) => k);
  const out: InstructionExample[] = [];
  spec.rows.forEach((row, r) => {
    const chosen = perRow >= all.length ? all : rng.sample(all, perRow).sort((a, b) => a - b);
    for (const t of chosen) {
      const where = `Task "${category}", row ${r + 1}, template ${t + 1}`;
      const instruction = fillRow(spec.templates[t] as string, row, where);
      const response = fillRow(responseTemplate, row, `${where} (response)`);
      if (instruction.trim() === '') throw new ExpandError(`${where}: the instruction comes out empty.`);
      if (response.trim() === '') throw new ExpandError(`${where}: the response comes out empty.`);
      const example: InstructionExample = {
        id: `flan:${category}:${r + 1}:${t + 1}`,
        source: `flan:${category}`,
        kind: 'instruction',
        category,
        instruction,
        response,
      };
      if (spec.inputTemplate !== undefined) {
        const input = fillRow(spec.inputTemplate, row, `${where} (input)`);
        if (input !== '') example.input = input;
      }
      if (spec.system !== undefined && spec.system !== '') example.system = spec.system;
      out.push(example);
    }
  });
  return out;
}
