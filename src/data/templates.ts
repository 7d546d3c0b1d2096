// Prompt templates: how an example is laid out as text for the model.
//
// A template is a few strings with placeholders. `renderSegments` is the one
// function that lays an example out; training (render.ts, renderForTraining)
// and generation (renderPrompt) both call it, so the model is prompted at
// inference with exactly the text it was trained on. Each segment says
// whether it is trained; the mask is then decided where that segment's text
// becomes tokens, and nowhere else.
//
// Our tokenizer's only special tokens are <|endoftext|> and <|pad|>. Every
// assistant turn therefore ends with the end-of-text id (always trained, so
// the tuned model learns to stop), and ChatML's markers (<|im_start|>,
// <|im_end|>) are written as plain text, encoded like any other text.

import type { Example } from './schema';

/** A complete, validated template. Built-ins and user templates share this shape. */
export interface PromptTemplate {
  id: string;
  name: string;
  description: string;
  /**
   * Written once before the first turn when there is a system prompt. Uses {system}.
   * Not used when `prompt` itself contains {system}.
   */
  system: string;
  /** System prompt used when the example has none ('' for none). */
  defaultSystem: string;
  /** A user turn. Uses {instruction} and {input}; may use {system} (first turn only). */
  prompt: string;
  /** A user turn without input; when absent, `prompt` is used with {input} empty. */
  promptNoInput?: string;
  /**
   * An assistant turn: {response} exactly once, with optional fixed text
   * before it (e.g. a space after "Answer:") and after it. All of it is
   * trained; the end-of-text id follows.
   */
  response: string;
  /** Untrained text after an assistant turn, before the next user turn. */
  turnSeparator: string;
}

/** What a user writes to define a template; only name, prompt and response are required. */
export interface TemplateDefinition {
  id?: string;
  name: string;
  description?: string;
  prompt: string;
  response: string;
  promptNoInput?: string;
  system?: string;
  defaultSystem?: string;
  turnSeparator?: string;
}

// The Alpaca layout (instruction / input / response headings under a short
// preamble), in our own words.
export const ALPACA_TEMPLATE: PromptTemplate = {
  id: 'alpaca',
  name: 'Alpaca',
  description: 'A preamble, then "### Instruction:", "### Input:" and "### Response:" headings.',
  system: '{system}\n\n',
  defaultSystem:
    'The instruction below describes a task, sometimes together with an input that gives more context. ' +
    'Write a response that carries out the request.',
  prompt: '### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n',
  promptNoInput: '### Instruction:\n{instruction}\n\n### Response:\n',
  response: '{response}',
  turnSeparator: '\n\n',
};

// ChatML's turn markers written as plain text. An assistant turn ends with
// the end-of-text id; its closing <|im_end|> is written (untrained) in front
// of the next turn, so generation stops cleanly at end-of-text.
export const CHATML_TEMPLATE: PromptTemplate = {
  id: 'chatml',
  name: 'ChatML-style',
  description: 'Turns wrapped in <|im_start|>role ... <|im_end|> markers, written as plain text.',
  system: '<|im_start|>system\n{system}<|im_end|>\n',
  defaultSystem: '',
  prompt: '<|im_start|>user\n{instruction}\n\n{input}<|im_end|>\n<|im_start|>assistant\n',
  promptNoInput: '<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n',
  response: '{response}',
  turnSeparator: '<|im_end|>\n',
};

// The simplest layout. The space after "Answer:" belongs to the response, so
// a word-level tokenizer sees " Paris" as it does in running text.
export const PLAIN_TEMPLATE: PromptTemplate = {
  id: 'plain',
  name: 'Question / Answer',
  description: '"Question: ..." on one line, "Answer: ..." on the next.',
  system: '{system}\n\n',
  defaultSystem: '',
  prompt: 'Question: {instruction}\n{input}\nAnswer:',
  promptNoInput: 'Question: {instruction}\nAnswer:',
  response: ' {response}',
  turnSeparator: '\n',
};

export const BUILTIN_TEMPLATES: readonly PromptTemplate[] = [ALPACA_TEMPLATE, CHATML_TEMPLATE, PLAIN_TEMPLATE];

/**
 * The template to start with. Plain, because the studio's small presets have
 * 32-128 positions and Alpaca's preamble alone is about 40 words: with a
 * short context it would leave little or no room for the response (such
 * examples are dropped and counted by encodeExamples).
 */
export const DEFAULT_TEMPLATE: PromptTemplate = PLAIN_TEMPLATE;

export function getTemplate(id: string): PromptTemplate | undefined {
  return BUILTIN_TEMPLATES.find((t) => t.id === id);
}

// ---------------------------------------------------------------- placeholders

export type Placeholder = 'system' | 'instruction' | 'input' | 'response';

type Piece = { literal: string } | { name: string };

/** Splits a template string into literal text and {placeholders}; "{{" and "}}" are literal braces. */
function parsePieces(text: string): { pieces: Piece[]; unknown: string[] } {
  const pieces: Piece[] = [];
  const unknown: string[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '{' && text[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && text[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '{') {
      const close = text.indexOf('}', i + 1);
      const open = text.indexOf('{', i + 1);
      if (close < 0 || (open >= 0 && open < close)) {
        unknown.push(text.slice(i, close < 0 ? Math.min(text.length, i + 20) : open));
        literal += ch;
        i++;
        continue;
      }
      if (literal) pieces.push({ literal });
      literal = '';
      pieces.push({ name: text.slice(i + 1, close) });
      i = close + 1;
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) pieces.push({ literal });
  return { pieces, unknown };
}

function fill(text: string, values: Partial<Record<Placeholder, string>>): string {
  let out = '';
  for (const piece of parsePieces(text).pieces) {
    out += 'literal' in piece ? piece.literal : (values[piece.name as Placeholder] ?? '');
  }
  return out;
}

function uses(text: string, name: Placeholder): number {
  return parsePieces(text).pieces.filter((p) => 'name' in p && p.name === name).length;
}

// ---------------------------------------------------------------- validation

export interface TemplateProblem {
  /** Which part of the template: "prompt", "response", ... */
  part: keyof TemplateDefinition;
  message: string;
}

export class TemplateError extends Error {
  readonly problems: TemplateProblem[];
  constructor(problems: TemplateProblem[]) {
    super(problems.map((p) => p.message).join(' '));
    this.name = 'TemplateError';
    this.problems = problems;
  }
}

// Where each placeholder may appear. The default system prompt is plain text
// (it is a value for {system}), so braces in it are kept as they are.
const ALLOWED: Record<'system' | 'prompt' | 'promptNoInput' | 'response' | 'turnSeparator', readonly Placeholder[]> = {
  system: ['system'],
  prompt: ['instruction', 'input', 'system'],
  promptNoInput: ['instruction', 'system'],
  response: ['response'],
  turnSeparator: [],
};

const PART_NAMES: Record<keyof typeof ALLOWED, string> = {
  system: 'system part',
  prompt: 'prompt part',
  promptNoInput: 'prompt part for examples without input',
  response: 'response part',
  turnSeparator: 'turn separator',
};

function listPlaceholders(names: readonly Placeholder[]): string {
  return names.length === 0 ? 'no placeholders' : names.map((n) => `{${n}}`).join(', ');
}

/** Checks a user's template; every problem is reported, each in a sentence. */
export function validateTemplate(
  def: TemplateDefinition,
): { ok: true; template: PromptTemplate } | { ok: false; problems: TemplateProblem[] } {
  const problems: TemplateProblem[] = [];
  if (typeof def.name !== 'string' || def.name.trim() === '') {
    problems.push({ part: 'name', message: 'Give the template a name.' });
  }
  for (const part of Object.keys(ALLOWED) as Array<keyof typeof ALLOWED>) {
    const text = def[part];
    if (text === undefined) continue;
    if (typeof text !== 'string') {
      problems.push({ part, message: `The ${PART_NAMES[part]} must be text.` });
      continue;
    }
    const { pieces, unknown } = parsePieces(text);
    for (const bad of unknown) {
      problems.push({
        part,
        message: `The ${PART_NAMES[part]} has an unclosed "${bad}". Close placeholders with "}", or write "{{" for a literal brace.`,
      });
    }
    for (const piece of pieces) {
      if (!('name' in piece)) continue;
      if (!(ALLOWED[part] as readonly string[]).includes(piece.name)) {
        const known = (['system', 'instruction', 'input', 'response'] as const).includes(piece.name as Placeholder);
        problems.push({
          part,
          message: known
            ? `The ${PART_NAMES[part]} cannot use {${piece.name}}; it can use ${listPlaceholders(ALLOWED[part])}.`
            : `The ${PART_NAMES[part]} uses {${piece.name}}, which is not a placeholder. Use ${listPlaceholders(ALLOWED[part])}` +
              (ALLOWED[part].length > 0 ? '' : ' here') +
              '; write "{{" and "}}" for literal braces.',
        });
      }
    }
  }
  if (typeof def.prompt !== 'string' || def.prompt === '') {
    problems.push({ part: 'prompt', message: 'The prompt part is empty; it must contain {instruction}.' });
  } else if (uses(def.prompt, 'instruction') === 0) {
    problems.push({ part: 'prompt', message: 'The prompt part must contain {instruction}, or the model never sees the request.' });
  }
  if (typeof def.promptNoInput === 'string' && uses(def.promptNoInput, 'instruction') === 0) {
    problems.push({ part: 'promptNoInput', message: 'The prompt part for examples without input must contain {instruction}.' });
  }
  if (typeof def.response !== 'string' || uses(def.response, 'response') !== 1) {
    problems.push({ part: 'response', message: 'The response part must contain {response} exactly once.' });
  }
  if (typeof def.system === 'string' && def.system !== '' && uses(def.system, 'system') === 0) {
    problems.push({ part: 'system', message: 'The system part must contain {system}.' });
  }
  if (def.defaultSystem !== undefined && typeof def.defaultSystem !== 'string') {
    problems.push({ part: 'defaultSystem', message: 'The default system prompt must be text.' });
  }
  if (problems.length > 0) return { ok: false, problems };
  const template: PromptTemplate = {
    id: def.id ?? `custom-${def.name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    name: def.name.trim(),
    description: def.description ?? '',
    system: def.system || '{system}\n\n',
    defaultSystem: def.defaultSystem ?? '',
    prompt: def.prompt,
    response: def.response,
    turnSeparator: def.turnSeparator ?? '\n',
  };
  if (def.promptNoInput !== undefined) template.promptNoInput = def.promptNoInput;
  return { ok: true, template };
}

/**
 * Checks a template the user adds beside the built-ins: everything
 * validateTemplate checks, and that it does not take a built-in's id (a user
 * template named "Plain" would otherwise replace the built-in one).
 */
export function validateUserTemplate(
  def: TemplateDefinition,
): { ok: true; template: PromptTemplate } | { ok: false; problems: TemplateProblem[] } {
  const r = validateTemplate(def);
  if (!r.ok || !BUILTIN_TEMPLATES.some((b) => b.id === r.template.id)) return r;
  return { ok: false, problems: [{ part: 'name', message: `"${r.template.name}" is the name of a built-in template; choose another name.` }] };
}

/** The definition a validated template was made from, for storing it; validateTemplate gives it back unchanged. */
export function templateDefinition(t: PromptTemplate): TemplateDefinition {
  const def: TemplateDefinition = {
    id: t.id,
    name: t.name,
    description: t.description,
    prompt: t.prompt,
    response: t.response,
    system: t.system,
    defaultSystem: t.defaultSystem,
    turnSeparator: t.turnSeparator,
  };
  if (t.promptNoInput !== undefined) def.promptNoInput = t.promptNoInput;
  return def;
}

/** Validates a user's template, throwing a TemplateError that lists every problem. */
export function defineTemplate(def: TemplateDefinition): PromptTemplate {
  const result = validateTemplate(def);
  if (!result.ok) throw new TemplateError(result.problems);
  return result.template;
}

// ---------------------------------------------------------------- rendering

/** What a piece of rendered text is. 'eos' stands for the end-of-text id, not text. */
export type SegmentPart = 'system' | 'prompt' | 'response' | 'eos' | 'separator';

export interface Segment {
  /** The text to encode; for 'eos' the token's display form "<|endoftext|>", never encoded as text. */
  text: string;
  part: SegmentPart;
  /** Whether the loss is computed on this segment's tokens. */
  trained: boolean;
  /** Index of the message this segment belongs to (0 for an instruction's prompt, 1 for its response). */
  turn: number;
}

export interface RenderOptions {
  /** Also train on system, prompt and separator text (default false: response tokens only). */
  trainOnInputs?: boolean;
}

export const EOS_TEXT = '<|endoftext|>';

/**
 * Lays an example out as segments. Response segments and the end-of-text
 * after each are trained; everything else is trained only with trainOnInputs.
 */
export function renderSegments(example: Example, template: PromptTemplate, opts: RenderOptions = {}): Segment[] {
  const trainInputs = opts.trainOnInputs === true;
  const segments: Segment[] = [];
  const push = (text: string, part: SegmentPart, trained: boolean, turn: number): void => {
    if (text === '' && part !== 'response') return;
    segments.push({ text, part, trained, turn });
  };
  const systemText = example.system ?? template.defaultSystem;
  const systemInPrompt = uses(template.prompt, 'system') > 0;
  if (systemText !== '' && !systemInPrompt) push(fill(template.system, { system: systemText }), 'system', trainInputs, 0);

  const userTurn = (instruction: string, input: string, turn: number, first: boolean): void => {
    const layout = input === '' && template.promptNoInput !== undefined ? template.promptNoInput : template.prompt;
    push(fill(layout, { instruction, input, system: first ? systemText : '' }), 'prompt', trainInputs, turn);
  };
  const assistantTurn = (response: string, turn: number): void => {
    push(fill(template.response, { response }), 'response', true, turn);
    push(EOS_TEXT, 'eos', true, turn);
  };

  if (example.kind === 'instruction') {
    userTurn(example.instruction, example.input ?? '', 0, true);
    assistantTurn(example.response, 1);
    return segments;
  }
  example.messages.forEach((m, k) => {
    if (m.role === 'user') {
      if (k > 0) push(template.turnSeparator, 'separator', trainInputs, k);
      userTurn(m.content, '', k, k === 0);
    } else {
      assistantTurn(m.content, k);
    }
  });
  return segments;
}

/** Whether an example ends with a response to learn (instead of an unanswered user turn). */
export function endsWithResponse(example: Example): boolean {
  return example.kind === 'instruction' || example.messages[example.messages.length - 1]?.role === 'assistant';
}

/** An example for generation from a typed request: the response is empty and is never rendered by renderPrompt. */
export function promptExample(instruction: string, opts: { input?: string; system?: string } = {}): Example {
  const example: Example = { id: 'prompt', source: 'prompt', kind: 'instruction', instruction, response: '' };
  if (opts.input) example.input = opts.input;
  if (opts.system) example.system = opts.system;
  return example;
}

/**
 * The model's answer from generated text: drops the response part's fixed
 * text before {response} (e.g. the space after "Answer:") and after it, and
 * anything from an end-of-text marker on.
 */
export function extractResponse(generated: string, template: PromptTemplate): string {
  const marker = '\u0000RESPONSE\u0000';
  const [before = '', after = ''] = fill(template.response, { response: marker }).split(marker);
  let text = generated;
  const eos = text.indexOf(EOS_TEXT);
  if (eos >= 0) text = text.slice(0, eos);
  if (before && text.startsWith(before)) text = text.slice(before.length);
  if (after && text.endsWith(after)) text = text.slice(0, text.length - after.length);
  return text;
}
