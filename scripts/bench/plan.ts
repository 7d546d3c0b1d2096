// Which measurements a run makes, and how many steps each gets. Step counts are
// sized for the slowest machine we know (2 CPU cores, GPUs emulated by
// SwiftShader; the peer's slowest: ~27 s per S step and ~180 s per M step on
// webgpu, ~1 s per decoded token uncached), so --quick ends in about 5 minutes on
// an idle machine there; the full run, with M and uncached generation on GPUs,
// took 48 minutes there (2026-12-01). On a real GPU both are short.

import type { ConfigId } from './configs';
import type { BackendId } from './jobs';

/** Where a measurement runs: wasm in Node, or a backend in (headless) Chromium. */
export type Target = 'node' | 'chromium';

/** ours = the studio; plain = the same model on plain tfjs, the studio's kernels off; peer = @genai-fi/nanogpt. */
export type Impl = 'ours' | 'plain' | 'peer';

export type PlannedJob =
  | { kind: 'train'; target: Target; backend: BackendId; config: ConfigId; impl: Impl; warmupSteps: number; steps: number }
  | { kind: 'generate'; target: Target; backend: BackendId; config: ConfigId; impl: 'ours' | 'plain'; skipUncached: boolean };

export interface PlanOptions {
  quick: boolean;
  configs: ConfigId[];
  backends: Array<BackendId | 'node'>;
  peer: boolean;
  training: boolean;
  /** 'default' leaves webgpu out of --quick; 'always' measures it there too. */
  generation: 'default' | 'always' | 'never';
  /**
   * Also time the same model on plain tfjs on webgpu and webgl (the studio's GPU
   * matMul kernels switched off): the kernels' before/after. Always on for wasm.
   */
  plainOnGpu: boolean;
}

/** [warm-up, timed] steps per target/backend, config and mode. */
function steps(backend: BackendId | 'node', config: ConfigId, quick: boolean, impl: Impl): [number, number] {
  const slow = impl === 'plain'; // plain tfjs on wasm: ~3.4x slower per step
  if (backend === 'webgpu') return config === 'S' ? (quick ? [1, 2] : [1, 4]) : [1, 2];
  // One warm-up step compiles every shader of a training step (the second is no slower than the rest).
  if (backend === 'webgl') return config === 'S' ? (quick ? [1, 3] : [2, 12]) : [2, 5];
  // wasm in Node or Chromium
  if (config === 'S') return quick ? (slow ? [1, 3] : [2, 8]) : slow ? [1, 6] : [3, 20];
  return slow ? [1, 3] : [2, 6];
}

/** Whether `impl` runs with the studio's kernels switched on (src/model/kernels). */
export function studioKernelsFor(impl: Impl): boolean {
  return impl !== 'plain';
}

export function planJobs(o: PlanOptions): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  for (const config of o.configs) {
    for (const b of o.backends) {
      const target: Target = b === 'node' ? 'node' : 'chromium';
      const backend: BackendId = b === 'node' ? 'wasm' : b;
      const impls: Impl[] = backend === 'wasm' ? ['ours', 'plain'] : ['ours'];
      if (backend !== 'wasm' && o.plainOnGpu) impls.push('plain');
      if (backend !== 'wasm' && o.peer) impls.push('peer');
      for (const impl of o.training ? impls : []) {
        const [warmupSteps, n] = steps(b, config, o.quick, impl);
        jobs.push({ kind: 'train', target, backend, config, impl, warmupSteps, steps: n });
      }
      // Quick runs leave out generation on webgpu: an emulated adapter decodes ~1 token/s
      // (two 128-token runs alone take ~5 minutes there); the full run measures it.
      if (o.generation === 'always' || (o.generation === 'default' && !(o.quick && backend === 'webgpu'))) {
        // Without the cache the window grows by one token per step, and on GPU backends
        // every new length compiles new shader programs (~50 per token on webgl: over 3
        // minutes for 128 tokens on an emulated GPU, so a cold uncached run mostly times
        // the compiler). The full run times uncached generation twice and compares the
        // warm run; the quick run times only the cached path on GPUs.
        const gpu = backend !== 'wasm';
        jobs.push({ kind: 'generate', target, backend, config, impl: 'ours', skipUncached: gpu && o.quick });
        // The kernel's before/after for decoding: the cached path on plain tfjs.
        if (backend !== 'wasm' && o.plainOnGpu) jobs.push({ kind: 'generate', target, backend, config, impl: 'plain', skipUncached: true });
      }
    }
  }
  return jobs;
}

export function jobLabel(j: PlannedJob): string {
  const where = j.target === 'node' ? 'wasm (Node)' : `${j.backend}${j.backend === 'wasm' ? ' (Chromium)' : ''}`;
  const what = j.kind === 'train' ? `train ${j.impl === 'ours' ? 'ours' : j.impl === 'plain' ? 'plain tfjs' : '@genai-fi/nanogpt'}` : `generate${j.impl === 'plain' ? ' (plain tfjs)' : ''}`;
  return `${j.config} ${where} ${what}`;
}
