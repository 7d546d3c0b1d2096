// OpenAssistant (oasst1/oasst2) message trees. Two layouts are read:
//  - flat: one message per record, {"message_id", "parent_id", "role":
//    "prompter"|"assistant", "text", "lang", "rank", ...}, parent_id null at a root;
//  - nested trees: {"message_tree_id", "prompt": {..., "replies": [...]}}.
// From each root we follow the best-ranked reply at every step (rank 0 is the
// best, lower wins, a missing rank comes last, ties keep file order) down to a
// leaf, giving one conversation per tree. A trailing prompter message with no
// reply is cut; a tree with no assistant reply at all is left out and counted
// in a warning. Deleted messages (deleted: true) are left out with their replies.

import { describeValue, fail } from '../errors';
import type { Example } from '../schema';
import { asObject, at, optionalText, recordContext, requiredText, type RecordContext } from './fields';
import { conversationFromTurns, type ChatMeta, type Turn } from './chat';
import type { FormatContext, JsonFormat } from './types';
import type { RecordList } from '../json';
import { plural } from '../../util/text';

const SHAPE =
  '{"message_id": "...", "parent_id": null, "role": "prompter", "text": "...", "lang": "en", "rank": 0}';

interface OasstMessage {
  id: string;
  parentId: string | null;
  role: 'user' | 'assistant';
  text: string;
  lang?: string;
  rank: number | undefined;
  deleted: boolean;
  rc: RecordContext;
  /** Field path within its record ("" for a flat record, "prompt.replies[0]" in a nested tree). */
  path: string;
  order: number;
}

function fieldPath(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function readMessage(
  obj: Record<string, unknown>,
  rc: RecordContext,
  path: string,
  parentOverride: string | null | undefined,
  order: number,
): OasstMessage {
  const idRaw = obj['message_id'];
  if (typeof idRaw !== 'string' || idRaw === '') {
    fail(
      at(rc, fieldPath(path, 'message_id')),
      `"${fieldPath(path, 'message_id')}" must be the message's id as text, but it is ${idRaw === undefined ? 'missing' : describeValue(idRaw)}`,
    );
  }
  let parentId: string | null;
  if (parentOverride !== undefined) {
    parentId = parentOverride;
  } else {
    const p = obj['parent_id'];
    if (p === undefined || p === null) parentId = null;
    else if (typeof p === 'string') parentId = p;
    else fail(at(rc, 'parent_id'), `"parent_id" must be a message id or null, but it is ${describeValue(p)}`);
  }
  const roleRaw = obj['role'];
  const rolePath = fieldPath(path, 'role');
  if (roleRaw !== 'prompter' && roleRaw !== 'assistant') {
    fail(
      at(rc, rolePath),
      typeof roleRaw === 'string'
        ? `"${rolePath}" is "${roleRaw}", which is not supported. OpenAssistant messages use "prompter" or "assistant".`
        : `"${rolePath}" must be "prompter" or "assistant", but it is ${roleRaw === undefined ? 'missing' : describeValue(roleRaw)}`,
    );
  }
  const text = requiredText(obj, 'text', rc, fieldPath(path, 'text'));
  const rankRaw = obj['rank'];
  let rank: number | undefined;
  if (rankRaw === undefined || rankRaw === null) rank = undefined;
  else if (typeof rankRaw === 'number' && Number.isFinite(rankRaw)) rank = rankRaw;
  else fail(at(rc, fieldPath(path, 'rank')), `"${fieldPath(path, 'rank')}" must be a number or null, but it is ${describeValue(rankRaw)}`);
  const deletedRaw = obj['deleted'];
  if (deletedRaw !== undefined && deletedRaw !== null && typeof deletedRaw !== 'boolean') {
    fail(at(rc, fieldPath(path, 'deleted')), `"${fieldPath(path, 'deleted')}" must be true or false, but it is ${describeValue(deletedRaw)}`);
  }
  const lang = optionalText(obj, 'lang', rc, fieldPath(path, 'lang'));
  const msg: OasstMessage = {
    id: idRaw,
    parentId,
    role: roleRaw === 'prompter' ? 'user' : 'assistant',
    text,
    rank,
    deleted: deletedRaw === true,
    rc,
    path,
    order,
  };
  if (lang !== undefined) msg.lang = lang;
  return msg;
}

/** Flattens a nested tree record into messages with parent ids. */
function readNestedTree(obj: Record<string, unknown>, rc: RecordContext, out: OasstMessage[]): void {
  const stack: Array<{ node: unknown; path: string; parent: string | null }> = [
    { node: obj['prompt'], path: 'prompt', parent: null },
  ];
  while (stack.length > 0) {
    const { node, path, parent } = stack.pop() as { node: unknown; path: string; parent: string | null };
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      fail(at(rc, path), `"${path}" is ${describeValue(node)}, but a message object was expected`);
    }
    const nodeObj = node as Record<string, unknown>;
    const msg = readMessage(nodeObj, rc, path, parent, out.length);
    out.push(msg);
    const replies = nodeObj['replies'];
    if (replies === undefined || replies === null) continue;
    if (!Array.isArray(replies)) {
      fail(at(rc, `${path}.replies`), `"${path}.replies" must be a list, but it is ${describeValue(replies)}`);
    }
    for (let k = replies.length - 1; k >= 0; k--) {
      stack.push({ node: replies[k], path: `${path}.replies[${k}]`, parent: msg.id });
    }
  }
}

function isNestedTree(obj: Record<string, unknown>): boolean {
  const prompt = obj['prompt'];
  return prompt !== null && typeof prompt === 'object' && !Array.isArray(prompt) && !('message_id' in obj);
}

/** Lower rank first; a missing rank after every ranked reply; then file order. */
function compareReplies(a: OasstMessage, b: OasstMessage): number {
  const ra = a.rank ?? Number.POSITIVE_INFINITY;
  const rb = b.rank ?? Number.POSITIVE_INFINITY;
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a.order - b.order;
}

export const oasstFormat: JsonFormat = {
  id: 'oasst',
  label: 'OpenAssistant message trees (oasst1)',
  shape: SHAPE,
  fromRecords(list: RecordList, ctx: FormatContext): Example[] {
    const messages: OasstMessage[] = [];
    for (const rec of list.records) {
      const rc = recordContext(list, rec, ctx.file, SHAPE);
      const obj = asObject(rec.value, rc);
      if (isNestedTree(obj)) readNestedTree(obj, rc, messages);
      else messages.push(readMessage(obj, rc, '', undefined, messages.length));
    }

    const byId = new Map<string, OasstMessage>();
    for (const m of messages) {
      const earlier = byId.get(m.id);
      if (earlier) {
        fail(at(m.rc, fieldPath(m.path, 'message_id')), `message_id "${m.id}" appears twice (first in record ${earlier.rc.record})`);
      }
      byId.set(m.id, m);
    }
    const children = new Map<string, OasstMessage[]>();
    const roots: OasstMessage[] = [];
    for (const m of messages) {
      if (m.parentId === null) {
        if (m.role !== 'user') {
          fail(at(m.rc, fieldPath(m.path, 'role')), 'this message starts a tree (parent_id is null) but is an assistant message; a tree must start with a prompter message');
        }
        roots.push(m);
        continue;
      }
      const parent = byId.get(m.parentId);
      if (!parent) {
        fail(
          at(m.rc, 'parent_id'),
          `this message replies to parent_id "${m.parentId}", which is not in the file. Import whole message trees, not parts of them.`,
        );
      }
      if (parent.role === m.role) {
        const who = m.role === 'user' ? 'prompter' : 'assistant';
        fail(at(m.rc, fieldPath(m.path, 'role')), `this ${who} message replies to another ${who} message; prompter and assistant must take turns`);
      }
      const list2 = children.get(parent.id);
      if (list2) list2.push(m);
      else children.set(parent.id, [m]);
    }

    // Every message must hang under a root; anything else is a loop of parent ids.
    const reached = new Set<string>();
    const queue = roots.slice();
    while (queue.length > 0) {
      const m = queue.pop() as OasstMessage;
      reached.add(m.id);
      for (const c of children.get(m.id) ?? []) queue.push(c);
    }
    const stray = messages.find((m) => !reached.has(m.id));
    if (stray) {
      fail(at(stray.rc, 'parent_id'), 'this message is part of a loop of parent_id links that never reaches a starting prompter message');
    }

    const out: Example[] = [];
    let noAnswer = 0;
    let deletedTrees = 0;
    for (const root of roots) {
      if (root.deleted) {
        deletedTrees++;
        continue;
      }
      const path: OasstMessage[] = [root];
      for (;;) {
        const last = path[path.length - 1] as OasstMessage;
        const replies = (children.get(last.id) ?? []).filter((c) => !c.deleted).sort(compareReplies);
        const best = replies[0];
        if (!best) break;
        path.push(best);
      }
      while (path.length > 0 && path[path.length - 1]?.role === 'user') path.pop();
      if (path.length === 0) {
        noAnswer++;
        continue;
      }
      const turns: Turn[] = path.map((m) => ({ role: m.role, content: m.text, path: m.path || `message ${m.id}` }));
      const meta: ChatMeta = { id: root.id };
      if (root.lang !== undefined) meta.lang = root.lang;
      out.push(conversationFromTurns(turns, root.rc, 'text', ctx.source, meta).example);
    }
    if (noAnswer > 0) {
      ctx.warn(`${plural(noAnswer, 'message tree has', 'message trees have')} no assistant reply and ${noAnswer === 1 ? 'was' : 'were'} left out.`);
    }
    const deleted = messages.filter((m) => m.deleted).length;
    if (deleted > 0) {
      ctx.warn(
        `${plural(deleted, 'message is', 'messages are')} marked deleted and left out with ${deleted === 1 ? 'its' : 'their'} replies` +
          (deletedTrees > 0 ? ` (${plural(deletedTrees, 'whole tree')}).` : '.'),
      );
    }
    return out;
  },
};
