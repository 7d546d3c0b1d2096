import { describe, expect, it } from 'vitest';
import {
  ALPACA_TEMPLATE,
  BUILTIN_TEMPLATES,
  CHATML_TEMPLATE,
  PLAIN_TEMPLATE,
  TemplateError,
  defineTemplate,
  extractResponse,
  promptExample,
  renderSegments,
  templateDefinition,
  validateTemplate,
  validateUserTemplate,
  type PromptTemplate,
} from './templates';
import { renderForTraining, renderPrompt, tokenView } from './render';
import { byteTokenizer, importOk, mergingTokenizer, readFixture } from './test-helpers';
import type { Example } from './schema';

const tok = byteTokenizer();
const CUSTOM = defineTemplate({
  name: 'Custom',
  prompt: '{system}>> {instruction}\n[{input}]\n<<',
  promptNoInput: '{system}>> {instruction}\n<<',
  response: ' {response} ##',
});

const ALL_TEMPLATES: PromptTemplate[] = [...BUILTIN_TEMPLATES, CUSTOM];

const single: Example = { id: '1', source: 't', kind: 'instruction', instruction: 'What is the capital of France?', response: 'Paris.' };
const withInput: Example = {
  id: '2',
  source: 't',
  kind: 'instruction',
  instruction: 'Translate into German.',
  input: 'Good morning',
  response: 'Guten Morgen',
  system: 'You translate.',
};
const multi: Example = {
  id: '3',
  source: 't',
  kind: 'conversation',
  system: 'Be kind.',
  messages: [
    { role: 'user', content: 'Hi there' },
    { role: 'assistant', content: 'Hello! How can I help?' },
    { role: 'user', content: 'Add 2 and 3.' },
    { role: 'assistant', content: '5' },
  ],
};
const unanswered: Example = {
  id: '4',
  source: 't',
  kind: 'conversation',
  messages: [
    { role: 'user', content: 'One' },
    { role: 'assistant', content: 'Two' },
    { role: 'user', content: 'Three?' },
  ],
};

function fixtureExamples(): Example[] {
  const files = ['alpaca.json', 'dolly.jsonl', 'seed_tasks.jsonl', 'oasst_flat.jsonl', 'messages.jsonl', 'sharegpt.json', 'qa.csv'];
  return files.flatMap((f) => importOk(readFixture(f), { fileName: f }).examples);
}

describe('built-in templates', () => {
  it('render Alpaca with its preamble, headings and the response after "### Response:"', () => {
    const text = renderSegments(single, ALPACA_TEMPLATE).map((s) => s.text).join('');
    expect(text).toBe(
      `${ALPACA_TEMPLATE.defaultSystem}\n\n### Instruction:\nWhat is the capital of France?\n\n### Response:\nParis.<|endoftext|>`,
    );
    const withIn = renderSegments(withInput, ALPACA_TEMPLATE).map((s) => s.text).join('');
    expect(withIn).toBe('You translate.\n\n### Instruction:\nTranslate into German.\n\n### Input:\nGood morning\n\n### Response:\nGuten Morgen<|endoftext|>');
  });

  it('render ChatML-style markers as plain text, ending each assistant turn with end-of-text', () => {
    const text = renderSegments(multi, CHATML_TEMPLATE).map((s) => s.text).join('');
    expect(text).toBe(
      '<|im_start|>system\nBe kind.<|im_end|>\n' +
        '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello! How can I help?<|endoftext|>' +
        '<|im_end|>\n<|im_start|>user\nAdd 2 and 3.<|im_end|>\n<|im_start|>assistant\n5<|endoftext|>',
    );
  });

  it('encode ChatML markers and user text as ordinary bytes: only the eos id is special', () => {
    const injected: Example = { id: 'x', source: 't', kind: 'instruction', instruction: 'Say <|endoftext|> and <|pad|>', response: 'ok' };
    const { ids } = renderForTraining(injected, CHATML_TEMPLATE, tok);
    expect(ids.filter((id) => id === tok.eosId)).toHaveLength(1);
    expect(ids[ids.length - 1]).toBe(tok.eosId);
    expect(ids).not.toContain(tok.padId);
  });

  it('render the plain template as "Question: ...\\nAnswer: ..."', () => {
    const text = renderSegments(single, PLAIN_TEMPLATE).map((s) => s.text).join('');
    expect(text).toBe('Question: What is the capital of France?\nAnswer: Paris.<|endoftext|>');
  });
});

describe('the prompt for generation is the prompt part of the training sequence', () => {
  const tokenizers = { byte: byteTokenizer(), merging: mergingTokenizer() };
  for (const [tname, tk] of Object.entries(tokenizers)) {
    for (const template of ALL_TEMPLATES) {
      it(`token for token, ${template.name}, ${tname} tokenizer, on every fixture example`, () => {
        const examples = [single, withInput, multi, ...fixtureExamples()];
        for (const example of examples) {
          const train = renderForTraining(example, template, tk);
          const prompt = renderPrompt(example, template, tk);
          expect(prompt).toEqual(train.ids.slice(0, train.promptLength));
          expect(train.promptLength).toBeGreaterThan(0);
          expect(train.promptLength).toBeLessThan(train.ids.length);
        }
      });
    }
  }

  it('holds even where tokenizing the joined text would merge across the boundary', () => {
    const tk = mergingTokenizer();
    // The prompt ends in "t" and the response starts with "he": encoded whole, "th" would merge across the boundary.
    const t = defineTemplate({ name: 'Edge', prompt: 'Q: {instruction}\nt', response: '{response}' });
    const e: Example = { id: 'm', source: 't', kind: 'instruction', instruction: 'x', response: 'he end' };
    const train = renderForTraining(e, t, tk);
    const prompt = renderPrompt(e, t, tk);
    expect(prompt).toEqual(train.ids.slice(0, train.promptLength));
    const joined = tk.encode('Q: x\nthe end');
    expect(joined).not.toEqual(train.ids.slice(0, -1)); // the naive way would not line up
  });

  it('is what promptExample renders for a typed request', () => {
    for (const template of ALL_TEMPLATES) {
      const fromTyped = renderPrompt(promptExample('What is the capital of France?'), template, tok);
      const train = renderForTraining(single, template, tok);
      expect(fromTyped).toEqual(train.ids.slice(0, train.promptLength));
    }
  });

  it('for an unanswered conversation, is the whole conversation', () => {
    const prompt = tok.decode(renderPrompt(unanswered, CHATML_TEMPLATE, tok));
    expect(prompt.endsWith('<|im_start|>user\nThree?<|im_end|>\n<|im_start|>assistant\n')).toBe(true);
  });
});

describe('loss mask', () => {
  it('masks exactly the prompt and trains the response and the eos', () => {
    for (const template of ALL_TEMPLATES) {
      const r = renderForTraining(withInput, template, tok);
      const trained = r.ids.filter((_, t) => r.mask[t] === 1);
      expect(tok.decode(trained)).toBe(`${template.response.replace('{response}', 'Guten Morgen')}<|endoftext|>`);
      expect(r.mask.slice(0, r.promptLength).every((m) => m === 0)).toBe(true);
      expect(r.mask.slice(r.promptLength).every((m) => m === 1)).toBe(true);
      expect(r.ids[r.ids.length - 1]).toBe(tok.eosId);
      expect(r.mask[r.mask.length - 1]).toBe(1);
    }
  });

  it('trains every assistant turn of a conversation and masks system, user and separator text', () => {
    const r = renderForTraining(multi, CHATML_TEMPLATE, tok);
    const trainedRuns: string[] = [];
    let run: number[] = [];
    r.ids.forEach((id, t) => {
      if (r.mask[t] === 1) run.push(id);
      else if (run.length) {
        trainedRuns.push(tok.decode(run));
        run = [];
      }
    });
    if (run.length) trainedRuns.push(tok.decode(run));
    expect(trainedRuns).toEqual(['Hello! How can I help?<|endoftext|>', '5<|endoftext|>']);
  });

  it('with trainOnInputs, trains everything and still ends in a trained eos', () => {
    const r = renderForTraining(multi, ALPACA_TEMPLATE, tok, { trainOnInputs: true });
    expect(r.mask.every((m) => m === 1)).toBe(true);
    expect(r.ids[r.ids.length - 1]).toBe(tok.eosId);
  });

  it('does not render an unanswered final user turn for training', () => {
    const r = renderForTraining(unanswered, CHATML_TEMPLATE, tok);
    expect(tok.decode(r.ids).endsWith('Two<|endoftext|>')).toBe(true);
  });

  it('gives the editor one entry per token with its mask and part', () => {
    const view = tokenView(single, PLAIN_TEMPLATE, tok);
    const r = renderForTraining(single, PLAIN_TEMPLATE, tok);
    expect(view.map((v) => v.id)).toEqual(r.ids);
    expect(view.map((v) => (v.trained ? 1 : 0))).toEqual(r.mask);
    expect(view[view.length - 1]).toMatchObject({ part: 'eos', text: '<|endoftext|>', trained: true });
    expect(view[0]?.part).toBe('prompt');
  });
});

describe('user-defined templates', () => {
  it('render placeholders, the system prompt on the first turn only, and literal {{braces}}', () => {
    const t = defineTemplate({ name: 'Braces', prompt: '{system}{{json}} Q: {instruction}\n', response: '{response}' });
    const text = renderSegments({ ...multi, system: 'S. ' }, t).map((s) => s.text).join('');
    expect(text).toBe('S. {json} Q: Hi there\nHello! How can I help?<|endoftext|>\n{json} Q: Add 2 and 3.\n5<|endoftext|>');
  });

  it('reject an unknown placeholder with a clear message', () => {
    const r = validateTemplate({ name: 'Bad', prompt: 'Q: {question}\n', response: '{response}' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]?.part).toBe('prompt');
    expect(r.problems.map((p) => p.message).join(' ')).toContain(
      'The prompt part uses {question}, which is not a placeholder. Use {instruction}, {input}, {system}',
    );
  });

  it('reject a placeholder in the wrong part, a missing {instruction}, and a response without exactly one {response}', () => {
    const r = validateTemplate({ name: 'Bad', prompt: 'Tell me {response}', response: 'A: {instruction}' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map((p) => p.message).join(' ');
    expect(text).toContain('The prompt part cannot use {response}');
    expect(text).toContain('The response part cannot use {instruction}');
    expect(text).toContain('must contain {instruction}');
    expect(text).toContain('must contain {response} exactly once');
  });

  it('reject an unclosed brace and an empty name; defineTemplate throws a TemplateError listing them', () => {
    expect(() => defineTemplate({ name: ' ', prompt: 'Q: {instruction', response: '{response}' })).toThrow(TemplateError);
    try {
      defineTemplate({ name: ' ', prompt: 'Q: {instruction', response: '{response}' });
    } catch (e) {
      const msg = (e as TemplateError).message;
      expect(msg).toContain('Give the template a name.');
      expect(msg).toContain('unclosed');
    }
  });
});

describe('templates the user adds beside the built-ins', () => {
  it("may not take a built-in template's id, which would replace the built-in", () => {
    const r = validateUserTemplate({ id: 'plain', name: 'Plain', prompt: 'Q: {instruction}\nA:', response: ' {response}' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([{ part: 'name', message: '"Plain" is the name of a built-in template; choose another name.' }]);
    // Named like a built-in but with its own id, it sits beside it.
    expect(validateUserTemplate({ name: 'Plain', prompt: 'Q: {instruction}\nA:', response: ' {response}' })).toMatchObject({ ok: true, template: { id: 'custom-plain' } });
  });

  it('store as a definition that validates back to the same template', () => {
    const t = defineTemplate({ name: 'Short', prompt: 'Q: {instruction}\n{input}\nA:', promptNoInput: 'Q: {instruction}\nA:', response: ' {response}', defaultSystem: 'Be brief.' });
    const again = validateUserTemplate(templateDefinition(t));
    expect(again).toEqual({ ok: true, template: t });
    expect(templateDefinition(defineTemplate({ name: 'Bare', prompt: '{instruction}', response: '{response}' }))).not.toHaveProperty('promptNoInput');
  });
});

describe('extractResponse', () => {
  it('removes the fixed text around {response} and anything from end-of-text on', () => {
    expect(extractResponse(' Paris.<|endoftext|>junk', PLAIN_TEMPLATE)).toBe('Paris.');
    expect(extractResponse(' Paris. ##', CUSTOM)).toBe('Paris.');
    expect(extractResponse('Paris.', ALPACA_TEMPLATE)).toBe('Paris.');
  });
});
