import { describe, expect, it } from 'vitest';
import { axisBlock, reduceProgram, softmaxProgram } from './reduce_webgpu';

describe('WebGPU reductions (shader plans; values are checked in the browser by the benchmark and e2e/parity)', () => {
  it('accepts only adjacent axes, in any order, as one block', () => {
    expect(axisBlock([1])).toEqual([1, 2]);
    expect(axisBlock([2, 1, 3])).toEqual([1, 4]);
    expect(axisBlock([0, 0, 1])).toEqual([0, 2]);
    expect(axisBlock([0, 2])).toBeNull();
    expect(axisBlock([])).toBeNull();
  });

  it('gives each output one invocation that walks its reduced elements with a stride of inner', () => {
    const p = reduceProgram(2, 300, 24, 1, 'sum', 1, [2, 24]);
    const code = p.getUserCode();
    expect(p.dispatch[0] * p.workgroupSize[0]).toBeGreaterThanOrEqual(2 * 24);
    expect(code).toContain('index >= 48');
    expect(code).toContain('for (var k = p; k < 300; k = k + 1)');
    expect(code).toContain('X[base + k * 24]');
    expect(code).not.toMatch(/workgroupBarrier|var<workgroup>/);
    // Mean scales once at the end; max starts from the lowest float.
    expect(reduceProgram(1, 10, 1, 1, 'sum', 0.1, [1]).getUserCode()).toContain('* 0.100000000');
    expect(reduceProgram(1, 10, 1, 1, 'max', 1, [1]).getUserCode()).toContain('-3.402823e38');
    // Distinct plans get distinct shader keys (tfjs caches pipelines by key).
    expect(new Set([reduceProgram(2, 300, 24, 1, 'sum', 1, [48]).shaderKey, reduceProgram(2, 300, 24, 4, 'sum', 1, [192]).shaderKey, reduceProgram(2, 300, 24, 1, 'max', 1, [48]).shaderKey]).size).toBe(3);
  });

  it('runs softmax as one invocation per row', () => {
    const p = softmaxProgram(4096, 64, [16, 4, 64, 64]);
    expect(p.getUserCode()).toContain('index >= 4096');
    expect(p.outputShape).toEqual([16, 4, 64, 64]);
  });
});
