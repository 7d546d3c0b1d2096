// Dataset command line: the studio's importers, exporters and statistics in Node.
//
//   npx tsx scripts/data.ts validate <file> [--format <id>] [--columns instruction=Q,response=A]
//   npx tsx scripts/data.ts convert <in> --to alpaca|messages <out> [--format <id>] [--columns ...] [--drop-duplicates]
//   npx tsx scripts/data.ts stats <file> [--format <id>] [--columns ...]
//
// Exit codes: 0 success, 1 bad input (the same message the studio shows,
// on stderr), 2 usage error.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { messageOf } from '../src/util/errors';
import { decodeDatasetBytes } from '../src/data/encoding';
import { plural } from '../src/util/text';
import {
  FORMAT_IDS,
  FORMAT_LABELS,
  DEFAULT_MAX_BYTES,
  checkFileSize,
  computeStats,
  describeDuplicates,
  dropDuplicates,
  exportDataset,
  formatStats,
  importDataset,
  type ColumnMapping,
  type ExportFormat,
  type FormatId,
  type ImportResult,
} from '../src/data/index';

const USAGE = `Usage:
  data validate <file> [options]              check a dataset file; exit 1 with the reason if it is bad
  data convert <in> --to alpaca|messages <out> [options]
                                              write the examples as Alpaca JSON or messages JSONL
  data stats <file> [options]                 examples, categories, lengths, histograms, duplicates

Options:
  --format <id>        read as this format instead of detecting it (${FORMAT_IDS.join(', ')})
  --columns <mapping>  for CSV/TSV: which column holds what, e.g. instruction=question,response=answer,input=context
                       (parts: instruction, response, input, category, system, id)
  --drop-duplicates    convert: leave out exact and near-duplicates (ROUGE-L >= 0.7)
  --max-mb <n>         largest file to accept, in MB (default ${DEFAULT_MAX_BYTES / (1024 * 1024)})
  -h, --help           show this help`;

class UsageError extends Error {}

interface Args {
  command: 'validate' | 'convert' | 'stats';
  positional: string[];
  format?: FormatId;
  columns?: ColumnMapping;
  to?: ExportFormat;
  dropDuplicates: boolean;
  maxBytes: number;
}

const MAPPING_KEYS = ['instruction', 'response', 'input', 'category', 'system', 'id'] as const;

function parseColumns(spec: string): ColumnMapping {
  const mapping: Partial<Record<(typeof MAPPING_KEYS)[number], string>> = {};
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const column = part.slice(eq + 1).trim();
    if (eq < 0 || !column) throw new UsageError(`--columns: "${part}" should look like part=column, e.g. instruction=question`);
    if (!(MAPPING_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`--columns: "${key}" is not a part; use ${MAPPING_KEYS.join(', ')}`);
    }
    mapping[key as (typeof MAPPING_KEYS)[number]] = column;
  }
  if (!mapping.instruction || !mapping.response) {
    throw new UsageError('--columns must name at least the instruction and response columns');
  }
  return mapping as ColumnMapping;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  let format: FormatId | undefined;
  let columns: ColumnMapping | undefined;
  let to: ExportFormat | undefined;
  let dropDups = false;
  let maxBytes = DEFAULT_MAX_BYTES;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--format': {
        const v = value();
        if (!(FORMAT_IDS as readonly string[]).includes(v)) throw new UsageError(`--format: "${v}" is not one of ${FORMAT_IDS.join(', ')}`);
        format = v as FormatId;
        break;
      }
      case '--columns':
        columns = parseColumns(value());
        break;
      case '--to': {
        const v = value();
        if (v !== 'alpaca' && v !== 'messages') throw new UsageError(`--to: "${v}" is not alpaca or messages`);
        to = v;
        break;
      }
      case '--drop-duplicates':
        dropDups = true;
        break;
      case '--max-mb': {
        const mb = Number(value());
        if (!(mb > 0)) throw new UsageError('--max-mb needs a positive number');
        maxBytes = Math.floor(mb * 1024 * 1024);
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        positional.push(arg);
    }
  }
  const command = positional.shift();
  if (command !== 'validate' && command !== 'convert' && command !== 'stats') {
    throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  }
  const want = command === 'convert' ? 2 : 1;
  if (positional.length !== want) {
    throw new UsageError(command === 'convert' ? 'convert needs an input and an output file' : `${command} needs one file`);
  }
  if (command === 'convert' && !to) throw new UsageError('convert needs --to alpaca or --to messages');
  if (command !== 'convert' && (to || dropDups)) throw new UsageError('--to and --drop-duplicates only apply to convert');
  const args: Args = { command, positional, dropDuplicates: dropDups, maxBytes };
  if (format) args.format = format;
  if (columns) args.columns = columns;
  if (to) args.to = to;
  return args;
}

/** Reads and imports a file; on bad input prints the message and exits 1. */
function load(file: string, args: Args): Extract<ImportResult, { ok: true }> {
  let bytes: Uint8Array;
  try {
    const size = statSync(file).size;
    const tooBig = checkFileSize(file, size, args.maxBytes);
    if (tooBig) {
      process.stderr.write(`${tooBig.message}\n`);
      process.exit(1);
    }
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : messageOf(e);
    process.stderr.write(`"${file}" could not be read: ${why}.\n`);
    process.exit(1);
  }
  // The same decoding as the studio's dataset worker: UTF-16 with a BOM is
  // read, other encodings are refused by name.
  const decoded = decodeDatasetBytes(bytes, file);
  if (!decoded.ok) {
    process.stderr.write(`${decoded.error.message}\n`);
    process.exit(1);
  }
  const result = importDataset(decoded.text, {
    fileName: file,
    maxBytes: args.maxBytes,
    ...(args.format ? { format: args.format } : {}),
    ...(args.columns ? { columnMapping: args.columns } : {}),
  });
  if (!result.ok) {
    process.stderr.write(`${result.error.message}\n`);
    process.exit(1);
  }
  if (decoded.warning) result.warnings.unshift(decoded.warning);
  return result;
}

function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}

function main(): void {
  let args: Args;
  const argv = process.argv.slice(2);
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const [file, out] = args.positional as [string, string | undefined];
  const result = load(file, args);
  printWarnings(result.warnings);
  const how = `${FORMAT_LABELS[result.format]} — ${result.detection.reason}`;

  if (args.command === 'validate') {
    process.stdout.write(`OK: "${file}" holds ${plural(result.examples.length, 'example')}.\n`);
    process.stdout.write(`Format: ${how}\n`);
    process.stdout.write(`Duplicates: ${describeDuplicates(result.duplicates)}\n`);
    return;
  }
  if (args.command === 'stats') {
    process.stdout.write(`File: "${file}"\nFormat: ${how}\n`);
    process.stdout.write(`${formatStats(computeStats(result.examples, { duplicates: result.duplicates }))}\n`);
    return;
  }
  const examples = args.dropDuplicates ? dropDuplicates(result.examples, result.duplicates) : result.examples;
  const exported = exportDataset(examples, args.to as ExportFormat);
  printWarnings(exported.warnings);
  try {
    writeFileSync(out as string, exported.text, 'utf8');
  } catch (e) {
    process.stderr.write(`"${out}" could not be written: ${messageOf(e)}\n`);
    process.exit(1);
  }
  const dropped = result.examples.length - examples.length;
  process.stdout.write(
    `Wrote ${plural(examples.length, 'example')} to "${out}" as ${args.to === 'alpaca' ? 'Alpaca JSON' : 'messages JSONL'}` +
      (dropped > 0 ? ` (${dropped} duplicates left out)` : '') +
      '.\n',
  );
}

main();
