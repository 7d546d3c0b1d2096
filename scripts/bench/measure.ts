// The measurements themselves, shared by the Node run (wasm) and the browser
// worker (webgpu, webgl, wasm): the same code times the same steps everywhere.
// Nothing here knows about Node or the DOM; callers pick the tfjs backend first.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../src/model/config';
import { generateTokens } from '../../src/model/generate';
import { GPT } from '../../src/model/gpt';
import { setStudioKernels } from '../../src/model/kernels';
import { Rng } from '../../src/model/random';
import { TokenStreamBatches } from '../../src/train/batches';
import { AdamW } from '../../src/train/optimizer';
import { trainStep } from '../../src/train/step';
import { GEN_NEW, GEN_PROMPT, generationConfig, trainFlopsPerToken, type BenchConfig } from './configs';
import { toSnapshot, type MemorySnapshot } from './memory';

export function memorySnapshot(): MemorySnapshot {
  return toSnapshot(tf.memory());
}

export type Progress = (message: string) => void;

/** A seeded stream of token ids, long enough that batches do not repeat. */
export function syntheticTokens(vocabSize: number, length: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(vocabSize);
  return out;
}

export interface TrainOptions {
  config: BenchConfig;
  warmupSteps: number;
  steps: number;
  /** true is the studio; false is the same model on plain tfjs (the studio's kernels off). */
  studioKernels: boolean;
  onProgress?: Progress;
}

export interface TrainResult {
  warmupSteps: number;
  steps: number;
  tokensPerStep: number;
  /** Wall time of the timed steps only. */
  seconds: number;
  tokensPerSec: number;
  flopsPerToken: number;
  gflops: number;
  /** Per timed step, ms. */
  stepMs: number[];
  /** Warm-up steps, ms (the first compiles shaders). */
  warmupMs: number[];
  losses: number[];
  memory: { before: MemorySnapshot; afterWarmup: MemorySnapshot; after: MemorySnapshot; afterDispose: MemorySnapshot };
}

/**
 * Trains the studio's model as the UI does: one trainStep per batch, and one readback
 * of [loss, gradNorm] per step. Throughput counts only the steps after the warm-up.
 */
export async function benchTraining(o: TrainOptions): Promise<TrainResult> {
  const { model: mc, batchSize } = o.config;
  setStudioKernels(o.studioKernels);
  try {
    const before = memorySnapshot();
    const model = GPT.create(mc, 1);
    const optimizer = new AdamW(model.params);
    const source = new TokenStreamBatches(syntheticTokens(mc.vocabSize, 50_000, 7), batchSize, mc.contextLength, 11);
    const losses: number[] = [];
    const step = async (): Promise<number> => {
      const t0 = performance.now();
      const out = trainStep(model, optimizer, source.next(), 1e-3, 1);
      const [loss] = await out.data();
      out.dispose();
      losses.push(loss!);
      return performance.now() - t0;
    };
    const warmupMs: number[] = [];
    for (let i = 0; i < o.warmupSteps; i++) {
      warmupMs.push(await step());
      o.onProgress?.(`warm-up ${i + 1}/${o.warmupSteps}: ${warmupMs[i]!.toFixed(0)} ms`);
    }
    const afterWarmup = memorySnapshot();
    const stepMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) {
      stepMs.push(await step());
      if (i === o.steps - 1 || (i + 1) % Math.max(1, Math.ceil(o.steps / 5)) === 0) {
        o.onProgress?.(`step ${i + 1}/${o.steps}: ${stepMs[i]!.toFixed(0)} ms, loss ${losses[losses.length - 1]!.toFixed(3)}`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = memorySnapshot();
    optimizer.dispose();
    model.dispose();
    const afterDispose = memorySnapshot();
    const tokensPerStep = batchSize * mc.contextLength;
    const tokensPerSec = (o.steps * tokensPerStep) / seconds;
    const flopsPerToken = trainFlopsPerToken(mc);
    return {
      warmupSteps: o.warmupSteps,
      steps: o.steps,
      tokensPerStep,
      seconds,
      tokensPerSec,
      flopsPerToken,
      gflops: (tokensPerSec * flopsPerToken) / 1e9,
      stepMs,
      warmupMs,
      losses,
      memory: { before, afterWarmup, after, afterDispose },
    };
  } finally {
    setStudioKernels(true);
  }
}

/**
 * Shader programs the backend has compiled so far (webgl binaryCache, webgpu
 * pipelineCache); undefined on backends without shaders (wasm, cpu).
 */
export function compiledPrograms(): number | undefined {
  const b = tf.backend() as unknown as { binaryCache?: object; pipelineCache?: object };
  const cache = b.binaryCache ?? b.pipelineCache;
  return cache ? Object.keys(cache).length : undefined;
}

export interface GenerationRun {
  tokens: number;
  seconds: number;
  tokensPerSec: number;
  /** ms to the first new token (prefill, or the first full window). */
  firstTokenMs: number;
  /** Shader programs compiled while producing tokens 3..n (should be 0 with the cache). */
  programsCompiledAfterToken2?: number;
}

export interface GenerationResult {
  config: ModelConfig;
  promptTokens: number;
  newTokens: number;
  /** First run: compiles every shape it meets. */
  cachedCold: GenerationRun;
  /** Second run of the same length, every shape already compiled. */
  cached: GenerationRun;
  /** First uncached run: compiles a new set of shapes for every window length. */
  uncachedCold?: GenerationRun;
  /** Second uncached run, every length already compiled; absent when uncached generation was skipped. */
  uncached?: GenerationRun;
  memory: { before: MemorySnapshot; afterFirstRun: MemorySnapshot; afterRuns: MemorySnapshot; afterDispose: MemorySnapshot };
}

async function generateOnce(model: GPT, prompt: number[], newTokens: number, useCache: boolean): Promise<GenerationRun> {
  const t0 = performance.now();
  let first = 0;
  let n = 0;
  let programsAt2: number | undefined;
  for await (const _ of generateTokens(model, prompt, { maxTokens: newTokens, temperature: 1, topK: 40, topP: 1, seed: 5, useCache })) {
    if (n === 0) first = performance.now() - t0;
    n++;
    if (n === 2) programsAt2 = compiledPrograms();
  }
  const seconds = (performance.now() - t0) / 1000;
  const run: GenerationRun = { tokens: n, seconds, tokensPerSec: n / seconds, firstTokenMs: first };
  const end = compiledPrograms();
  if (programsAt2 !== undefined && end !== undefined) run.programsCompiledAfterToken2 = end - programsAt2;
  return run;
}

/**
 * Generation with and without the key/value cache: 128 new tokens after a 32-token
 * prompt, at the config's shape with a context that holds them all. Each mode runs
 * twice (cold, then warm) and the warm runs are the ones compared. `skipUncached`
 * leaves out the uncached mode (its growing window compiles new shaders for every
 * token, which takes minutes on an emulated GPU).
 */
export async function benchGeneration(o: {
  config: BenchConfig;
  newTokens?: number;
  skipUncached?: boolean;
  /** true (default) is the studio; false decodes on plain tfjs (the studio's kernels off). */
  studioKernels?: boolean;
  onProgress?: Progress;
}): Promise<GenerationResult> {
  setStudioKernels(o.studioKernels ?? true);
  try {
    return await generationRuns(o);
  } finally {
    setStudioKernels(true);
  }
}

async function generationRuns(o: { config: BenchConfig; newTokens?: number; skipUncached?: boolean; onProgress?: Progress }): Promise<GenerationResult> {
  const mc = generationConfig(o.config);
  const newTokens = o.newTokens ?? GEN_NEW;
  const before = memorySnapshot();
  const model = GPT.create(mc, 3);
  const prompt = Array.from(syntheticTokens(mc.vocabSize, GEN_PROMPT, 13));
  const run = async (label: string, useCache: boolean): Promise<GenerationRun> => {
    const r = await generateOnce(model, prompt, newTokens, useCache);
    const compiled = r.programsCompiledAfterToken2 !== undefined ? `, ${r.programsCompiledAfterToken2} programs compiled after token 2` : '';
    o.onProgress?.(`${label}: ${r.tokens} tokens in ${r.seconds.toFixed(1)} s (${r.tokensPerSec.toFixed(1)} tok/s, first ${r.firstTokenMs.toFixed(0)} ms${compiled})`);
    return r;
  };
  let result: Omit<GenerationResult, 'memory'> & { memory: Omit<GenerationResult['memory'], 'afterDispose'> };
  try {
    const cachedCold = await run('cached, cold', true);
    const afterFirstRun = memorySnapshot();
    const cached = await run('cached, warm', true);
    const uncachedCold = o.skipUncached ? undefined : await run('uncached, cold', false);
    const uncached = o.skipUncached ? undefined : await run('uncached, warm', false);
    result = {
      config: mc,
      promptTokens: prompt.length,
      newTokens,
      cachedCold,
      cached,
      ...(uncachedCold ? { uncachedCold } : {}),
      ...(uncached ? { uncached } : {}),
      memory: { before, afterFirstRun, afterRuns: memorySnapshot() },
    };
  } finally {
    model.dispose();
  }
  return { ...result, memory: { ...result.memory, afterDispose: memorySnapshot() } };
}

