// Conversational "messages" records, as TRL and most chat datasets use:
// {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}]},
// optionally with "id", "category" and "lang" beside "messages".

import { messageListFormat } from './messageList';

export const messagesFormat = messageListFormat({
  id: 'messages',
  label: 'Chat messages (role, content)',
  list: 'messages',
  speaker: 'role',
  text: 'content',
  speakers: { system: 'system', user: 'user', assistant: 'assistant' },
  suggested: ['system', 'user', 'assistant'],
  meta: ['category', 'lang'],
});
