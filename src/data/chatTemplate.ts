// A studio prompt template as a Hugging Face chat template (Jinja), for the
// tokenizer_config.json of exported models: `tokenizer.apply_chat_template`
// in transformers, and TRL's conversational datasets, then lay a conversation
// out exactly as renderSegments does, byte for byte (chatTemplate.test.ts
// renders both and compares).
//
// How the studio's layout maps onto chat messages:
//  - a leading {"role": "system"} message is the example's system prompt;
//    without one, the template's default system prompt applies;
//  - a user message may carry an "input" key: an instruction example's input
//    (Alpaca "input", Dolly "context"), laid out with the template's prompt
//    part; without it the prompt part for examples without input is used;
//  - the user turn already ends with the template's lead-in to the answer
//    ("Answer:", "### Response:\n"), so add_generation_prompt adds nothing;
//  - an assistant turn is the response part followed by eos_token, inside
//    {% generation %} markers, so TRL's assistant_only_loss trains exactly
//    the tokens the studio trains (responses and their end-of-text).
//
// Every literal is written as a Jinja string expression and there is no text
// between tags, so HF's trim_blocks/lstrip_blocks settings cannot change the
// output.

import type { Example } from './schema';
import type { PromptTemplate } from './templates';

/** A chat message as HF's apply_chat_template and TRL take it; `input` is the studio's extra key. */
export interface HfMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  input?: string;
}

/** The example as HF chat messages; the chat template renders them as the studio does. */
export function toHfMessages(example: Example): HfMessage[] {
  const out: HfMessage[] = [];
  if (example.system !== undefined) out.push({ role: 'system', content: example.system });
  if (example.kind === 'instruction') {
    const user: HfMessage = { role: 'user', content: example.instruction };
    if (example.input) user.input = example.input;
    out.push(user, { role: 'assistant', content: example.response });
  } else {
    for (const m of example.messages) out.push({ role: m.role, content: m.content });
  }
  return out;
}

/** A Jinja string literal that Python's Jinja and @huggingface/jinja both read back as `text`. */
function literal(text: string): string {
  let out = "'";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/**
 * Jinja output statements for a template part: literals as strings, each
 * {placeholder} as the Jinja expression given for it. "{{" and "}}" in the
 * studio's syntax are literal braces.
 */
function part(text: string, values: Record<string, string>): string {
  const out: string[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit) out.push(`{{ ${literal(lit)} }}`);
    lit = '';
  };
  for (let i = 0; i < text.length; ) {
    if ((text[i] === '{' && text[i + 1] === '{') || (text[i] === '}' && text[i + 1] === '}')) {
      lit += text[i];
      i += 2;
      continue;
    }
    if (text[i] === '{') {
      const close = text.indexOf('}', i + 1);
      const name = close > i ? text.slice(i + 1, close) : '';
      if (close > i && name in values) {
        flush();
        if (values[name]) out.push(`{{ ${values[name]} }}`);
        i = close + 1;
        continue;
      }
    }
    lit += text[i];
    i++;
  }
  flush();
  return out.join('');
}

/** The chat template (Jinja) that lays messages out as `template` does. */
export function chatTemplateOf(template: PromptTemplate): string {
  const systemInPrompt = /(^|[^{])\{system\}/.test(template.prompt);
  const noInput = template.promptNoInput ?? template.prompt;
  // {system} inside a prompt part is the system prompt on the first user turn only.
  const sys = 'system if loop.first else \'\'';
  return [
    "{% if messages and messages[0]['role'] == 'system' %}",
    "{% set system = messages[0]['content'] %}{% set turns = messages[1:] %}",
    `{% else %}{% set system = ${literal(template.defaultSystem)} %}{% set turns = messages %}{% endif %}`,
    systemInPrompt ? '' : `{% if system %}${part(template.system, { system: 'system' })}{% endif %}`,
    '{% for message in turns %}',
    "{% if message['role'] == 'user' %}",
    template.turnSeparator ? `{% if not loop.first %}${part(template.turnSeparator, {})}{% endif %}` : '',
    "{% if message['input'] is defined and message['input'] %}",
    part(template.prompt, { instruction: "message['content']", input: "message['input']", system: sys }),
    '{% else %}',
    part(noInput, { instruction: "message['content']", input: '', system: sys }),
    '{% endif %}',
    "{% elif message['role'] == 'assistant' %}",
    `{% generation %}${part(template.response, { response: "message['content']" })}{{ eos_token }}{% endgeneration %}`,
    '{% else %}',
    "{{ raise_exception('Only system (first), user and assistant messages are supported, got ' + message['role']) }}",
    '{% endif %}',
    '{% endfor %}',
  ].join('');
}
