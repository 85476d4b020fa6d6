"""uiray SFT with one Ray Train worker vs a plain single-process peft loop on the same cores: tokens/s.

    python benchmarks/sft_threads.py [--model smollm2-135m-instruct] [--threads 2] [--steps 6] [--seq-len 2048]

The plain loop is the floor a training framework should not fall below on one machine: the same model (bf16
weights as stored, sdpa), LoRA (r16 / alpha 32 on all projections, adapters in fp32), AdamW, the same packed
rows (uiray's encode + pack + collate, block-diagonal mask), 4 rows of seq_len per optimizer step as 2
micro-batches of 2, torch with --threads threads, no Ray. uiray runs `python jobs/sft.py` with one worker and
its default CPUs per worker (all of a local cluster's CPUs: --threads should be the machine's cores) and the
same settings; its rate is the tokens_per_s it logs per step. Both rates are taken over the steps after the
first (warm-up), as total tokens / total step time. Printed: both rates and uiray / plain (issue 12's goal:
at least 0.9). Each run is its own process, one after the other; the machine is shared, so run it quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sft_packing import skewed_rows, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
LORA = {"r": 16, "alpha": 32.0, "dropout": 0.0,
        "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}  # fmt: skip


def plain_child(spec_path: str) -> None:
    """The plain loop, in its own process: writes per-step seconds and tokens to result.json."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from uiray.config import UI_SYSTEM_PROMPT
    from uiray.train.data import encode_sft
    from uiray.train.packing import collate_packed, pack

    spec = json.loads(Path(spec_path).read_text())
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    rows = [json.loads(line) for line in Path(spec["train"]).read_text().splitlines()]
    encode = encode_sft(spec["model"], "chat", UI_SYSTEM_PROMPT, spec["seq_len"])
    batch = encode({k: [r.get(k) for r in rows] for k in ("id", "system", "prompt", "completion")})
    samples = [{"input_ids": list(i), "labels": list(lab), "id": row_id}
               for row_id, i, lab in zip(batch["id"], batch["input_ids"], batch["labels"], strict=True)]  # fmt: skip
    packed = pack(samples, spec["seq_len"])
    model = AutoModelForCausalLM.from_pretrained(spec["model"], dtype=torch.bfloat16, attn_implementation="sdpa")
    model.config.use_cache = False
    lora = LoraConfig(r=LORA["r"], lora_alpha=LORA["alpha"], lora_dropout=0.0, target_modules=LORA["target_modules"])
    model = get_peft_model(model, lora)
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    model.train()
    steps = []
    for step in range(spec["steps"]):
        group = packed[4 * step : 4 * step + 4]
        started = time.perf_counter()
        tokens = 0
        for micro in (group[:2], group[2:]):
            b = collate_packed(micro, pad_id=0, mask_dtype=torch.bfloat16)
            logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"],
                           position_ids=b["position_ids"]).logits  # fmt: skip
            labels = b["labels"][:, 1:]
            flat = logits[:, :-1].float().flatten(0, 1)
            loss = torch.nn.functional.cross_entropy(flat, labels.flatten(), ignore_index=-100, reduction="sum")
            loss = loss / (labels != -100).sum()
            (loss / 2).backward()
            tokens += sum(len(r["input_ids"]) for r in micro)
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        steps.append({"seconds": time.perf_counter() - started, "tokens": tokens})
        print(f"plain step {step + 1}: {tokens / steps[-1]['seconds']:.0f} tokens/s", flush=True)
    Path(spec["result"]).write_text(json.dumps(steps))


def rate(steps: list[dict]) -> float:
    """Total tokens / total seconds over the steps after the first."""
    kept = steps[1:]
    return sum(s["tokens"] for s in kept) / sum(s["seconds"] for s in kept)


def run_plain(model: str, train: Path, args, work: Path) -> float:
    spec = {"model": model, "train": str(train), "seq_len": args.seq_len, "steps": args.steps,
            "threads": args.threads, "result": str(work / "plain.json")}  # fmt: skip
    (work / "plain-spec.json").write_text(json.dumps(spec))
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    subprocess.run([sys.executable, __file__, "--plain-child", str(work / "plain-spec.json")], env=env, check=True)
    return rate(json.loads((work / "plain.json").read_text()))


def run_uiray(model: str, train: Path, args, work: Path) -> float:
    out = work / "uiray"
    command = [sys.executable, str(ROOT / "jobs" / "sft.py"), f"model.name={model}", f"train_data={train}",
               f"output_dir={out}", "wandb.mode=disabled", "scaling.num_workers=1", "train.micro_batch_size=2",
               "train.grad_accum=2", f"train.seq_len={args.seq_len}", f"train.max_steps={args.steps}",
               "train.gradient_checkpointing=false", "train.too_long=cut", "train.lr=1e-4", "lora.r=16",
               "lora.alpha=32", "lora.dropout=0", f"lora.target_modules=[{','.join(LORA['target_modules'])}]",
               "eval_fraction=0", "eval.generations=0", "checkpoint.every=1000"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    subprocess.run(command, env=env, check=True)
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in records if "tokens_per_s" in r]
    return sum(r["tokens_per_s"] for r in steps[1:]) / len(steps[1:])  # equal-token steps: the mean rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--seq-len", type=int, default=2048)
    parser.add_argument("--plain-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_child:
        return plain_child(args.plain_child)
    from uiray.models import resolve_model

    model = resolve_model(args.model)
    with tempfile.TemporaryDirectory(prefix="sft-threads-") as tmp:
        work = Path(tmp)
        # whole pages (long_share=1): every packed row is full, so every step has the same tokens in both runs
        train = write_jsonl(work / "train.jsonl", skewed_rows(8 * args.steps, 1.0, (0, 0)))
        plain = run_plain(model, train, args, work)
        ours = run_uiray(model, train, args, work)
    print(f"plain peft loop ({args.threads} threads): {plain:.0f} tokens/s")
    print(f"uiray sft, 1 worker ({args.threads} CPUs):  {ours:.0f} tokens/s")
    print(f"uiray / plain: {ours / plain:.2f}x")


if __name__ == "__main__":
    main()
