// Turning a dataset file's bytes into text, naming the encoding.
//
// Dataset files are UTF-8. A UTF-8 byte-order mark is dropped. UTF-16 with a
// byte-order mark (what Windows Notepad and Excel write as "Unicode") is
// decoded and the import says so. Everything else that is not UTF-8 is
// refused by name, with the line and byte offset of the first bad byte, so
// a Latin-1 file never turns silently into U+FFFD characters. The studio's
// dataset worker and scripts/data.ts both read files through this function,
// so they accept the same files and say the same words.

import { makeImportError, type ImportError } from './errors';

export type TextEncodingName = 'UTF-8' | 'UTF-16 LE' | 'UTF-16 BE';

export type DecodeResult =
  | {
      ok: true;
      text: string;
      encoding: TextEncodingName;
      /** Set when the file was not plain UTF-8 but could be read (UTF-16). */
      warning?: string;
    }
  | { ok: false; error: ImportError };

const SAVE_AS_UTF8 = 'Save it as UTF-8 (in most editors: "Save as" > Encoding > UTF-8) and import it again.';

/** Decodes a dataset file's bytes, or refuses naming the encoding and, for bad UTF-8, where. */
export function decodeDatasetBytes(input: Uint8Array | ArrayBuffer, fileName: string): DecodeResult {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const file = fileName;
  const b = (i: number): number => (i < bytes.length ? (bytes[i] as number) : -1);

  // UTF-32 BOMs first: FF FE 00 00 also starts like a UTF-16 LE BOM.
  if ((b(0) === 0xff && b(1) === 0xfe && b(2) === 0 && b(3) === 0) || (b(0) === 0 && b(1) === 0 && b(2) === 0xfe && b(3) === 0xff)) {
    return { ok: false, error: makeImportError({ file }, `the file is in UTF-32, which the studio does not read. ${SAVE_AS_UTF8}`) };
  }
  if ((b(0) === 0xff && b(1) === 0xfe) || (b(0) === 0xfe && b(1) === 0xff)) {
    const le = b(0) === 0xff;
    const name: TextEncodingName = le ? 'UTF-16 LE' : 'UTF-16 BE';
    if (bytes.length % 2 !== 0) {
      return {
        ok: false,
        error: makeImportError({ file }, `the file starts as ${name} (it has a byte-order mark) but has an odd number of bytes, so it is cut short or not ${name}. ${SAVE_AS_UTF8}`),
      };
    }
    try {
      const text = new TextDecoder(le ? 'utf-16le' : 'utf-16be', { fatal: true, ignoreBOM: false }).decode(bytes);
      return { ok: true, text, encoding: name, warning: `read as ${name} (the file starts with a ${name} byte-order mark); exports are written as UTF-8.` };
    } catch {
      const at = firstBadUtf16(bytes, le);
      return {
        ok: false,
        error: makeImportError(
          { file, line: lineAtUtf16(bytes, le, at) },
          `byte offset ${at}: the file starts as ${name} but holds an unpaired surrogate there, so it is damaged. ${SAVE_AS_UTF8}`,
        ),
      };
    }
  }
  const utf16 = looksLikeBomlessUtf16(bytes);
  if (utf16) {
    return {
      ok: false,
      error: makeImportError(
        { file },
        `the file looks like ${utf16} without a byte-order mark (every other byte is zero). Save it as UTF-8, or as UTF-16 with a byte-order mark, and import it again.`,
      ),
    };
  }
  try {
    // ignoreBOM false: a UTF-8 BOM is dropped.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { ok: true, text, encoding: 'UTF-8' };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = lineAt(bytes, at);
    const shown = Array.from(bytes.subarray(at, Math.min(at + 2, bytes.length)), (x) => `0x${x.toString(16).toUpperCase().padStart(2, '0')}`).join(' ');
    const hint =
      at === bytes.length - truncatedTail(bytes)
        ? 'the file ends in the middle of a character, so it was probably cut short.'
        : 'the file is probably in another encoding such as Latin-1 or Windows-1252.';
    return {
      ok: false,
      error: makeImportError({ file, line }, `byte offset ${at} (${shown}) is not valid UTF-8; ${hint} ${SAVE_AS_UTF8}`),
    };
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence; bytes.length when all are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let max = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      // no overlong forms (E0 80..9F) and no surrogates (ED A0..BF)
      min = c === 0xe0 ? 0xa0 : 0x80;
      if (c === 0xed) max = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = c === 0xf0 ? 0x90 : 0x80;
      if (c === 0xf4) max = 0x8f;
    } else return i;
    if (i + need >= n) return i; // cut short at the end
    const second = bytes[i + 1] as number;
    if (second < min || second > max) return i;
    for (let k = 2; k <= need; k++) {
      const x = bytes[i + k] as number;
      if (x < 0x80 || x > 0xbf) return i;
    }
    i += need + 1;
  }
  return n;
}

/** Bytes at the end that start a multi-byte character without finishing it (0 when none). */
function truncatedTail(bytes: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const c = bytes[bytes.length - back] as number;
    if (c < 0x80) return 0;
    if (c >= 0xc0) {
      const len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return len > back ? back : 0;
    }
  }
  return 0;
}

/** 1-based line of a byte offset (counting LF bytes before it). */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function unit16(bytes: Uint8Array, i: number, le: boolean): number {
  return le ? (bytes[i] as number) | ((bytes[i + 1] as number) << 8) : ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
}

function firstBadUtf16(bytes: Uint8Array, le: boolean): number {
  for (let i = 2; i + 1 < bytes.length; i += 2) {
    const u = unit16(bytes, i, le);
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = i + 3 < bytes.length ? unit16(bytes, i + 2, le) : -1;
      if (next >= 0xdc00 && next <= 0xdfff) i += 2;
      else return i;
    } else if (u >= 0xdc00 && u <= 0xdfff) return i;
  }
  return bytes.length;
}

function lineAtUtf16(bytes: Uint8Array, le: boolean, offset: number): number {
  let line = 1;
  for (let i = 2; i + 1 < offset; i += 2) if (unit16(bytes, i, le) === 0x0a) line++;
  return line;
}

/**
 * 'UTF-16 LE' / 'UTF-16 BE' when, in the first 1,000 byte pairs, most pairs
 * have exactly one zero byte and always on the same side (ASCII text in
 * UTF-16); null otherwise. UTF-8 text has no zero bytes unless it holds NUL.
 */
function looksLikeBomlessUtf16(bytes: Uint8Array): TextEncodingName | null {
  const pairs = Math.min(1000, Math.floor(bytes.length / 2));
  if (pairs < 2) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let p = 0; p < pairs; p++) {
    const a = bytes[2 * p] as number;
    const c = bytes[2 * p + 1] as number;
    if (a === 0 && c !== 0) evenZero++;
    else if (c === 0 && a !== 0) oddZero++;
  }
  if (oddZero >= pairs * 0.6 && evenZero === 0) return 'UTF-16 LE';
  if (evenZero >= pairs * 0.6 && oddZero === 0) return 'UTF-16 BE';
  return null;
}
