// tf.memory() figures kept by the benchmark, from our tfjs or the peer's own copy.

export interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
  /** Bytes the backend holds on the GPU (webgl numBytesInGPU, webgpu numBytesInGPU), if it says. */
  gpuBytes?: number;
  /** Bytes allocated on the GPU including pooled free buffers, if the backend says. */
  gpuAllocatedBytes?: number;
}

/** The fields we keep from a tfjs engine's memory() (any copy of tfjs). */
export function toSnapshot(info: object): MemorySnapshot {
  const m = info as Record<string, unknown>;
  const num = (k: string): number | undefined => (typeof m[k] === 'number' ? (m[k] as number) : undefined);
  const out: MemorySnapshot = { numTensors: num('numTensors') ?? NaN, numBytes: num('numBytes') ?? NaN };
  const gpu = num('numBytesInGPU');
  const alloc = num('numBytesInGPUAllocated') ?? num('numBytesAllocatedInGPU');
  if (gpu !== undefined) out.gpuBytes = gpu;
  if (alloc !== undefined) out.gpuAllocatedBytes = alloc;
  return out;
}

