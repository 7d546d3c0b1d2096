// The dataset command line, run the way a user runs it: npx tsx scripts/data.ts.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importDataset } from './import';
import { decodeDatasetBytes } from './encoding';
import { fixturePath } from './test-helpers';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'data-cli-'));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('npx', ['tsx', 'scripts/data.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function temp(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, 'utf8');
  return path;
}

describe('scripts/data.ts', { timeout: 60_000 }, () => {
  it('validate: exit 0 and a summary for a good file', () => {
    const r = run('validate', fixturePath('dolly.jsonl'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('holds 4 examples');
    expect(r.stdout).toContain('Dolly');
  });

  it('validate: exit 1 with the same message as the importer for a bad line', () => {
    const text = '{"instruction": "a", "input": "", "output": "b"}\n{"instruction": "c", "input": ""\n{"instruction": "d", "input": "", "output": "e"}\n';
    const file = temp('bad.jsonl', text);
    const expected = importDataset(text, { fileName: file });
    expect(expected.ok).toBe(false);
    const r = run('validate', file);
    expect(r.code).toBe(1);
    if (!expected.ok) expect(r.stderr).toContain(expected.error.message);
    expect(r.stderr).toContain('line 2');
    expect(r.stdout).toBe('');
  });

  it('convert: writes Alpaca JSON that imports back, and messages JSONL', () => {
    const out = join(dir, 'out.json');
    const r = run('convert', fixturePath('sharegpt.json'), '--to', 'alpaca', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Wrote 2 examples');
    expect(r.stderr).toContain('warning: 1 multi-turn conversation');
    const back = importDataset(readFileSync(out, 'utf8'), { fileName: 'out.json' });
    expect(back.ok && back.format).toBe('alpaca');
    const out2 = join(dir, 'out.jsonl');
    expect(run('convert', fixturePath('qa.csv'), '--to', 'messages', out2, '--columns', 'instruction=question,response=answer').code).toBe(0);
    expect(readFileSync(out2, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('convert --drop-duplicates leaves duplicates out', () => {
    const line = '{"instruction": "Name a planet.", "input": "", "output": "Mars"}';
    const file = temp('dups.jsonl', `${line}\n${line}\n{"instruction": "Name a colour.", "input": "", "output": "Red"}\n`);
    const out = join(dir, 'dedup.json');
    const r = run('convert', file, '--to', 'alpaca', out, '--drop-duplicates');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(1 duplicates left out)');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveLength(2);
  });

  it('stats: prints counts, lengths and text histograms', () => {
    const r = run('stats', fixturePath('dolly.jsonl'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples: 4');
    expect(r.stdout).toContain('open_qa: 1');
    expect(r.stdout).toMatch(/Response words \(histogram\):\n\s+\d+-\d+ \| +\d+ #+/);
  });

  it('exit 1 for a file over --max-mb and for a missing file', () => {
    const big = temp('big.json', JSON.stringify([{ instruction: 'a', output: 'x'.repeat(200_000) }]));
    const r = run('validate', big, '--max-mb', '0.125');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('larger than the 128.0 KB limit');
    const missing = run('stats', join(dir, 'nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('there is no such file');
  });

  it('exit 2 for usage errors', () => {
    for (const args of [[], ['frobnicate', 'x'], ['validate'], ['convert', 'a.json', 'b.json'], ['convert', 'a', '--to', 'csv', 'b'], ['validate', 'a', '--format', 'xml'], ['stats', 'a', '--bogus']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage:');
    }
  });
});

describe('scripts/data.ts and the studio name encodings the same way', { timeout: 60_000 }, () => {
  it('refuses Latin-1 with the decoder message and reads UTF-16 with a BOM', () => {
    const latin = join(dir, 'latin.jsonl');
    const bytes = Buffer.concat([Buffer.from('{"instruction": "caf'), Buffer.from([0xe9]), Buffer.from('", "input": "", "output": "x"}\n')]);
    writeFileSync(latin, bytes);
    const expected = decodeDatasetBytes(bytes, latin);
    const r = run('validate', latin);
    expect(r.code).toBe(1);
    expect(!expected.ok && r.stderr.trim()).toBe(!expected.ok && expected.error.message);
    const wide = join(dir, 'wide.jsonl');
    writeFileSync(wide, Buffer.from(`\uFEFF{"instruction": "Grüße", "input": "", "output": "x"}\n`, 'utf16le'));
    const ok = run('validate', wide);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('warning: read as UTF-16 LE');
    expect(ok.stdout).toContain('holds 1 example');
  });
});
