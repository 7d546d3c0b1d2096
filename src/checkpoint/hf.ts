// A checkpoint as a Hugging Face model folder: model.safetensors (the
// parameters only, GPT-2 names and shapes, no optimizer state), config.json and
// tokenizer.json, which transformers loads as they are. The zip holds that
// folder, named after the checkpoint.

import { strToU8, zipSync } from 'fflate';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../model/safetensors';
import { fileStem } from './format';
import { readInfo } from './info';

export interface HfFolder {
  'model.safetensors': Uint8Array;
  'config.json': string;
  'tokenizer.json': string;
}

/** The HF folder's files from a studio checkpoint file; throws a CheckpointFileError naming `fileName` for a bad one. */
export function hfFolder(bytes: ArrayBuffer | Uint8Array, fileName?: string): HfFolder {
  const file = readInfo(bytes, fileName);
  const st = readSafetensors(bytes);
  const weights = file.weightNames.map((n): [string, StoredTensor] => [n, st.tensors.get(n)!]);
  return {
    'model.safetensors': writeSafetensors(weights, { format: 'pt' }),
    'config.json': JSON.stringify(JSON.parse(file.configJson), null, 2) + '\n',
    'tokenizer.json': file.tokenizerJson,
  };
}

/** The HF folder of the checkpoint called `name`, zipped; the weights are stored uncompressed (they barely compress). */
export function hfZip(name: string, bytes: ArrayBuffer | Uint8Array): { fileName: string; bytes: Uint8Array } {
  const files = hfFolder(bytes, `The checkpoint "${name}"`);
  const folder = fileStem(name);
  const zip = zipSync(
    {
      [folder]: {
        'model.safetensors': [files['model.safetensors'], { level: 0 }],
        'config.json': strToU8(files['config.json']),
        'tokenizer.json': strToU8(files['tokenizer.json']),
      },
    },
    { level: 6 },
  );
  return { fileName: `${folder}.zip`, bytes: zip };
}
