// The self-instruct experiment: the model proposes new instructions from a handful of
// seed tasks, each proposal is kept only if it passes simple validity checks and its
// ROUGE-L against every instruction already in the pool is below 0.7 (the Self-Instruct
// paper's filter), the model answers the kept ones, and a copy tuned on those pairs is
// measured on held-out questions against the model it started from.
//
// How a 4M-parameter model proposes: not by following "write a new task like these"
// (it cannot), but by the one generation task it does well: continuing a numbered quiz
// sheet. Its pretraining corpus is full of quiz sheets, so a prompt of three pool
// questions written as a sheet ("1. ...\n2. ...\n3. ...\n4.") is continued with a new
// question, sampled at temperature 0.8. The paper prompts GPT-3 the same way: a list of
// tasks from the pool, and the model writes the next one.

import { rougeL } from '../data/rouge';
import type { Example, InstructionExample } from '../data/schema';
import { instructionOf } from '../data/schema';
import { evaluateModel } from '../eval/evaluate';
import { continuesWithQuestion } from '../eval/metrics';
import { generateTokens } from '../model/generate';
import type { GPT } from '../model/gpt';
import { Random } from '../util/random';
import { escapeRegExp } from '../util/text';
import { RELATION_NOUNS, RELATIONS, type CountryFacts, type Relation } from '../corpus/facts';
import { armData, askAll, checkStopped, copyModel, formatShare, tune, ExperimentInputError, type ExperimentEnv, type ExperimentResult, type TuneSettings, tuneSettingsProblem } from './common';

export interface SelfInstructSettings extends TuneSettings {
  /** Seed tasks the pool starts from (a seeded sample of the seed set). */
  seeds: number;
  /** Proposals to draw at most. */
  proposals: number;
  /** Pool questions shown in each proposal prompt. */
  shown: number;
  temperature: number;
  /** Held-out questions asked before and after tuning on the kept pairs. */
  heldOutQuestions: number;
  /**
   * Tune copies on the pairs and measure them (the experiment). Off, the run stops once
   * the pairs are written: the studio's review asks only for proposals to read and edit.
   */
  measure: boolean;
  /** The shape checks a proposal must pass (see ShapeRules); absent: 'strict'. */
  shapeRules?: ShapeRules;
  /**
   * Passes over the kept pairs when a copy is tuned on them alone: that arm then runs
   * ceil(pairs x pairEpochs / batch) steps, as generated data is tuned on for a couple of
   * epochs (the paper: 2). Absent: `steps` steps whatever the number of pairs, which
   * repeats a few dozen pairs tens of times.
   */
  pairEpochs?: number;
  /**
   * A self-consistency filter on the pairs (not in the paper): the model answers each kept
   * instruction `samples` more times at the proposal temperature, and a pair stays only if
   * at least `agree` of those answers equal its greedy one. Absent: no such filter.
   */
  consistency?: { samples: number; agree: number };
}

export const SELF_INSTRUCT_QUICK: SelfInstructSettings = {
  steps: 60,
  batchSize: 16,
  learningRate: 1e-4,
  warmupSteps: 5,
  seed: 13,
  seeds: 8,
  proposals: 200,
  shown: 3,
  temperature: 0.8,
  // 200, not 80: a pair set's effect on held-out accuracy is a few points, about the noise of 80 questions.
  heldOutQuestions: 200,
  measure: true,
  shapeRules: 'pool',
  pairEpochs: 2,
};
export const SELF_INSTRUCT_FULL: SelfInstructSettings = { ...SELF_INSTRUCT_QUICK, proposals: 400, steps: 120, heldOutQuestions: 200 };

/** The Self-Instruct paper's novelty threshold: a proposal this close to a pool instruction is dropped. */
export const ROUGE_THRESHOLD = 0.7;

export interface SelfInstructInputs {
  /** Seed tasks (instruction-response pairs) the pool starts from. */
  seedTasks: readonly Example[];
  /** Held-out questions measured before and after. */
  heldOut: readonly Example[];
  /**
   * The starting model's own tuning data. Given, two more copies are tuned the same
   * steps: on this data with the kept pairs added (as the paper adds generated tasks to
   * its pool), and on this data alone, so the pairs' own effect is the difference.
   */
  tuneExamples?: readonly Example[];
  /**
   * The countries' true facts. Given, every pair is checked against them (factCheck):
   * the filter checks shape only, and this says how many answers are true.
   */
  facts?: readonly CountryFacts[];
}

/** Words that name each relation in a question, longest first so that "currency code" is not read as "currency". */
const RELATION_WORDS: ReadonlyArray<readonly [string, Relation]> = [
  ...RELATIONS.map((r) => [RELATION_NOUNS[r], r] as const),
  ['language', 'language'] as const,
  ['domain', 'domain'] as const,
].sort((a, b) => b[0].length - a[0].length);

/**
 * Checks generated pairs against the facts. A pair is checkable when its instruction
 * names one country (the longest name it contains) and one relation (by its noun); it
 * is right when the response is that country's fact, exactly. The rest ask nothing
 * this data can check (not a question, or no country or relation named).
 */
export function factCheck(pairs: readonly InstructionExample[], facts: readonly CountryFacts[]): { checkable: number; right: number; byRelation: Partial<Record<Relation, { checkable: number; right: number }>> } {
  // Longest name first, each matched as whole words.
  const countries = [...facts]
    .sort((a, b) => b.name.length - a.name.length)
    .map((c) => ({ c, re: new RegExp(`(^|[^\\p{L}])${escapeRegExp(c.name.toLowerCase())}($|[^\\p{L}])`, 'u') }));
  const byRelation: Partial<Record<Relation, { checkable: number; right: number }>> = {};
  let checkable = 0;
  let right = 0;
  for (const p of pairs) {
    const text = p.instruction.toLowerCase();
    const relation = RELATION_WORDS.find(([word]) => text.includes(word))?.[1];
    const country = countries.find(({ re }) => re.test(text))?.c;
    if (!relation || !country) continue;
    const r = (byRelation[relation] ??= { checkable: 0, right: 0 });
    checkable++;
    r.checkable++;
    if (p.response.trim() === country[relation]) {
      right++;
      r.right++;
    }
  }
  return { checkable, right, byRelation };
}

/**
 * How strict the shape checks are. 'strict': a capital letter first and "?" or "." last.
 * 'pool': any letter first and no final mark needed, as the tuning pool's own phrasings
 * ("what is the capital of {x}", "Tell me the capital of {x}.") allow.
 */
export type ShapeRules = 'strict' | 'pool';

/** Why a proposed instruction is not a usable task, or null: simple checks, as the paper's heuristics. */
export function instructionProblem(text: string, rules: ShapeRules = 'strict'): string | null {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length < 3) return 'too short';
  if (words.length > 20) return 'too long';
  if (rules === 'strict' && !/^[A-Z]/.test(text)) return 'does not start with a capital letter';
  if (rules === 'pool' && !/^\p{L}/u.test(text)) return 'does not start with a letter';
  if (rules === 'strict' && !/[?.]$/.test(text)) return 'does not end with "?" or "."';
  if (/\d/.test(text)) return 'contains digits (a quiz number)';
  if (/(?:question|answer|quiz)\s*[:\d]/i.test(text)) return 'quiz markup';
  return null;
}

/** Why a response is not usable, or null. */
export function responseProblem(text: string): string | null {
  const t = text.trim();
  if (t === '') return 'empty';
  if (continuesWithQuestion(t)) return 'another question';
  if (t.split(/\s+/).length > 8) return 'too long for a fact';
  return null;
}

/** The proposal prompt: pool questions as a numbered quiz sheet, the next number open. */
export function proposalPrompt(shown: readonly string[]): string {
  return `${shown.map((q, i) => `${i + 1}. ${q}`).join('\n')}\n${shown.length + 1}.`;
}

/** The highest ROUGE-L F of `text` against any instruction in `pool`. */
export function maxRouge(text: string, pool: readonly string[]): number {
  let best = 0;
  for (const p of pool) best = Math.max(best, rougeL(p, text).f);
  return best;
}

async function sampleLine(model: GPT, env: ExperimentEnv, prompt: string, temperature: number, seed: number): Promise<string> {
  const ids = env.tokenizer.encode(prompt).slice(-model.config.contextLength);
  const out: number[] = [];
  const newline = env.tokenizer.encode('\n');
  for await (const id of generateTokens(model, ids, { maxTokens: 24, temperature, topK: 0, topP: 0.95, seed, stopIds: [env.tokenizer.eosId] })) {
    if (id === env.tokenizer.eosId) break;
    out.push(id);
    if (newline.length === 1 && id === newline[0]) break;
    if (env.tokenizer.decode(out).includes('\n')) break;
  }
  return env.tokenizer.decode(out).split('\n')[0]!.trim();
}

/** The pairs whose greedy answer at least `agree` of `samples` sampled answers repeat. */
export async function consistentPairs(env: ExperimentEnv, pairs: readonly InstructionExample[], c: { samples: number; agree: number }, s: Pick<SelfInstructSettings, 'temperature' | 'seed'>): Promise<InstructionExample[]> {
  env.onProgress?.(`asking each of ${pairs.length} pairs ${c.samples} more times`);
  const votes = pairs.map(() => 0);
  for (let k = 0; k < c.samples; k++) {
    checkStopped(env.signal);
    const r = await evaluateModel(env.model, env.tokenizer, pairs, { template: env.template, maxTokens: 12, sampling: { temperature: s.temperature, topK: 0, topP: 0.95, seed: s.seed * 7919 + k * 1009 } });
    r.rows.forEach((row, i) => {
      if (row.exact) votes[i]!++;
    });
  }
  return pairs.filter((_, i) => votes[i]! >= c.agree);
}

/** Steps of the pairs-alone arm: `pairEpochs` passes over `pairs` examples, or `steps` when unset. */
export function pairStepsOf(pairs: number, s: Pick<SelfInstructSettings, 'steps' | 'batchSize' | 'pairEpochs'>): number {
  return s.pairEpochs ? Math.max(1, Math.ceil((pairs * s.pairEpochs) / s.batchSize)) : s.steps;
}

export function selfInstructInputProblem(inputs: SelfInstructInputs, s: SelfInstructSettings): string | null {
  if (inputs.seedTasks.length < s.seeds) return `The seed set has ${inputs.seedTasks.length} task(s); self-instruct starts from ${s.seeds}.`;
  if (s.measure && inputs.heldOut.length < 10) return `The held-out question set has ${inputs.heldOut.length} example(s); at least 10 are needed to measure the effect of tuning.`;
  if (s.shown < 1 || s.shown > s.seeds) return `Each proposal prompt shows 1 to ${s.seeds} pool questions (got ${s.shown}).`;
  if (s.pairEpochs !== undefined && !(Number.isInteger(s.pairEpochs) && s.pairEpochs >= 1)) return `Passes over the kept pairs must be a whole number of at least 1 (got ${s.pairEpochs}).`;
  if (s.consistency) {
    const { samples, agree } = s.consistency;
    if (!(Number.isInteger(samples) && samples >= 1 && samples <= 16)) return `The consistency check samples 1 to 16 answers per pair (got ${samples}).`;
    if (!(Number.isInteger(agree) && agree >= 1 && agree <= samples)) return `The consistency check keeps a pair when 1 to ${samples} sampled answers agree (got ${agree}).`;
  }
  return null;
}

export interface Proposal {
  text: string;
  /** Highest ROUGE-L against the pool when proposed. */
  rouge: number;
  /** Why it was dropped: 'similar' (ROUGE-L >= 0.7), an invalid-instruction reason, or null when kept. */
  dropped: string | null;
}

export async function runSelfInstruct(env: ExperimentEnv, inputs: SelfInstructInputs, s: SelfInstructSettings, quick: boolean): Promise<ExperimentResult & { pairs: InstructionExample[] }> {
  const problem = selfInstructInputProblem(inputs, s) ?? tuneSettingsProblem(s, env.model);
  if (problem) throw new ExperimentInputError(problem);
  const rng = new Random(s.seed);
  const seeds = rng.sample(inputs.seedTasks, s.seeds);
  const pool = seeds.map(instructionOf);
  const proposals: Proposal[] = [];
  env.onProgress?.(`proposing up to ${s.proposals} instructions from ${seeds.length} seed tasks`);
  for (let i = 0; i < s.proposals; i++) {
    checkStopped(env.signal);
    // As the paper: the prompt mixes seed tasks and tasks the model wrote itself.
    const text = await sampleLine(env.model, env, proposalPrompt(rng.sample(pool, s.shown)), s.temperature, s.seed * 100_003 + i);
    const invalid = instructionProblem(text, s.shapeRules);
    const rouge = invalid ? 0 : maxRouge(text, pool);
    const dropped = invalid ?? (rouge >= ROUGE_THRESHOLD ? 'similar' : null);
    proposals.push({ text, rouge, dropped });
    if (!dropped) pool.push(text);
    if ((i + 1) % 50 === 0) env.onProgress?.(`proposed ${i + 1}, kept ${pool.length - seeds.length}`);
  }
  const kept = proposals.filter((p) => !p.dropped);
  const passedValidity = proposals.filter((p) => p.dropped === null || p.dropped === 'similar');

  // The model writes the responses, greedily through its template.
  env.onProgress?.(`answering ${kept.length} kept instructions`);
  const asked: InstructionExample[] = kept.map((p, i) => ({ id: `self-instruct:${i + 1}`, source: 'self-instruct', kind: 'instruction', category: 'self-instruct', instruction: p.text, response: '?' }));
  const answers = asked.length > 0 ? await askAll(env.model, env, asked) : { rows: [] };
  const answered: InstructionExample[] = [];
  answers.rows.forEach((r, i) => {
    if (!responseProblem(r.answer)) answered.push({ ...asked[i]!, response: r.answer.trim() });
  });
  const pairs = s.consistency ? await consistentPairs(env, answered, s.consistency, s) : answered;

  const reasons = new Map<string, number>();
  for (const p of proposals) if (p.dropped) reasons.set(p.dropped, (reasons.get(p.dropped) ?? 0) + 1);
  const keptRate = kept.length / Math.max(1, proposals.length);
  const checked = inputs.facts ? factCheck(pairs, inputs.facts) : null;
  const counts = {
    proposedCount: proposals.length,
    validCount: passedValidity.length,
    keptCount: kept.length,
    pairsCount: answered.length,
    ...(s.consistency ? { consistentCount: pairs.length } : {}),
    ...(checked ? { checkableCount: checked.checkable, rightCount: checked.right } : {}),
  };
  const keptClaim = { holds: kept.length >= 50, text: `>= 50 proposals kept by the ROUGE-L filter out of at most ${s.proposals}: ${kept.length} kept (${formatShare(keptRate)}) of ${proposals.length} proposed, ${passedValidity.length} valid` };
  const samples = [
    ...pairs.slice(0, 12).map((p) => ({ arm: 'kept pair', text: `${p.instruction} -> ${p.response}` })),
    ...proposals.filter((p) => p.dropped).slice(0, 6).map((p) => ({ arm: `dropped (${p.dropped})`, text: p.text })),
  ];
  const notes = [
    `Dropped: ${[...reasons].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}. Proposals come from the model continuing a quiz sheet of ${s.shown} pool questions (temperature ${s.temperature}); responses are its greedy answers, checked only for shape (not for truth): read the samples.`,
    ...(checked
      ? [
          `Checked against the facts afterwards (not a filter): ${checked.checkable} of the ${pairs.length} pairs name one country and one relation, and ${checked.right} of those give its fact (${Object.entries(checked.byRelation)
            .map(([r, c]) => `${r} ${c.right}/${c.checkable}`)
            .join(', ')}); the other ${pairs.length - checked.checkable} ask nothing the facts can check.`,
        ]
      : []),
  ];
  const countColumns = [
    { key: 'proposedCount', label: 'proposed' },
    { key: 'validCount', label: 'valid instructions' },
    { key: 'keptCount', label: 'kept (valid, ROUGE-L < 0.7)' },
    { key: 'pairsCount', label: 'pairs with a usable answer' },
    ...(s.consistency ? [{ key: 'consistentCount', label: `of those, ${s.consistency.agree} of ${s.consistency.samples} sampled answers agree` }] : []),
    ...(checked ? [{ key: 'checkableCount', label: 'ask a known fact' }, { key: 'rightCount', label: 'answered right' }] : []),
  ];
  const settings = { ...s, rougeThreshold: ROUGE_THRESHOLD, seedInstructions: seeds.map(instructionOf) };
  if (!s.measure) {
    return { experiment: 'self-instruct', quick, settings, columns: countColumns, rows: [{ arm: 'before', label: 'starting model', values: counts }], claims: [keptClaim], samples, notes, pairs };
  }

  const heldOut = rng.sample(inputs.heldOut, s.heldOutQuestions);
  env.onProgress?.('measuring before tuning');
  const before = await askAll(env.model, env, heldOut);
  /** A copy tuned `steps` steps on `examples`, measured on the held-out questions. */
  const tunedOn = async (examples: readonly Example[], label: string, steps = s.steps) => {
    const data = armData(examples, env, s);
    const copy = await copyModel(env.model);
    try {
      await tune(copy, data.source, { ...s, steps, warmupSteps: Math.min(s.warmupSteps, Math.floor(steps / 2)) }, env, label);
      env.onProgress?.(`${label}: measuring`);
      const r = await askAll(copy, env, heldOut);
      env.onProgress?.(`${label}: held-out ${formatShare(r.totals.exactMatch)}`);
      return r;
    } finally {
      copy.dispose();
    }
  };
  const pairSteps = pairStepsOf(pairs.length, s);
  const alone = pairs.length > 0 ? await tunedOn(pairs, 'tuning on the kept pairs', pairSteps) : null;
  const original = inputs.tuneExamples && inputs.tuneExamples.length > 0 ? inputs.tuneExamples : null;
  const added = original && pairs.length > 0 ? await tunedOn([...original, ...pairs], 'original data + kept pairs') : null;
  const control = original && pairs.length > 0 ? await tunedOn(original, 'original data alone') : null;
  // As many original examples as kept pairs, tuned the same steps: what a set this small
  // costs by itself, apart from what the generated pairs say.
  const sameSize = original && pairs.length > 0 ? await tunedOn(rng.sample(original, pairs.length), 'as many original examples', pairSteps) : null;
  return {
    experiment: 'self-instruct',
    quick,
    settings,
    columns: [...countColumns, { key: 'heldOutExact', label: 'held-out answered' }, { key: 'heldOutQuestion', label: 'continues with a question' }],
    rows: [
      { arm: 'before', label: 'starting model', values: { ...counts, heldOutExact: before.totals.exactMatch, heldOutQuestion: before.totals.questionLike } },
      ...(alone ? [{ arm: 'after', label: `tuned ${pairSteps} steps on the ${pairs.length}${s.consistency ? ' consistent' : ''} pairs alone${s.pairEpochs ? ` (${s.pairEpochs} epochs)` : ''}`, values: { heldOutExact: alone.totals.exactMatch, heldOutQuestion: alone.totals.questionLike } }] : []),
      ...(added && control && original
        ? [
            { arm: 'added', label: `tuned ${s.steps} steps on the ${original.length} original examples + the ${pairs.length} pairs`, values: { heldOutExact: added.totals.exactMatch, heldOutQuestion: added.totals.questionLike } },
            { arm: 'control', label: `tuned ${s.steps} steps on the ${original.length} original examples alone`, values: { heldOutExact: control.totals.exactMatch, heldOutQuestion: control.totals.questionLike } },
          ]
        : []),
      ...(sameSize ? [{ arm: 'same-size', label: `tuned ${pairSteps} steps on ${pairs.length} original examples alone (as many as the pairs)`, values: { heldOutExact: sameSize.totals.exactMatch, heldOutQuestion: sameSize.totals.questionLike } }] : []),
    ],
    claims: [
      keptClaim,
      {
        holds: alone !== null && alone.totals.exactMatch >= before.totals.exactMatch,
        // The issue's target is judged on this arm: the pairs' own effect on the starting model, tuned on them alone as the
        // Self-Instruct paper tunes on its generated data. Added to thousands of original examples (the next claim), a few
        // dozen pairs are diluted until the arm measures little about them.
        text: alone
          ? `the target: tuning on the kept pairs alone does not lower held-out accuracy (against the starting model): ${formatShare(before.totals.exactMatch)} -> ${formatShare(alone.totals.exactMatch)}`
          : 'the target: tuning on the kept pairs alone does not lower held-out accuracy: no pair had a usable answer, so nothing was tuned',
      },
      ...(added && control
        ? [
            {
              holds: added.totals.exactMatch >= control.totals.exactMatch,
              text: `beside the target, not the target: adding the kept pairs to the original tuning data does not lower held-out accuracy (against the same steps on the original data alone): ${formatShare(control.totals.exactMatch)} -> ${formatShare(added.totals.exactMatch)}`,
            },
          ]
        : []),
    ],
    samples,
    notes: [
      ...notes,
      `The held-out target is judged on the pairs-alone arm against the starting model: that is the pairs' own effect, tuned on as the paper tunes on its generated data.${
        added && original ? ` The added-vs-control comparison is reported beside it, not as the target: there the ${pairs.length} pairs are ${formatShare(pairs.length / (original.length + pairs.length))} of the ${original.length + pairs.length} examples, so that arm mostly measures the original data.` : ''
      }`,
    ],
    pairs,
  };
}
