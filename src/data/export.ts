// Writing examples back out, as Alpaca JSON or messages JSONL.
//
// Each exporter writes every field its format can hold, so importing the
// output gives the same examples back: Alpaca JSON keeps instruction, input
// and output plus optional "id", "category", "system" and "lang" fields
// (Alpaca readers ignore fields they do not know); messages JSONL keeps the
// turns, the system prompt as a leading system message, and "id",
// "category" and "lang" beside "messages".
//
// What a format cannot hold is said in a warning, never dropped silently:
// messages have no separate input, so instruction and input are joined by a
// blank line; Alpaca has one exchange per record, so a longer conversation
// is written with its earlier turns as a transcript in "input".

import type { Example } from './schema';
import { plural } from '../util/text';

export type ExportFormat = 'alpaca' | 'messages';

export interface ExportResult {
  text: string;
  warnings: string[];
  /** Suggested file extension. */
  extension: '.json' | '.jsonl';
}

interface AlpacaRecord {
  instruction: string;
  input: string;
  output: string;
  id?: string;
  category?: string;
  system?: string;
  lang?: string;
}

function addMeta(rec: { id?: string; category?: string; system?: string; lang?: string }, ex: Example, withSystem: boolean): void {
  rec.id = ex.id;
  if (ex.category !== undefined) rec.category = ex.category;
  if (withSystem && ex.system !== undefined) rec.system = ex.system;
  if (ex.lang !== undefined) rec.lang = ex.lang;
}

/** Alpaca JSON: a pretty-printed array of {instruction, input, output, ...} records. */
export function exportAlpacaJson(examples: readonly Example[]): ExportResult {
  let flattened = 0;
  const records = examples.map((ex): AlpacaRecord => {
    let rec: AlpacaRecord;
    if (ex.kind === 'instruction') {
      rec = { instruction: ex.instruction, input: ex.input ?? '', output: ex.response };
    } else {
      // Last answered exchange as instruction/output; everything before it as a transcript.
      let last = ex.messages.length - 1;
      while (last >= 0 && ex.messages[last]?.role !== 'assistant') last--;
      const answer = ex.messages[last];
      const question = ex.messages[last - 1];
      const before = ex.messages.slice(0, Math.max(0, last - 1));
      const transcript = before.map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}`).join('\n\n');
      rec = { instruction: question?.content ?? '', input: transcript, output: answer?.content ?? '' };
      flattened++;
    }
    addMeta(rec, ex, true);
    return rec;
  });
  const warnings: string[] = [];
  if (flattened > 0) {
    warnings.push(
      `${plural(flattened, 'multi-turn conversation was', 'multi-turn conversations were')} written as one exchange each: ` +
        'Alpaca holds one instruction and one output per record, so earlier turns went into "input" as a transcript.',
    );
  }
  return { text: `${JSON.stringify(records, null, 2)}\n`, warnings, extension: '.json' };
}

interface WireMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Messages JSONL: one {"messages": [...], "id", ...} object per line. */
export function exportMessagesJsonl(examples: readonly Example[]): ExportResult {
  let joined = 0;
  const lines = examples.map((ex) => {
    const messages: WireMessage[] = [];
    if (ex.system !== undefined) messages.push({ role: 'system', content: ex.system });
    if (ex.kind === 'instruction') {
      if (ex.input !== undefined) joined++;
      messages.push({ role: 'user', content: ex.input !== undefined ? `${ex.instruction}\n\n${ex.input}` : ex.instruction });
      messages.push({ role: 'assistant', content: ex.response });
    } else {
      for (const m of ex.messages) messages.push({ role: m.role, content: m.content });
    }
    const rec: { messages: WireMessage[]; id?: string; category?: string; lang?: string } = { messages };
    addMeta(rec, ex, false);
    return JSON.stringify(rec);
  });
  const warnings: string[] = [];
  if (joined > 0) {
    warnings.push(
      `${plural(joined, 'example has', 'examples have')} an input; chat messages have no separate input, so it follows the instruction after a blank line in the user turn.`,
    );
  }
  return { text: lines.length > 0 ? `${lines.join('\n')}\n` : '', warnings, extension: '.jsonl' };
}

export function exportDataset(examples: readonly Example[], format: ExportFormat): ExportResult {
  return format === 'alpaca' ? exportAlpacaJson(examples) : exportMessagesJsonl(examples);
}
