// Turning a list of chat turns into an example, with the rules every chat
// format shares: an optional system prompt first, then user and assistant
// turns alternating, starting with the user, with at least one assistant
// turn. A conversation of one exchange becomes an instruction example.

import { fail } from '../errors';
import { contentId, normalizeExample, type ChatRole, type ConversationExample, type Example, type Message } from '../schema';
import { at, type RecordContext } from './fields';
import { plural } from '../../util/text';

export interface Turn {
  role: ChatRole;
  content: string;
  /** Field path for errors, e.g. "messages[2]". */
  path: string;
}

export interface ChatMeta {
  id?: string;
  category?: string;
  system?: string;
  lang?: string;
}

/** Result of building: the example, plus whether it ends on an unanswered user turn. */
export function conversationFromTurns(
  turns: Turn[],
  rc: RecordContext,
  listField: string,
  source: string,
  meta: ChatMeta,
  /** The turn's speaker and text field names, for error paths ("from" and "value" in ShareGPT). */
  turnFields: { role: string; content: string } = { role: 'role', content: 'content' },
): { example: Example; endsWithUser: boolean } {
  if (turns.length === 0) fail(at(rc, listField), `"${listField}" is an empty list; a conversation needs turns`);
  let system = meta.system;
  const messages: Message[] = [];
  turns.forEach((turn, k) => {
    if (turn.role === 'system') {
      if (k !== 0) {
        fail(at(rc, `${turn.path}.${turnFields.role}`), `${turn.path} is a system message, but a system message may only come first`);
      }
      if (turn.content.trim() !== '') system = turn.content;
      return;
    }
    if (turn.content.trim() === '') fail(at(rc, `${turn.path}.${turnFields.content}`), `${turn.path} is an empty ${turn.role} turn`);
    const prev = messages[messages.length - 1];
    if (!prev && turn.role !== 'user') {
      fail(at(rc, `${turn.path}.${turnFields.role}`), `the conversation starts with an assistant turn (${turn.path}); it must start with a user turn`);
    }
    if (prev && prev.role === turn.role) {
      fail(
        at(rc, `${turn.path}.${turnFields.role}`),
        `${turn.path} is a second "${turn.role}" turn in a row; user and assistant turns must alternate`,
      );
    }
    messages.push({ role: turn.role, content: turn.content });
  });
  if (!messages.some((m) => m.role === 'assistant')) {
    fail(at(rc, listField), 'the conversation has no assistant turn, so there is no answer to learn from');
  }
  const conv: ConversationExample = { id: '', source, kind: 'conversation', messages };
  if (system !== undefined) conv.system = system;
  if (meta.category !== undefined) conv.category = meta.category;
  if (meta.lang !== undefined) conv.lang = meta.lang;
  const example = normalizeExample(conv);
  example.id = meta.id ?? contentId(example);
  return { example, endsWithUser: messages[messages.length - 1]?.role === 'user' };
}

export function endsWithUserWarning(count: number): string {
  return `${plural(count, 'conversation ends', 'conversations end')} with a user turn that has no reply; it is kept, but nothing after it is trained.`;
}
