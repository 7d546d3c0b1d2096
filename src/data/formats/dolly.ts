// Dolly (databricks-dolly-15k): {"instruction", "context", "response",
// "category"} records, usually JSONL. "context" becomes the example's input.

import { instructionRecordFormat } from './instructionRecord';

export const dollyFormat = instructionRecordFormat({
  id: 'dolly',
  label: 'Dolly (instruction, context, response, category)',
  fields: { instruction: 'instruction', input: 'context', response: 'response' },
  shown: ['category'],
});
