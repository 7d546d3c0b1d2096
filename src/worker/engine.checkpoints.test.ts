import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tf';
import { DEFAULT_GENERATE_OPTIONS } from '../model/sampling';
import { DEFAULT_TRAIN_OPTIONS } from '../train/options';
import type { TrainingData } from '../train/run';
import type { CapturedCheckpoint } from '../checkpoint/info';
import { readInfo } from '../checkpoint/info';
import { decodeCheckpoint } from '../checkpoint/file';
import { hfFolder } from '../checkpoint/hf';
import { readSafetensors } from '../model/safetensors';
import { PLAIN_TEMPLATE } from '../data/templates';
import { harness, micro, ready, TEXT } from './engineHarness';

beforeAll(async () => {
  await useCpuBackend();
});

describe('StudioEngine checkpoints and resuming', () => {
  const run = { ...DEFAULT_TRAIN_OPTIONS, steps: 12, batchSize: 2, learningRate: 3e-3, warmupSteps: 2, evalEvery: 4 };
  const textData = { kind: 'text' as const, text: TEXT };
  type CheckpointEvent = CapturedCheckpoint;

  /** Loads a checkpoint into a fresh engine, from its bytes alone, and continues its run to the end. */
  async function resumeFrom(ck: CheckpointEvent, data: TrainingData) {
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    await h.send({ type: 'loadModel', name: 'resumed', safetensors: ck.bytes.slice(0), configJson: '', tokenizerJson: '' });
    const r = ck.info.run!;
    await h.send({
      type: 'train',
      data,
      options: r.options,
      resume: { runStep: r.runStep, samplerState: r.samplerState, dataHash: r.dataHash, lossHistory: r.lossHistory, valHistory: r.valHistory },
    });
    return h;
  }

  it('continues a text run from a checkpoint at step k with exactly the losses of an uninterrupted run', async () => {
    const straight = await ready();
    await straight.send({ type: 'train', data: textData, options: run });
    const expected = straight.of('trainProgress').map((p) => p.loss);
    expect(expected).toHaveLength(12);

    const interrupted = await ready();
    await interrupted.send({ type: 'setAutosave', everySteps: 5 });
    await interrupted.send({ type: 'train', data: textData, options: run });
    const at5 = interrupted.of('autoCheckpoint').find((c) => c.reason === 'autosave' && c.info.run?.runStep === 5)!;
    expect(at5.info).toMatchObject({ step: 5, hasOptimizer: true, config: micro });
    expect(at5.info.run!.lossHistory.map((p) => p.loss)).toEqual(expected.slice(0, 5));

    const resumed = await resumeFrom(at5, textData);
    expect(resumed.failures()).toEqual([]);
    expect(resumed.of('modelReady')[0]).toMatchObject({ step: 5 });
    expect(resumed.of('trainState')[0]).toMatchObject({ state: 'running', step: 5, totalSteps: 12 });
    const progress = resumed.of('trainProgress');
    expect(progress.map((p) => p.step)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    expect(progress.map((p) => p.loss)).toEqual(expected.slice(5));
    // Validation at steps 8 and 12 matches too, and the final checkpoint carries the whole curve.
    expect(resumed.of('evalResult').map((e) => e.valLoss)).toEqual(straight.of('evalResult').slice(1).map((e) => e.valLoss));
    await resumed.send({ type: 'captureCheckpoint', id: 3 });
    const final = resumed.replies('captureCheckpoint').find((c) => c.id === 3)!;
    expect(final.info.step).toBe(12);
    expect(final.info.run!.lossHistory.map((p) => p.loss)).toEqual(expected);
    expect(final.info.run!.valHistory.map((p) => p.step)).toEqual([4, 8, 12]);
  });

  it('continues an instruction run (sampler state = batches drawn) with identical losses', async () => {
    const examples = ['red', 'blue', 'green', 'pink', 'gold'].map((c, i) => ({ id: `c${i}`, source: 't', kind: 'instruction' as const, instruction: `Name colour ${i}`, response: c }));
    const data: TrainingData = { kind: 'instructions', examples, template: PLAIN_TEMPLATE, trainOnInputs: false, pack: true, overflow: 'truncate', datasetId: 'colours' };
    const opts = { ...run, steps: 9, evalEvery: 0 };
    const model = async () => {
      const h = harness();
      await h.send({ type: 'init', backend: 'cpu' });
      const text = examples.map((e) => `Question: ${e.instruction}\nAnswer: ${e.response}`).join('\n');
      await h.send({ type: 'createModel', config: { ...micro, contextLength: 32 }, seed: 2, tokenizer: { kind: 'bpe-train', text } });
      return h;
    };
    const straight = await model();
    await straight.send({ type: 'train', data, options: opts });
    expect(straight.failures()).toEqual([]);
    const expected = straight.of('trainProgress').map((p) => p.loss);
    expect(expected).toHaveLength(9);
    const interrupted = await model();
    await interrupted.send({ type: 'setAutosave', everySteps: 4 });
    await interrupted.send({ type: 'train', data, options: opts });
    const at4 = interrupted.of('autoCheckpoint').find((c) => c.info.run?.runStep === 4)!;
    expect(at4.info.run).toMatchObject({ dataKind: 'instructions', datasetId: 'colours', samplerState: { drawn: 4 }, template: { id: PLAIN_TEMPLATE.id } });
    const resumed = await resumeFrom(at4, data);
    expect(resumed.of('trainProgress').map((p) => p.loss)).toEqual(expected.slice(4));
  });

  it('continues a run on text mixed with instructions with identical losses, and records it as a mix', async () => {
    const examples = ['red', 'blue', 'green', 'pink', 'gold'].map((c, i) => ({ id: `c${i}`, source: 't', kind: 'instruction' as const, instruction: `Name colour ${i}`, response: c }));
    const text = examples.map((e) => `The colour number is ${e.response}.`).join(' ');
    const instructions = { kind: 'instructions' as const, examples, template: PLAIN_TEMPLATE, trainOnInputs: false, pack: false, overflow: 'truncate' as const, datasetId: 'colours' };
    const data: TrainingData = { kind: 'mix', text, instructions, instructionShare: 0.5 };
    const opts = { ...run, steps: 8, evalEvery: 0 };
    const model = async () => {
      const h = harness();
      await h.send({ type: 'init', backend: 'cpu' });
      await h.send({ type: 'createModel', config: { ...micro, contextLength: 32 }, seed: 2, tokenizer: { kind: 'bpe-train', text: `${text}\n${examples.map((e) => `Question: ${e.instruction}\nAnswer: ${e.response}`).join('\n')}` } });
      return h;
    };
    const straight = await model();
    await straight.send({ type: 'train', data, options: opts });
    expect(straight.failures()).toEqual([]);
    // Every other batch is a padded instruction batch, shorter than the text windows.
    const lengths = straight.of('trainProgress').map((p) => p.seqLen);
    expect(lengths.filter((_, i) => i % 2 === 0).every((l) => l === 32)).toBe(true);
    expect(lengths.filter((_, i) => i % 2 === 1).every((l) => l !== undefined && l < 32)).toBe(true);
    const expected = straight.of('trainProgress').map((p) => p.loss);
    const interrupted = await model();
    await interrupted.send({ type: 'setAutosave', everySteps: 3 });
    await interrupted.send({ type: 'train', data, options: opts });
    const at3 = interrupted.of('autoCheckpoint').find((c) => c.info.run?.runStep === 3)!;
    expect(at3.info.run).toMatchObject({ dataKind: 'mix', datasetId: 'colours', samplerState: { drawn: 3, instructions: { drawn: 1 } }, template: { id: PLAIN_TEMPLATE.id } });
    const resumed = await resumeFrom(at3, data);
    expect(resumed.of('trainProgress').map((p) => p.loss)).toEqual(expected.slice(3));
  });

  it('refuses a mix whose instruction share leaves one side empty, changing nothing', async () => {
    const h = await ready();
    const instructions = { kind: 'instructions' as const, examples: [{ id: 'a', source: 't', kind: 'instruction' as const, instruction: 'Say hi', response: 'hi' }], template: PLAIN_TEMPLATE, trainOnInputs: false, pack: false, overflow: 'truncate' as const };
    await h.send({ type: 'train', data: { kind: 'mix', text: TEXT, instructions, instructionShare: 1 }, options: { ...run, steps: 2 } });
    expect(h.failures()[0]).toMatchObject({ code: 'bad-input', request: 'train' });
    expect(h.failures()[0]!.message).toMatch(/instruction share must be above 0 and below 1/);
    expect(h.of('trainState')).toEqual([]);
  });

  it('autosaves every N steps and when a run pauses, stops or finishes, each file readable on its own', async () => {
    const h = await ready();
    await h.send({ type: 'setAutosave', everySteps: 3 });
    const paused = h.next('autoCheckpoint', (e) => e.reason === 'pause');
    const fourth = h.next('trainProgress', (e) => e.step === 4);
    const done = h.send({ type: 'train', data: textData, options: { ...run, steps: 40, evalEvery: 0 } });
    await fourth;
    await h.send({ type: 'pause' });
    const p = await paused;
    await h.send({ type: 'resume' });
    const seventh = h.next('trainProgress', (e) => e.step === p.info.run!.runStep + 3);
    await seventh;
    await h.send({ type: 'stop' });
    await done;
    const cks = h.of('autoCheckpoint');
    const reasons = cks.map((c) => c.reason);
    expect(reasons[0]).toBe('autosave');
    expect(reasons).toContain('pause');
    expect(reasons.at(-1)).toBe('stop');
    for (const c of cks.filter((c) => c.reason === 'autosave')) expect(c.info.run!.runStep % 3).toBe(0);
    const last = cks.at(-1)!;
    expect(last.info.run!.runStep).toBe(h.of('trainState').at(-1)!.step);
    for (const c of cks) {
      const file = readInfo(c.bytes, 'autosave');
      expect(file.info.run!.runStep).toBe(c.info.run!.runStep);
      expect(file.info.step).toBe(c.info.step);
      // Weights and moments agree with the step: the loss history has one point per step.
      expect(file.info.run!.lossHistory).toHaveLength(c.info.run!.runStep);
    }
    // Autosave off: a run emits none.
    await h.send({ type: 'setAutosave', everySteps: 0 });
    await h.send({ type: 'train', data: textData, options: { ...run, steps: 4 } });
    expect(h.of('autoCheckpoint')).toHaveLength(cks.length);
  });

  it('autosaves by training time too, so a slow machine loses at most that much work', async () => {
    // Steps far apart; every step takes more than a nanosecond of training time.
    const h = await ready();
    await h.send({ type: 'setAutosave', everySteps: 1000, everySeconds: 1e-9 });
    await h.send({ type: 'train', data: textData, options: { ...run, steps: 4, evalEvery: 0 } });
    expect(h.of('autoCheckpoint').map((c) => [c.reason, c.info.run!.runStep])).toEqual([
      ['autosave', 1],
      ['autosave', 2],
      ['autosave', 3],
      ['done', 4],
    ]);
    // An hour between saves: only the end of the run is saved; time alone also turns autosave on.
    const slow = await ready();
    await slow.send({ type: 'setAutosave', everySteps: 0, everySeconds: 3600 });
    await slow.send({ type: 'train', data: textData, options: { ...run, steps: 4, evalEvery: 0 } });
    expect(slow.of('autoCheckpoint').map((c) => c.reason)).toEqual(['done']);
    await slow.send({ type: 'setAutosave', everySteps: 1, everySeconds: -1 });
    expect(slow.failures().at(-1)?.message).toMatch(/autosave every -1 seconds/);
  });

  it('answers a checkpoint request during a run at the next step boundary', async () => {
    const h = await ready();
    const second = h.next('trainProgress', (e) => e.step === 2);
    const done = h.send({ type: 'train', data: textData, options: { ...run, steps: 30, evalEvery: 0 } });
    await second;
    const ck = h.send({ type: 'captureCheckpoint', id: 8 });
    await ck;
    await h.send({ type: 'stop' });
    await done;
    const c = h.replies('captureCheckpoint').find((e) => e.id === 8)!;
    expect(c.reason).toBe('request');
    expect(c.info.run!.runStep).toBeGreaterThanOrEqual(2);
    expect(c.info.run!.lossHistory).toHaveLength(c.info.run!.runStep);
    expect(c.info.step).toBe(c.info.run!.runStep);
  });

  describe('LoRA runs', () => {
    const lora = { ...run, tuning: 'lora' as const, loraRank: 4, loraAlpha: 8, learningRate: 1e-2 };

    it('continue from a checkpoint at step k with exactly the losses of an uninterrupted run', async () => {
      const straight = await ready();
      await straight.send({ type: 'train', data: textData, options: lora });
      expect(straight.failures()).toEqual([]);
      const expected = straight.of('trainProgress').map((p) => p.loss);
      expect(expected).toHaveLength(12);
      // The adapters trained: the losses differ from a full run's.
      const full = await ready();
      await full.send({ type: 'train', data: textData, options: { ...lora, tuning: 'full' } });
      expect(full.of('trainProgress').map((p) => p.loss).slice(1)).not.toEqual(expected.slice(1));

      const interrupted = await ready();
      await interrupted.send({ type: 'setAutosave', everySteps: 5 });
      await interrupted.send({ type: 'train', data: textData, options: lora });
      const at5 = interrupted.of('autoCheckpoint').find((c) => c.reason === 'autosave' && c.info.run?.runStep === 5)!;
      expect(at5.info).toMatchObject({ step: 5, hasOptimizer: true });
      expect(readInfo(at5.bytes, 'at5').info.run!.options).toMatchObject({ tuning: 'lora', loraRank: 4, loraAlpha: 8 });
      const file = decodeCheckpoint(at5.bytes);
      expect(file.meta.format_version).toBe('2');
      expect(file.lora).toMatchObject({ rank: 4, alpha: 8 });
      // The moments are the adapters' alone.
      expect([...file.optimizer!.m.keys()].every((n) => /\.lora_[AB]$/.test(n))).toBe(true);

      const resumed = await resumeFrom(at5, textData);
      expect(resumed.failures()).toEqual([]);
      expect(resumed.of('trainProgress').map((p) => p.loss)).toEqual(expected.slice(5));
    });

    it('save the merged model as a plain GPT-2: its logits equal the adapted model’s, its HF folder has no adapters', async () => {
      const h = await ready();
      await h.send({ type: 'train', data: textData, options: { ...lora, steps: 8 } });
      await h.send({ type: 'captureCheckpoint', id: 5 });
      const ck = h.replies('captureCheckpoint').find((c) => c.id === 5)!;
      await h.send({ type: 'loadModel', name: 'merged', slot: 'cmp', safetensors: ck.bytes.slice(0), configJson: '', tokenizerJson: '' });
      const ids = [5, 9, 40, 2, 77, 3, 120, 8];
      await h.send({ type: 'logits', id: 6, ids });
      await h.send({ type: 'logits', id: 7, ids, slot: 'cmp' });
      const [adapted, merged] = [6, 7].map((id) => h.replies('logits').find((r) => r.id === id)!.logits);
      expect(h.failures()).toEqual([]);
      expect(Math.max(...merged!.map((x, i) => Math.abs(x - adapted![i]!)))).toBeLessThan(1e-4);
      // Against the untrained model the adapters moved the logits well past that.
      const untrained = await ready();
      await untrained.send({ type: 'logits', id: 8, ids });
      const before = untrained.replies('logits')[0]!.logits;
      expect(Math.max(...before.map((x, i) => Math.abs(x - adapted![i]!)))).toBeGreaterThan(1e-2);
      const hf = readSafetensors(hfFolder(ck.bytes, 'ck')['model.safetensors']);
      expect([...hf.tensors.keys()].some((n) => n.includes('lora'))).toBe(false);
      // Its scale-out script tunes in full, so it keeps its own learning rate rather than LoRA's.
      const script = hfFolder(ck.bytes, 'ck')['train_trl.py'] as string;
      expect(script).toContain('p.add_argument("--lr", type=float, default=0.0001)');
      // A plain export without optimizer state is a version-1 file with no adapters.
      await h.send({ type: 'exportModel', id: 9, includeOptimizer: false });
      const plain = decodeCheckpoint(h.replies('exportModel')[0]!.safetensors);
      expect(plain.lora).toBeUndefined();
      expect(plain.meta.format_version).toBe('1');
    });

    it('put adapters on the attention only when asked, and checkpoint that choice', async () => {
      const h = await ready();
      await h.send({ type: 'train', data: textData, options: { ...lora, loraTargets: 'attention', steps: 2 } });
      expect(h.failures()).toEqual([]);
      await h.send({ type: 'captureCheckpoint', id: 3 });
      const file = decodeCheckpoint(h.replies('captureCheckpoint')[0]!.bytes);
      expect(file.lora).toMatchObject({ rank: 4, alpha: 8, targets: ['attn.c_attn', 'attn.c_proj'] });
      const moments = [...file.optimizer!.m.keys()];
      expect(moments.length).toBeGreaterThan(0);
      expect(moments.every((n) => /attn\.c_(attn|proj)\.lora_[AB]$/.test(n))).toBe(true);
    });

    it('refuse to resume in another tuning mode, and a new full run after a LoRA run trains every parameter', async () => {
      const h = await ready();
      await h.send({ type: 'setAutosave', everySteps: 2 });
      await h.send({ type: 'train', data: textData, options: { ...lora, steps: 4 } });
      const ck = h.of('autoCheckpoint').find((c) => c.info.run?.runStep === 2)!;
      const h2 = harness();
      await h2.send({ type: 'init', backend: 'cpu' });
      await h2.send({ type: 'loadModel', name: 'x', safetensors: ck.bytes.slice(0), configJson: '', tokenizerJson: '' });
      const r = ck.info.run!;
      const resume = { runStep: 2, samplerState: r.samplerState, dataHash: r.dataHash };
      await h2.send({ type: 'train', data: textData, options: { ...r.options, tuning: 'full' }, resume });
      expect(h2.failures()[0]!.message).toBe(
        "Cannot resume: the checkpoint was saved by a run with LoRA rank 4, alpha 8, but this run asks for full tuning. Resume with the run's own settings, or start a new run.",
      );
      await h2.send({ type: 'train', data: textData, options: { ...r.options, loraRank: 80 } });
      expect(h2.failures()[1]!.message).toBe("LoRA rank 80 is larger than the model's width (16): choose 1 to 16; 4 to 16 is usual.");
      await h2.send({ type: 'train', data: textData, options: { ...r.options, loraTargets: 'attention' }, resume });
      expect(h2.failures()[2]!.message).toBe(
        "Cannot resume: the checkpoint was saved by a run with LoRA rank 4, alpha 8, but this run asks for LoRA rank 4, alpha 8 on attn.c_attn, attn.c_proj only. Resume with the run's own settings, or start a new run.",
      );
      expect(h2.of('trainProgress')).toEqual([]);
      // A full run after the LoRA run: the adapters are folded in and the file holds a full optimizer.
      await h2.send({ type: 'train', data: textData, options: { ...r.options, tuning: 'full', steps: 2 } });
      expect(h2.failures()).toHaveLength(3);
      await h2.send({ type: 'captureCheckpoint', id: 4 });
      const after = decodeCheckpoint(h2.replies('captureCheckpoint')[0]!.bytes);
      expect(after.lora).toBeUndefined();
      expect(after.optimizer!.m.has('transformer.wte.weight')).toBe(true);
    });
  });

  it('refuses a resume without optimizer state, past the end, or with other data, and trains nothing', async () => {
    const h = await ready();
    const resume = { runStep: 3, samplerState: null };
    await h.send({ type: 'train', data: textData, options: run, resume });
    expect(h.failures()[0]!.message).toMatch(/no optimizer state/);
    await h.send({ type: 'setAutosave', everySteps: 2 });
    await h.send({ type: 'train', data: textData, options: { ...run, steps: 2 } });
    const ck = h.of('autoCheckpoint').at(-1)!;
    const h2 = harness();
    await h2.send({ type: 'init', backend: 'cpu' });
    await h2.send({ type: 'loadModel', name: 'x', safetensors: ck.bytes.slice(0), configJson: '', tokenizerJson: '' });
    const r = ck.info.run!;
    await h2.send({ type: 'train', data: textData, options: r.options, resume: { runStep: 2, samplerState: r.samplerState } });
    expect(h2.failures()[0]!.message).toMatch(/nothing is left to train/);
    await h2.send({ type: 'train', data: { kind: 'text', text: TEXT + 'more' }, options: { ...r.options, steps: 5 }, resume: { runStep: 2, samplerState: r.samplerState, dataHash: r.dataHash } });
    expect(h2.failures()[1]!.message).toMatch(/training data differs/);
    expect(h2.of('trainState')).toEqual([]);
    expect(h2.of('trainProgress')).toEqual([]);
  });

  it("formats an instruction's input field into the prompt as training does", async () => {
    const h = harness();
    await h.send({ type: 'init', backend: 'cpu' });
    await h.send({ type: 'createModel', config: { ...micro, contextLength: 64 }, seed: 1, tokenizer: { kind: 'bpe-train', text: TEXT } });
    const format = { template: PLAIN_TEMPLATE, input: 'the cat' };
    await h.send({ type: 'generate', id: 4, prompt: 'Say where it sat.', options: { ...DEFAULT_GENERATE_OPTIONS, maxTokens: 1 }, format });
    expect(h.of('generateStarted')[0]!.promptText).toBe('Question: Say where it sat.\nthe cat\nAnswer:');
  });

  it('loads a comparison model while a run is paused, and still refuses to replace the main model', async () => {
    const h = await ready();
    await h.send({ type: 'exportModel', id: 1, includeOptimizer: false });
    const exp = h.replies('exportModel')[0]!;
    const paused = h.next('trainState', (e) => e.state === 'paused');
    const second = h.next('trainProgress', (e) => e.step === 2);
    const done = h.send({ type: 'train', data: textData, options: { ...run, steps: 100 } });
    await second;
    await h.send({ type: 'pause' });
    await paused;
    await h.send({ type: 'loadModel', name: 'other', slot: 'cmp', safetensors: exp.safetensors.slice(0), configJson: exp.configJson, tokenizerJson: exp.tokenizerJson });
    expect(h.replies('loadModel').at(-1)).toMatchObject({ slot: 'cmp', name: 'other' });
    await h.send({ type: 'loadModel', name: 'other', safetensors: exp.safetensors.slice(0), configJson: exp.configJson, tokenizerJson: exp.tokenizerJson });
    expect(h.failures().at(-1)).toMatchObject({ code: 'busy', request: 'loadModel' });
    await h.send({ type: 'stop' });
    await done;
  });
});
