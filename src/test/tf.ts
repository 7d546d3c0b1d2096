// Test setup: tfjs on the pure-JS cpu backend in Node, quietly.
import * as tf from '@tensorflow/tfjs';

export async function useCpuBackend(): Promise<typeof tf> {
  tf.env().set('IS_TEST', true); // silences the "use tfjs-node" hint in Node
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}
