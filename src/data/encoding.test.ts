import { describe, expect, it } from 'vitest';
import { decodeDatasetBytes, firstInvalidUtf8 } from './encoding';
import { importDataset } from './import';
import { runDataJob, type DataJobEvent } from './jobs';

const enc = new TextEncoder();
const jsonl = '{"instruction": "Name a planet.", "input": "", "output": "Mars"}\n{"instruction": "Grüße auf Deutsch?", "input": "", "output": "Hallo — 你好"}\n';

function utf16(text: string, le: boolean, bom = true): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array((text.length + (bom ? 1 : 0)) * 2);
  const units = (bom ? '\uFEFF' : '') + text;
  for (let i = 0; i < units.length; i++) {
    const u = units.charCodeAt(i);
    out[2 * i + (le ? 0 : 1)] = u & 0xff;
    out[2 * i + (le ? 1 : 0)] = u >> 8;
  }
  return out;
}

describe('decodeDatasetBytes', () => {
  it('reads UTF-8, with or without a byte-order mark, to the same text', () => {
    const plain = decodeDatasetBytes(enc.encode(jsonl), 'a.jsonl');
    const bom = decodeDatasetBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(jsonl)]), 'a.jsonl');
    expect(plain).toEqual({ ok: true, text: jsonl, encoding: 'UTF-8' });
    expect(bom).toEqual(plain);
  });

  it('decodes UTF-16 LE and BE with a byte-order mark and says so', () => {
    for (const le of [true, false]) {
      const r = decodeDatasetBytes(utf16(jsonl, le), 'win.jsonl');
      expect(r.ok && r.text).toBe(jsonl);
      expect(r.ok && r.warning).toContain(le ? 'UTF-16 LE' : 'UTF-16 BE');
    }
  });

  it('refuses UTF-16 without a byte-order mark and UTF-32, by name', () => {
    const noBom = decodeDatasetBytes(utf16(jsonl, true, false), 'x.jsonl');
    expect(!noBom.ok && noBom.error.message).toContain('looks like UTF-16 LE without a byte-order mark');
    const u32 = decodeDatasetBytes(new Uint8Array([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0]), 'x.jsonl');
    expect(!u32.ok && u32.error.message).toContain('UTF-32');
  });

  it('refuses Latin-1 with the line and byte offset of the first bad byte', () => {
    const latin1 = new Uint8Array([...enc.encode('{"a": 1}\n{"b": "caf'), 0xe9, ...enc.encode('"}\n')]);
    const r = decodeDatasetBytes(latin1, 'latin.jsonl');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.line).toBe(2);
    expect(r.error.message).toBe(
      '"latin.jsonl", line 2: byte offset 19 (0xE9 0x22) is not valid UTF-8; the file is probably in another encoding such as Latin-1 or Windows-1252. Save it as UTF-8 (in most editors: "Save as" > Encoding > UTF-8) and import it again.',
    );
  });

  it('says a file cut inside a character was cut short', () => {
    const cut = enc.encode('{"a": "€"}').subarray(0, 8);
    const r = decodeDatasetBytes(cut, 'cut.json');
    expect(!r.ok && r.error.message).toContain('cut short');
  });

  it('firstInvalidUtf8 agrees with the platform decoder on overlongs, surrogates and truncation', () => {
    const cases: number[][] = [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0x80], [0xe2, 0x82], [0x41, 0xe2, 0x82, 0xac]];
    for (const c of cases) {
      const bytes = new Uint8Array(c);
      let valid = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        valid = false;
      }
      expect(firstInvalidUtf8(bytes) === bytes.length, c.join(',')).toBe(valid);
    }
  });
});

describe('the dataset worker reads files through the same decoder', () => {
  async function importBlob(bytes: Uint8Array<ArrayBuffer>, fileName: string): Promise<Extract<DataJobEvent, { type: 'imported' }>> {
    const events: DataJobEvent[] = [];
    await runDataJob({ type: 'import', id: 1, source: { fileName, blob: new Blob([bytes]) } }, (e) => events.push(e));
    const done = events.find((e) => e.type === 'imported');
    if (!done || done.type !== 'imported') throw new Error('no result');
    return done;
  }

  it('imports a UTF-16 file with the same examples as its UTF-8 copy and warns', async () => {
    const r = await importBlob(utf16(jsonl, true), 'win.jsonl');
    const ref = importDataset(jsonl, { fileName: 'win.jsonl' });
    expect(r.result.ok && ref.ok && r.result.examples).toEqual(ref.ok && ref.examples);
    expect(r.result.ok && r.result.warnings[0]).toContain('read as UTF-16 LE');
  });

  it('refuses invalid UTF-8 with the decoder message, changing nothing', async () => {
    const bad = new Uint8Array([...enc.encode('{"instruction": "x", "output": "'), 0xff, ...enc.encode('"}\n')]);
    const r = await importBlob(bad, 'bad.jsonl');
    const ref = decodeDatasetBytes(bad, 'bad.jsonl');
    expect(r.result.ok).toBe(false);
    expect(!r.result.ok && !ref.ok && r.result.error.message).toBe(!ref.ok && ref.error.message);
  });
});
