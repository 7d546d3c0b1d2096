"""The real clients' half of `npm run test:interop` (scripts/interop/studio.ts is the studio's).

  check.py export <dir>     loads an exported folder with transformers and checks it as
                            users will use it; exits non-zero naming each failed check.
  check.py variants <dir> <tokenizer dir>
                            builds tiny random HF GPT-2 models, one per config variant the
                            studio implements or refuses, with HF's logits beside each.
"""

import json
import logging
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, pipeline

failures = []


def check(ok, what):
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def export(folder):
    studio = json.load(open(os.path.join(folder, "interop", "studio.json")))

    # 1. Loading warns about nothing concerning special tokens.
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Collect()
    transformers.logging.get_logger().addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tok = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder)
        model.eval()
        generate = pipeline("text-generation", model=model, tokenizer=tok)
        out = generate("Question: What is the capital of France?\nAnswer:", do_sample=False, max_new_tokens=20, return_full_text=False)
    messages = records + [str(w.message) for w in caught]
    special = [m for m in messages if any(k in m.lower() for k in ("special token", "pad_token", "eos_token", "bos_token", "50256", "vocabulary"))]
    check(not special, f"no warnings about special tokens (got {special})")
    check(tok.eos_token == "<|endoftext|>" and tok.pad_token == "<|pad|>" and tok.model_max_length == model.config.n_positions,
          f"tokenizer eos {tok.eos_token!r}, pad {tok.pad_token!r}, model_max_length {tok.model_max_length}")

    # 2. The pipeline's greedy answer is "Paris" and it stops at end-of-text.
    check(out[0]["generated_text"].strip() == "Paris", f"pipeline greedy answer {out[0]['generated_text']!r} is 'Paris'")
    enc = tok("Question: What is the capital of France?\nAnswer:", return_tensors="pt")
    gen = model.generate(**enc, do_sample=False, max_new_tokens=20)
    new = gen[0, enc["input_ids"].shape[1]:].tolist()
    check(new[-1] == tok.eos_token_id and len(new) < 20, f"generation stops at end-of-text after {len(new)} tokens")

    # 3. apply_chat_template + generate answers too.
    chat = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}], add_generation_prompt=True, return_dict=True, return_tensors="pt")
    gen = model.generate(**chat, do_sample=False, max_new_tokens=20)
    answer = tok.decode(gen[0, chat["input_ids"].shape[1]:], skip_special_tokens=True)
    check(answer.strip() == "Paris", f"apply_chat_template + generate answers {answer!r}")
    rendered = tok.apply_chat_template([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], tokenize=False)
    check(rendered == "Question: Hi\nAnswer: Hello<|endoftext|>", f"chat template renders the studio's layout: {rendered!r}")

    # 4. Logits equal the studio's.
    raw = np.fromfile(os.path.join(folder, "interop", "studio-logits.f32"), dtype=np.float32)
    at, worst = 0, 0.0
    for ids in studio["sequences"]:
        with torch.no_grad():
            hf = model(torch.tensor([ids])).logits[0].numpy().ravel()
        ours = raw[at:at + hf.size]
        at += hf.size
        worst = max(worst, float(np.abs(hf - ours).max()))
    check(at == raw.size and worst < 1e-4, f"logits equal the studio's: max |diff| {worst:.2e} over {at} values")

    # 5. Tokenizer parity, White_Space edge cases included.
    for t in studio["tokens"]:
        hf_ids = tok(t["text"], add_special_tokens=False)["input_ids"]
        check(hf_ids == t["ids"], f"tokens of {t['text']!r} equal the studio's")

    # 6. TRL: the exported train_trl.py runs 3 SFT steps in both dataset forms, masking as the studio.
    from trl import SFTConfig, SFTTrainer
    from datasets import load_dataset
    ds = load_dataset("json", data_files=os.path.join(folder, "data", "messages.jsonl"), split="train").select(range(8))
    trainer = SFTTrainer(model=model, args=SFTConfig(output_dir="/tmp/unused", assistant_only_loss=True, max_length=64, bf16=False, report_to="none"), train_dataset=ds, processing_class=tok)
    row = trainer.train_dataset[0]
    # TRL folds the assistant mask into labels (-100 = not trained) in some versions.
    mask = row["assistant_masks"] if "assistant_masks" in row else [l != -100 for l in row["labels"]]
    trained = [i for i, m in zip(row["input_ids"], mask) if m]
    check(tok.decode(trained) == " Kabul<|endoftext|>", f"TRL's assistant mask trains {tok.decode(trained)!r} (the response and end-of-text)")
    for form in ("messages", "prompt-completion"):
        out_dir = os.path.join(folder, "interop", f"trl-{form}")
        r = subprocess.run([sys.executable, os.path.join(folder, "train_trl.py"), "--form", form, "--max-steps", "3", "--batch", "4", "--out", out_dir], capture_output=True, text=True)
        check(r.returncode == 0, f"train_trl.py --form {form} runs 3 SFT steps" + ("" if r.returncode == 0 else f":\n{r.stderr[-3000:]}"))
        if r.returncode == 0:
            again = AutoModelForCausalLM.from_pretrained(out_dir)
            check(again.config.n_positions == model.config.n_positions, f"the TRL result ({form}) loads back in transformers")


def variants(folder, tokenizer_dir):
    shutil.rmtree(folder, ignore_errors=True)
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    vocab = len(tok)
    ids = list(range(3, 3 + 16))
    base = dict(vocab_size=vocab, n_positions=32, n_embd=16, n_layer=2, n_head=2, resid_pdrop=0, embd_pdrop=0, attn_pdrop=0,
                bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    cases = {
        "defaults": ({}, torch.float32, None),
        "untied-head": ({"tie_word_embeddings": False}, torch.float32, None),
        "gelu": ({"activation_function": "gelu"}, torch.float32, None),
        "relu": ({"activation_function": "relu"}, torch.float32, None),
        "gelu-pytorch-tanh": ({"activation_function": "gelu_pytorch_tanh"}, torch.float32, None),
        "layer-norm-eps-1e-3": ({"layer_norm_epsilon": 1e-3}, torch.float32, None),
        "scale-by-layer": ({"scale_attn_by_inverse_layer_idx": True}, torch.float32, None),
        "n-inner-24": ({"n_inner": 24}, torch.float32, None),
        "float16": ({}, torch.float16, None),
        "bfloat16": ({"tie_word_embeddings": False}, torch.bfloat16, None),
        "all-at-once": ({"tie_word_embeddings": False, "activation_function": "relu", "layer_norm_epsilon": 1e-3, "scale_attn_by_inverse_layer_idx": True, "n_inner": 20}, torch.float32, None),
        "refuse-silu": ({"activation_function": "silu"}, torch.float32, ("config.json", "activation_function")),
        "refuse-unscaled-attention": ({"scale_attn_weights": False}, torch.float32, ("config.json", "scale_attn_weights")),
        "refuse-not-gpt2": ({}, torch.float32, ("config.json", "model_type")),
        "refuse-shape": ({}, torch.float32, ("model.safetensors", "wpe")),
        "refuse-no-config": ({}, torch.float32, ("config.json", "missing")),
    }
    for name, (extra, dtype, refuse) in cases.items():
        torch.manual_seed(len(name))
        config = GPT2Config(**base, **extra)
        model = GPT2LMHeadModel(config)
        with torch.no_grad():
            for p in model.parameters():  # larger than GPT-2's init, so every variant moves the logits
                p.normal_(0, 0.3)
        model = model.to(dtype).eval()
        sub = os.path.join(folder, name)
        model.save_pretrained(sub, safe_serialization=True)
        tok.save_pretrained(sub)
        with torch.no_grad():  # half-precision weights, widened as the studio widens them on load
            logits = model.float()(torch.tensor([ids])).logits[0].numpy()
        logits.astype(np.float32).tofile(os.path.join(sub, "hf-logits.f32"))
        expect = {"expect": "match", "ids": ids}
        if refuse:
            expect = {"expect": "refuse", "file": refuse[0], "field": refuse[1], "ids": ids}
            cfg_path = os.path.join(sub, "config.json")
            if name == "refuse-not-gpt2":
                cfg = json.load(open(cfg_path))
                cfg["model_type"] = "llama"
                json.dump(cfg, open(cfg_path, "w"))
            if name == "refuse-shape":
                cfg = json.load(open(cfg_path))
                cfg["n_positions"] = 64
                json.dump(cfg, open(cfg_path, "w"))
            if name == "refuse-no-config":
                os.remove(cfg_path)
        json.dump(expect, open(os.path.join(sub, "expect.json"), "w"))
    print(f"interop: built {len(cases)} tiny GPT-2 variants under {folder}")


if __name__ == "__main__":
    print(f"interop: torch {torch.__version__}, transformers {transformers.__version__}")
    if sys.argv[1] == "export":
        export(sys.argv[2])
    elif sys.argv[1] == "variants":
        variants(sys.argv[2], sys.argv[3])
    if failures:
        print(f"interop: {len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
