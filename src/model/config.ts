// Model configuration: the handful of numbers that decide a GPT's shape, their
// Hugging Face GPT-2 names, presets, and validation with messages that say
// which value is wrong and why.

/** Shape of a GPT-2-style model. Field names are ours; `toHfConfig` maps them to HF's. */
export interface ModelConfig {
  /** Tokens in the vocabulary (HF `vocab_size`); must equal the tokenizer's size. */
  vocabSize: number;
  /** Longest sequence the model sees at once (HF `n_positions`); learned positions stop here. */
  contextLength: number;
  /** Residual stream width (HF `n_embd`); split evenly across the heads. */
  width: number;
  /** Transformer blocks (HF `n_layer`). */
  layers: number;
  /** Attention heads per block (HF `n_head`); width / heads is each head's size. */
  heads: number;
  // The fields below are absent for the studio's own models, which use GPT-2's
  // choices; they are set only for imported Hugging Face models that differ.
  /** MLP nonlinearity (HF `activation_function`); default GPT-2's tanh-GELU "gelu_new". */
  activation?: Activation;
  /** Added to the variance in every layer norm (HF `layer_norm_epsilon`); default 1e-5. */
  layerNormEps?: number;
  /** MLP hidden width (HF `n_inner`); default 4 * width. */
  mlpWidth?: number;
  /** False: a separate `lm_head.weight` (vocab, width) instead of the token embedding (HF `tie_word_embeddings`). */
  tiedHead?: boolean;
  /** Attention scores of block i are also divided by i + 1 (HF `scale_attn_by_inverse_layer_idx`). */
  scaleAttnByLayer?: boolean;
}

/** The five numbers every model has and the model form edits. */
export type ShapeField = 'vocabSize' | 'contextLength' | 'width' | 'layers' | 'heads';

/** The MLP nonlinearities the model implements, by their HF names. */
export type Activation = 'gelu_new' | 'gelu' | 'relu';
const ACTIVATIONS: readonly Activation[] = ['gelu_new', 'gelu', 'relu'];

/** Constants shared by every preset, as in GPT-2. */
export const LAYER_NORM_EPS = 1e-5;
export const INIT_STD = 0.02;
/** The MLP widens the stream 4x, as GPT-2 does (HF `n_inner` = null). */
export const MLP_RATIO = 4;

/** MLP hidden width: `mlpWidth` or GPT-2's 4 * width. */
export function mlpWidthOf(c: ModelConfig): number {
  return c.mlpWidth ?? MLP_RATIO * c.width;
}

/** Layer-norm epsilon: `layerNormEps` or GPT-2's 1e-5. */
export function layerNormEpsOf(c: ModelConfig): number {
  return c.layerNormEps ?? LAYER_NORM_EPS;
}

export interface Preset {
  id: string;
  label: string;
  /** Why a user would pick it, shown beside the choice. */
  note: string;
  config: ModelConfig;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'micro',
    label: 'Micro (~37K params)',
    // Small enough to train a few steps per second even on an emulated GPU,
    // which is what the browser tests and a first look need.
    note: 'Trains in seconds anywhere; learns character patterns only.',
    config: { vocabSize: 320, contextLength: 32, width: 32, layers: 2, heads: 2 },
  },
  {
    id: 'small',
    label: 'Small (~0.9M params)',
    // The benchmark's S config: big enough to memorise a page of text.
    note: 'Memorises a short text in a few hundred steps on a laptop GPU.',
    config: { vocabSize: 512, contextLength: 64, width: 128, layers: 4, heads: 4 },
  },
  {
    id: 'medium',
    label: 'Medium (~5M params)',
    // The benchmark's M config and the peer's default size; needs a real GPU.
    note: 'Learns facts from a corpus; needs a real GPU for comfortable speed.',
    config: { vocabSize: 2000, contextLength: 128, width: 256, layers: 6, heads: 4 },
  },
];

/** What a training run will ask of the device, used to refuse configs that cannot fit. */
export interface DeviceLimits {
  /** Largest single buffer the backend can allocate, in bytes (WebGPU `maxBufferSize`). */
  maxBufferBytes: number;
  /** Largest buffer one shader may bind (WebGPU `maxStorageBufferBindingSize`). */
  maxBindingBytes: number;
  /** Rough memory budget for all tensors of a training run, in bytes. */
  memoryBudgetBytes: number;
}

/** Generous defaults for backends that expose no limits (cpu, wasm in Node). */
export const DEFAULT_LIMITS: DeviceLimits = {
  maxBufferBytes: 2 ** 31,
  maxBindingBytes: 2 ** 31,
  memoryBudgetBytes: 4 * 2 ** 30,
};

export interface ConfigProblem {
  field: keyof ModelConfig | 'batchSize' | 'memory';
  message: string;
}

export function paramCount(c: ModelConfig): number {
  const d = c.width;
  const f = mlpWidthOf(c);
  const perBlock =
    2 * d + // ln_1
    d * 3 * d + 3 * d + // attn.c_attn
    d * d + d + // attn.c_proj
    2 * d + // ln_2
    d * f + f + // mlp.c_fc
    f * d + d; // mlp.c_proj
  const head = c.tiedHead === false ? c.vocabSize * d : 0; // lm_head.weight when untied
  return c.vocabSize * d + c.contextLength * d + c.layers * perBlock + 2 * d + head;
}

/** Bytes of the largest single tensor a training step creates, and an estimate of the total. */
export function memoryEstimate(c: ModelConfig, batchSize: number): { largestBytes: number; totalBytes: number; largestName: string } {
  const B = batchSize;
  const T = c.contextLength;
  const d = c.width;
  const f32 = 4;
  const candidates: Array<[string, number]> = [
    ['logits (batch x context x vocab)', B * T * c.vocabSize * f32],
    ['attention scores (batch x heads x context x context)', B * c.heads * T * T * f32],
    ['MLP activations (batch x context x MLP width)', B * T * mlpWidthOf(c) * f32],
    ['token embedding (vocab x width)', c.vocabSize * d * f32],
  ];
  candidates.sort((a, b) => b[1] - a[1]);
  const [largestName, largestBytes] = candidates[0]!;
  // Weights, gradients and two Adam moments, plus the activations kept for backprop
  // (per block: ~12 tensors of B*T*d, the 4d MLP pair, and attention probabilities).
  const weights = paramCount(c) * f32 * 4;
  const perLayerActs = (B * T * d * 12 + B * T * mlpWidthOf(c) * 3 + B * c.heads * T * T * 3) * f32;
  const totalBytes = weights + c.layers * perLayerActs + B * T * c.vocabSize * f32 * 3;
  return { largestBytes, totalBytes, largestName };
}

/** "128 or 132" for width 130 and 4 heads. */
function nearbyMultiples(value: number, of: number): string {
  const lo = Math.floor(value / of) * of;
  return lo > 0 ? `${lo} or ${lo + of}` : `${of}`;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Every reason this config cannot be built or trained, each naming the value and why.
 * An empty list means the config is usable.
 */
export function validateConfig(
  c: Partial<ModelConfig>,
  opts: { batchSize?: number; limits?: DeviceLimits; tokenizerVocab?: number } = {},
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const intField = (field: keyof ModelConfig, min: number, max: number, why: string): void => {
    const v = c[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.push({ field, message: `${field} is missing or not a number (got ${String(v)}).` });
    } else if (!Number.isInteger(v)) {
      problems.push({ field, message: `${field} must be a whole number (got ${v}).` });
    } else if (v < min || v > max) {
      problems.push({ field, message: `${field} = ${v} is out of range: it must be between ${min} and ${max} (${why}).` });
    }
  };
  intField('vocabSize', 2, 65536, 'token ids are stored as 16-bit values in datasets');
  intField('contextLength', 1, 4096, 'attention memory grows with the square of the context');
  intField('width', 1, 4096, 'wider models do not fit a browser');
  intField('layers', 1, 64, 'deeper models do not fit a browser');
  intField('heads', 1, 64, 'each head needs at least one channel');
  if (c.mlpWidth !== undefined) intField('mlpWidth', 1, 65536, 'the MLP hidden width must fit a browser');
  if (c.layerNormEps !== undefined && !(typeof c.layerNormEps === 'number' && c.layerNormEps > 0 && c.layerNormEps < 1)) {
    problems.push({ field: 'layerNormEps', message: `layerNormEps = ${String(c.layerNormEps)} must be a number between 0 and 1.` });
  }
  if (c.activation !== undefined && !ACTIVATIONS.includes(c.activation)) {
    problems.push({ field: 'activation', message: `activation = ${String(c.activation)} is not one of ${ACTIVATIONS.join(', ')}.` });
  }
  if (problems.length > 0) return problems;
  const cfg = c as ModelConfig;
  if (cfg.width % cfg.heads !== 0) {
    problems.push({
      field: 'width',
      message: `width = ${cfg.width} is not divisible by heads = ${cfg.heads}: each head must get an equal share of the width (try ${nearbyMultiples(cfg.width, cfg.heads)}).`,
    });
  }
  if (opts.tokenizerVocab !== undefined && opts.tokenizerVocab > cfg.vocabSize) {
    problems.push({
      field: 'vocabSize',
      message: `vocabSize = ${cfg.vocabSize} is smaller than the tokenizer's ${opts.tokenizerVocab} tokens: every token id needs an embedding row.`,
    });
  }
  const batch = opts.batchSize ?? 1;
  if (!Number.isInteger(batch) || batch < 1 || batch > 4096) {
    problems.push({ field: 'batchSize', message: `batch size = ${batch} must be a whole number between 1 and 4096.` });
    return problems;
  }
  if (opts.limits) {
    const est = memoryEstimate(cfg, batch);
    const maxOne = Math.min(opts.limits.maxBufferBytes, opts.limits.maxBindingBytes);
    if (est.largestBytes > maxOne) {
      problems.push({
        field: 'memory',
        message: `The model does not fit this device: its ${est.largestName} needs ${mib(est.largestBytes)} in one buffer, but the device allows at most ${mib(maxOne)}. Lower the batch size, context, vocabulary or width.`,
      });
    }
    if (est.totalBytes > opts.limits.memoryBudgetBytes) {
      problems.push({
        field: 'memory',
        message: `The model does not fit this device: training needs about ${mib(est.totalBytes)}, more than the ${mib(opts.limits.memoryBudgetBytes)} budget. Lower the batch size, context, width or layers.`,
      });
    }
  }
  return problems;
}

/** Throws one error listing every problem; for callers that cannot show a list. */
export function assertValidConfig(c: Partial<ModelConfig>, opts?: Parameters<typeof validateConfig>[1]): ModelConfig {
  const problems = validateConfig(c, opts);
  if (problems.length > 0) throw new ConfigError(problems);
  return c as ModelConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid model config: ${problems.map((p) => p.message).join(' ')}`);
    this.name = 'ConfigError';
  }
}

/** Hugging Face GPT-2 config.json for this model (special-token ids are added by the exporter). */
export function toHfConfig(c: ModelConfig): Record<string, unknown> {
  const hf: Record<string, unknown> = {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: c.vocabSize,
    n_positions: c.contextLength,
    n_ctx: c.contextLength,
    n_embd: c.width,
    n_layer: c.layers,
    n_head: c.heads,
    n_inner: c.mlpWidth ?? null,
    activation_function: c.activation ?? 'gelu_new',
    layer_norm_epsilon: layerNormEpsOf(c),
    initializer_range: INIT_STD,
    tie_word_embeddings: c.tiedHead !== false,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
  };
  if (c.scaleAttnByLayer) hf.scale_attn_by_inverse_layer_idx = true;
  return hf;
}

/** A config.json field whose value the studio cannot compute with; names the field and the value. */
export class UnsupportedConfigError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    why: string,
  ) {
    super(`${field} = ${JSON.stringify(value)} is not supported: ${why}.`);
    this.name = 'UnsupportedConfigError';
  }
}

/**
 * Reads a Hugging Face GPT-2 config.json (or our own field names) into a ModelConfig.
 * Every GPT-2 field that changes what the model computes is either carried over or
 * refused with an UnsupportedConfigError naming it, never ignored. Fields equal to
 * GPT-2's defaults are left out of the result, so the studio's own models stay plain.
 * Dropout is not carried: the studio trains without it.
 */
export function fromHfConfig(json: Record<string, unknown>): ModelConfig {
  const num = (...keys: string[]): number | undefined => {
    for (const k of keys) {
      const v = json[k];
      if (typeof v === 'number') return v;
    }
    return undefined;
  };
  const modelType = json.model_type;
  if (modelType !== undefined && modelType !== 'gpt2') {
    throw new UnsupportedConfigError('model_type', modelType, 'only GPT-2 models ("gpt2") can be loaded');
  }
  const c: Partial<ModelConfig> = {
    vocabSize: num('vocab_size', 'vocabSize'),
    contextLength: num('n_positions', 'n_ctx', 'contextLength'),
    width: num('n_embd', 'width'),
    layers: num('n_layer', 'layers'),
    heads: num('n_head', 'heads'),
  };
  const activation = json.activation_function ?? json.activation;
  if (activation === 'gelu' || activation === 'relu') c.activation = activation;
  else if (activation !== undefined && activation !== 'gelu_new' && activation !== 'gelu_pytorch_tanh') {
    throw new UnsupportedConfigError('activation_function', activation, 'the studio implements gelu_new (= gelu_pytorch_tanh), gelu and relu');
  }
  const eps = json.layer_norm_epsilon ?? json.layerNormEps;
  if (eps !== undefined && eps !== LAYER_NORM_EPS) {
    if (typeof eps !== 'number' || !(eps > 0)) throw new UnsupportedConfigError('layer_norm_epsilon', eps, 'it must be a positive number');
    c.layerNormEps = eps;
  }
  const inner = json.n_inner ?? json.mlpWidth;
  if (inner !== undefined && inner !== null) {
    if (typeof inner !== 'number' || !Number.isInteger(inner) || inner < 1) throw new UnsupportedConfigError('n_inner', inner, 'it must be a positive whole number or null');
    if (inner !== MLP_RATIO * (c.width ?? NaN)) c.mlpWidth = inner;
  }
  const tied = json.tie_word_embeddings ?? json.tiedHead;
  if (tied === false) c.tiedHead = false;
  else if (tied !== undefined && tied !== true) throw new UnsupportedConfigError('tie_word_embeddings', tied, 'it must be true or false');
  const byLayer = json.scale_attn_by_inverse_layer_idx ?? json.scaleAttnByLayer;
  if (byLayer === true) c.scaleAttnByLayer = true;
  else if (byLayer !== undefined && byLayer !== false) throw new UnsupportedConfigError('scale_attn_by_inverse_layer_idx', byLayer, 'it must be true or false');
  if (json.scale_attn_weights === false) {
    throw new UnsupportedConfigError('scale_attn_weights', false, 'the studio always divides attention scores by the square root of the head size');
  }
  if (json.add_cross_attention === true) {
    throw new UnsupportedConfigError('add_cross_attention', true, 'cross-attention needs an encoder, which a GPT-2 language model does not have');
  }
  // reorder_and_upcast_attn only changes the precision of half-precision attention;
  // the studio computes in float32 throughout, so it needs nothing.
  return assertValidConfig(c);
}
