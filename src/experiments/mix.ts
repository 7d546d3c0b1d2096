// The mix experiment ("your own domain"): from an instruction-tuned model, tune
// (a) on prose about an invented domain only, and (b) on the same prose mixed with
// instruction-formatted examples (old countries, plus a few questions about new
// ones), the same number of steps. Measured before and after: (i) the new facts
// completed as text, (ii) held-out capital questions answered and the share that
// continue with a question instead, (iii) questions about the new domain answered.

import type { Example } from '../data/schema';
import type { BatchSource } from '../train/batches';
import { MixedBatches } from '../train/mix';
import { prepareTextData } from '../train/text';
import { Random } from '../util/random';
import { armData, askAll, asInputProblem, checkStopped, ExperimentInputError, copyModel, formatShare, textRecall, tune, type Claim, type ExperimentEnv, type ExperimentResult, type TuneSettings, tuneSettingsProblem } from './common';
import type { CountryFacts } from '../corpus/facts';
import { domainProbes, domainProse, domainQuestions, inventDomain, rehearsalProse } from './domain';

export interface MixSettings extends TuneSettings {
  /** Invented countries in the domain. */
  countries: number;
  /** Of those, how many have questions in the mixed arm's instruction examples (the rest are asked after). */
  taughtCountries: number;
  /** Prose documents per invented country. */
  docsPerCountry: number;
  /** Share of the mixed arm's batches drawn from instructions. */
  instructionShare: number;
  /**
   * Share of the mixed arm's batches replayed from prose about the known countries
   * (`MixInputs.rehearsal`), taken from the domain prose's share; 0 or absent: none.
   */
  rehearsalShare?: number;
  /** Held-out capital questions asked (a seeded sample of the set given). */
  heldOutQuestions: number;
  /** Old-country instruction examples in the mix (a seeded sample of the tuning set). */
  oldExamples: number;
  /** The arms to tune (both when absent): one arm per process runs a whole run's arms at once, with its numbers. */
  arms?: ReadonlyArray<'prose' | 'mix'>;
  /** Leave out the starting model's row (measured by another process of a split run); the claims need every row. */
  skipBefore?: boolean;
}

export const MIX_QUICK: MixSettings = {
  steps: 150,
  batchSize: 16,
  learningRate: 2e-4,
  warmupSteps: 10,
  seed: 13,
  countries: 24,
  taughtCountries: 6,
  docsPerCountry: 8,
  instructionShare: 0.5,
  heldOutQuestions: 80,
  // Every example of geo-tune.json (2,688): repeating a small sample wears held-out answers away by itself.
  oldExamples: 2688,
};

/** Twice the steps, with a fifth of the batches replaying every known country's facts as prose. */
export const MIX_FULL: MixSettings = { ...MIX_QUICK, steps: 300, heldOutQuestions: 200, rehearsalShare: 0.2 };

export interface MixInputs {
  /** Instruction examples about the known (old) countries, as the model was tuned on. */
  tuneExamples: readonly Example[];
  /** Held-out capital questions (countries never in tuning). */
  heldOut: readonly Example[];
  /** Names the generated domain must avoid (the real countries, capitals and currencies). */
  avoid?: ReadonlySet<string>;
  /**
   * The held-out countries and their capitals. Given, each arm also completes "The capital
   * of X is" for them: whether a copy still holds, as text, the facts the held-out
   * questions ask for, which tells a lost format from lost facts.
   */
  heldOutFacts?: ReadonlyArray<{ name: string; capital: string }>;
  /** Known countries whose facts the mixed arm replays as prose when `rehearsalShare` > 0. */
  rehearsal?: readonly CountryFacts[];
}

/** Fact documents per known country in the rehearsal prose. */
const REHEARSAL_DOCS_PER_COUNTRY = 4;

/**
 * The mixed arm's batches: `instructionShare` of them from the instructions, and of the
 * rest, the rehearsal's share of all batches replayed from known-country prose, evenly
 * spread among the domain prose.
 */
export function mixedArmBatches(domain: BatchSource, instructions: BatchSource, instructionShare: number, rehearsal: { source: BatchSource; share: number } | null): BatchSource {
  const text = rehearsal ? new MixedBatches(domain, rehearsal.source, rehearsal.share / (1 - instructionShare)) : domain;
  return new MixedBatches(text, instructions, instructionShare);
}

/** Why the experiment cannot run on these inputs, or null. */
export function mixInputProblem(inputs: MixInputs, s: MixSettings): string | null {
  if (inputs.heldOut.length < 10) return `The held-out question set has ${inputs.heldOut.length} example(s); the mix experiment needs at least 10 to measure instruction following.`;
  if (inputs.tuneExamples.length < 10) return `The instruction set has ${inputs.tuneExamples.length} example(s); the mixed arm needs at least 10 to mix in.`;
  const r = s.rehearsalShare ?? 0;
  if (r > 0) {
    if (!(r < 1) || r + s.instructionShare >= 1) return `The rehearsal share (${r}) and the instruction share (${s.instructionShare}) must leave some batches for the domain prose (their sum below 1).`;
    if ((inputs.rehearsal?.length ?? 0) < 5) return `Rehearsal needs known countries to replay: got ${inputs.rehearsal?.length ?? 0}, at least 5.`;
  } else if (r < 0) return `The rehearsal share must be from 0 to below 1 (got ${r}).`;
  if (s.taughtCountries < 1 || s.taughtCountries >= s.countries) return `Of ${s.countries} invented countries, between 1 and ${s.countries - 1} can be taught as questions (got ${s.taughtCountries}); the rest are asked after.`;
  return null;
}

export async function runMix(env: ExperimentEnv, inputs: MixInputs, s: MixSettings, quick: boolean): Promise<ExperimentResult> {
  const problem = mixInputProblem(inputs, s) ?? tuneSettingsProblem(s, env.model);
  if (problem) throw new ExperimentInputError(problem);
  const ctx = env.model.config.contextLength;
  const domain = inventDomain(s.seed, s.countries, inputs.avoid);
  const taught = domain.slice(0, s.taughtCountries);
  const asked = domain.slice(s.taughtCountries);
  const prose = domainProse(domain, s.seed, s.docsPerCountry);
  const probes = domainProbes(domain);
  const domainAsked = domainQuestions(asked);
  const rng = new Random(s.seed);
  const heldOut = rng.sample(inputs.heldOut, s.heldOutQuestions);
  const mixExamples = [...rng.sample(inputs.tuneExamples, s.oldExamples), ...domainQuestions(taught, ['What is the capital of {x}?', 'Name the capital city of {x}.', "Which city is {x}'s capital?"])];

  const knownProbes = (inputs.heldOutFacts ?? []).map((c) => ({ prompt: `The capital of ${c.name} is`, answer: c.capital }));
  const measure = async (model: typeof env.model, label: string) => {
    env.onProgress?.(`${label}: measuring`);
    const text = await textRecall(model, env, probes);
    const old = await askAll(model, env, heldOut);
    const fresh = await askAll(model, env, domainAsked);
    const known = knownProbes.length > 0 ? await textRecall(model, env, knownProbes) : null;
    const values: Record<string, number> = {
      text: text.share,
      heldOutExact: old.totals.exactMatch,
      heldOutQuestion: old.totals.questionLike,
      domainExact: fresh.totals.exactMatch,
      ...(known ? { heldOutText: known.share } : {}),
    };
    // Each arm's numbers as soon as they are measured, so a long run's log shows them before the end.
    env.onProgress?.(`${label}: ${Object.entries(values).map(([k, v]) => `${k} ${formatShare(v)}`).join(', ')}`);
    return {
      values,
      sample: `${probes[0]!.prompt} -> "${text.outputs[0]}" | ${old.rows[0]!.question} -> "${old.rows[0]!.answer}" | ${fresh.rows[0]!.question} -> "${fresh.rows[0]!.answer}"`,
    };
  };

  // Both arms' data, prepared before anything runs, so bad inputs are refused at once.
  const textData = () => asInputProblem(() => prepareTextData(prose, env.tokenizer, { batchSize: s.batchSize, contextLength: ctx, seed: s.seed, valFraction: 0 }));
  const ins = armData(mixExamples, env, s);
  textData();
  const rehearsalShare = s.rehearsalShare ?? 0;
  const rehearsalText = rehearsalShare > 0 ? rehearsalProse(inputs.rehearsal ?? [], s.seed, REHEARSAL_DOCS_PER_COUNTRY) : '';
  const rehearsalData = () => asInputProblem(() => prepareTextData(rehearsalText, env.tokenizer, { batchSize: s.batchSize, contextLength: ctx, seed: s.seed + 1, valFraction: 0 }));
  if (rehearsalShare > 0) rehearsalData();

  const chosen = new Set(s.arms ?? ['prose', 'mix']);
  if (chosen.size === 0) throw new ExperimentInputError('The mix experiment needs at least one of its arms: prose, mix.');
  type Measured = Awaited<ReturnType<typeof measure>>;
  const armRun = async (label: string, source: () => BatchSource): Promise<Measured> => {
    checkStopped(env.signal);
    const model = await copyModel(env.model);
    try {
      await tune(model, source(), s, env, label);
      return await measure(model, label);
    } finally {
      model.dispose();
    }
  };
  const before = s.skipBefore ? null : await measure(env.model, 'before');
  const prose_ = chosen.has('prose') ? await armRun('prose only', () => textData().source) : null;
  const mix_ = chosen.has('mix') ? await armRun('prose + instructions', () => mixedArmBatches(textData().source, ins.source, s.instructionShare, rehearsalShare > 0 ? { source: rehearsalData().source, share: rehearsalShare } : null)) : null;

  // How the copies were tuned, for the rows' labels: LoRA, or every parameter.
  const how = s.lora ? `, LoRA rank ${s.lora.rank}${s.lora.targets ? ` on ${s.lora.targets.join(', ')}` : ''}` : '';
  const points = (x: number) => `${(x * 100).toFixed(1)} points`;
  const unmeasured = { text: 0, heldOutExact: 0, heldOutQuestion: 0, domainExact: 0 };
  const b = before?.values ?? unmeasured;
  const p = prose_?.values ?? unmeasured;
  const m = mix_?.values ?? unmeasured;
  const claims: Claim[] = !(before && prose_ && mix_)
    ? []
    : [
    {
      holds: b.heldOutExact - p.heldOutExact >= 0.2,
      text: `prose-only tuning loses >= 20 points of held-out instruction following: ${formatShare(b.heldOutExact)} -> ${formatShare(p.heldOutExact)} (${points(b.heldOutExact - p.heldOutExact)} lost)`,
    },
    {
      holds: p.text >= 0.5 && p.text > b.text,
      text: `prose-only tuning gains the new facts as text (>= 50% completed): ${formatShare(b.text)} -> ${formatShare(p.text)}`,
    },
    {
      holds: b.heldOutExact - m.heldOutExact <= 0.05,
      text: `the mixed model keeps instruction following within 5 points of before: ${formatShare(b.heldOutExact)} -> ${formatShare(m.heldOutExact)}`,
    },
    {
      holds: m.domainExact >= 0.5,
      text: `the mixed model answers >= 50% of questions about new countries it was never asked about: ${formatShare(m.domainExact)}`,
    },
  ];
  return {
    experiment: 'mix',
    quick,
    settings: { ...s, domainSample: domain.slice(0, 3), proseChars: prose.length, mixExamples: mixExamples.length },
    columns: [
      { key: 'text', label: 'new facts as text' },
      { key: 'heldOutExact', label: 'held-out capitals answered' },
      { key: 'heldOutQuestion', label: 'continues with a question' },
      { key: 'domainExact', label: 'new-domain questions answered' },
      ...(knownProbes.length > 0 ? [{ key: 'heldOutText', label: 'held-out capitals as text' }] : []),
    ],
    rows: [
      ...(before ? [{ arm: 'before', label: 'before (starting model)', values: b }] : []),
      ...(prose_ ? [{ arm: 'prose', label: `(a) prose only, ${s.steps} steps${how}`, values: p }] : []),
      ...(mix_ ? [{ arm: 'mix', label: `(b) prose + ${Math.round(s.instructionShare * 100)}% instruction batches${rehearsalShare > 0 ? ` + ${Math.round(rehearsalShare * 100)}% rehearsal of ${inputs.rehearsal?.length} known countries' facts` : ''}, ${s.steps} steps${how}`, values: m }] : []),
    ],
    claims,
    samples: [...(before ? [{ arm: 'before', text: before.sample }] : []), ...(prose_ ? [{ arm: 'prose', text: prose_.sample }] : []), ...(mix_ ? [{ arm: 'mix', text: mix_.sample }] : [])],
    notes: [
      `Domain: ${s.countries} invented countries (${s.docsPerCountry} prose documents each); ${s.taughtCountries} of them appear as questions in the mix, the other ${asked.length} are asked after. Text probes: ${probes.length} ("The capital of X is" / "The currency of X is the"). Held-out capital questions: ${heldOut.length}.${knownProbes.length > 0 ? ` Held-out capitals as text: ${knownProbes.length} ("The capital of X is", X a held-out real country).` : ''}`,
    ],
  };
}
