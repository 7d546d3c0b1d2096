// ShareGPT: {"conversations": [{"from": "human"|"gpt"|"system", "value": "..."}]},
// usually a JSON array, sometimes JSONL. "user"/"assistant"/"chatgpt" are
// accepted as the same speakers, since exports vary. A top-level "system"
// field is the system prompt.

import { messageListFormat } from './messageList';

export const sharegptFormat = messageListFormat({
  id: 'sharegpt',
  label: 'ShareGPT (conversations: from, value)',
  list: 'conversations',
  speaker: 'from',
  text: 'value',
  speakers: { human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', chatgpt: 'assistant', system: 'system' },
  suggested: ['human', 'gpt', 'system'],
  meta: ['category', 'lang', 'system'],
});
