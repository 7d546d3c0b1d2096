import { describe, expect, it } from 'vitest';
import { SUM_SQUARES_PER_DRAW, sumSquaresProgram } from './fused_webgl';

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
