// Rewrites the Hugging Face metadata files of existing model folders (config.json
// with special-token ids, generation_config.json, tokenizer_config.json with the
// chat template, special_tokens_map.json, the model card's front matter) without
// touching the weights or tokenizer.json. Used for the shipped public/models/*.
//
//   npx tsx scripts/interop/metadata.ts public/models/base public/models/tuned

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHfConfig } from '../../src/model/config';
import { readSafetensors } from '../../src/model/safetensors';
import { BpeTokenizer } from '../../src/tokenizer/bpe';
import { writeModelMetadata } from '../lib/node';

for (const dir of process.argv.slice(2)) {
  const config = fromHfConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>);
  const tokenizer = BpeTokenizer.fromJSON(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const { metadata } = readSafetensors(readFileSync(join(dir, 'model.safetensors')));
  writeModelMetadata(dir, config, tokenizer, metadata.template, readFileSync(join(dir, 'README.md'), 'utf8'));
  console.log(`${dir}: metadata written (template ${metadata.template ?? 'default'})`);
}
