// The comparison engine, without zustand or React: reads the shipped-model
// index, loads the models to compare into the worker's comparison slots, asks
// them all the same prompt at once and streams each answer to a listener, and
// runs an evaluation set across them, scoring every answer with src/eval's
// scorer (the one `npm run eval` uses). The slice turns its callbacks into state.

import { decodeDatasetBytes } from '../../data/encoding';
import { importDataset } from '../../data/import';
import type { Example } from '../../data/schema';
import { DEFAULT_TEMPLATE, getTemplate, type PromptTemplate } from '../../data/templates';
import type { PromptFormat } from '../../data/render';
import { failedAnswer, type BatchAnswer, type BatchRow } from '../../eval/batch';
import { evalQuestion, scoreAnswer } from '../../eval/score';
import type { GenerateOptions } from '../../model/sampling';
import type { CheckpointMeta } from '../../storage/checkpoints';
import type { GenerateResult } from '../../worker/protocol';
import { messageOf } from '../../util/errors';
import type { WorkerClient } from '../workerClient';
import { EVAL_SETS, modelSource, RAW_TEMPLATE_ID, SHIPPED_MODELS_INDEX, type ShippedModel, type ShippedModelFiles } from './state';

/** How files shipped with the app are read, by URL relative to the page (shipped models, evaluation sets). */
export interface ShippedFiles {
  fetchText: (url: string) => Promise<string>;
  /** `onProgress`: bytes read so far, of the total when the response says it. */
  fetchBytes: (url: string, onProgress?: ByteProgress) => Promise<ArrayBuffer>;
}

/** Bytes read so far of `total` (null when the response does not say its length). */
export type ByteProgress = (loaded: number, total: number | null) => void;

/** Reads a response's body in chunks, telling `onProgress` how far it got. */
async function readWithProgress(res: Response, onProgress: ByteProgress): Promise<ArrayBuffer> {
  const header = Number(res.headers.get('content-length'));
  const total = Number.isFinite(header) && header > 0 ? header : null;
  if (!res.body) {
    const whole = await res.arrayBuffer();
    onProgress(whole.byteLength, total ?? whole.byteLength);
    return whole;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

/** fetch that turns an HTTP error status into an error naming the URL. */
async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`.trim());
  return res;
}

/** The page's own files over fetch, unless a test passes its own. */
export function defaultShippedFiles(over: Partial<ShippedFiles> = {}): ShippedFiles {
  return {
    fetchText: over.fetchText ?? (async (url) => (await fetchOk(url)).text()),
    fetchBytes:
      over.fetchBytes ??
      (async (url, onProgress) => {
        const res = await fetchOk(url);
        return onProgress ? readWithProgress(res, onProgress) : res.arrayBuffer();
      }),
  };
}

export interface CompareDeps extends ShippedFiles {
  client: Pick<WorkerClient, 'request' | 'send'>;
  /** A stored checkpoint's file, to load into a comparison slot. */
  loadCheckpoint: (id: string) => Promise<{ meta: { name: string }; bytes: ArrayBuffer }>;
  /** A stored dataset, to use as an evaluation set. */
  getDataset: (id: string) => Promise<{ name: string; examples: Example[] } | undefined>;
}

/** What the studio holds now that a model key can name. */
export interface ModelsInView {
  /** The model in the studio, or null when there is none; `training` while its weights change. */
  current: { name: string; training: boolean } | null;
  shipped: readonly ShippedModel[];
  checkpoints: readonly Pick<CheckpointMeta, 'id' | 'name' | 'step' | 'savedAt'>[];
}

/** What every model of one comparison shares: sampling settings and prompt format. */
export interface AskSettings {
  options: GenerateOptions;
  /** The template the prompt is formatted with, or null for raw text. */
  template: PromptTemplate | null;
}

/** What a comparison reports of each model's answer while it streams. */
export interface CompareListener {
  onRunning: (key: string) => void;
  /** The exact prompt the model was given, after the template. */
  onPromptText: (key: string, text: string) => void;
  onToken: (key: string, text: string) => void;
  onDone: (key: string, result: GenerateResult) => void;
  onFailed: (key: string, message: string) => void;
}

/** The template a comparison formats prompts with: null for raw text, the default for an unknown id. */
export function compareTemplate(id: string): PromptTemplate | null {
  if (id === RAW_TEMPLATE_ID) return null;
  return getTemplate(id) ?? DEFAULT_TEMPLATE;
}

/** What a model key is called in column headers and the CSV. */
export function compareModelLabel(s: { model: { name: string } | null; shippedModels: readonly ShippedModel[]; checkpoints: ModelsInView['checkpoints'] }, key: string): string {
  const src = modelSource(key);
  switch (src.kind) {
    case 'current':
      return s.model ? `In the studio: ${s.model.name}` : 'In the studio (no model yet)';
    case 'shipped':
      return s.shippedModels.find((m) => m.id === src.id)?.title ?? src.id;
    case 'checkpoint': {
      const c = s.checkpoints.find((x) => x.id === src.id);
      return c ? `${c.name} (step ${c.step})` : 'Deleted checkpoint';
    }
    default:
      return key;
  }
}

/** The shipped-model index's well-formed entries (others are skipped). */
function readShippedIndex(json: unknown): ShippedModel[] {
  if (!Array.isArray(json)) throw new Error(`${SHIPPED_MODELS_INDEX} must be a JSON array of {id, title, dir}.`);
  return json.flatMap((e: unknown) => {
    const m = e as Partial<ShippedModel> | null;
    if (!m || typeof m.id !== 'string' || typeof m.title !== 'string' || typeof m.dir !== 'string') return [];
    return [
      {
        id: m.id,
        title: m.title,
        dir: m.dir.replace(/\/+$/, ''),
        ...(typeof m.template === 'string' ? { template: m.template } : {}),
        ...(typeof m.description === 'string' ? { description: m.description } : {}),
      },
    ];
  });
}

export class CompareService {
  /** Which model each comparison slot holds (a version, so a replaced autosave is reloaded). */
  private readonly slots = new Map<string, string>();
  /** The single-prompt comparison's generations, by request id, and who hears their tokens. */
  private readonly streams = new Map<number, { key: string; listener: CompareListener }>();
  /** The batch run going on: the generations of its current question, and whether it was cancelled. */
  private batch = { ids: [] as number[], cancelled: false };
  private shippedOnce: Promise<ShippedModel[]> | null = null;

  constructor(private readonly deps: CompareDeps) {}

  /** The shipped models whose files are there (a config.json that reads as a model config); read once. */
  shippedModels(): Promise<ShippedModel[]> {
    this.shippedOnce ??= (async () => {
      let entries: ShippedModel[] = [];
      try {
        entries = readShippedIndex(JSON.parse(await this.deps.fetchText(SHIPPED_MODELS_INDEX)));
      } catch {
        // No index, or not JSON (a server answering with its page): no shipped models.
      }
      const present = await Promise.all(
        entries.map(async (m) => {
          try {
            const cfg = JSON.parse(await this.deps.fetchText(`${m.dir}/config.json`)) as Record<string, unknown>;
            return typeof cfg === 'object' && cfg !== null && typeof cfg.n_embd === 'number' ? m : null;
          } catch {
            return null;
          }
        }),
      );
      return present.filter((m): m is ShippedModel => m !== null);
    })();
    return this.shippedOnce;
  }

  /** Reads a shipped model's weights (telling `onProgress` how far), config.json and tokenizer.json. */
  async fetchShippedModel(m: ShippedModel, onProgress?: ByteProgress): Promise<ShippedModelFiles> {
    const [safetensors, configJson, tokenizerJson] = await Promise.all([
      this.deps.fetchBytes(`${m.dir}/model.safetensors`, onProgress),
      this.deps.fetchText(`${m.dir}/config.json`),
      this.deps.fetchText(`${m.dir}/tokenizer.json`),
    ]);
    return { safetensors, configJson, tokenizerJson };
  }

  /** Loads the chosen models in turn; returns the keys that are ready, reporting each other one to `onFail`. */
  async loadModels(keys: readonly string[], models: ModelsInView, onFail: (key: string, message: string) => void): Promise<string[]> {
    const ready: string[] = [];
    for (const key of keys) {
      try {
        await this.ensureLoaded(key, models);
        ready.push(key);
      } catch (e) {
        onFail(key, messageOf(e));
      }
    }
    return ready;
  }

  /** Frees a model's comparison slot in the worker, if it holds one. */
  releaseSlot(key: string): void {
    if (this.slots.delete(key)) this.deps.client.request('unloadModel', { slot: key }).catch(() => undefined);
  }

  /** A new worker holds no comparison slots: load them again when next asked. */
  forgetSlots(): void {
    this.slots.clear();
  }

  /** Asks every model the same prompt at once; resolves once each has answered or failed. */
  async compare(keys: readonly string[], prompt: string, settings: AskSettings, listener: CompareListener): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const { id, reply } = this.generate(key, prompt, settings);
        this.streams.set(id, { key, listener });
        listener.onRunning(key);
        try {
          listener.onDone(key, await reply);
        } catch (e) {
          listener.onFailed(key, messageOf(e));
        } finally {
          this.streams.delete(id);
        }
      }),
    );
  }

  /** A comparison's generation started (a worker event): pass on the prompt the model was given. */
  started(requestId: number, promptText: string): void {
    const s = this.streams.get(requestId);
    s?.listener.onPromptText(s.key, promptText);
  }

  /** A token of a comparison's answer arrived (a worker event). */
  token(requestId: number, text: string): void {
    const s = this.streams.get(requestId);
    s?.listener.onToken(s.key, text);
  }

  /** Ends the comparison's generations; each then answers with what it has. */
  cancelCompare(): void {
    for (const id of this.streams.keys()) this.cancel(id);
  }

  /** A shipped evaluation set (by id) or a stored dataset (`dataset:<id>`), as examples. */
  async openEvalSet(id: string): Promise<{ title: string; examples: Example[] }> {
    if (id.startsWith('dataset:')) {
      const d = await this.deps.getDataset(id.slice(8));
      if (!d) throw new Error('That dataset is no longer stored.');
      return { title: d.name, examples: d.examples };
    }
    const set = EVAL_SETS.find((e) => e.id === id);
    if (!set) throw new Error(`Unknown evaluation set "${id}".`);
    const r = importDataset(await this.deps.fetchText(set.file), { fileName: set.file, format: 'alpaca', dedupe: { near: false } });
    if (!r.ok) throw new Error(r.error.message);
    return { title: set.title, examples: r.examples };
  }

  /**
   * A user's file as an evaluation set, in any importable format. Bytes are
   * decoded as the Data tab decodes them (decodeDatasetBytes), so a Latin-1 or
   * UTF-16 file is refused or read by name rather than turned into U+FFFD.
   */
  importEvalSet(fileName: string, content: string | ArrayBuffer | Uint8Array): { ok: true; examples: Example[] } | { ok: false; message: string } {
    let text: string;
    if (typeof content === 'string') text = content;
    else {
      const decoded = decodeDatasetBytes(content, fileName);
      if (!decoded.ok) return { ok: false, message: decoded.error.message };
      text = decoded.text;
    }
    const r = importDataset(text, { fileName, dedupe: { near: false } });
    return r.ok ? { ok: true, examples: r.examples } : { ok: false, message: r.error.message };
  }

  /**
   * Asks every model each question in turn (the models of one question at once)
   * and scores each answer; `onRow` gets every finished question. A cancelled
   * question's answers are cut short, so it is left out rather than scored.
   */
  async runBatch(keys: readonly string[], examples: readonly Example[], settings: AskSettings, onRow: (row: BatchRow, done: number) => void): Promise<void> {
    const run = { ids: [] as number[], cancelled: false };
    this.batch = run;
    try {
      for (const [i, ex] of examples.entries()) {
        if (run.cancelled) return;
        const { question, input, reference } = evalQuestion(ex);
        const answers: Record<string, BatchAnswer> = {};
        run.ids = [];
        await Promise.all(
          keys.map(async (key) => {
            const { id, reply } = this.generate(key, question, settings, input);
            run.ids.push(id);
            try {
              const { raw, answer, correct, questionLike } = scoreAnswer((await reply).text, reference, settings.template);
              answers[key] = { raw, answer, correct, questionLike };
            } catch (e) {
              answers[key] = failedAnswer(messageOf(e));
            }
          }),
        );
        if (run.cancelled) return;
        onRow({ question, input, reference, answers }, i + 1);
      }
    } finally {
      run.ids = [];
    }
  }

  /** Stops the batch after the current question, whose generations are ended now. */
  cancelBatch(): void {
    this.batch.cancelled = true;
    for (const id of this.batch.ids) this.cancel(id);
  }

  /** Makes sure the model behind `key` is in its comparison slot (the studio's own model needs none). */
  private async ensureLoaded(key: string, models: ModelsInView): Promise<void> {
    const src = modelSource(key);
    if (src.kind === 'current') {
      if (!models.current) throw new Error('There is no model in the studio yet: create or load one first.');
      if (models.current.training) throw new Error('Pause training to include the model in training: its weights change at every step.');
      return;
    }
    if (src.kind === 'unknown') throw new Error(`Unknown model "${key}".`);
    // A checkpoint's version is when it was stored, so a replaced autosave is loaded again.
    const ckpt = src.kind === 'checkpoint' ? models.checkpoints.find((c) => c.id === src.id) : undefined;
    const version = src.kind === 'shipped' ? 'shipped' : ckpt ? `${ckpt.savedAt}` : 'gone';
    if (this.slots.get(key) === version) return;
    let files: { name: string } & ShippedModelFiles;
    if (src.kind === 'shipped') {
      const m = models.shipped.find((x) => x.id === src.id);
      if (!m) throw new Error('This shipped model is not available.');
      files = { name: m.title, ...(await this.fetchShippedModel(m)) };
    } else {
      const { meta, bytes } = await this.deps.loadCheckpoint(src.id);
      files = { name: meta.name, safetensors: bytes, configJson: '', tokenizerJson: '' };
    }
    await this.deps.client.request('loadModel', { slot: key, ...files });
    this.slots.set(key, version);
  }

  /** Sends one generation to the model behind `key`, formatted as the comparison says. */
  private generate(key: string, prompt: string, settings: AskSettings, input = '') {
    const format: PromptFormat | undefined = settings.template ? { template: settings.template, ...(input ? { input } : {}) } : undefined;
    const slot = modelSource(key).kind === 'current' ? undefined : key;
    return this.deps.client.send('generate', { prompt, options: settings.options, ...(format ? { format } : {}), ...(slot ? { slot } : {}) });
  }

  private cancel(generateId: number): void {
    this.deps.client.request('cancelGenerate', { generateId }).catch(() => undefined);
  }
}
