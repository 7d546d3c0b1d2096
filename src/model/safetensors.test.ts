import { describe, expect, it } from 'vitest';
import { readSafetensors, SafetensorsError, writeSafetensors } from './safetensors';

describe('safetensors', () => {
  it('round-trips bit-exactly, including NaN payloads, -0 and subnormals', () => {
    const f = new Float32Array([1.5, -0, Number.NaN, 1e-45, -3.4e38, Math.PI]);
    const bits = new Uint32Array(f.buffer);
    bits[2] = 0x7fc00abc; // a NaN with a payload
    const ints = new Int32Array([0, -1, 2147483647, -2147483648]);
    const bytes = writeSafetensors(
      [
        ['a.weight', { shape: [2, 3], data: f }],
        ['b', { shape: [4], data: ints }],
      ],
      { note: 'héllo ✓' },
    );
    // Data starts 8-byte aligned.
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ note: 'héllo ✓' });
    const a = back.tensors.get('a.weight')!;
    expect(a.dtype).toBe('F32');
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(new Uint32Array(a.data.buffer))).toEqual(Array.from(bits));
    expect(Array.from(back.tensors.get('b')!.data)).toEqual(Array.from(ints));
    // Writing what was read gives the same bytes.
    expect(Array.from(writeSafetensors(back.tensors, back.metadata))).toEqual(Array.from(bytes));
  });

  it('reads from a Node Buffer (whose slice is a view, not a copy)', () => {
    const bytes = writeSafetensors([
      ['a', { shape: [2], data: new Float32Array([1, 2]) }],
      ['b', { shape: [3], data: new Float32Array([3, 4, 5]) }],
    ]);
    const back = readSafetensors(Buffer.from(bytes));
    expect(Array.from(back.tensors.get('a')!.data)).toEqual([1, 2]);
    expect(Array.from(back.tensors.get('b')!.data)).toEqual([3, 4, 5]);
  });

  it('reads a file whose data is not 4-byte aligned within the buffer', () => {
    const bytes = writeSafetensors([['x', { shape: [2], data: new Float32Array([1, 2]) }]]);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(readSafetensors(shifted.subarray(1)).tensors.get('x')!.data)).toEqual([1, 2]);
  });

  it('refuses truncated, foreign and inconsistent files with specific messages', () => {
    const good = writeSafetensors([['x', { shape: [4], data: new Float32Array(4) }]]);
    expect(() => readSafetensors(good.subarray(0, 5))).toThrow(/fewer than the 8-byte/);
    expect(() => readSafetensors(good.subarray(0, good.length - 3))).toThrow(/truncated/);
    expect(() => readSafetensors(new TextEncoder().encode('PK\x03\x04 this is a zip file, not weights'))).toThrow(SafetensorsError);
    const bad = (header: unknown, dataBytes = 16) => {
      const h = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + h.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      return out;
    };
    expect(() => readSafetensors(bad({ x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }))).toThrow(/dtype F64/);
    expect(() => readSafetensors(bad({ x: { dtype: 'F32', shape: [5], data_offsets: [0, 16] } }))).toThrow(/needs 20/);
    expect(() => readSafetensors(bad({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 16] } }))).toThrow(/invalid shape/);
    expect(() => readSafetensors(bad([1, 2]))).toThrow(/not a JSON object/);
    expect(() => writeSafetensors([['x', { shape: [3], data: new Float32Array(2) }]])).toThrow(/needs 3/);
  });

  it('widens float16 and bfloat16 tensors to float32 exactly', () => {
    // Bit patterns written by hand: 1, -2, 0.5, the smallest subnormal, 65504, -inf.
    const f16 = [0x3c00, 0xc000, 0x3800, 0x0001, 0x7bff, 0xfc00];
    const bf16 = [0x3f80, 0xc000, 0x3f00, 0x0001, 0x477f, 0xff80];
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [6], data_offsets: [0, 12] }, b: { dtype: 'BF16', shape: [2, 3], data_offsets: [12, 24] } });
    const bytes = new Uint8Array(8 + header.length + 24);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    const data = new DataView(bytes.buffer, 8 + header.length);
    [...f16, ...bf16].forEach((v, i) => data.setUint16(2 * i, v, true));
    const file = readSafetensors(bytes);
    const h = file.tensors.get('h')!;
    expect(h.dtype).toBe('F32');
    expect(Array.from(h.data)).toEqual([1, -2, 0.5, 2 ** -24, 65504, -Infinity]);
    const b = file.tensors.get('b')!;
    expect(b.shape).toEqual([2, 3]);
    expect(Array.from(b.data)).toEqual([1, -2, 0.5, new Float32Array(new Uint32Array([0x00010000]).buffer)[0], 65280, -Infinity]);
  });
});
