import { describe, expect, it } from 'vitest';
import { attnSoftmaxWebGpuProgram, fusedWebGpuProgram, layerNormWebGpuProgram, SUM_SQUARES_PARTS, SUM_SQUARES_PER_DISPATCH, sumSquaresWebGpuProgram } from './fused_webgpu';

describe('WebGPU fused element-wise program (shader plan; values are checked in the browser by the benchmark and e2e/parity)', () => {
  it('reads tensors by element and scalars at 0, numbers as uniforms, and writes the formula result', () => {
    const p = fusedWebGpuProgram(512, [4, 128], [false, false, true], 1, 'result = x0 * u0 + x1 * x2;');
    const code = p.getUserCode();
    expect(p.variableNames).toEqual(['X0', 'X1', 'X2']);
    expect(p.uniforms).toBe('u0 : f32,');
    expect(code).toContain('let x1 = X1[index];');
    expect(code).toContain('let x2 = X2[0];');
    expect(code).toContain('let u0 = uniforms.u0;');
    expect(code).toContain('studio_result = x0 * u0 + x1 * x2;');
    expect(code).toContain('result[index] = studio_result;');
    expect(code).toContain('index >= 512');
    expect(p.dispatch[0] * p.workgroupSize[0]).toBeGreaterThanOrEqual(512);
    // The shader key tells formulas, sizes and scalar inputs apart (tfjs caches pipelines by key).
    expect(p.shaderKey).not.toBe(fusedWebGpuProgram(512, [512], [false, false, false], 1, 'result = x0 * u0 + x1 * x2;').shaderKey);
  });
});

describe('WebGPU layer norm, sum of squares, attention softmax (shader plans; values are checked by the benchmark and e2e/parity)', () => {
  it('layer norm: row statistics per row, apply and dx per element, dw and db per column', () => {
    expect(layerNormWebGpuProgram('stats', 6, 10, 1e-5).outputShape).toEqual([6, 2]);
    expect(layerNormWebGpuProgram('stats', 6, 10, 1e-5).getUserCode()).toContain('1.000000e-5');
    expect(layerNormWebGpuProgram('apply', 6, 10, 1e-5).dispatch[0] * 64).toBeGreaterThanOrEqual(60);
    expect(layerNormWebGpuProgram('db', 6, 10, 1e-5).outputShape).toEqual([10]);
    expect(layerNormWebGpuProgram('dx', 6, 10, 1e-5).variableNames).toEqual(['DY', 'X', 'S', 'W', 'G']);
  });

  it('sum of squares: each partial strides over every tensor and adds to the previous partials', () => {
    const p = sumSquaresWebGpuProgram([100, 7], true);
    const code = p.getUserCode();
    expect(p.variableNames).toEqual(['G0', 'G1', 'P']);
    expect(p.outputShape).toEqual([SUM_SQUARES_PARTS]);
    expect(code).toContain('var s = P[index];');
    expect(code).toContain(`e < 100; e = e + ${SUM_SQUARES_PARTS}`);
    expect(code).toContain(`e < 7; e = e + ${SUM_SQUARES_PARTS}`);
    expect(sumSquaresWebGpuProgram([4], false).getUserCode()).toContain('var s = 0.0;');
    expect(SUM_SQUARES_PER_DISPATCH + 2).toBeLessThanOrEqual(8); // with the partials and the output
  });

  it('attention softmax reads the mask of the sequence a head belongs to', () => {
    expect(attnSoftmaxWebGpuProgram('forward', 8, 4, 4, 4, 2, 0.5).getUserCode()).toContain('bh / 4');
    expect(attnSoftmaxWebGpuProgram('forward', 8, 4, 4, 4, 1, 0.5).getUserCode()).not.toContain('bh / 4');
    expect(attnSoftmaxWebGpuProgram('backward', 8, 4, 4, 4, 1, 0.5).variableNames).toEqual(['DP', 'P']);
  });
});
