// The metadata files that make a studio model a complete Hugging Face model
// folder, besides model.safetensors and tokenizer.json: transformers, its
// pipelines and TRL read these as they are (special-token ids, the context
// as the tokenizer's maximum length, the prompt template as a chat template).
// Plain functions of the config, the tokenizer and the template; the HF zip,
// `npm run tune` and the shipped models all write them through here.

import { toHfConfig, type ModelConfig } from '../model/config';
import type { Tokenizer } from '../tokenizer/types';
import { chatTemplateOf } from '../data/chatTemplate';
import { DEFAULT_TEMPLATE, type PromptTemplate } from '../data/templates';

/** What the files are made from. */
export interface HfFolderSource {
  config: ModelConfig;
  tokenizer: Tokenizer;
  /** The prompt template the model was tuned with (the studio's default for a base model); the chat template follows it. */
  template?: PromptTemplate;
}

/** Special tokens by role: GPT-2 uses its end-of-text as bos and eos; the studio pads with <|pad|>. */
function specialTokens(tokenizer: Tokenizer): { bos: string; eos: string; pad: string } {
  const eos = tokenizer.decode([tokenizer.eosId]);
  return { bos: eos, eos, pad: tokenizer.decode([tokenizer.padId]) };
}

/** config.json: the model's shape plus the ids of its special tokens (GPT-2's default 50256 would be wrong). */
export function hfConfigJson(src: HfFolderSource): Record<string, unknown> {
  const { tokenizer } = src;
  return { ...toHfConfig(src.config), bos_token_id: tokenizer.eosId, eos_token_id: tokenizer.eosId, pad_token_id: tokenizer.padId };
}

/** generation_config.json: stop at end-of-text, pad with the pad id, greedy by default (as the lesson measures). */
export function hfGenerationConfigJson(src: HfFolderSource): Record<string, unknown> {
  const { tokenizer } = src;
  return {
    bos_token_id: tokenizer.eosId,
    eos_token_id: tokenizer.eosId,
    pad_token_id: tokenizer.padId,
    do_sample: false,
  };
}

/** tokenizer_config.json: the special tokens, the context as the longest input, and the chat template. */
export function hfTokenizerConfigJson(src: HfFolderSource): Record<string, unknown> {
  const t = specialTokens(src.tokenizer);
  const out: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: t.bos,
    eos_token: t.eos,
    pad_token: t.pad,
    unk_token: null,
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    // Learned positions stop at the context: longer inputs must be cut, not indexed past the end.
    model_max_length: src.config.contextLength,
    padding_side: 'right',
  };
  out.chat_template = chatTemplateOf(src.template ?? DEFAULT_TEMPLATE);
  return out;
}

/** special_tokens_map.json, which older transformers and other readers consult. */
export function hfSpecialTokensMapJson(src: HfFolderSource): Record<string, unknown> {
  const t = specialTokens(src.tokenizer);
  return { bos_token: t.bos, eos_token: t.eos, pad_token: t.pad };
}

/** YAML front matter that the Hub and transformers read from README.md. */
export function modelCardFrontMatter(opts: { license?: string; baseModel?: string } = {}): string {
  const lines = ['---', 'library_name: transformers', 'pipeline_tag: text-generation', 'tags:', '- gpt2', '- instruct-studio'];
  if (opts.license) lines.push(`license: ${opts.license}`);
  if (opts.baseModel) lines.push(`base_model: ${opts.baseModel}`);
  lines.push('---', '');
  return lines.join('\n');
}

/** A model card: front matter, then `body`, or a short card naming the shape and template. */
export function modelCard(src: HfFolderSource, opts: { title?: string; body?: string; license?: string } = {}): string {
  if (opts.body?.startsWith('---\n')) return opts.body;
  const c = src.config;
  const body =
    opts.body ??
    [
      `# ${opts.title ?? 'Instruct Studio model'}`,
      '',
      'A GPT-2 model trained in Instruct Studio. It loads in transformers as it is:',
      '',
      '```python',
      'from transformers import pipeline',
      'generate = pipeline("text-generation", model="path/to/this/folder")',
      'print(generate([{"role": "user", "content": "What is the capital of France?"}], do_sample=False))',
      '```',
      '',
      '| | |',
      '|---|---|',
      `| config | vocab ${c.vocabSize}, context ${c.contextLength}, width ${c.width}, ${c.layers} layers, ${c.heads} heads |`,
      `| template | ${(src.template ?? DEFAULT_TEMPLATE).name}: the chat template in tokenizer_config.json lays messages out as the studio does |`,
      '',
    ].join('\n');
  return modelCardFrontMatter({ license: opts.license }) + body;
}

/** Every metadata file of an HF model folder, as text, by file name. */
export function hfMetadataFiles(src: HfFolderSource, card: { title?: string; body?: string; license?: string } = {}): Record<string, string> {
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return {
    'config.json': json(hfConfigJson(src)),
    'generation_config.json': json(hfGenerationConfigJson(src)),
    'tokenizer_config.json': json(hfTokenizerConfigJson(src)),
    'special_tokens_map.json': json(hfSpecialTokensMapJson(src)),
    'README.md': modelCard(src, card),
  };
}
