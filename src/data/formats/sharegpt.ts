// ShareGPT: {"conversations": [{"from": "human"|"gpt"|"system", "value": "..."}]},
// usually a JSON array, sometimes JSONL. "user"/"assistant"/"chatgpt" are
// accepted as the same speakers, since exports vary.

import { describeValue, fail } from '../errors';
import type { ChatRole, Example } from '../schema';
import { asObject, at, optionalId, optionalText, recordContext, requiredArray, UnusedFields } from './fields';
import { conversationFromTurns, endsWithUserWarning, type ChatMeta, type Turn } from './chat';
import type { FormatContext, JsonFormat } from './types';
import type { RecordList } from '../json';

const SHAPE = '{"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", "value": "..."}]}';
const SPEAKERS: Readonly<Record<string, ChatRole>> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  chatgpt: 'assistant',
  system: 'system',
};

const KNOWN = new Set(['conversations', 'id', 'category', 'system', 'lang']);

export const sharegptFormat: JsonFormat = {
  id: 'sharegpt',
  label: 'ShareGPT (conversations: from, value)',
  shape: SHAPE,
  fromRecords(list: RecordList, ctx: FormatContext): Example[] {
    const unused = new UnusedFields(KNOWN);
    let unanswered = 0;
    const out = list.records.map((rec) => {
      const rc = recordContext(list, rec, ctx.file, SHAPE);
      const obj = asObject(rec.value, rc);
      unused.note(obj);
      const raw = requiredArray(obj, 'conversations', rc);
      const turns: Turn[] = raw.map((m, k) => {
        const path = `conversations[${k}]`;
        if (m === null || typeof m !== 'object' || Array.isArray(m)) {
          fail(at(rc, path), `${path} is ${describeValue(m)}, but an object like {"from": "human", "value": "..."} was expected`);
        }
        const msg = m as Record<string, unknown>;
        const from = msg['from'];
        if (typeof from !== 'string') {
          fail(at(rc, `${path}.from`), `${path}.from must be "human", "gpt" or "system", but it is ${from === undefined ? 'missing' : describeValue(from)}`);
        }
        const role = Object.prototype.hasOwnProperty.call(SPEAKERS, from) ? SPEAKERS[from] : undefined;
        if (!role) {
          fail(at(rc, `${path}.from`), `${path}.from is "${from}", which is not supported. Use "human", "gpt" or "system".`);
        }
        const value = msg['value'];
        if (typeof value !== 'string') {
          fail(at(rc, `${path}.value`), `${path}.value must be text, but it is ${value === undefined ? 'missing' : describeValue(value)}`);
        }
        return { role, content: value, path };
      });
      const meta: ChatMeta = {};
      const id = optionalId(obj, 'id', rc);
      if (id !== undefined) meta.id = id;
      const category = optionalText(obj, 'category', rc);
      if (category !== undefined) meta.category = category;
      const lang = optionalText(obj, 'lang', rc);
      if (lang !== undefined) meta.lang = lang;
      const system = optionalText(obj, 'system', rc);
      if (system !== undefined) meta.system = system;
      const { example, endsWithUser } = conversationFromTurns(turns, rc, 'conversations', ctx.source, meta);
      if (endsWithUser) unanswered++;
      return example;
    });
    if (unanswered > 0) ctx.warn(endsWithUserWarning(unanswered));
    unused.report(ctx.warn);
    return out;
  },
};
