// Matrix products that stay fast on every backend, and the embedding lookup.
//
// tfjs-wasm's BatchMatMul is much slower when asked to transpose an operand than on
// plain row-major inputs, and the gradients tfjs derives for matMul always ask for
// a transpose; on wasm we therefore transpose explicitly (a cheap copy) and multiply
// plainly, in the forward pass and in a custom gradient. On WebGPU and WebGL the
// products run on the studio's own kernels (./kernels), forward and backward.
// Which form runs is decided by the backend and the switch in ./kernels/index.ts.

import * as tf from '@tensorflow/tfjs';
import { STUDIO_MATMUL, STUDIO_MATMUL_WEBGL, studioKernelsOn, studioWebGlOn, studioWebGpuOn, supportsWebGl, supportsWebGpu } from './kernels';

/** Swaps the last two axes: (..., m, n) -> (..., n, m). */
export function transposeLast2<T extends tf.Tensor>(x: T): T {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm) as T;
}

/** op(a) @ op(b) with explicit transposes and a plain product. */
function explicitProduct<T extends tf.Tensor>(a: T, b: T, ta: boolean, tb: boolean): T {
  if (!ta && !tb) return tf.matMul(a, b) as T;
  return tf.matMul(ta ? transposeLast2(a) : a, tb ? transposeLast2(b) : b) as T;
}

type Product = (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean) => tf.Tensor;

/**
 * a @ b (or a @ b^T with `tb`) computed by `prod`, whose gradient's products run on
 * `prod` too: d(a@b)/da = dy @ b^T, d(a@b)/db = a^T @ dy; d(a@b^T)/da = dy @ b,
 * d(a@b^T)/db = dy^T @ a.
 */
function productWithGrad(prod: Product, tb: boolean): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  return tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a, b]);
    return {
      value: prod(a, b, false, tb),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
        return tb ? [prod(dy, sb, false, false), prod(dy, sa, true, false)] : [prod(dy, sb, false, true), prod(sa, dy, true, false)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
}

/** Plain a @ b whose gradient also transposes explicitly. */
const explicitMatMul = productWithGrad(explicitProduct, false);

/**
 * a @ b (or a @ b^T with `tb`) as the studio runs it on wasm: every transpose,
 * forward and backward, an explicit copy before a plain product. Same value and
 * gradients as tf.matMul(a, b, false, tb) on any backend.
 */
export function matMulExplicitTransposes<T extends tf.Tensor>(a: T, b: T, tb = false): T {
  return explicitMatMul(a, tb ? transposeLast2(b) : b) as T;
}

/**
 * a @ b (batched over leading axes), with `tb` meaning b's last two axes are swapped.
 * Same value as tf.matMul(a, b, false, tb) on every backend.
 */
export function matMul<T extends tf.Tensor>(a: T, b: T, tb = false): T {
  if (studioWebGpuOn() || studioWebGlOn()) return (tb ? gpuMatMulTransposedB : gpuMatMul)(a, b) as T;
  if (studioKernelsOn() && tf.getBackend() === 'wasm') return matMulExplicitTransposes(a, b, tb);
  return tf.matMul(a, b, false, tb) as T;
}

/**
 * a @ b (or a @ b^T with `tb`) with b held constant: the gradient flows to a alone
 * (dy @ b^T, or dy @ b), so b gets none and its product is never computed. For
 * frozen weights (LoRA): matMul's own gradient computes both products, because a
 * custom gradient cannot know which input needs one; b, closed over here, is not
 * recorded as an input at all.
 */
export function matMulConstB<T extends tf.Tensor>(a: T, b: T, tb = false): T {
  const product = tf.customGrad(((x: tf.Tensor) => ({
    value: matMul(x, b, tb),
    gradFunc: (dy: tf.Tensor) => matMul(dy, b, !tb),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
  return product(a) as T;
}

/**
 * op(a) @ op(b) on the studio's kernel for the current backend (WebGPU or WebGL)
 * when it handles the shapes (equal leading dimensions; on WebGPU sizes it reads
 * four at a time divisible by 4, on WebGL M, K and N even), else tf.matMul.
 */
function gpuProduct(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  const r = a.rank;
  const lead = a.shape.slice(0, -2);
  const batch = lead.reduce((x, y) => x * y, 1);
  const a3 = [batch, a.shape[r - 2]!, a.shape[r - 1]!];
  const b3 = [batch, b.shape[r - 2]!, b.shape[r - 1]!];
  const sameLead = b.rank === r && r >= 2 && lead.every((n, i) => n === b.shape[i]);
  const webgl = tf.getBackend() === 'webgl';
  if (!sameLead || !(webgl ? supportsWebGl : supportsWebGpu)(a3, b3, ta, tb)) return tf.matMul(a, b, ta, tb);
  const out = tf.engine().runKernel(webgl ? STUDIO_MATMUL_WEBGL : STUDIO_MATMUL, { a: tf.reshape(a, a3), b: tf.reshape(b, b3) }, { transposeA: ta, transposeB: tb }) as tf.Tensor;
  return tf.reshape(out, [...lead, ta ? a3[2]! : a3[1]!, tb ? b3[1]! : b3[2]!]);
}

/** a @ b and a @ b^T on the studio's GPU kernel; the gradients' products run on it too. */
const gpuMatMul = productWithGrad(gpuProduct, false);
const gpuMatMulTransposedB = productWithGrad(gpuProduct, true);

/**
 * Embedding rows for ids: table (V, d), ids (N) int32 -> (N, d).
 * tf.gather's gradient needs the UnsortedSegmentSum kernel, which wasm lacks; there
 * the gradient is a ScatterNd (duplicate ids add up), which wasm has. Backends with
 * UnsortedSegmentSum use tf.gather as it is.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  if (tf.getKernel('UnsortedSegmentSum', tf.getBackend()) !== undefined) return tf.gather(table, ids);
  return gatherWithScatterGrad(table, ids) as tf.Tensor2D;
}

const gatherWithScatterGrad = tf.customGrad(((table: tf.Tensor, ids: tf.Tensor, save: tf.GradSaveFunc) => {
  save([ids]);
  const shape = table.shape as [number, number];
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sids] = saved as [tf.Tensor1D];
      return [tf.scatterND(tf.reshape(sids, [-1, 1]), dy, shape), tf.zerosLike(sids)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
