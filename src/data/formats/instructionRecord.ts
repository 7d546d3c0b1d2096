// The one reader for flat instruction records, one example per record:
// Alpaca ({"instruction", "input", "output"}) and Dolly ({"instruction",
// "context", "response"}). They differ only in field names, so each format
// is an InstructionRecordSpec (data) and this module does the reading. Both
// also take optional "id", "category", "system" and "lang" fields.

import { contentId, type Example, type InstructionExample } from '../schema';
import type { RecordList } from '../json';
import { optionalId, optionalText, readMeta, readObjects, requiredText, type MetaField } from './fields';
import type { FormatContext, JsonFormat } from './types';

export interface InstructionRecordSpec {
  id: JsonFormat['id'];
  label: string;
  /** The record's field names for the three parts of an example. */
  fields: { instruction: string; input: string; response: string };
  /** Metadata fields drawn in the shape shown in errors, besides the three parts. */
  shown?: readonly MetaField[];
}

const META: readonly MetaField[] = ['category', 'system', 'lang'];

/** A JSON format (JSON array or JSONL) reading records of the given field names. */
export function instructionRecordFormat(spec: InstructionRecordSpec): JsonFormat {
  const f = spec.fields;
  const shape = `{${[f.instruction, f.input, f.response, ...(spec.shown ?? [])].map((name) => `"${name}": "..."`).join(', ')}}`;
  const known = new Set([f.instruction, f.input, f.response, 'id', ...META]);
  return {
    id: spec.id,
    label: spec.label,
    shape,
    fromRecords(list: RecordList, ctx: FormatContext): Example[] {
      return readObjects(list, ctx, shape, known, (obj, rc) => {
        const instruction = requiredText(obj, f.instruction, rc);
        const input = optionalText(obj, f.input, rc);
        const response = requiredText(obj, f.response, rc, f.response, ' (the answer the model should learn)');
        const example: InstructionExample = { id: '', source: ctx.source, kind: 'instruction', instruction, response };
        if (input !== undefined) example.input = input;
        Object.assign(example, readMeta(obj, rc, META));
        example.id = optionalId(obj, 'id', rc) ?? contentId(example);
        return example;
      });
    },
  };
}
