// The parameters a config needs, by HF GPT-2 name and shape. Plain TypeScript
// (no tf), so checkpoint files can be checked and written on the UI thread.

import { mlpWidthOf, type ModelConfig } from './config';

/** HF GPT-2 parameter names and shapes, in the order HF lists them. */
export function parameterShapes(c: ModelConfig): Array<[string, number[]]> {
  const d = c.width;
  const f = mlpWidthOf(c);
  const out: Array<[string, number[]]> = [
    ['transformer.wte.weight', [c.vocabSize, d]],
    ['transformer.wpe.weight', [c.contextLength, d]],
  ];
  for (let i = 0; i < c.layers; i++) {
    const p = `transformer.h.${i}`;
    out.push(
      [`${p}.ln_1.weight`, [d]],
      [`${p}.ln_1.bias`, [d]],
      [`${p}.attn.c_attn.weight`, [d, 3 * d]],
      [`${p}.attn.c_attn.bias`, [3 * d]],
      [`${p}.attn.c_proj.weight`, [d, d]],
      [`${p}.attn.c_proj.bias`, [d]],
      [`${p}.ln_2.weight`, [d]],
      [`${p}.ln_2.bias`, [d]],
      [`${p}.mlp.c_fc.weight`, [d, f]],
      [`${p}.mlp.c_fc.bias`, [f]],
      [`${p}.mlp.c_proj.weight`, [f, d]],
      [`${p}.mlp.c_proj.bias`, [d]],
    );
  }
  out.push(['transformer.ln_f.weight', [d]], ['transformer.ln_f.bias', [d]]);
  if (c.tiedHead === false) out.push(['lm_head.weight', [c.vocabSize, d]]); // untied head (imported models)
  return out;
}
