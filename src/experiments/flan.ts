// The flan experiment (task and phrasing diversity): from a base model, tune
// (a) one relation in one phrasing, (b) every tuned relation in one phrasing each,
// (c) every tuned relation in many phrasings (the FLAN-style TEMPLATE_POOL), with the
// same steps and batch size, and ask each about held-out countries in phrasings no
// arm was tuned on (HELDOUT_TEMPLATES), and about the relation none was tuned on.

import { HELDOUT_TEMPLATES, question, RELATIONS, TEMPLATE_POOL, type CountryFacts, type Relation } from '../corpus/facts';
import { TUNED_RELATIONS, UNTUNED_RELATION } from '../corpus/split';
import type { InstructionExample } from '../data/schema';
import { Random } from '../util/random';
import { armData, askAll, checkStopped, copyModel, formatShare, tune, ExperimentInputError, type ExperimentEnv, type ExperimentResult, type TuneSettings, tuneSettingsProblem } from './common';

export type FlanArm = 'a' | 'b' | 'c';

export interface FlanSettings extends TuneSettings {
  /** Questions asked per measure (a seeded sample of each evaluation set). */
  questions: number;
  /** The arms to tune (all three when absent); the studio's lesson runs (a) and (c) only, to halve the wait. */
  arms?: readonly FlanArm[];
  /**
   * Leave out the starting model's row. With `arms`, this splits one run into
   * processes that run at once (each arm is seeded alone, so the numbers are those of
   * a whole run); the claims are checked only in a run with arms (a) and (c).
   */
  skipBefore?: boolean;
}

export const FLAN_QUICK: FlanSettings = { steps: 120, batchSize: 16, learningRate: 3e-4, warmupSteps: 10, seed: 13, questions: 60 };
export const FLAN_FULL: FlanSettings = { ...FLAN_QUICK, steps: 240, batchSize: 32, questions: 200 };

export interface FlanInputs {
  /** Countries the tuning data is about. */
  train: readonly CountryFacts[];
  /** Countries never in tuning: every measure asks about these. */
  heldOut: readonly CountryFacts[];
}

function examples(countries: readonly CountryFacts[], relations: readonly Relation[], templates: (r: Relation) => readonly string[], tag: string): InstructionExample[] {
  const out: InstructionExample[] = [];
  for (const r of relations) {
    templates(r).forEach((t, ti) => {
      for (const c of countries) out.push({ id: `${tag}:${r}:${ti + 1}:${c.code}`, source: `flan:${tag}`, kind: 'instruction', category: r, instruction: question(t, c), response: c[r] });
    });
  }
  return out;
}

/** The three arms' tuning sets: what each learns from, nothing else differs. */
export function flanArms(train: readonly CountryFacts[]): Array<{ arm: FlanArm; label: string; examples: InstructionExample[] }> {
  return [
    { arm: 'a', label: '(a) capital, one phrasing', examples: examples(train, ['capital'], (r) => TEMPLATE_POOL[r].slice(0, 1), 'a') },
    { arm: 'b', label: `(b) ${TUNED_RELATIONS.length} relations, one phrasing each`, examples: examples(train, TUNED_RELATIONS, (r) => TEMPLATE_POOL[r].slice(0, 1), 'b') },
    { arm: 'c', label: `(c) ${TUNED_RELATIONS.length} relations, ${TEMPLATE_POOL.capital.length} phrasings each`, examples: examples(train, TUNED_RELATIONS, (r) => TEMPLATE_POOL[r], 'c') },
  ];
}

/**
 * The countries of a flan-countries file (public/datasets/flan-countries.json, written by
 * `npm run flan-data`): train and held-out lists of countries with every relation. `file`
 * names the file in the messages; a malformed entry is refused by its list and position.
 */
export function readFlanCountries(doc: unknown, file: string): FlanInputs {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ExperimentInputError(`${file} is not a flan-countries file: expected an object with "train" and "heldOut" lists.`);
  const d = doc as Record<string, unknown>;
  const list = (key: 'train' | 'heldOut'): CountryFacts[] => {
    const v = d[key];
    if (!Array.isArray(v)) throw new ExperimentInputError(`${file} has no "${key}" list of countries.`);
    return v.map((c: unknown, i) => {
      const rec = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
      const missing = (['code', 'name', ...RELATIONS] as const).filter((k) => typeof rec[k] !== 'string' || (rec[k] as string).trim() === '');
      if (missing.length > 0) throw new ExperimentInputError(`${file}: ${key}[${i}]${typeof rec.name === 'string' ? ` (${rec.name})` : ''} has no ${missing.join(', ')}.`);
      return Object.fromEntries(['code', 'name', ...RELATIONS].map((k) => [k, rec[k] as string])) as CountryFacts;
    });
  };
  const inputs = { train: list('train'), heldOut: list('heldOut') };
  const trainNames = new Set(inputs.train.map((c) => c.name));
  const both = inputs.heldOut.filter((c) => trainNames.has(c.name));
  if (both.length > 0) throw new ExperimentInputError(`${file} lists ${both.map((c) => c.name).join(', ')} as both train and held-out: held-out countries must never be tuned on.`);
  return inputs;
}

export function flanInputProblem(inputs: FlanInputs): string | null {
  if (inputs.train.length < 5) return `The country split has ${inputs.train.length} train countr${inputs.train.length === 1 ? 'y' : 'ies'}; the flan experiment needs at least 5 to tune on.`;
  if (inputs.heldOut.length < 5) return `The country split has ${inputs.heldOut.length} held-out countr${inputs.heldOut.length === 1 ? 'y' : 'ies'}; the flan experiment needs at least 5 to ask about.`;
  return null;
}

export async function runFlan(env: ExperimentEnv, inputs: FlanInputs, s: FlanSettings, quick: boolean): Promise<ExperimentResult> {
  const problem = flanInputProblem(inputs) ?? tuneSettingsProblem(s, env.model);
  if (problem) throw new ExperimentInputError(problem);
  const rng = new Random(s.seed);
  const measures = {
    capitalUnseen: rng.sample(examples(inputs.heldOut, ['capital'], (r) => HELDOUT_TEMPLATES[r], 'eval'), s.questions),
    relationsUnseen: rng.sample(examples(inputs.heldOut, TUNED_RELATIONS, (r) => HELDOUT_TEMPLATES[r], 'eval'), s.questions),
    untuned: rng.sample(examples(inputs.heldOut, [UNTUNED_RELATION], (r) => [...TEMPLATE_POOL[r], ...HELDOUT_TEMPLATES[r]], 'eval'), s.questions),
  };
  const chosen = new Set<FlanArm>(s.arms ?? ['a', 'b', 'c']);
  if (chosen.size === 0 || [...chosen].some((a) => !['a', 'b', 'c'].includes(a))) throw new ExperimentInputError(`The flan experiment's arms are a, b and c; got "${[...chosen].join(',')}".`);
  const arms = flanArms(inputs.train).filter((a) => chosen.has(a.arm)).map((a) => ({
    ...a,
    data: armData(a.examples, env, s),
  }));

  const measure = async (model: typeof env.model, label: string) => {
    env.onProgress?.(`${label}: measuring`);
    const values: Record<string, number> = {};
    const samples: string[] = [];
    for (const [key, set] of Object.entries(measures)) {
      const r = await askAll(model, env, set);
      values[key] = r.totals.exactMatch;
      if (key === 'capitalUnseen') values.capitalQuestionLike = r.totals.questionLike;
      samples.push(`${r.rows[0]!.question} -> "${r.rows[0]!.answer}"`);
    }
    // Each arm's numbers as soon as they are measured, so a long run's log shows them before the end.
    env.onProgress?.(`${label}: ${Object.entries(values).map(([k, v]) => `${k} ${formatShare(v)}`).join(', ')}`);
    return { values, sample: samples.join(' | ') };
  };

  const rows: ExperimentResult['rows'] = [];
  const samples: ExperimentResult['samples'] = [];
  if (!s.skipBefore) {
    const before = await measure(env.model, 'before');
    rows.push({ arm: 'before', label: 'before tuning', values: before.values });
    samples.push({ arm: 'before', text: before.sample });
  }
  for (const a of arms) {
    checkStopped(env.signal);
    const model = await copyModel(env.model);
    try {
      await tune(model, a.data.source, s, env, a.label);
      const m = await measure(model, a.label);
      rows.push({ arm: a.arm, label: `${a.label}: ${a.examples.length} examples`, values: m.values });
      samples.push({ arm: a.arm, text: m.sample });
    } finally {
      model.dispose();
    }
  }
  const get = (arm: string, key: string) => rows.find((r) => r.arm === arm)!.values[key]!;
  const compared = chosen.has('a') && chosen.has('c');
  const gap = compared ? get('c', 'capitalUnseen') - get('a', 'capitalUnseen') : 0;
  const untunedByArm = arms.map((a) => `(${a.arm}) ${formatShare(get(a.arm, 'untuned'))}`).join(', ');
  return {
    experiment: 'flan',
    quick,
    settings: { ...s, arms: [...chosen], trainCountries: inputs.train.length, heldOutCountries: inputs.heldOut.length, tunedRelations: TUNED_RELATIONS, untunedRelation: UNTUNED_RELATION },
    columns: [
      { key: 'capitalUnseen', label: 'capitals, unseen phrasings' },
      { key: 'capitalQuestionLike', label: 'of those, continue with a question' },
      { key: 'relationsUnseen', label: 'tuned relations, unseen phrasings' },
      { key: 'untuned', label: `${UNTUNED_RELATION} (never tuned)` },
    ],
    rows,
    claims: compared
      ? [
      {
        holds: gap >= 0.2,
        text: `(c) many phrasings beats (a) one relation in one phrasing by >= 20 points on capitals of held-out countries in never-tuned phrasings: ${formatShare(get('a', 'capitalUnseen'))} -> ${formatShare(get('c', 'capitalUnseen'))} (${(gap * 100).toFixed(1)} points)`,
      },
      {
        holds: get('c', 'untuned') > get('a', 'untuned'),
        text: `the never-tuned relation (${UNTUNED_RELATION}), reported whatever it shows: ${untunedByArm}; (c) above (a)`,
      },
    ]
      : [],
    samples,
    notes: [
      `Each arm: ${s.steps} steps x ${s.batchSize} rows from the base model, lr ${s.learningRate}. Questions about ${inputs.heldOut.length} held-out countries (${s.questions} per measure, seeded), in the ${HELDOUT_TEMPLATES.capital.length} held-out phrasings no tuning set contains; the never-tuned relation in pool and held-out phrasings.`,
    ],
  };
}
