// Alpaca: {"instruction", "input", "output"} records, as a JSON array
// (alpaca_data.json) or JSONL. Our exporter also writes optional "id",
// "category", "system" and "lang" fields, which this reader takes back.

import { instructionRecordFormat } from './instructionRecord';

export const alpacaFormat = instructionRecordFormat({
  id: 'alpaca',
  label: 'Alpaca (instruction, input, output)',
  fields: { instruction: 'instruction', input: 'input', response: 'output' },
});
