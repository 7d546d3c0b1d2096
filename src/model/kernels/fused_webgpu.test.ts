import { describe, expect, it } from 'vitest';
import { fusedWebGpuProgram } from './fused_webgpu';

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
