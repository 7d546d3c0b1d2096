// The studio checkpoint format: what a checkpoint file holds and is called
// inside, in one place. A checkpoint is one safetensors file:
//   - the model's parameters under their Hugging Face GPT-2 names (on their own
//     a valid HF model.safetensors);
//   - optionally the AdamW moments, as `optimizer.exp_avg.<name>` and
//     `optimizer.exp_avg_sq.<name>`;
//   - in a checkpoint of a LoRA run (version 2), the parameters are the merged
//     model (W + alpha/r A B, so the file is still a plain GPT-2), and the run's
//     adapters `lora.adapter.<name>` and the unmerged weights under them
//     `lora.base.<name>` let it resume exactly; the moments are the adapters';
//   - string metadata under the keys in META: the format name and version
//     (checked by every reader, like the magic number and version at the head
//     of llm.c's files), the HF config, the optimizer step, and the studio's
//     own: name, step, tokenizer, creation time and run state.

/** META.format of every file the studio writes. */
export const CHECKPOINT_FORMAT = 'instruct-studio';
/**
 * META.version the studio writes, and the newest it reads. Raise it when a
 * file of the new layout would be misread by an older studio. Files without
 * LoRA adapters are still written as version 1, which every studio reads;
 * version 2 adds the adapters (an older studio would take their moments for
 * the whole model's and fail to load them).
 */
export const CHECKPOINT_VERSION = 2;
/** The version of files without LoRA state: the layout of version 1. */
export const PLAIN_CHECKPOINT_VERSION = 1;

/** A checkpoint file that cannot be used; the message names the file and what to do. */
export class CheckpointFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFileError';
  }
}

/**
 * The one version check, for files whose metadata says they are studio
 * checkpoints. Returns the file's format version; throws a CheckpointFileError
 * naming `fileName` when the version is unreadable or newer than this studio.
 */
export function checkVersion(meta: Record<string, string>, fileName: string): number {
  const raw = meta[META.version];
  const version = Number(raw);
  if (!Number.isInteger(version) || version < 1) {
    throw new CheckpointFileError(`${fileName} has an unreadable format_version "${raw ?? ''}": the file is damaged. Export it again from the studio that wrote it.`);
  }
  if (version > CHECKPOINT_VERSION) {
    throw new CheckpointFileError(
      `${fileName} was written by a newer Instruct Studio (format version ${version}; this one reads up to ${CHECKPOINT_VERSION}). Update the studio to open it.`,
    );
  }
  return version;
}

/** True when the metadata says the file is a studio checkpoint (of any version). */
export function isStudioCheckpoint(meta: Record<string, string>): boolean {
  return meta[META.format] === CHECKPOINT_FORMAT;
}

/** Every metadata key of a checkpoint. */
export const META = {
  /** CHECKPOINT_FORMAT: the file is a studio checkpoint. */
  format: 'format',
  /** The CHECKPOINT_VERSION that wrote it. */
  version: 'format_version',
  /** JSON of the HF config.json. */
  config: 'config',
  /** AdamW's step count; present when the file holds the moments. */
  optimizerStep: 'optimizer_step',
  /** The model's name in the studio. */
  name: 'name',
  /** "true" when the user gave the model its name (kept as it trains further); absent otherwise. */
  named: 'named',
  /** Optimizer steps the model has had, across runs. */
  step: 'step',
  /** The HF tokenizer.json, so one file is enough to load the model again. */
  tokenizer: 'tokenizer',
  createdAt: 'created_at',
  /** JSON of RunState: present when a run has trained this model. */
  run: 'run',
  /** JSON of {rank, alpha}: present when the file holds LoRA adapters. */
  lora: 'lora',
} as const;

/** Tensor name prefixes of LoRA adapters and of the unmerged weights under them. */
export const LORA_PREFIX = { adapter: 'lora.adapter.', base: 'lora.base.' } as const;

/** True for a tensor of a LoRA run's state rather than a parameter of the (merged) model. */
export function isLoraTensor(name: string): boolean {
  return name.startsWith('lora.');
}

/** Tensor name prefixes of AdamW's first and second moments; the rest is the parameter's name. */
export const MOMENT_PREFIX = { m: 'optimizer.exp_avg.', v: 'optimizer.exp_avg_sq.' } as const;

/** True for a tensor that holds optimizer state rather than a parameter. */
export function isOptimizerTensor(name: string): boolean {
  return name.startsWith('optimizer.');
}

/** A file-name-safe form of a checkpoint name, for exported files and folders. */
export function fileStem(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 60);
  return s || 'checkpoint';
}
