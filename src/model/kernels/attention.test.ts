import { describe, expect, it } from 'vitest';
import { headsFit, headsProgram } from './attention_webgl';
import { headsFitWebGpu, headsWebGpuProgram } from './attention_webgpu';

// Shader plans; the values are checked in the browser by the benchmark's kernel
// check ("head attention") and e2e/parity.
const dims = { B: 16, T: 64, H: 4, hs: 32 };
const tex = { QKV: [512, 192] as [number, number], DY: [512, 64] as [number, number], P: [2048, 32] as [number, number], DS: [2048, 32] as [number, number] };

describe('WebGL attention heads in the merged layouts (shader plans)', () => {
  it('reads q at column 0, k at d and v at 2d of sequence sq, head h (in texels: 0, d/2, d)', () => {
    const scores = headsProgram('scores', dims, tex);
    expect(scores.variableNames).toEqual(['QKV']);
    expect(scores.outputShape).toEqual([64, 64, 64]);
    // Rows of a sequence: T/2 texel rows of 3d/2 texels; a head: hs/2 texels.
    expect(scores.userCode).toContain('int A0Start = sq * 6144 + h * 16 + 0 + (r / 2) * 192;');
    expect(scores.userCode).toContain('int B0Start = sq * 6144 + h * 16 + 64 + (c / 2) * 192;');
    expect(headsProgram('values', dims, tex).userCode).toContain('int B0Start = sq * 6144 + h * 16 + 128 + (c / 2);');
  });

  it('writes y and dqkv in the merged layout: sequence from the row, head (and part) from the column', () => {
    const y = headsProgram('values', dims, tex);
    expect(y.outputShape).toEqual([1024, 128]);
    expect(y.userCode).toContain('int sq = rc.x / 64;');
    expect(y.userCode).toContain('int h = hc / 32;');
    // P of entry e = sq H + h.
    expect(y.userCode).toContain('int e = sq * 4 + h;');
    expect(y.userCode).toContain('int A0Start = e * 1024 + (r / 2) * 32;');
    const dqkv = headsProgram('dQkv', dims, tex);
    expect(dqkv.outputShape).toEqual([1024, 384]);
    expect(dqkv.variableNames).toEqual(['DS', 'P', 'QKV', 'DY']);
    // dq = ds k (k from QKV at d), dk = ds^T q (q at 0, ds read transposed), dv = p^T dy.
    const parts = dqkv.userCode.split(/else/);
    expect(parts).toHaveLength(3);
    expect(parts[0]).toContain('texture(DS, A0UV)');
    expect(parts[0]).toContain('+ 64 + (c / 2)');
    expect(parts[1]).toContain('int A0Start = e * 1024 + (r / 2);');
    expect(parts[1]).toContain('+ 0 + (c / 2)');
    expect(parts[2]).toContain('texture(P, A0UV)');
    expect(parts[2]).toContain('int B0Start = sq * 2048 + h * 16 + 0 + (c / 2);');
  });

  it('steps along K by one texel inside a texture row, or by whole rows, where the layout allows', () => {
    // k from qkv walks rows down (step 3d/2 = the texture's width): one add per step.
    expect(headsProgram('values', dims, tex).userCode).toContain('B0UV.y += ');
    // With a texture whose width does not divide a row of qkv, the walk divides by it.
    const wrapped = headsProgram('values', dims, { ...tex, QKV: [768, 128] });
    expect(wrapped.userCode).toContain('B0Idx += 192;');
  });

  it('takes T and the head size even only', () => {
    expect(headsFit(dims)).toBe(true);
    expect(headsFit({ ...dims, T: 7 })).toBe(false);
    expect(headsFit({ ...dims, hs: 3 })).toBe(false);
    expect(headsFit({ ...dims, B: 0 })).toBe(false);
  });
});

describe('WebGPU attention heads in the merged layouts (shader plans)', () => {
  it('addresses head h of sequence sq in qkv, dy and the merged outputs (in vec4s)', () => {
    const scores = headsWebGpuProgram('scores', dims).getUserCode();
    // A row of qkv is 3d/4 = 96 vec4s; a sequence 64 rows; a head 8 vec4s; k is d/4 = 32 further.
    expect(scores).toContain('let aOff = sq * 6144 + h * 8 + 0;');
    expect(scores).toContain('let bOff = sq * 6144 + h * 8 + 32;');
    expect(scores).toContain('let oOff = b * 1024;');
    const y = headsWebGpuProgram('values', dims);
    expect(y.outputShape).toEqual([1024, 128]);
    expect(y.getUserCode()).toContain('let oOff = sq * 2048 + h * 8 + 0;');
  });

  it('runs dq, dk and dv as three parts of one dispatch, each writing its third of dqkv', () => {
    const p = headsWebGpuProgram('dQkv', dims);
    expect(p.variableNames).toEqual(['DS', 'P', 'QKV', 'DY']);
    const code = p.getUserCode();
    for (const [n, off] of [[0, 0], [1, 32], [2, 64]] as const) {
      const part = code.slice(code.indexOf(`fn studioHeadsPart${n}`), n < 2 ? code.indexOf(`fn studioHeadsPart${n + 1}`) : code.indexOf('fn main'));
      expect(part).toContain(`let oOff = sq * 6144 + h * 8 + ${off};`);
    }
    // dq: rows of 16 x 8 vec4 blocks, 1 column block each (8 invocations per row block);
    // dk, dv: two column blocks per invocation; 64 entries x 16 row blocks in all.
    const total = 64 * 16 * 8 + 2 * 64 * 16 * 4;
    expect(code).toContain(`if (index >= ${total}`);
    expect(code).toContain('if (index < 8192) { studioHeadsPart0(index - 0); return; }');
    expect(p.dispatch).toEqual([Math.ceil(total / 64), 1, 1]);
  });

  it('takes T and the head size multiples of 4 only', () => {
    expect(headsFitWebGpu(dims)).toBe(true);
    expect(headsFitWebGpu({ ...dims, T: 10 })).toBe(false);
    expect(headsFitWebGpu({ ...dims, hs: 6 })).toBe(false);
  });
});
