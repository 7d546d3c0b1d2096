// Dolly (databricks-dolly-15k): {"instruction", "context", "response",
// "category"} records, usually JSONL. "context" becomes the example's input.

import { contentId, type InstructionExample, type Example } from '../schema';
import { asObject, optionalId, optionalText, recordContext, requiredText, UnusedFields } from './fields';
import type { FormatContext, JsonFormat } from './types';
import type { RecordList } from '../json';

const SHAPE = '{"instruction": "...", "context": "...", "response": "...", "category": "..."}';

const KNOWN = new Set(['instruction', 'context', 'response', 'category', 'id', 'system', 'lang']);

export const dollyFormat: JsonFormat = {
  id: 'dolly',
  label: 'Dolly (instruction, context, response, category)',
  shape: SHAPE,
  fromRecords(list: RecordList, ctx: FormatContext): Example[] {
    const unused = new UnusedFields(KNOWN);
    const out = list.records.map((rec) => {
      const rc = recordContext(list, rec, ctx.file, SHAPE);
      const obj = asObject(rec.value, rc);
      unused.note(obj);
      const instruction = requiredText(obj, 'instruction', rc);
      const context = optionalText(obj, 'context', rc);
      const response = requiredText(obj, 'response', rc, 'response', ' (the answer the model should learn)');
      const category = optionalText(obj, 'category', rc);
      const system = optionalText(obj, 'system', rc);
      const lang = optionalText(obj, 'lang', rc);
      const example: InstructionExample = { id: '', source: ctx.source, kind: 'instruction', instruction, response };
      if (context !== undefined) example.input = context;
      if (category !== undefined) example.category = category;
      if (system !== undefined) example.system = system;
      if (lang !== undefined) example.lang = lang;
      example.id = optionalId(obj, 'id', rc) ?? contentId(example);
      return example;
    });
    unused.report(ctx.warn);
    return out;
  },
};
