// The studio's half of `npm run test:interop` (check.py is the Python half):
//
//   export <model dir> <dataset> <out dir>
//     re-exports a model folder as `npm run tune` writes it (weights, tokenizer,
//     HF metadata, the scale-out bundle with the dataset as TRL JSONL), and
//     writes the studio's logits and token ids for check.py to compare with
//     transformers and tokenizers.
//   load <dir>...
//     loads folders trained elsewhere (TRL's output) with the studio's loader.
//   variants <dir>
//     loads each tiny HF GPT-2 model check.py built (one per config variant)
//     with the studio's loader and compares its logits with HF's, or checks
//     that the studio refuses it naming the file and field.

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { atomicWrite, initNodeBackend, loadModelDir, readDataset, saveModelDir, templateById } from '../lib/node';
import { scaleOutFiles } from '../../src/checkpoint/scaleOut';

/** Texts whose tokens check.py compares with HF tokenizers: White_Space edge cases and ordinary text. */
const TOKEN_TEXTS = [
  'Question: What is the capital of France?\nAnswer: Paris',
  'end.\u0085Next line',
  'a \u0085b and a \ufeffb',
  '\ufeff\ufeffword  \ufeff',
  'tabs\tand\u00a0nbsp\u2028line\u3000ideographic  spaces   ',
  "It's 42 o'clock — naïve café 東京 😀",
];

function logitsOf(model: ReturnType<typeof loadModelDir>['model'], ids: number[]): Float32Array {
  return tf.tidy(() => model.forward(tf.tensor2d([ids], undefined, 'int32')).dataSync() as Float32Array);
}

async function exportFolder(src: string, dataPath: string, out: string): Promise<void> {
  const m = loadModelDir(src);
  const card = existsSync(join(src, 'README.md')) ? readFileSync(join(src, 'README.md'), 'utf8') : '# Exported model\n';
  await saveModelDir(out, m.model, m.tokenizer, m.meta, card);
  const template = templateById(m.meta.template ?? 'plain');
  const examples = readDataset(dataPath).slice(0, 96);
  for (const [name, text] of Object.entries(scaleOutFiles(examples, template, { steps: 3, batchSize: 4 }))) atomicWrite(join(out, name), text);

  const C = m.config.contextLength;
  const texts = ['Question: What is the capital of France?\nAnswer: Paris', 'The capital of Japan is Tokyo. The currency of Mexico is the peso, and the capital of Peru is Lima.'];
  const sequences = texts.map((t) => m.tokenizer.encode(t).slice(0, C));
  sequences.push(Array.from({ length: C }, (_, i) => (i * 37 + 11) % m.tokenizer.vocabSize)); // the whole context
  const chunks = sequences.map((ids) => logitsOf(m.model, ids));
  const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  atomicWrite(join(out, 'interop', 'studio-logits.f32'), new Uint8Array(all.buffer));
  atomicWrite(join(out, 'interop', 'studio.json'), JSON.stringify({ sequences, vocab: m.config.vocabSize, tokens: TOKEN_TEXTS.map((text) => ({ text, ids: m.tokenizer.encode(text) })) }));
  console.log(`interop: exported ${src} to ${out} with the studio's logits for ${sequences.length} sequences`);
}

function variants(dir: string): number {
  let failures = 0;
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (!existsSync(join(sub, 'expect.json'))) continue;
    const expect = JSON.parse(readFileSync(join(sub, 'expect.json'), 'utf8')) as { expect: 'match' | 'refuse'; file?: string; field?: string; ids: number[] };
    let loaded: ReturnType<typeof loadModelDir> | undefined;
    let error = '';
    try {
      loaded = loadModelDir(sub);
    } catch (e) {
      error = (e as Error).message;
    }
    if (expect.expect === 'refuse') {
      const ok = !loaded && error.includes(expect.file!) && error.includes(expect.field!);
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${loaded ? 'loaded, but should have been refused' : `refused: ${error}`}`);
      if (!ok) failures++;
      loaded?.model.dispose();
      continue;
    }
    if (!loaded) {
      console.log(`FAIL ${name}: refused: ${error}`);
      failures++;
      continue;
    }
    const hfBytes = readFileSync(join(sub, 'hf-logits.f32'));
    const hf = new Float32Array(hfBytes.buffer, hfBytes.byteOffset, hfBytes.byteLength / 4);
    const ours = logitsOf(loaded.model, expect.ids);
    let maxDiff = 0;
    for (let i = 0; i < hf.length; i++) maxDiff = Math.max(maxDiff, Math.abs(hf[i]! - ours[i]!));
    const ok = ours.length === hf.length && maxDiff < 1e-4;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: studio logits vs transformers, max |diff| ${maxDiff.toExponential(2)} over ${hf.length} values`);
    if (!ok) failures++;
    loaded.model.dispose();
  }
  return failures;
}

const [mode, ...rest] = process.argv.slice(2);
await initNodeBackend(process.env.TFJS_BACKEND ?? 'cpu');
if (mode === 'export' && rest.length === 3) {
  await exportFolder(rest[0]!, rest[1]!, rest[2]!);
} else if (mode === 'load' && rest.length > 0) {
  // A folder trained elsewhere (TRL's output) comes back: it loads and answers.
  for (const dir of rest) {
    const m = loadModelDir(dir);
    console.log(`ok   ${dir} loads in the studio (${m.model.parameterCount} parameters, vocab ${m.config.vocabSize})`);
    m.model.dispose();
  }
} else if (mode === 'variants' && rest.length === 1) {
  const failures = variants(rest[0]!);
  if (failures > 0) {
    console.error(`interop: ${failures} config variant(s) disagree with transformers`);
    process.exit(1);
  }
} else {
  console.error('usage: tsx scripts/interop/studio.ts export <model dir> <dataset> <out dir> | load <dir>... | variants <dir>');
  process.exit(2);
}
