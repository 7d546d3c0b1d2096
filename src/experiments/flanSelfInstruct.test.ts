// The flan arms and the self-instruct filter: what each arm tunes on, the validity
// checks and the ROUGE-L novelty filter, the refusals, and a self-instruct run end to
// end on a micro model (numbers meaningless, the pipeline real).

import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tf';
import { HELDOUT_TEMPLATES, TEMPLATE_POOL, type CountryFacts } from '../corpus/facts';
import { TUNED_RELATIONS } from '../corpus/split';
import { PLAIN_TEMPLATE } from '../data/templates';
import type { InstructionExample } from '../data/schema';
import { GPT } from '../model/gpt';
import { BpeTokenizer } from '../tokenizer/bpe';
import { readFileSync } from 'node:fs';
import { askAll } from './common';
import { FLAN_QUICK, flanArms, flanInputProblem, readFlanCountries, runFlan } from './flan';
import { consistentPairs, factCheck, instructionProblem, maxRouge, pairStepsOf, proposalPrompt, responseProblem, runSelfInstruct, selfInstructInputProblem, SELF_INSTRUCT_QUICK } from './selfInstruct';

beforeAll(async () => {
  await useCpuBackend();
});

const country = (name: string, i: number): CountryFacts => ({ code: `C${i}`, name, capital: `${name}ville`, continent: 'Europe', currency: 'Euro', language: 'French', callingCode: `+${i}`, domain: `.c${i}`, currencyCode: 'EUR', code3: `C${i}X` });

describe('flan arms', () => {
  const train = ['France', 'Spain', 'Italy', 'Chad', 'Peru'].map(country);
  it('differ only in relations and phrasings: (a) one of each, (b) every tuned relation once, (c) the whole pool', () => {
    const [a, b, c] = flanArms(train);
    expect(a!.examples).toHaveLength(5);
    expect(new Set(a!.examples.map((e) => e.category))).toEqual(new Set(['capital']));
    expect(b!.examples).toHaveLength(5 * TUNED_RELATIONS.length);
    expect(c!.examples).toHaveLength(TUNED_RELATIONS.reduce((n, r) => n + 5 * TEMPLATE_POOL[r].length, 0));
    // No arm is ever tuned on a held-out phrasing.
    const heldOut = new Set(TUNED_RELATIONS.flatMap((r) => HELDOUT_TEMPLATES[r].map((t) => t.replaceAll('{x}', 'France'))));
    for (const arm of [a!, b!, c!]) expect(arm.examples.some((e) => heldOut.has(e.instruction))).toBe(false);
  });

  it('refuses a split too small to tune or to ask about, saying which side', () => {
    expect(flanInputProblem({ train, heldOut: train.slice(0, 2) })).toMatch(/2 held-out countries.*at least 5/);
    expect(flanInputProblem({ train: train.slice(0, 1), heldOut: train })).toMatch(/1 train country/);
    expect(flanInputProblem({ train, heldOut: train })).toBeNull();
  });
});

describe('flan countries file', () => {
  const file = 'flan-countries.json';
  const train = ['France', 'Spain', 'Italy', 'Chad', 'Peru'].map(country);
  it('reads train and held-out countries with every relation', () => {
    const r = readFlanCountries({ train, heldOut: [country('Laos', 9)] }, file);
    expect(r.train).toHaveLength(5);
    expect(r.heldOut[0]).toEqual(country('Laos', 9));
  });

  it('refuses a malformed file, naming the list, the entry and what it lacks', () => {
    expect(() => readFlanCountries([], file)).toThrow(/flan-countries\.json is not a flan-countries file/);
    expect(() => readFlanCountries({ train }, file)).toThrow(/no "heldOut" list/);
    const { language: _l, ...noLanguage } = country('Laos', 9);
    expect(() => readFlanCountries({ train, heldOut: [country('Cuba', 8), noLanguage] }, file)).toThrow(/heldOut\[1\] \(Laos\) has no language/);
    expect(() => readFlanCountries({ train, heldOut: [train[2]] }, file)).toThrow(/Italy as both train and held-out/);
  });

  it('ships one whose facts are those of the tuning set and whose split is the shipped one', () => {
    const r = readFlanCountries(JSON.parse(readFileSync('public/datasets/flan-countries.json', 'utf8')), file);
    const split = JSON.parse(readFileSync('public/datasets/geo-split.json', 'utf8')) as { train: string[]; heldOut: string[] };
    expect(r.train.map((c) => c.name)).toEqual(split.train);
    expect(r.heldOut.map((c) => c.name)).toEqual(split.heldOut);
    // Every tuning record's answer is the fact the file gives the country it names (longest name first: "Guinea" is in "Equatorial Guinea").
    const tune = JSON.parse(readFileSync('public/datasets/geo-tune.json', 'utf8')) as Array<{ instruction: string; output: string; category: string }>;
    const byLength = [...r.train].sort((a, b) => b.name.length - a.name.length);
    let checked = 0;
    for (const rec of tune) {
      const c = byLength.find((x) => rec.instruction.includes(x.name))!;
      expect(c[rec.category as keyof CountryFacts], rec.instruction).toBe(rec.output);
      checked++;
    }
    expect(checked).toBe(tune.length);
  });

  it('refuses an empty or unknown arm list before tuning anything', async () => {
    const tokenizer = BpeTokenizer.train('Question: What is the capital of France?\nAnswer: Franceville\n', { vocabSize: 300 });
    const model = GPT.create({ vocabSize: 300, contextLength: 32, width: 16, layers: 1, heads: 2 }, 1);
    const env = { model, tokenizer, template: PLAIN_TEMPLATE };
    await expect(runFlan(env, { train, heldOut: train }, { ...FLAN_QUICK, arms: [] }, true)).rejects.toThrow(/arms are a, b and c; got ""/);
    await expect(runFlan(env, { train, heldOut: train }, { ...FLAN_QUICK, arms: ['a', 'd' as 'a'] }, true)).rejects.toThrow(/got "a,d"/);
    model.dispose();
  });
});

describe('self-instruct fact check', () => {
  const fact = (name: string, f: Partial<CountryFacts>): CountryFacts =>
    ({ code: name.slice(0, 2).toUpperCase(), name, capital: '', continent: '', currency: '', language: '', callingCode: '', domain: '', currencyCode: '', code3: '', ...f }) as CountryFacts;
  const facts = [
    fact('Niger', { capital: 'Niamey', currency: 'West African CFA Franc', currencyCode: 'XOF', code3: 'NER' }),
    fact('Nigeria', { capital: 'Abuja', currency: 'Nigerian Naira', currencyCode: 'NGN', language: 'English' }),
    fact('Greece', { code3: 'GRC', currencyCode: 'EUR', domain: '.gr' }),
  ];
  const pair = (instruction: string, response: string): InstructionExample => ({ id: instruction, source: 'self-instruct', kind: 'instruction', instruction, response });

  it('scores a pair by the country and relation its instruction names', () => {
    const r = factCheck(
      [
        pair('What is the capital of Nigeria?', 'Abuja'),
        pair('what is the capital of Niger', 'Abuja'),
        pair('Currency code of Niger?', 'XOF'),
        pair('Which currency is used in Nigeria?', 'NGN'),
        pair('three-letter code for Greece', 'EUR'),
        pair('Tell me the domain of Greece', '.gr'),
        pair('What language do people speak in Nigeria?', 'English'),
        pair('In Gambia, English', 'spoken in schools'),
        pair('What is the capital?', 'Abuja'),
      ],
      facts,
    );
    // Nigeria is not read as Niger, "currency code" is not read as "currency", and the last two name no known country.
    expect(r).toEqual({
      checkable: 7,
      right: 4,
      byRelation: { capital: { checkable: 2, right: 1 }, currencyCode: { checkable: 1, right: 1 }, currency: { checkable: 1, right: 0 }, code3: { checkable: 1, right: 0 }, domain: { checkable: 1, right: 1 }, language: { checkable: 1, right: 1 } },
    });
  });
});

describe('self-instruct filters', () => {
  it('checks a proposal\'s shape as a task', () => {
    expect(instructionProblem('What is the capital of Chad?')).toBeNull();
    expect(instructionProblem('Name the currency of Peru.')).toBeNull();
    expect(instructionProblem('Chad?')).toBe('too short');
    expect(instructionProblem('what is the capital of Chad?')).toMatch(/capital letter/);
    expect(instructionProblem('What is the capital of Chad')).toMatch(/end with/);
    expect(instructionProblem('What is 5 plus the capital?')).toMatch(/digits/);
    // The pool's own shapes: lower case first, no final mark.
    expect(instructionProblem('what is the capital of Chad', 'pool')).toBeNull();
    expect(instructionProblem('Tell me the currency code of Norway', 'pool')).toBeNull();
    expect(instructionProblem('- the capital of Chad?', 'pool')).toMatch(/start with a letter/);
    expect(instructionProblem('Chad?', 'pool')).toBe('too short');
    expect(responseProblem(' Paris')).toBeNull();
    expect(responseProblem('What is the capital of Spain?')).toBe('another question');
    expect(responseProblem('  ')).toBe('empty');
  });

  it('measures novelty as the highest ROUGE-L against the pool, so a reworded copy scores >= 0.7', () => {
    const pool = ['What is the capital of Chad?', 'Which continent is Peru on?'];
    expect(maxRouge('What is the capital of Peru?', pool)).toBeGreaterThanOrEqual(0.7);
    expect(maxRouge('Name the currency used in Japan.', pool)).toBeLessThan(0.7);
    expect(proposalPrompt(['A?', 'B?'])).toBe('1. A?\n2. B?\n3.');
  });

  const seeds: InstructionExample[] = ['Chad', 'Peru', 'Mali', 'Fiji', 'Laos', 'Cuba', 'Iran', 'Oman', 'Togo', 'Niger', 'Spain'].map((x, i) => ({ id: `s${i}`, source: 't', kind: 'instruction', instruction: `What is the capital of ${x}?`, response: `${x}ville` }));

  it('refuses too few seed tasks or held-out questions', () => {
    expect(selfInstructInputProblem({ seedTasks: seeds.slice(0, 3), heldOut: seeds }, SELF_INSTRUCT_QUICK)).toMatch(/3 task\(s\); self-instruct starts from 8/);
    expect(selfInstructInputProblem({ seedTasks: seeds, heldOut: seeds.slice(0, 4) }, SELF_INSTRUCT_QUICK)).toMatch(/4 example\(s\); at least 10/);
  });

  it('tunes the pairs-alone arm for whole passes over the pairs, not a fixed step count', () => {
    expect(pairStepsOf(74, { steps: 60, batchSize: 16, pairEpochs: 2 })).toBe(10);
    expect(pairStepsOf(3, { steps: 60, batchSize: 16, pairEpochs: 2 })).toBe(1);
    expect(pairStepsOf(74, { steps: 60, batchSize: 16 })).toBe(60);
    expect(selfInstructInputProblem({ seedTasks: seeds, heldOut: seeds }, { ...SELF_INSTRUCT_QUICK, pairEpochs: 0 })).toMatch(/whole number of at least 1 \(got 0\)/);
    expect(selfInstructInputProblem({ seedTasks: seeds, heldOut: seeds }, { ...SELF_INSTRUCT_QUICK, pairEpochs: 1.5 })).toMatch(/got 1\.5/);
  });

  it('proposes, filters, answers and tunes end to end, counting every proposal once', async () => {
    const text = `${seeds.map((s, i) => `${i + 1}. ${s.instruction}`).join('\n')}\n${seeds.map((s) => `Question: ${s.instruction}\nAnswer: ${s.response}`).join('\n')}`;
    const tokenizer = BpeTokenizer.train(text, { vocabSize: 320 });
    const model = GPT.create({ vocabSize: 320, contextLength: 48, width: 16, layers: 1, heads: 2 }, 5);
    const r = await runSelfInstruct({ model, tokenizer, template: PLAIN_TEMPLATE }, { seedTasks: seeds, heldOut: seeds }, { ...SELF_INSTRUCT_QUICK, proposals: 6, steps: 2, batchSize: 2, heldOutQuestions: 10 }, true);
    const v = r.rows[0]!.values;
    expect(v.proposedCount).toBe(6);
    expect(v.keptCount).toBeLessThanOrEqual(v.validCount!);
    expect(v.pairsCount).toBe(r.pairs.length);
    expect(r.pairs.every((p) => instructionProblem(p.instruction, 'pool') === null && responseProblem(p.response) === null)).toBe(true);
    const after = r.rows.find((x) => x.arm === 'after');
    if (r.pairs.length > 0) expect(after?.label).toBe(`tuned ${pairStepsOf(r.pairs.length, { steps: 2, batchSize: 2, pairEpochs: 2 })} steps on the ${r.pairs.length} pairs alone (2 epochs)`);
    expect(r.claims).toHaveLength(2);
    // The held-out claim says which arm the target is judged on: the pairs alone, against the starting model.
    expect(r.claims[1]!.text).toMatch(/^the target: tuning on the kept pairs alone does not lower held-out accuracy/);
    expect(r.notes.join(' ')).toMatch(/judged on the pairs-alone arm/);
  }, 120_000);

  it('keeps only pairs whose sampled answers agree with the greedy one, when asked to', async () => {
    expect(selfInstructInputProblem({ seedTasks: seeds, heldOut: seeds }, { ...SELF_INSTRUCT_QUICK, consistency: { samples: 4, agree: 5 } })).toMatch(/1 to 4 sampled answers agree \(got 5\)/);
    expect(selfInstructInputProblem({ seedTasks: seeds, heldOut: seeds }, { ...SELF_INSTRUCT_QUICK, consistency: { samples: 0, agree: 1 } })).toMatch(/samples 1 to 16 answers per pair \(got 0\)/);
    const text = `${seeds.map((s, i) => `${i + 1}. ${s.instruction}`).join('\n')}\n${seeds.map((s) => `Question: ${s.instruction}\nAnswer: ${s.response}`).join('\n')}`;
    const tokenizer = BpeTokenizer.train(text, { vocabSize: 320 });
    const model = GPT.create({ vocabSize: 320, contextLength: 48, width: 16, layers: 1, heads: 2 }, 5);
    const base = { ...SELF_INSTRUCT_QUICK, proposals: 6, measure: false, temperature: 1.5 };
    const env = { model, tokenizer, template: PLAIN_TEMPLATE };
    const all = await runSelfInstruct(env, { seedTasks: seeds, heldOut: [] }, base, true);
    // At a high temperature a random model's samples rarely repeat its greedy answer: requiring all 4 keeps fewer pairs.
    const strict = await runSelfInstruct(env, { seedTasks: seeds, heldOut: [] }, { ...base, consistency: { samples: 4, agree: 4 } }, true);
    expect(strict.rows[0]!.values.pairsCount).toBe(all.pairs.length);
    expect(strict.rows[0]!.values.consistentCount).toBe(strict.pairs.length);
    expect(strict.pairs.length).toBeLessThanOrEqual(all.pairs.length);
    for (const p of strict.pairs) expect(all.pairs.map((x) => x.instruction)).toContain(p.instruction);
    expect(strict.columns.map((c) => c.key)).toContain('consistentCount');
    // Near-greedy samples repeat the greedy answer: pairs holding it all stay, pairs holding another answer all go.
    const greedy = await askAll(model, env, seeds);
    const own = seeds.map((p, i) => ({ ...p, response: greedy.rows[i]!.answer })).filter((p) => p.response.trim() !== '');
    expect(own.length).toBeGreaterThan(3);
    const cold = { temperature: 1e-6, seed: 13 };
    expect(await consistentPairs(env, own, { samples: 2, agree: 2 }, cold)).toHaveLength(own.length);
    expect(await consistentPairs(env, own.map((p) => ({ ...p, response: 'Xylophone' })), { samples: 2, agree: 1 }, cold)).toHaveLength(0);
    model.dispose();
  }, 120_000);

  it('proposes and answers only, with no held-out set, when not measuring (the studio\'s review)', async () => {
    const text = `${seeds.map((s, i) => `${i + 1}. ${s.instruction}`).join('\n')}\n${seeds.map((s) => `Question: ${s.instruction}\nAnswer: ${s.response}`).join('\n')}`;
    const tokenizer = BpeTokenizer.train(text, { vocabSize: 320 });
    const model = GPT.create({ vocabSize: 320, contextLength: 48, width: 16, layers: 1, heads: 2 }, 5);
    const s = { ...SELF_INSTRUCT_QUICK, proposals: 4, measure: false };
    expect(selfInstructInputProblem({ seedTasks: seeds, heldOut: [] }, s)).toBeNull();
    const r = await runSelfInstruct({ model, tokenizer, template: PLAIN_TEMPLATE }, { seedTasks: seeds, heldOut: [] }, s, true);
    expect(r.rows.map((x) => x.arm)).toEqual(['before']);
    expect(r.rows[0]!.values.proposedCount).toBe(4);
    expect(r.rows[0]!.values.heldOutExact).toBeUndefined();
    expect(r.claims).toHaveLength(1);
    expect(r.pairs).toHaveLength(r.rows[0]!.values.pairsCount!);
    model.dispose();
  }, 120_000);
});
