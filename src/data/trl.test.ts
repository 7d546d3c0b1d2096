import { describe, expect, it } from 'vitest';
import { toTrlJsonl, toTrlPromptCompletion } from './trl';
import { CHATML_TEMPLATE, PLAIN_TEMPLATE, renderSegments } from './templates';
import type { Example } from './schema';

const single: Example = { id: '1', source: 't', kind: 'instruction', instruction: 'What is the capital of France?', response: 'Paris' };
const chat: Example = {
  id: '2',
  source: 't',
  kind: 'conversation',
  messages: [
    { role: 'user', content: 'Capital of Japan?' },
    { role: 'assistant', content: 'Tokyo' },
    { role: 'user', content: 'And of Peru?' },
    { role: 'assistant', content: 'Lima' },
  ],
};

describe('TRL datasets', () => {
  it('prompt/completion splits the studio text before the last response; the completion ends with end-of-text', () => {
    expect(toTrlPromptCompletion(single, PLAIN_TEMPLATE)).toEqual({ prompt: 'Question: What is the capital of France?\nAnswer:', completion: ' Paris<|endoftext|>' });
    const pc = toTrlPromptCompletion(chat, CHATML_TEMPLATE);
    expect(pc.prompt + pc.completion).toBe(renderSegments(chat, CHATML_TEMPLATE).map((s) => s.text).join(''));
    expect(pc.completion).toBe('Lima<|endoftext|>');
  });

  it('writes one JSON object per line in each form', () => {
    const out = toTrlJsonl([single, chat], PLAIN_TEMPLATE);
    const messages = out.messages.trim().split('\n').map((l) => JSON.parse(l) as { messages: unknown[] });
    expect(messages.map((m) => m.messages.length)).toEqual([2, 4]);
    expect(out.promptCompletion.trim().split('\n')).toHaveLength(2);
  });
});
