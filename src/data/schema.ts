// The one internal shape of an instruction-tuning example. Every importer
// produces it, every exporter and the prompt templates consume it.
//
// Two kinds exist, because real datasets come in two shapes:
//  - a single-turn instruction (Alpaca, Dolly, Self-Instruct, CSV rows):
//    instruction, optional input (Dolly calls it "context"), response;
//  - a multi-turn conversation (OpenAssistant, messages JSONL, ShareGPT):
//    user and assistant turns that alternate, starting with the user.
// A conversation with exactly one user and one assistant turn is stored as an
// instruction example, so the same content always has the same shape.
// The system prompt lives in `system` for both kinds, never inside `messages`.

/** Roles as they appear in chat formats on disk (messages JSONL). */
export type ChatRole = 'system' | 'user' | 'assistant';

/** One turn of a conversation. System prompts live in `Example.system`. */
export interface Message {
  role: 'user' | 'assistant';
  content: string;
}

export interface ExampleBase {
  /**
   * Stable identifier: taken from the source record where it has one (an `id`
   * field, a Self-Instruct task id plus instance number, an OpenAssistant root
   * message id), else a hash of the content, so re-importing the same file
   * gives the same ids.
   */
  id: string;
  /** Where the example came from: the format and file, e.g. "dolly:dolly.jsonl", or "flan:capitals". */
  source: string;
  /** Task family, e.g. Dolly's "open_qa" or a Self-Instruct task name; used for filtering. */
  category?: string;
  /** System prompt shown to the model before the first turn. */
  system?: string;
  /** Language code where the source records one (OpenAssistant's `lang`). */
  lang?: string;
}

export interface InstructionExample extends ExampleBase {
  kind: 'instruction';
  /** What the user asks for. Never empty. */
  instruction: string;
  /** Extra material the instruction refers to (Alpaca "input", Dolly "context"). Absent when empty. */
  input?: string;
  /** The answer the model should learn to give. Never empty. */
  response: string;
}

export interface ConversationExample extends ExampleBase {
  kind: 'conversation';
  /** Alternating turns, first a user turn; at least one assistant turn. */
  messages: Message[];
}

export type Example = InstructionExample | ConversationExample;

/** The instruction of an example: its `instruction`, or a conversation's first user turn. */
export function instructionOf(example: Example): string {
  if (example.kind === 'instruction') return example.instruction;
  return example.messages.find((m) => m.role === 'user')?.content ?? '';
}

/** Instruction and input together, as a reader sees the request. */
export function requestOf(example: Example): string {
  if (example.kind === 'instruction') {
    return example.input ? `${example.instruction}\n\n${example.input}` : example.instruction;
  }
  return instructionOf(example);
}

/** The response text: the `response`, or every assistant turn joined by blank lines. */
export function responseOf(example: Example): string {
  if (example.kind === 'instruction') return example.response;
  return example.messages
    .filter((m) => m.role === 'assistant')
    .map((m) => m.content)
    .join('\n\n');
}

/** The fields that make up an example's content (not its id, source or category). */
export function contentKey(example: Example): string {
  const system = example.system ?? '';
  if (example.kind === 'instruction') {
    return JSON.stringify(['i', system, example.instruction, example.input ?? '', example.response]);
  }
  return JSON.stringify(['c', system, ...example.messages.map((m) => [m.role, m.content])]);
}

/**
 * A 64-bit non-cryptographic hash of a string as 16 hex digits. Two
 * independently seeded 32-bit multiply-xorshift lanes over the UTF-16 code
 * units; good enough to tell dataset records apart, not for security.
 */
export function hashString(text: string): string {
  let a = 0x9e3779b9 ^ text.length;
  let b = 0x85ebca6b ^ Math.imul(text.length, 0x27d4eb2f);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    a ^= a >>> 13;
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a ^= a >>> 16;
  b = Math.imul(b ^ (b >>> 16), 0x7feb352d);
  b = Math.imul(b ^ (b >>> 15), 0x846ca68b);
  b ^= b >>> 16;
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** The content-derived id used when a record carries none of its own. */
export function contentId(example: Example): string {
  return `h${hashString(contentKey(example))}`;
}

/**
 * Makes ids unique within a list, in order: the first keeps its id, later
 * repeats get "~2", "~3", ... Returns how many ids were changed.
 */
export function ensureUniqueIds(examples: Example[]): number {
  const seen = new Set<string>();
  let changed = 0;
  for (const example of examples) {
    if (!seen.has(example.id)) {
      seen.add(example.id);
      continue;
    }
    let n = 2;
    while (seen.has(`${example.id}~${n}`)) n++;
    example.id = `${example.id}~${n}`;
    seen.add(example.id);
    changed++;
  }
  return changed;
}

/** A conversation with one user and one assistant turn becomes an instruction example. */
export function normalizeExample(example: Example): Example {
  if (example.kind !== 'conversation' || example.messages.length !== 2) return example;
  const [user, assistant] = example.messages;
  if (user?.role !== 'user' || assistant?.role !== 'assistant') return example;
  const { messages: _messages, kind: _kind, ...base } = example;
  return { ...base, kind: 'instruction', instruction: user.content, response: assistant.content };
}

/** What is wrong with an example the user typed, field by field. */
export function exampleProblems(ex: Example): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (ex.kind === 'instruction') {
    if (ex.instruction.trim() === '') out.push({ field: 'instruction', message: 'The instruction is empty: write what the user asks for.' });
    if (ex.response.trim() === '') out.push({ field: 'response', message: 'The response is empty: write the answer the model should learn.' });
  } else {
    if (ex.messages.length === 0 || ex.messages[0]?.role !== 'user') out.push({ field: 'messages', message: 'A conversation starts with a user turn.' });
    if (!ex.messages.some((m) => m.role === 'assistant')) out.push({ field: 'messages', message: 'A conversation needs at least one assistant turn to learn from.' });
    ex.messages.forEach((m, k) => {
      if (m.content.trim() === '') out.push({ field: `messages[${k}]`, message: `Turn ${k + 1} (${m.role}) is empty.` });
      if (k > 0 && ex.messages[k - 1]?.role === m.role) out.push({ field: `messages[${k}]`, message: `Turns ${k} and ${k + 1} are both ${m.role} turns; user and assistant alternate.` });
    });
  }
  return out;
}

/** Drops empty optional fields, so an edited example has the same shape as an imported one. */
export function cleanExample(ex: Example): Example {
  const out = { ...ex } as Example & Record<string, unknown>;
  for (const key of ['input', 'category', 'system'] as const) {
    const v = out[key];
    if (typeof v !== 'string' || v.trim() === '') delete out[key];
  }
  return out;
}
