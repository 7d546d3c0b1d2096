// Alpaca: {"instruction", "input", "output"} records, as a JSON array
// (alpaca_data.json) or JSONL. Our exporter also writes optional "id",
// "category" and "system" fields, which this reader takes back.

import { contentId, type InstructionExample, type Example } from '../schema';
import { asObject, optionalId, optionalText, readMeta, recordContext, requiredText, UnusedFields } from './fields';
import type { FormatContext, JsonFormat } from './types';
import type { RecordList } from '../json';

const SHAPE = '{"instruction": "...", "input": "...", "output": "..."}';

const KNOWN = new Set(['instruction', 'input', 'output', 'id', 'category', 'system', 'lang']);

export const alpacaFormat: JsonFormat = {
  id: 'alpaca',
  label: 'Alpaca (instruction, input, output)',
  shape: SHAPE,
  fromRecords(list: RecordList, ctx: FormatContext): Example[] {
    const unused = new UnusedFields(KNOWN);
    const out = list.records.map((rec) => {
      const rc = recordContext(list, rec, ctx.file, SHAPE);
      const obj = asObject(rec.value, rc);
      unused.note(obj);
      const instruction = requiredText(obj, 'instruction', rc);
      const input = optionalText(obj, 'input', rc);
      const response = requiredText(obj, 'output', rc, 'output', ' (the answer the model should learn)');
      const example: InstructionExample = {
        id: '',
        source: ctx.source,
        kind: 'instruction',
        instruction,
        response,
        ...readMeta(obj, rc),
      };
      if (input !== undefined) example.input = input;
      example.id = optionalId(obj, 'id', rc) ?? contentId(example);
      return example;
    });
    unused.report(ctx.warn);
    return out;
  },
};
