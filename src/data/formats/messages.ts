// Conversational "messages" records, as TRL and most chat datasets use:
// {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}]},
// optionally with "id" and "category" beside "messages".

import { describeValue, fail } from '../errors';
import type { Example, ChatRole } from '../schema';
import { asObject, at, optionalId, optionalText, recordContext, requiredArray, UnusedFields } from './fields';
import { conversationFromTurns, endsWithUserWarning, type ChatMeta, type Turn } from './chat';
import type { FormatContext, JsonFormat } from './types';
import type { RecordList } from '../json';

const SHAPE = '{"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}';
const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];

const KNOWN = new Set(['messages', 'id', 'category', 'lang']);

export const messagesFormat: JsonFormat = {
  id: 'messages',
  label: 'Chat messages (role, content)',
  shape: SHAPE,
  fromRecords(list: RecordList, ctx: FormatContext): Example[] {
    const unused = new UnusedFields(KNOWN);
    let unanswered = 0;
    const out = list.records.map((rec) => {
      const rc = recordContext(list, rec, ctx.file, SHAPE);
      const obj = asObject(rec.value, rc);
      unused.note(obj);
      const raw = requiredArray(obj, 'messages', rc);
      const turns: Turn[] = raw.map((m, k) => {
        const path = `messages[${k}]`;
        if (m === null || typeof m !== 'object' || Array.isArray(m)) {
          fail(at(rc, path), `${path} is ${describeValue(m)}, but an object like {"role": "user", "content": "..."} was expected`);
        }
        const msg = m as Record<string, unknown>;
        const role = msg['role'];
        if (typeof role !== 'string') {
          fail(at(rc, `${path}.role`), `${path}.role must be "system", "user" or "assistant", but it is ${role === undefined ? 'missing' : describeValue(role)}`);
        }
        if (!(ROLES as readonly string[]).includes(role)) {
          fail(at(rc, `${path}.role`), `${path}.role is "${role}", which is not supported. Use "system", "user" or "assistant".`);
        }
        const content = msg['content'];
        if (typeof content !== 'string') {
          fail(at(rc, `${path}.content`), `${path}.content must be text, but it is ${content === undefined ? 'missing' : describeValue(content)}`);
        }
        return { role: role as ChatRole, content, path };
      });
      const meta: ChatMeta = {};
      const id = optionalId(obj, 'id', rc);
      if (id !== undefined) meta.id = id;
      const category = optionalText(obj, 'category', rc);
      if (category !== undefined) meta.category = category;
      const lang = optionalText(obj, 'lang', rc);
      if (lang !== undefined) meta.lang = lang;
      const { example, endsWithUser } = conversationFromTurns(turns, rc, 'messages', ctx.source, meta);
      if (endsWithUser) unanswered++;
      return example;
    });
    if (unanswered > 0) ctx.warn(endsWithUserWarning(unanswered));
    unused.report(ctx.warn);
    return out;
  },
};
