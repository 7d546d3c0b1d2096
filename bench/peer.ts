// The page for @genai-fi/nanogpt, the closest peer: window.runPeer(job) trains its
// GPT at the benchmark's config with its own trainer and reports throughput after
// warm-up. It bundles its own tfjs, so this page never loads ours.

import { TeachableLLM, data } from '@genai-fi/nanogpt';
import { CONFIGS } from '../scripts/bench/configs';
import type { DeviceInfo, PeerJob, PeerResult } from '../scripts/bench/jobs';
import { toSnapshot } from '../scripts/bench/memory';

interface Engine {
  backendName: string;
  memory(): object;
}

/** The tfjs engine of the peer's bundled copy (tfjs keeps it on the global object). */
function peerEngine(): Engine {
  const e = (globalThis as { _tfengine?: Engine })._tfengine;
  if (!e) throw new Error('The peer did not start a tfjs engine.');
  return e;
}

/** Text of lowercase pseudo-words: fewer distinct characters than any config's vocabulary. */
function sampleText(chars: number): string {
  let s = 1;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const out: string[] = [];
  let length = 0;
  while (length < chars) {
    const word = Array.from({ length: 2 + rand(7) }, () => String.fromCharCode(97 + rand(26))).join('');
    out.push(word);
    length += word.length + 1;
  }
  return out.join(' ');
}

async function adapterDescription(backend: string): Promise<string | undefined> {
  if (backend === 'webgpu') {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
    const info = (await gpu?.requestAdapter())?.info;
    return info ? [info.vendor, info.architecture, info.description || info.device].filter((x) => x).join(' ') : undefined;
  }
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return undefined;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

function once<T extends unknown[]>(subscribe: (cb: (...args: T) => void) => void): Promise<T> {
  return new Promise((resolve) => subscribe((...args) => resolve(args)));
}

async function runPeer(job: PeerJob): Promise<{ device: DeviceInfo; peer: PeerResult }> {
  const { model: mc, batchSize } = CONFIGS[job.config];
  await TeachableLLM.selectBackend(job.backend);
  const engine = peerEngine();
  if (engine.backendName !== job.backend) throw new Error(`The peer runs on ${engine.backendName}, not ${job.backend}.`);
  const device: DeviceInfo = { backend: engine.backendName, userAgent: navigator.userAgent };
  const adapter = await adapterDescription(job.backend);
  if (adapter) device.adapter = adapter;

  const before = toSnapshot(engine.memory());
  const llm = TeachableLLM.create('char', {
    modelType: 'GenAI_NanoGPT_v2',
    vocabSize: mc.vocabSize,
    blockSize: mc.contextLength,
    nLayer: mc.layers,
    nHead: mc.heads,
    nEmbed: mc.width,
    mlpFactor: 4,
  });
  const failed = once<[Error]>((cb) => llm.on('error', cb)).then(([e]) => Promise.reject(e));
  await Promise.race([once((cb) => llm.on('loaded', cb)), failed]);
  console.log(`[bench] peer model ready: ${llm.getNumParams()} parameters`);
  const streams = [new data.MemoryConversationStream([[{ role: 'text', content: sampleText(200_000) }]])];
  await llm.trainTokeniser(streams);

  const total = job.warmupSteps + job.steps;
  const times: number[] = [];
  let afterWarmup = before;
  const t0 = performance.now();
  const done = new Promise<void>((resolve, reject) => {
    llm.training.on('progress', (j) => {
      times.push(performance.now());
      const n = times.length;
      if (n === job.warmupSteps) afterWarmup = toSnapshot(engine.memory());
      const last = j.history?.[j.history.length - 1];
      const ms = times[n - 1]! - (n > 1 ? times[n - 2]! : t0);
      const label = n <= job.warmupSteps ? `warm-up ${n}/${job.warmupSteps}` : `step ${n - job.warmupSteps}/${job.steps}`;
      console.log(`[bench] ${label}: ${ms.toFixed(0)} ms, loss ${last?.trainingMetrics.loss.toFixed(3)}`);
      if (n === total) llm.training.cancel(j.id);
    });
    for (const ev of ['cancelled', 'completed'] as const) llm.training.on(ev, () => resolve());
    llm.training.on('error', (_id, e) => reject(e));
  });
  const trainingJob = await llm.training.job(
    // logInterval is in milliseconds: 1 makes the peer read its loss back after every
    // step, as ours does. No validation split, no extra metrics.
    { method: { type: 'pretraining' }, batchSize, logInterval: 1, learningRate: 1e-3, maxEpochs: 1000 },
    streams,
    [{ id: 'bench', name: 'bench', conversational: false }],
  );
  await done;
  const history = trainingJob.history ?? [];
  if (history.length < total) throw new Error(`The peer logged ${history.length} steps, expected ${total}.`);
  const w = job.warmupSteps;
  const seconds = (times[total - 1]! - times[w - 1]!) / 1000;
  const tokensPerStep = batchSize * mc.contextLength;
  const first = history[w - 1]!;
  const last = history[total - 1]!;
  const result: PeerResult = {
    warmupSteps: w,
    steps: job.steps,
    tokensPerStep,
    seconds,
    tokensPerSec: (job.steps * tokensPerStep) / seconds,
    reportedTokensPerSec: (last.totalTokens - first.totalTokens) / ((last.duration - first.duration) / 1000),
    stepMs: times.slice(w).map((t, i) => t - times[w + i - 1]!),
    warmupMs: times.slice(0, w).map((t, i) => t - (i > 0 ? times[i - 1]! : t0)),
    losses: history.slice(0, total).map((h) => h.trainingMetrics.loss),
    parameters: llm.getNumParams(),
    memory: { before, afterWarmup, after: toSnapshot(engine.memory()), afterDispose: before },
  };
  llm.dispose();
  result.memory.afterDispose = toSnapshot(engine.memory());
  return { device, peer: result };
}

(window as unknown as { runPeer: typeof runPeer }).runPeer = runPeer;
document.body.dataset.ready = 'true';
