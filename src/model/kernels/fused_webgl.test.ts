import { describe, expect, it } from 'vitest';
import { ADAMW_WEBGL_SOURCE, attnSoftmaxProgram, positionsProgram, SUM_SQUARES_PER_DRAW, sumSquaresProgram } from './fused_webgl';

describe('WebGL sum of squares (shader plan; values are checked in the browser by the benchmark and e2e/parity)', () => {
  it('reads several tensors in one draw, in order, after the running total, masking odd edges', () => {
    const p = sumSquaresProgram([[4, 6], [1, 5], [3, 2]], true);
    expect(p.variableNames).toEqual(['G0', 'G1', 'G2', 'T']);
    expect(p.outputShape).toEqual([]);
    const code = p.userCode;
    expect(code).toContain('float s = getT().x;');
    const [g0, g1, g2] = ['getG0(r, c)', 'getG1(r, c)', 'getG2(r, c)'].map((s) => code.indexOf(s)) as [number, number, number];
    expect(g0).toBeGreaterThan(0);
    expect(g1).toBeGreaterThan(g0);
    expect(g2).toBeGreaterThan(g1);
    // Only the tensors with an odd size mask the lanes beyond it.
    expect(code.match(/vec4 mask/g)).toHaveLength(2);
    expect(sumSquaresProgram([[2, 2]], false).userCode).toContain('float s = 0.0;');
    expect(SUM_SQUARES_PER_DRAW + 1).toBeLessThanOrEqual(16); // samplers every WebGL2 fragment shader has
  });
});

describe('WebGL attention softmax, positions and AdamW (shader plans; values are checked by the benchmark and e2e/parity)', () => {
  it('reads the mask of the sequence a head belongs to, or one mask for all', () => {
    const perSequence = attnSoftmaxProgram('stats', 8, 4, 4, 4, 2, 0.5).userCode;
    expect(perSequence).toContain('getA(bh / 4, t, k)');
    expect(attnSoftmaxProgram('apply', 8, 4, 4, 4, 1, 0.5).userCode).toContain('getA(0, t, k)');
    expect(attnSoftmaxProgram('stats', 8, 4, 4, 4, 1, 0.5).outputShape).toEqual([32, 2]);
    // The gradient is scaled by the same factor as the scores.
    expect(attnSoftmaxProgram('dx', 8, 4, 4, 4, 1, 0.25).userCode).toContain('0.250000000 * getP(bh, t, k)');
  });

  it('adds position row r mod T, and sums the gradient of every sequence into rows below T only', () => {
    expect(positionsProgram('add', 12, 4, 8, 6).userCode).toContain('getP(r - (r / 4) * 4, c)');
    const grad = positionsProgram('grad', 12, 4, 8, 6);
    expect(grad.outputShape).toEqual([8, 6]);
    expect(grad.userCode).toContain('if (t < 4)');
    expect(grad.userCode).toContain('r += 4');
  });

  it('writes m, v and the parameter on three targets from one fetch of each input', () => {
    expect(ADAMW_WEBGL_SOURCE.match(/layout\(location = \d\) out vec4/g)).toHaveLength(3);
    for (const s of ['P', 'M', 'V', 'G']) expect(ADAMW_WEBGL_SOURCE.match(new RegExp(`texelFetch\\(${s}, fc, 0\\)`, 'g'))).toHaveLength(1);
  });
});
