import { describe, expect, it } from 'vitest';
import { Template } from '@huggingface/jinja';
import { chatTemplateOf, toHfMessages, type HfMessage } from './chatTemplate';
import { BUILTIN_TEMPLATES, defineTemplate, EOS_TEXT, renderSegments, type PromptTemplate } from './templates';
import { renderPrompt } from './render';
import { BpeTokenizer } from '../tokenizer/bpe';
import type { Example } from './schema';

/** The text the studio lays out for an example: its segments, the end-of-text as its text form. */
const studioText = (example: Example, template: PromptTemplate): string =>
  renderSegments(example, template)
    .map((s) => s.text)
    .join('');

/** What transformers' apply_chat_template(messages, tokenize=False) renders, through HF's Jinja for JS. */
function hfText(template: PromptTemplate, messages: HfMessage[], addGenerationPrompt = false): string {
  return new Template(chatTemplateOf(template)).render({ messages, eos_token: EOS_TEXT, bos_token: EOS_TEXT, add_generation_prompt: addGenerationPrompt });
}

const examples: Example[] = [
  { id: '1', source: 't', kind: 'instruction', instruction: 'What is the capital of France?', response: 'Paris' },
  { id: '2', source: 't', kind: 'instruction', instruction: 'Summarise the text.', input: 'It rained.\nThen it stopped.', response: 'Rain, then none.' },
  { id: '3', source: 't', kind: 'instruction', instruction: 'Say hi', response: 'hi', system: 'Be brief.' },
  { id: '4', source: 't', kind: 'instruction', instruction: 'No system', response: 'ok', system: '' },
  {
    id: '5',
    source: 't',
    kind: 'conversation',
    system: 'You answer in one word.',
    messages: [
      { role: 'user', content: 'Capital of Japan?' },
      { role: 'assistant', content: 'Tokyo' },
      { role: 'user', content: 'And of Peru?' },
      { role: 'assistant', content: 'Lima' },
    ],
  },
  {
    id: '6',
    source: 't',
    kind: 'conversation',
    messages: [
      { role: 'user', content: "Quotes ' \" and \\ backslashes, {braces} {{x}} and {% tags %}" },
      { role: 'assistant', content: 'Ünïcödé 東京 😀 \u0085 \ufeff\ttab' },
      { role: 'user', content: 'end' },
      { role: 'assistant', content: '' },
    ],
  },
];

// Custom templates exercise what the built-ins do not: {system} inside the prompt,
// literal braces, quotes and backslashes, control characters, no prompt without input.
const customTemplates: PromptTemplate[] = [
  defineTemplate({
    name: 'System inline',
    prompt: '<s>{system}</s> Q: {instruction} [{input}] {{literal}} \\ it\'s "quoted"\nA:',
    response: '\t{response} .',
    turnSeparator: '\r\n~~\u0001',
    defaultSystem: 'Default system, with a \'quote\'.',
  }),
  defineTemplate({ name: 'Bare', prompt: '{instruction}', response: '{response}', turnSeparator: '' }),
];

describe('chat template in tokenizer_config.json', () => {
  const templates = [...BUILTIN_TEMPLATES, ...customTemplates];
  for (const template of templates) {
    it.each(examples.map((e) => [e.id, e] as const))(`${template.id}: example %s renders byte for byte as the studio lays it out`, (_id, example) => {
      expect(hfText(template, toHfMessages(example))).toBe(studioText(example, template));
    });

    it(`${template.id}: the prompt with add_generation_prompt is the text the studio prompts with`, () => {
      const tokenizer = BpeTokenizer.train('Question Answer capital France', { vocabSize: 270 });
      for (const example of examples) {
        const messages = toHfMessages(example);
        const prompt = hfText(template, messages.slice(0, -1), true);
        expect(tokenizer.encode(prompt, { allowSpecial: true })).toEqual(renderPrompt(example, template, tokenizer));
        // A prefix of the whole conversation, as TRL's prompt-completion split needs.
        expect(hfText(template, messages).startsWith(prompt)).toBe(true);
      }
    });
  }

  it('the comparison can fail: another template renders other bytes', () => {
    const [a, b] = BUILTIN_TEMPLATES;
    expect(hfText(b!, toHfMessages(examples[0]!))).not.toBe(studioText(examples[0]!, a!));
  });

  it('a message with an unknown role is refused by the template', () => {
    expect(() => hfText(BUILTIN_TEMPLATES[0]!, [{ role: 'tool' as 'user', content: 'x' }])).toThrow(/Only system \(first\), user and assistant/);
  });
});
