// The mix experiment's pieces: a deterministic invented domain, and the whole
// experiment run end to end on a micro model (numbers meaningless, shape real),
// its refusals, and a stop half-way that leaves the starting model as it was.

import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tf';
import { PLAIN_TEMPLATE } from '../data/templates';
import type { InstructionExample } from '../data/schema';
import { GPT } from '../model/gpt';
import { BpeTokenizer } from '../tokenizer/bpe';
import { armData, completesWith, ExperimentInputError, ExperimentStopped, formatResult, textRecall, tune, type ExperimentEnv } from './common';
import type { Batch, BatchSource } from '../train/batches';
import type { CountryFacts } from '../corpus/facts';
import { domainProbes, domainProse, domainQuestions, inventDomain, rehearsalProse } from './domain';
import { MIX_QUICK, mixedArmBatches, mixInputProblem, runMix, type MixSettings } from './mix';

beforeAll(async () => {
  await useCpuBackend();
});

const q = (x: string, y: string, i: number): InstructionExample => ({ id: `q${i}`, source: 't', kind: 'instruction', instruction: `What is the capital of ${x}?`, response: y });
const old = [['France', 'Paris'], ['Spain', 'Madrid'], ['Peru', 'Lima'], ['Chad', 'Ndjamena'], ['Mali', 'Bamako'], ['Cuba', 'Havana'], ['Iran', 'Tehran'], ['Fiji', 'Suva'], ['Oman', 'Muscat'], ['Togo', 'Lome'], ['Laos', 'Vientiane'], ['Niger', 'Niamey']].map(([x, y], i) => q(x!, y!, i));

describe('the invented domain', () => {
  it('is the same for the same seed, different for another, and avoids the names it is told to', () => {
    const a = inventDomain(5, 30);
    expect(inventDomain(5, 30)).toEqual(a);
    expect(inventDomain(6, 30)).not.toEqual(a);
    const all = a.flatMap((c) => [c.name, c.capital, c.currency].map((w) => w.toLowerCase()));
    expect(new Set(all).size).toBe(all.length);
    const avoid = new Set([a[0]!.name, a[0]!.capital]);
    const b = inventDomain(5, 30, avoid);
    expect(b.some((c) => avoid.has(c.name) || avoid.has(c.capital))).toBe(false);
    expect(() => inventDomain(5, 0)).toThrow(/1 to 500 countries/);
  });

  it('states every capital in prose, and the probes and questions ask exactly those facts', () => {
    const d = inventDomain(1, 4);
    const prose = domainProse(d, 1, 3);
    expect(domainProse(d, 1, 3)).toBe(prose);
    expect(prose.split('<|endoftext|>').filter(Boolean)).toHaveLength(12);
    for (const c of d) {
      expect(prose).toContain(c.capital);
      expect(prose).toContain(c.currency);
    }
    expect(domainProbes(d)[0]).toEqual({ prompt: `The capital of ${d[0]!.name} is`, answer: d[0]!.capital, relation: 'capital' });
    expect(domainQuestions(d).map((e) => [e.instruction, e.response])[1]).toEqual([`What is the capital of ${d[1]!.name}?`, d[1]!.capital]);
  });

  it('rehearses known countries in the corpus register: every capital in every document, the other facts in half', () => {
    const known: CountryFacts[] = ['France', 'Peru'].map((name, i) => ({ code: `C${i}`, name, capital: ['Paris', 'Lima'][i]!, continent: 'Europe', currency: 'Euro', language: 'French', callingCode: '+33', domain: '.fr', currencyCode: 'EUR', code3: 'FRA' }));
    const text = rehearsalProse(known, 3, 4);
    expect(rehearsalProse(known, 3, 4)).toBe(text);
    const docs = text.split('<|endoftext|>').filter(Boolean);
    expect(docs).toHaveLength(8);
    for (const d of docs) expect(d.includes('Paris') !== d.includes('Lima')).toBe(true);
    expect(docs.filter((d) => d.includes('France') && d.includes('+33'))).toHaveLength(2);
  });

  it('scores a text completion by whole words', () => {
    expect(completesWith(' Zorville. It lies', 'Zorville')).toBe(true);
    expect(completesWith(' zorville', 'Zorville')).toBe(true);
    expect(completesWith(' Zorvillea', 'Zorville')).toBe(false);
    expect(completesWith(' the capital', 'Zorville')).toBe(false);
  });
});

describe('the mix experiment', () => {
  const tiny: MixSettings = { ...MIX_QUICK, steps: 2, batchSize: 2, warmupSteps: 1, countries: 3, taughtCountries: 1, docsPerCountry: 2, heldOutQuestions: 10, oldExamples: 10 };
  function env(signal?: AbortSignal): ExperimentEnv {
    const text = `${domainProse(inventDomain(tiny.seed, 3), 1, 2)} ${old.map((e) => `Question: ${e.instruction}\nAnswer: ${e.response}`).join('\n')}`;
    const tokenizer = BpeTokenizer.train(text, { vocabSize: 300 });
    const model = GPT.create({ vocabSize: 300, contextLength: 32, width: 16, layers: 1, heads: 2 }, 3);
    return { model, tokenizer, template: PLAIN_TEMPLATE, ...(signal ? { signal } : {}) };
  }

  it('measures the starting model and both arms, and reports each claim whether or not it holds', async () => {
    const e = env();
    const before = await e.model.readWeights();
    const r = await runMix(e, { tuneExamples: old, heldOut: old }, tiny, true);
    expect(r.rows.map((x) => x.arm)).toEqual(['before', 'prose', 'mix']);
    for (const row of r.rows) for (const k of ['text', 'heldOutExact', 'heldOutQuestion', 'domainExact']) expect(row.values[k]).toBeGreaterThanOrEqual(0);
    expect(r.claims).toHaveLength(4);
    const table = formatResult(r);
    expect(table).toMatch(/^\| arm/);
    expect(table.split('\n').filter((l) => /^- \[[x ]\] /.test(l))).toHaveLength(4);
    // The starting model was only read: its weights are unchanged.
    const after = await e.model.readWeights();
    for (const [k, v] of before) expect(after.get(k)!.data).toEqual(v.data);
  }, 120_000);

  it('completes the held-out capitals as text when told them, a column only then', async () => {
    const e = env();
    const facts = [
      { name: 'Chad', capital: 'Ndjamena' },
      { name: 'Peru', capital: 'Lima' },
    ];
    const expected = await textRecall(e.model, e, facts.map((c) => ({ prompt: `The capital of ${c.name} is`, answer: c.capital })));
    const r = await runMix(e, { tuneExamples: old, heldOut: old, heldOutFacts: facts }, { ...tiny, arms: ['prose'] }, true);
    expect(r.columns.map((c) => c.key)).toContain('heldOutText');
    expect(r.rows[0]!.values.heldOutText).toBe(expected.share);
    expect(r.rows.every((x) => x.values.heldOutText !== undefined)).toBe(true);
    expect(r.notes.join(' ')).toMatch(/Held-out capitals as text: 2 /);
    const without = await runMix(env(), { tuneExamples: old, heldOut: old }, { ...tiny, arms: ['prose'] }, true);
    expect(without.columns.map((c) => c.key)).not.toContain('heldOutText');
  }, 120_000);

  it('draws the mixed arm\'s batches at the instruction and rehearsal shares, evenly', () => {
    const counting = (name: string, drawn: string[]): BatchSource => ({ tokensPerBatch: 1, next: () => (drawn.push(name), {} as Batch), getState: () => null, setState: () => {} });
    const drawn: string[] = [];
    const source = mixedArmBatches(counting('domain', drawn), counting('ins', drawn), 0.5, { source: counting('old', drawn), share: 0.25 });
    for (let i = 0; i < 100; i++) source.next();
    expect(['ins', 'old', 'domain'].map((k) => drawn.filter((d) => d === k).length)).toEqual([50, 25, 25]);
    expect(drawn.slice(0, 4).sort()).toEqual(['domain', 'ins', 'ins', 'old']);
    const plain: string[] = [];
    const without = mixedArmBatches(counting('domain', plain), counting('ins', plain), 0.5, null);
    for (let i = 0; i < 10; i++) without.next();
    expect(plain.filter((d) => d === 'domain')).toHaveLength(5);
  });

  it('refuses inputs too small for its split, naming what is short', () => {
    expect(mixInputProblem({ tuneExamples: old, heldOut: old }, { ...tiny, rehearsalShare: 0.2 })).toMatch(/Rehearsal needs known countries.*got 0/);
    expect(mixInputProblem({ tuneExamples: old, heldOut: old, rehearsal: Array.from({ length: 5 }, (_, i) => ({ name: `K${i}` }) as CountryFacts) }, { ...tiny, rehearsalShare: 0.5 })).toMatch(/sum below 1/);
    expect(mixInputProblem({ tuneExamples: old, heldOut: old.slice(0, 4) }, tiny)).toMatch(/held-out question set has 4 example\(s\).*at least 10/);
    expect(mixInputProblem({ tuneExamples: old.slice(0, 2), heldOut: old }, tiny)).toMatch(/instruction set has 2 example\(s\)/);
    expect(mixInputProblem({ tuneExamples: old, heldOut: old }, { ...tiny, taughtCountries: 3 })).toMatch(/between 1 and 2/);
  });

  it('stops between steps when asked, leaving the starting model as it was', async () => {
    const controller = new AbortController();
    const e = env(controller.signal);
    const before = await e.model.readWeights();
    e.onProgress = (line) => {
      if (line.startsWith('prose only')) controller.abort();
    };
    await expect(runMix(e, { tuneExamples: old, heldOut: old }, { ...tiny, steps: 50 }, true)).rejects.toBeInstanceOf(ExperimentStopped);
    const after = await e.model.readWeights();
    for (const [k, v] of before) expect(after.get(k)!.data).toEqual(v.data);
  }, 120_000);
});

describe('tuning an arm with LoRA adapters', () => {
  const settings = { steps: 3, batchSize: 2, learningRate: 1e-2, warmupSteps: 1, seed: 4 };
  const model = () => GPT.create({ vocabSize: 300, contextLength: 32, width: 16, layers: 1, heads: 2 }, 3);
  const tokenizer = BpeTokenizer.train(old.map((e) => `Question: ${e.instruction}\nAnswer: ${e.response}`).join('\n'), { vocabSize: 300 });

  it('changes only the adapted projections, and leaves a plain model to measure', async () => {
    const m = model();
    const before = await m.readWeights();
    const data = armData(old, { tokenizer, template: PLAIN_TEMPLATE, model: m }, settings);
    await tune(m, data.source, { ...settings, lora: { rank: 2, alpha: 4 } }, {}, 'lora');
    expect(m.lora).toBeNull();
    const after = await m.readWeights();
    const changed = [...before.keys()].filter((k) => after.get(k)!.data.some((v, i) => v !== before.get(k)!.data[i]));
    // The four adapted projections of the one block moved; embeddings, norms and biases did not.
    expect(changed.sort()).toEqual(['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].map((t) => `transformer.h.0.${t}.weight`).sort());
    m.dispose();

    // Full tuning of the same data moves the embeddings too: the LoRA run above is not just a quiet one.
    const full = model();
    await tune(full, armData(old, { tokenizer, template: PLAIN_TEMPLATE, model: full }, settings).source, settings, {}, 'full');
    const fullAfter = await full.readWeights();
    expect(fullAfter.get('transformer.wte.weight')!.data).not.toEqual(before.get('transformer.wte.weight')!.data);
    full.dispose();
  }, 60_000);

  it('puts the adapters where the spec says: attention only leaves the MLPs as they were', async () => {
    const m = model();
    const before = await m.readWeights();
    await tune(m, armData(old, { tokenizer, template: PLAIN_TEMPLATE, model: m }, settings).source, { ...settings, lora: { rank: 2, alpha: 4, targets: ['attn.c_attn', 'attn.c_proj'] } }, {}, 'lora');
    const after = await m.readWeights();
    const changed = [...before.keys()].filter((k) => after.get(k)!.data.some((v, i) => v !== before.get(k)!.data[i]));
    expect(changed.sort()).toEqual(['transformer.h.0.attn.c_attn.weight', 'transformer.h.0.attn.c_proj.weight']);
    m.dispose();
  }, 60_000);

  it('refuses a rank the model cannot take before measuring anything', async () => {
    const lines: string[] = [];
    const e: ExperimentEnv = { model: model(), tokenizer, template: PLAIN_TEMPLATE, onProgress: (l) => lines.push(l) };
    const tiny: MixSettings = { ...MIX_QUICK, steps: 2, batchSize: 2, countries: 3, taughtCountries: 1, docsPerCountry: 2, heldOutQuestions: 10, oldExamples: 10, lora: { rank: 64, alpha: 128 } };
    const run = runMix(e, { tuneExamples: old, heldOut: old }, tiny, true);
    await expect(run).rejects.toBeInstanceOf(ExperimentInputError);
    await expect(run).rejects.toThrow(/LoRA rank 64 is larger than the model's width \(16\)/);
    expect(lines).toEqual([]);
    e.model.dispose();
  });
});

