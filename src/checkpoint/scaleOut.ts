// The scale-out bundle written beside exported weights: the dataset as
// TRL-ready JSONL (messages and prompt/completion forms), train_trl.py that
// continues tuning with TRL's SFTTrainer from the exported folder with the
// studio's masking, and accelerate configs for several GPUs and for DeepSpeed
// ZeRO-2. SCALE_OUT.md says how to take the model to a GPU cluster and bring
// the result back. `npm run test:interop` runs train_trl.py with transformers.

import type { Example } from '../data/schema';
import type { PromptTemplate } from '../data/templates';
import { toTrlJsonl } from '../data/trl';

/** Tuning settings the script starts from (the studio run's, where there was one). */
export interface ScaleOutSettings {
  steps: number;
  learningRate: number;
  batchSize: number;
  warmupSteps: number;
  trainOnInputs: boolean;
}

const DEFAULTS: ScaleOutSettings = { steps: 160, learningRate: 1e-4, batchSize: 32, warmupSteps: 10, trainOnInputs: false };

/** train_trl.py with the settings filled in. */
export function trainTrlPy(settings: Partial<ScaleOutSettings> = {}): string {
  const s = { ...DEFAULTS, ...settings };
  return TRAIN_TRL_PY.replace('__STEPS__', String(s.steps))
    .replace('__LR__', String(s.learningRate))
    .replace('__BATCH__', String(s.batchSize))
    .replace('__WARMUP__', String(s.warmupSteps))
    .replace('__TRAIN_ON_INPUTS__', s.trainOnInputs ? 'True' : 'False');
}

/** Every file of the bundle by its path in the model folder. */
export function scaleOutFiles(examples: readonly Example[], template: PromptTemplate, settings: Partial<ScaleOutSettings> = {}): Record<string, string> {
  const jsonl = toTrlJsonl(examples, template);
  return {
    'data/messages.jsonl': jsonl.messages,
    'data/prompt_completion.jsonl': jsonl.promptCompletion,
    'train_trl.py': trainTrlPy(settings),
    'accelerate_multi_gpu.yaml': ACCELERATE_MULTI_GPU,
    'accelerate_deepspeed_zero2.yaml': ACCELERATE_ZERO2,
    'SCALE_OUT.md': SCALE_OUT_MD,
  };
}

// One machine, all its GPUs, data parallel; set num_processes to the GPU count.
const ACCELERATE_MULTI_GPU = `compute_environment: LOCAL_MACHINE
distributed_type: MULTI_GPU
num_machines: 1
machine_rank: 0
num_processes: 8
gpu_ids: all
mixed_precision: bf16
main_training_function: main
rdzv_backend: static
same_network: true
use_cpu: false
`;

// ZeRO stage 2 shards optimizer state and gradients across GPUs: for models whose
// AdamW state no longer fits one GPU. Stage 3 also shards the weights.
const ACCELERATE_ZERO2 = `compute_environment: LOCAL_MACHINE
distributed_type: DEEPSPEED
deepspeed_config:
  zero_stage: 2
  gradient_accumulation_steps: 1
  gradient_clipping: 1.0
  offload_optimizer_device: none
  offload_param_device: none
  zero3_init_flag: false
num_machines: 1
machine_rank: 0
num_processes: 8
mixed_precision: bf16
main_training_function: main
rdzv_backend: static
same_network: true
use_cpu: false
`;

const SCALE_OUT_MD = `# Taking this model to a GPU cluster and back

This folder is a Hugging Face GPT-2 model (model.safetensors, config.json,
tokenizer.json, tokenizer_config.json with the studio's prompt template as
its chat template) with everything to continue tuning it elsewhere.

1. Copy the folder to the machine and install the Python packages:
   \`pip install torch transformers datasets trl accelerate\` (add \`deepspeed\` for ZeRO).
2. Run on one GPU: \`python train_trl.py\` (\`--help\` lists steps, learning rate,
   batch, \`--form prompt-completion\`, \`--data your.jsonl\`).
   On all GPUs of one machine: \`accelerate launch --config_file accelerate_multi_gpu.yaml train_trl.py\`
   (set \`num_processes\` to the number of GPUs; the batch is per GPU).
   With DeepSpeed ZeRO-2: \`accelerate launch --config_file accelerate_deepspeed_zero2.yaml train_trl.py\`.
   Several machines: set \`num_machines\`, \`machine_rank\`, \`main_process_ip\` and
   \`main_process_port\` in the YAML on each.
3. The result is written to \`trl-output/\`, another Hugging Face folder. Bring it back:
   zip it and import it in the studio's Checkpoints tab ("Import a Hugging Face GPT-2
   model"), where it can be loaded, compared, tuned further and exported again; or
   read it in Node: \`npm run eval -- --model trl-output --data ...\`.

The data: \`data/messages.jsonl\` holds each example as chat messages (a user
message may carry an \`input\` key: the instruction's input, laid out as the
studio does); \`data/prompt_completion.jsonl\` holds the same examples as the
studio's rendered text, split before the last response. Training on messages
trains every assistant turn and its end-of-text, as the studio does; training
on prompt/completion trains only the last response of a conversation.
`;

const TRAIN_TRL_PY = `"""Continue tuning an Instruct Studio model with TRL's SFTTrainer.

This file sits beside the exported weights. It trains the tokens the studio
trains: with the messages form (default), the chat template in
tokenizer_config.json marks every assistant turn and its end-of-text with
{% generation %}, and assistant_only_loss trains exactly those; with the
prompt/completion form, TRL trains the completion (the last response and its
end-of-text). --train-on-inputs trains every token, as the studio's switch
of the same name. Examples longer than the context are cut to it, as
npm run tune cuts them.

One GPU or CPU:   python train_trl.py --max-steps 160
Several GPUs:     accelerate launch --config_file accelerate_multi_gpu.yaml train_trl.py
DeepSpeed ZeRO-2: accelerate launch --config_file accelerate_deepspeed_zero2.yaml train_trl.py
The result (--out) is a Hugging Face folder the studio imports again.
"""

import argparse
import os

import torch
from datasets import load_dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

here = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser(description=__doc__.split("\\n\\n")[0])
p.add_argument("--model", default=here, help="the exported model folder (default: this file's folder)")
p.add_argument("--form", choices=["messages", "prompt-completion"], default="messages")
p.add_argument("--data", help="a JSONL file (default: data/messages.jsonl or data/prompt_completion.jsonl here)")
p.add_argument("--out", default=os.path.join(here, "trl-output"))
p.add_argument("--max-steps", type=int, default=__STEPS__)
p.add_argument("--lr", type=float, default=__LR__)
p.add_argument("--batch", type=int, default=__BATCH__, help="rows per device per step")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--train-on-inputs", action="store_true", default=__TRAIN_ON_INPUTS__)
args = p.parse_args()

tokenizer = AutoTokenizer.from_pretrained(args.model)
model = AutoModelForCausalLM.from_pretrained(args.model)
context = model.config.n_positions
data_file = args.data or os.path.join(here, "data", "messages.jsonl" if args.form == "messages" else "prompt_completion.jsonl")
dataset = load_dataset("json", data_files=data_file, split="train")


config = SFTConfig(
    output_dir=args.out,
    max_steps=args.max_steps,
    learning_rate=args.lr,
    per_device_train_batch_size=args.batch,
    # The studio's schedule: warm-up, then cosine down to a tenth; AdamW with decay 0.01.
    lr_scheduler_type="cosine_with_min_lr",
    lr_scheduler_kwargs={"min_lr_rate": 0.1},
    warmup_steps=__WARMUP__,
    max_grad_norm=1.0,
    weight_decay=0.01,
    seed=args.seed,
    max_length=context,
    assistant_only_loss=args.form == "messages" and not args.train_on_inputs,
    completion_only_loss=args.form == "prompt-completion" and not args.train_on_inputs,
    bf16=torch.cuda.is_available() and torch.cuda.is_bf16_supported(),
    logging_steps=max(1, min(10, args.max_steps // 10)),
    save_strategy="no",
    report_to="none",
)
trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
trainer.train()
trainer.save_model(args.out)
tokenizer.save_pretrained(args.out)
print(f"train_trl: saved to {args.out}; zip it and import it in the studio's Checkpoints tab")
`;
