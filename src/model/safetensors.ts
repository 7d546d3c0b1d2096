// safetensors: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data.
// Reading checks every offset, so a truncated or foreign file is refused with a
// message instead of yielding garbage weights; float16 and bfloat16 tensors are
// widened to float32 as they are read.

export type Dtype = 'F32' | 'I32' | 'U8';
/** Half-precision dtypes that reading converts to F32 (HF models are often saved in them). */
type HalfDtype = 'F16' | 'BF16';

export interface StoredTensor {
  dtype: Dtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

const BYTES: Record<Dtype | HalfDtype, number> = { F32: 4, I32: 4, U8: 1, F16: 2, BF16: 2 };
/** Refuse headers larger than this: real ones are a few KB, a bigger one means a foreign file. */
const MAX_HEADER_BYTES = 100 * 2 ** 20;

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

function dtypeOf(data: StoredTensor['data']): Dtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  return 'U8';
}

/**
 * Serialises tensors in the given order. Metadata values must be strings (the format
 * says so). The header is padded with spaces so the data starts 8-byte aligned.
 */
export function writeSafetensors(tensors: Iterable<[string, Omit<StoredTensor, 'dtype'> & { dtype?: Dtype }]>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new SafetensorsError('A tensor cannot be named "__metadata__".');
    const dtype = t.dtype ?? dtypeOf(t.data);
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) {
      throw new SafetensorsError(`Tensor "${name}" has ${t.data.length} values but shape [${t.shape.join(', ')}] needs ${expected}.`);
    }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let headerBytes = enc.encode(json);
  const pad = (8 - ((8 + headerBytes.length) % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    headerBytes = enc.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

export interface SafetensorsFile {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

/** Parses a safetensors file; throws SafetensorsError naming what is wrong. */
export function readSafetensors(input: ArrayBuffer | Uint8Array): SafetensorsFile {
  const buf = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (buf.byteLength < 8) {
    throw new SafetensorsError(`Not a safetensors file: it has ${buf.byteLength} bytes, fewer than the 8-byte header length.`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > buf.byteLength) {
    throw new SafetensorsError(
      `Not a safetensors file, or a truncated one: the header claims ${headerLen} bytes but the file has ${buf.byteLength - 8} after the length field.`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (e) {
    throw new SafetensorsError(`Not a safetensors file: its header is not valid JSON (${(e as Error).message}).`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsError('Not a safetensors file: its header is not a JSON object.');
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, StoredTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(`Metadata "${k}" must be a string.`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info?.dtype;
    if (dtype !== 'F32' && dtype !== 'I32' && dtype !== 'U8' && dtype !== 'F16' && dtype !== 'BF16') {
      throw new SafetensorsError(`Tensor "${name}" has dtype ${String(dtype)}; only F32, F16, BF16, I32 and U8 are supported (convert the file to float32 first).`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new SafetensorsError(`Tensor "${name}" has an invalid shape ${JSON.stringify(shape)}.`);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o))) {
      throw new SafetensorsError(`Tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}.`);
    }
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (begin < 0 || end < begin || end > dataLen) {
      throw new SafetensorsError(`Tensor "${name}" points at bytes ${begin}..${end} but the file has only ${dataLen} data bytes: it is truncated.`);
    }
    if (end - begin !== count * BYTES[dtype]) {
      throw new SafetensorsError(`Tensor "${name}" has ${end - begin} bytes but shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${count * BYTES[dtype]}.`);
    }
    // Copy into a fresh, aligned buffer: the file's bytes may not be 4-byte aligned.
    // (Not buf.slice: on a Node Buffer that returns a view of the whole file's memory.)
    const bytes = new Uint8Array(buf.subarray(dataStart + begin, dataStart + end));
    if (dtype === 'F16' || dtype === 'BF16') {
      tensors.set(name, { dtype: 'F32', shape: shape as number[], data: halfToFloat32(bytes, dtype) });
      continue;
    }
    const data =
      dtype === 'F32' ? new Float32Array(bytes.buffer) : dtype === 'I32' ? new Int32Array(bytes.buffer) : new Uint8Array(bytes.buffer);
    tensors.set(name, { dtype, shape: shape as number[], data });
  }
  return { tensors, metadata };
}

/**
 * Little-endian float16 or bfloat16 values to float32, exactly (both widen without
 * rounding). bfloat16 is the top half of a float32; float16 has 5 exponent bits.
 */
function halfToFloat32(bytes: Uint8Array, dtype: HalfDtype): Float32Array {
  const n = bytes.length / 2;
  const out = new Float32Array(n);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16;
    return out;
  }
  for (let i = 0; i < n; i++) {
    const h = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] =
      exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}
