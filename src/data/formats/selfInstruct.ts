// Self-Instruct seed tasks (seed_tasks.jsonl): one task per line with
// {"id", "name", "instruction", "instances": [{"input", "output"}],
// "is_classification"}. Each instance becomes one example; its id is the
// task id and the instance number ("seed_task_7#2"), its category the task name.

import { describeValue, fail } from '../errors';
import { contentId, type InstructionExample, type Example } from '../schema';
import { at, optionalId, optionalText, readObjects, requiredArray, requiredText } from './fields';
import type { FormatContext, JsonFormat } from './types';
import type { RecordList } from '../json';

const SHAPE =
  '{"id": "seed_task_0", "name": "...", "instruction": "...", "instances": [{"input": "...", "output": "..."}], "is_classification": false}';

const KNOWN = new Set(['id', 'name', 'instruction', 'instances', 'is_classification']);

export const selfInstructFormat: JsonFormat = {
  id: 'self-instruct',
  label: 'Self-Instruct seed tasks (instruction, instances)',
  shape: SHAPE,
  fromRecords(list: RecordList, ctx: FormatContext): Example[] {
    const tasks = readObjects(list, ctx, SHAPE, KNOWN, (obj, rc) => {
      const taskId = optionalId(obj, 'id', rc);
      const name = optionalText(obj, 'name', rc);
      const instruction = requiredText(obj, 'instruction', rc);
      const isClassification = obj['is_classification'];
      if (isClassification !== undefined && isClassification !== null && typeof isClassification !== 'boolean') {
        fail(at(rc, 'is_classification'), `"is_classification" must be true or false, but it is ${describeValue(isClassification)}`);
      }
      const instances = requiredArray(obj, 'instances', rc);
      if (instances.length === 0) {
        fail(at(rc, 'instances'), '"instances" is an empty list; a task needs at least one {"input", "output"} instance');
      }
      return instances.map((raw, k) => {
        const path = `instances[${k}]`;
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
          fail(at(rc, path), `${path} is ${describeValue(raw)}, but an object like {"input": "...", "output": "..."} was expected`);
        }
        const inst = raw as Record<string, unknown>;
        const input = optionalText(inst, 'input', rc, `${path}.input`);
        const response = requiredText(inst, 'output', rc, `${path}.output`, ' (the answer the model should learn)');
        const example: InstructionExample = { id: '', source: ctx.source, kind: 'instruction', instruction, response };
        if (input !== undefined) example.input = input;
        if (name !== undefined) example.category = name;
        example.id = taskId !== undefined ? `${taskId}#${k + 1}` : contentId(example);
        return example;
      });
    });
    return tasks.flat();
  },
};
