import { describe, expect, it } from 'vitest';
import { readEntries, type EntryLike } from './dropped';

const file = (name: string, text: string): EntryLike => ({
  name,
  isFile: true,
  isDirectory: false,
  file: (ok) => ok({ name, arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer }),
});

/** A folder whose reader answers in batches of two, then with none, as browsers do. */
const folder = (name: string, children: EntryLike[]): EntryLike => ({
  name,
  isFile: false,
  isDirectory: true,
  createReader: () => {
    let at = 0;
    return {
      readEntries: (ok) => {
        const batch = children.slice(at, at + 2);
        at += batch.length;
        ok(batch);
      },
    };
  },
});

describe('dropped files', () => {
  it('reads a dropped model folder file by file, across the reader batches', async () => {
    const dropped = [folder('gpt2-tiny', [file('config.json', '{}'), file('tokenizer.json', '{"model":{}}'), file('model.safetensors', 'w'), folder('extra', [file('README.md', '#')])])];
    const files = await readEntries(dropped);
    expect(files.map((f) => f.name)).toEqual(['config.json', 'tokenizer.json', 'model.safetensors', 'README.md']);
    expect(new TextDecoder().decode(files[1]!.bytes)).toBe('{"model":{}}');
  });

  it('takes plain dropped files as they are, and stops at the depth limit', async () => {
    const deep = folder('a', [folder('b', [folder('c', [file('deep.txt', 'x')])])]);
    expect((await readEntries([file('m.zip', 'zip'), deep])).map((f) => f.name)).toEqual(['m.zip']);
  });
});
