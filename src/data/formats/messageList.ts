// The one reader for record formats that hold a conversation as a list of
// {speaker, text} objects: chat "messages" ({"role", "content"}) and ShareGPT
// ({"from", "value"}). They differ only in field and speaker names, so each
// format is a MessageListSpec (data) and this module does the reading; the
// rules a conversation must follow live in chat.ts.

import { describeValue, fail } from '../errors';
import type { ChatRole, Example } from '../schema';
import type { RecordList } from '../json';
import { at, optionalId, readMeta, readObjects, requiredArray, type MetaField, type RecordContext } from './fields';
import { conversationFromTurns, endsWithUserWarning, type ChatMeta, type Turn } from './chat';
import type { FormatContext, JsonFormat } from './types';

export interface MessageListSpec {
  id: JsonFormat['id'];
  label: string;
  /** The record field holding the turns: "messages", "conversations". */
  list: string;
  /** The turn fields naming the speaker and holding the text: "role"/"content", "from"/"value". */
  speaker: string;
  text: string;
  /** Every accepted speaker name and the role it stands for. */
  speakers: Readonly<Record<string, ChatRole>>;
  /** The speaker names errors suggest, in the order they list them; the user and assistant ones also draw the record's shape. */
  suggested: readonly string[];
  /** Optional record fields read besides "id", in the order they are checked. */
  meta: readonly MetaField[];
}

/** A JSON format (JSON array or JSONL) reading records of the given field names. */
export function messageListFormat(spec: MessageListSpec): JsonFormat {
  const named = (role: ChatRole): string => spec.suggested.find((name) => spec.speakers[name] === role) ?? role;
  const turnShape = (role: ChatRole): string => `{"${spec.speaker}": "${named(role)}", "${spec.text}": "..."}`;
  const shape = `{"${spec.list}": [${turnShape('user')}, ${turnShape('assistant')}]}`;
  const suggestion = spec.suggested.map((name) => `"${name}"`);
  const choices = `${suggestion.slice(0, -1).join(', ')} or ${suggestion[suggestion.length - 1]}`;
  const known = new Set([spec.list, 'id', ...spec.meta]);

  function readTurn(m: unknown, k: number, rc: RecordContext): Turn {
    const path = `${spec.list}[${k}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      fail(at(rc, path), `${path} is ${describeValue(m)}, but an object like ${turnShape('user')} was expected`);
    }
    const msg = m as Record<string, unknown>;
    const who = msg[spec.speaker];
    const whoPath = `${path}.${spec.speaker}`;
    if (typeof who !== 'string') {
      fail(at(rc, whoPath), `${whoPath} must be ${choices}, but it is ${who === undefined ? 'missing' : describeValue(who)}`);
    }
    const role = Object.prototype.hasOwnProperty.call(spec.speakers, who) ? spec.speakers[who] : undefined;
    if (!role) fail(at(rc, whoPath), `${whoPath} is "${who}", which is not supported. Use ${choices}.`);
    const content = msg[spec.text];
    const textPath = `${path}.${spec.text}`;
    if (typeof content !== 'string') {
      fail(at(rc, textPath), `${textPath} must be text, but it is ${content === undefined ? 'missing' : describeValue(content)}`);
    }
    return { role, content, path };
  }

  return {
    id: spec.id,
    label: spec.label,
    shape,
    fromRecords(list: RecordList, ctx: FormatContext): Example[] {
      let unanswered = 0;
      const out = readObjects(list, ctx, shape, known, (obj, rc) => {
        const turns = requiredArray(obj, spec.list, rc).map((m, k) => readTurn(m, k, rc));
        const meta: ChatMeta = {};
        const id = optionalId(obj, 'id', rc);
        if (id !== undefined) meta.id = id;
        Object.assign(meta, readMeta(obj, rc, spec.meta));
        const { example, endsWithUser } = conversationFromTurns(turns, rc, spec.list, ctx.source, meta, {
          role: spec.speaker,
          content: spec.text,
        });
        if (endsWithUser) unanswered++;
        return example;
      });
      if (unanswered > 0) ctx.warn(endsWithUserWarning(unanswered));
      return out;
    },
  };
}
