import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useCpuBackend } from '../test/tf';
import { matMulExplicitTransposes } from './ops';
import { GPT } from './gpt';

beforeAll(async () => {
  await useCpuBackend();
});

type MatMul = (a: tf.Tensor, b: tf.Tensor, tb: boolean) => tf.Tensor;
const nativeMatMul: MatMul = (a, b, tb) => tf.matMul(a, b, false, tb);

function gradsOf(matMul: MatMul, tb: boolean, shapeA: number[], shapeB: number[]) {
  return tf.tidy(() => {
    const a = tf.tensor(Array.from({ length: shapeA.reduce((x, y) => x * y) }, (_, i) => Math.sin(i)), shapeA);
    const b = tf.tensor(Array.from({ length: shapeB.reduce((x, y) => x * y) }, (_, i) => Math.cos(i * 0.7)), shapeB);
    const w = tf.tensor(Array.from({ length: 100 }, (_, i) => (i % 7) - 3));
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMul(x, y, tb), tf.reshape(tf.slice(w, 0, tf.matMul(x, y, false, tb).size), tf.matMul(x, y, false, tb).shape)));
    const [ga, gb] = tf.grads(f)([a, b]);
    return { value: Array.from(matMul(a, b, tb).dataSync()), ga: Array.from(ga!.dataSync()), gb: Array.from(gb!.dataSync()) };
  });
}

describe('matMul with explicit transposes', () => {
  for (const [tb, sa, sb] of [
    [false, [3, 4], [4, 5]],
    [true, [3, 4], [5, 4]],
    [true, [2, 2, 3, 4], [2, 2, 5, 4]],
    [false, [2, 2, 3, 4], [2, 2, 4, 5]],
  ] as Array<[boolean, number[], number[]]>) {
    it(`gives tf.matMul's values and gradients (${sa} x ${sb}${tb ? '^T' : ''})`, () => {
      const ours = gradsOf(matMulExplicitTransposes, tb, sa, sb);
      const ref = gradsOf(nativeMatMul, tb, sa, sb);
      for (const k of ['value', 'ga', 'gb'] as const) {
        expect(ours[k].length).toBe(ref[k].length);
        ours[k].forEach((v, i) => expect(v).toBeCloseTo(ref[k][i]!, 4));
      }
    });
  }

  it('trains the GPT on the wasm backend with the same gradients as the cpu backend', async () => {
    const cfg = { vocabSize: 20, contextLength: 8, width: 16, layers: 2, heads: 2 };
    // IS_TEST turns on tfjs' kernel leak check, which counts the wasm backend's
    // internal reshapes inside a custom gradient as leaks; the real tensor count is
    // checked below instead.
    tf.env().set('IS_TEST', false);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const model = GPT.create(cfg, 3);
      const vars = [...model.params.values()];
      const out = tf.tidy(() => {
        const ids = tf.tensor2d([[1, 5, 9, 2, 4, 7, 3, 8]], undefined, 'int32');
        const tg = tf.tensor2d([[5, 9, 2, 4, 7, 3, 8, 1]], undefined, 'int32');
        // Packed segments exercise the position lookup's gradient too.
        const seg = tf.tensor2d([[1, 1, 1, 2, 2, 2, 2, 2]], undefined, 'int32');
        const pos = tf.tensor2d([[0, 1, 2, 0, 1, 2, 3, 4]], undefined, 'int32');
        const { value, grads } = tf.variableGrads(() => model.loss(ids, tg, tf.ones([1, 8]) as tf.Tensor2D, { segmentIds: seg, positionIds: pos }), vars);
        return [value.dataSync()[0]!, ...vars.flatMap((v) => Array.from(grads[v.name]!.dataSync()))];
      });
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((v, i) => expect(Math.abs(v - cpu[i]!)).toBeLessThan(1e-5));
    tf.env().set('IS_TEST', true);
  });
});
