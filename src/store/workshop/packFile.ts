// The workshop pack file: one zip a teacher prepares once and hands round (on a
// USB stick, with no network in the room), holding chosen datasets, checkpoints
// and the lesson progress. Inside:
//
//   pack.json                   what the pack holds: format, version, and per
//                               entry its file, name and SHA-256
//   datasets/<n>.json           a dataset: name, source, licence, description,
//                               template and its examples, as the studio keeps them
//   checkpoints/<n>.safetensors a checkpoint file, byte for byte as stored
//
// Reading checks everything before anything is stored: the zip, the manifest,
// every entry's checksum, every example's fields and every checkpoint's file,
// so a damaged or foreign file is refused whole, naming the entry and what is wrong.

import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { readInfo, type CheckpointInfo } from '../../checkpoint/info';
import { exampleProblems, type Example, type Message } from '../../data/schema';
import { plural } from '../../util/text';

export const PACK_FORMAT = 'instruct-studio-workshop-pack';
/** The version written, and the newest read. Raise it when an older studio would misread a newer pack. */
export const PACK_VERSION = 1;
export const PACK_MANIFEST = 'pack.json';

/** Where the lessons stood when the pack was made. */
export interface PackLessons {
  stepId: string;
  presenter: boolean;
}

export interface PackDataset {
  name: string;
  source: string;
  licence: string;
  description: string;
  templateId: string;
  examples: Example[];
}

export interface PackCheckpoint {
  /** The name in the checkpoint list, and whether the user gave it. */
  name: string;
  named: boolean;
  bytes: ArrayBuffer;
}

export interface PackContents {
  datasets: PackDataset[];
  checkpoints: PackCheckpoint[];
  lessons: PackLessons | null;
}

/** A pack read and checked whole; checkpoints come with what their files say about themselves. */
export interface ReadPack extends Omit<PackContents, 'checkpoints'> {
  createdAt: number;
  checkpoints: Array<PackCheckpoint & { info: CheckpointInfo }>;
}

interface ManifestEntry {
  file: string;
  name: string;
  sha256: string;
}

interface Manifest {
  format: string;
  version: number;
  createdAt: number;
  datasets: Array<ManifestEntry & { examples: number }>;
  checkpoints: Array<ManifestEntry & { named: boolean; bytes: number }>;
  lessons: PackLessons | null;
}

/** A pack that cannot be imported; the message names the file, the entry and what to do. */
export class PackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackFileError';
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The pack as one zip file. Checkpoints are stored as they are (floats barely compress); JSON is deflated. */
export async function encodePack(contents: PackContents, createdAt: number): Promise<Uint8Array> {
  const files: Zippable = {};
  const manifest: Manifest = { format: PACK_FORMAT, version: PACK_VERSION, createdAt, datasets: [], checkpoints: [], lessons: contents.lessons };
  for (const [i, d] of contents.datasets.entries()) {
    const file = `datasets/${i + 1}.json`;
    const bytes = strToU8(JSON.stringify({ name: d.name, source: d.source, licence: d.licence, description: d.description, templateId: d.templateId, examples: d.examples }));
    files[file] = [bytes, { level: 6 }];
    manifest.datasets.push({ file, name: d.name, examples: d.examples.length, sha256: await sha256(bytes) });
  }
  for (const [i, c] of contents.checkpoints.entries()) {
    const file = `checkpoints/${i + 1}.safetensors`;
    const bytes = new Uint8Array(c.bytes);
    files[file] = [bytes, { level: 0 }];
    manifest.checkpoints.push({ file, name: c.name, named: c.named, bytes: bytes.byteLength, sha256: await sha256(bytes) });
  }
  files[PACK_MANIFEST] = [strToU8(JSON.stringify(manifest, null, 2)), { level: 6 }];
  return zipSync(files);
}

/**
 * Reads and checks a whole pack. Throws a PackFileError naming `fileName` and the
 * entry at fault when the file is not a pack, was written by a newer studio, or is
 * damaged anywhere (a checksum, an example, a checkpoint).
 */
export async function readPack(fileName: string, bytes: ArrayBuffer | Uint8Array): Promise<ReadPack> {
  const refuse = (what: string): never => {
    throw new PackFileError(`"${fileName}" ${what} Nothing was imported.`);
  };
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (e) {
    return refuse(`is not a readable workshop pack: it is not a whole zip file (${(e as Error).message}). It may have been cut short while copying: copy it again.`);
  }
  const rawManifest = entries[PACK_MANIFEST];
  if (!rawManifest) return refuse(`is a zip file but not a workshop pack: it has no ${PACK_MANIFEST}. Export packs from the Checkpoints view's "Workshop pack".`);
  let manifest: Manifest;
  try {
    manifest = checkManifest(JSON.parse(strFromU8(rawManifest)) as unknown);
  } catch (e) {
    return refuse(`has a damaged ${PACK_MANIFEST}: ${(e as Error).message}.`);
  }
  if (manifest.format !== PACK_FORMAT) return refuse(`is not an Instruct Studio workshop pack (its ${PACK_MANIFEST} says format "${manifest.format}").`);
  if (manifest.version > PACK_VERSION) {
    return refuse(`was made by a newer Instruct Studio (pack version ${manifest.version}; this one reads up to ${PACK_VERSION}). Update the studio to open it.`);
  }

  const entry = async (e: ManifestEntry): Promise<Uint8Array> => {
    const data = entries[e.file];
    if (!data) return refuse(`is damaged: ${PACK_MANIFEST} lists ${e.file} ("${e.name}") but the pack does not hold it.`);
    if ((await sha256(data)) !== e.sha256) return refuse(`is damaged: ${e.file} ("${e.name}") does not match its checksum. Copy the pack again from the original.`);
    return data;
  };

  const datasets: PackDataset[] = [];
  for (const d of manifest.datasets) {
    const data = await entry(d);
    try {
      datasets.push(readDataset(JSON.parse(strFromU8(data)) as unknown));
    } catch (e) {
      refuse(`is damaged: ${d.file} ("${d.name}"): ${(e as Error).message}.`);
    }
  }
  const checkpoints: ReadPack['checkpoints'] = [];
  for (const c of manifest.checkpoints) {
    const data = await entry(c);
    const own = data.slice().buffer as ArrayBuffer;
    let info: CheckpointInfo;
    try {
      info = readInfo(own, c.file).info;
    } catch (e) {
      return refuse(`is damaged: ${(e as Error).message}`);
    }
    checkpoints.push({ name: c.name, named: c.named, bytes: own, info });
  }
  return { createdAt: manifest.createdAt, datasets, checkpoints, lessons: manifest.lessons };
}

/** A one-line summary: "2 datasets, 1 checkpoint and the lesson progress". */
export function describePack(p: { datasets: readonly unknown[]; checkpoints: readonly unknown[]; lessons: PackLessons | null }): string {
  const parts = [plural(p.datasets.length, 'dataset'), plural(p.checkpoints.length, 'checkpoint')];
  return p.lessons ? `${parts.join(', ')} and the lesson progress` : parts.join(' and ');
}

// ---- field-by-field checks of what the pack says -------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`${where} has no text "${key}"`);
  return v;
}

function checkManifest(raw: unknown): Manifest {
  if (!isObject(raw)) throw new Error('it is not a JSON object');
  const format = str(raw, 'format', 'it');
  const version = raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new Error(`its "version" must be a whole number from 1 (got ${JSON.stringify(version)})`);
  const createdAt = typeof raw.createdAt === 'number' && Number.isFinite(raw.createdAt) ? raw.createdAt : 0;
  const list = (key: 'datasets' | 'checkpoints'): Array<Record<string, unknown>> => {
    const v = raw[key];
    if (!Array.isArray(v) || !v.every(isObject)) throw new Error(`its "${key}" must be a list of entries`);
    return v as Array<Record<string, unknown>>;
  };
  const base = (e: Record<string, unknown>, key: string, i: number): ManifestEntry => {
    const where = `${key} entry ${i + 1}`;
    return { file: str(e, 'file', where), name: str(e, 'name', where), sha256: str(e, 'sha256', where) };
  };
  const datasets = list('datasets').map((e, i) => ({ ...base(e, 'datasets', i), examples: typeof e.examples === 'number' ? e.examples : 0 }));
  const checkpoints = list('checkpoints').map((e, i) => ({ ...base(e, 'checkpoints', i), named: e.named === true, bytes: typeof e.bytes === 'number' ? e.bytes : 0 }));
  let lessons: PackLessons | null = null;
  if (raw.lessons !== null && raw.lessons !== undefined) {
    if (!isObject(raw.lessons)) throw new Error('its "lessons" must be an object or null');
    lessons = { stepId: str(raw.lessons, 'stepId', '"lessons"'), presenter: raw.lessons.presenter === true };
  }
  return { format, version, createdAt, datasets, checkpoints, lessons };
}

function readDataset(raw: unknown): PackDataset {
  if (!isObject(raw)) throw new Error('it is not a JSON object');
  const name = str(raw, 'name', 'it');
  if (!Array.isArray(raw.examples)) throw new Error('it has no list of "examples"');
  const examples = raw.examples.map((e, i) => readExample(e, `example ${i + 1}`));
  const opt = (key: string, fallback: string) => (typeof raw[key] === 'string' ? (raw[key] as string) : fallback);
  return { name, source: opt('source', ''), licence: opt('licence', ''), description: opt('description', ''), templateId: opt('templateId', 'plain'), examples };
}

/** One example, checked field by field and by the studio's own rules (exampleProblems). */
function readExample(raw: unknown, where: string): Example {
  if (!isObject(raw)) throw new Error(`${where} is not an object`);
  const base = { id: str(raw, 'id', where), source: str(raw, 'source', where) };
  const optional: Record<string, string> = {};
  for (const key of ['category', 'system', 'lang', 'input']) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new Error(`${where}, field "${key}": must be text`);
    optional[key] = v;
  }
  let ex: Example;
  if (raw.kind === 'instruction') {
    ex = { ...base, ...optional, kind: 'instruction', instruction: str(raw, 'instruction', where), response: str(raw, 'response', where) };
  } else if (raw.kind === 'conversation') {
    if (!Array.isArray(raw.messages)) throw new Error(`${where}, field "messages": must be a list of turns`);
    const messages: Message[] = raw.messages.map((m, k) => {
      if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant') || typeof m.content !== 'string') {
        throw new Error(`${where}, field "messages[${k}]": must be {"role": "user" or "assistant", "content": text}`);
      }
      return { role: m.role, content: m.content };
    });
    const { input: _input, ...rest } = optional;
    ex = { ...base, ...rest, kind: 'conversation', messages };
  } else {
    throw new Error(`${where}, field "kind": must be "instruction" or "conversation" (got ${JSON.stringify(raw.kind)})`);
  }
  const problems = exampleProblems(ex);
  if (problems.length > 0) throw new Error(`${where}, field "${problems[0]!.field}": ${problems[0]!.message}`);
  return ex;
}
