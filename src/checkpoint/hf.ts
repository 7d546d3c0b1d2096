// A checkpoint as a Hugging Face model folder: model.safetensors (the
// parameters only, GPT-2 names and shapes, no optimizer state), tokenizer.json,
// and the metadata transformers and TRL read (config.json with special-token
// ids, generation_config.json, tokenizer_config.json with the chat template,
// special_tokens_map.json, a model card), plus the scale-out bundle (TRL
// script, accelerate configs, and the tuning data when it is given). The zip
// holds that folder, named after the checkpoint.

import { strToU8, zipSync } from 'fflate';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../model/safetensors';
import { BpeTokenizer } from '../tokenizer/bpe';
import { DEFAULT_TEMPLATE, getTemplate } from '../data/templates';
import type { Example } from '../data/schema';
import { fileStem } from './format';
import { readInfo } from './info';
import { hfMetadataFiles } from './hfMetadata';
import { scaleOutFiles } from './scaleOut';

export interface HfFolder {
  'model.safetensors': Uint8Array;
  'config.json': string;
  'tokenizer.json': string;
  /** The other text files by path: metadata, model card, scale-out bundle. */
  [path: string]: Uint8Array | string;
}

/**
 * The HF folder's files from a studio checkpoint file; throws a CheckpointFileError naming
 * `fileName` for a bad one. `examples`: the tuning data, written as TRL JSONL beside the weights.
 */
export function hfFolder(bytes: ArrayBuffer | Uint8Array, fileName?: string, examples?: readonly Example[]): HfFolder {
  const file = readInfo(bytes, fileName);
  const st = readSafetensors(bytes);
  const weights = file.weightNames.map((n): [string, StoredTensor] => [n, st.tensors.get(n)!]);
  const run = file.info.run;
  const template = run?.template ?? getTemplate(st.metadata.template ?? '') ?? DEFAULT_TEMPLATE;
  const source = { config: file.info.config, tokenizer: BpeTokenizer.fromJSON(file.tokenizerJson), template };
  // The script tunes every parameter: a LoRA run's learning rate (several times a full run's) would be too high for it, so it keeps its own.
  const settings = run
    ? { steps: run.options.steps, ...(run.options.tuning === 'lora' ? {} : { learningRate: run.options.learningRate }), batchSize: run.options.batchSize, warmupSteps: run.options.warmupSteps }
    : {};
  return {
    ...scaleOutFiles(examples ?? [], template, settings),
    ...hfMetadataFiles(source, { title: file.info.name }),
    'model.safetensors': writeSafetensors(weights, { format: 'pt' }),
    'tokenizer.json': file.tokenizerJson,
  } as HfFolder;
}

/** The HF folder of the checkpoint called `name`, zipped; the weights are stored uncompressed (they barely compress). */
export function hfZip(name: string, bytes: ArrayBuffer | Uint8Array, examples?: readonly Example[]): { fileName: string; bytes: Uint8Array } {
  const files = hfFolder(bytes, `The checkpoint "${name}"`, examples);
  const folder = fileStem(name);
  const entries: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {};
  for (const [path, data] of Object.entries(files)) {
    if (path === 'data/messages.jsonl' || path === 'data/prompt_completion.jsonl') {
      if (!examples || examples.length === 0) continue; // no data was given: no empty files
    }
    entries[`${folder}/${path}`] = typeof data === 'string' ? strToU8(data) : [data, { level: 0 }];
  }
  const zip = zipSync(entries, { level: 6 });
  return { fileName: `${folder}.zip`, bytes: zip };
}
