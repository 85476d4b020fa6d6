"""uiray SFT vs TRL's SFTTrainer: tokens/s and loss with the same model, data, LoRA, optimizer, packing and steps.

    pip install -e '.[bench]'   # TRL: only this benchmark uses it
    python benchmarks/sft_vs_trl.py [--model tiny|smollm2-135m-instruct] [--variants 1 2] [--steps N]
                                    [--seq-len N] [--samples N] [--lr X] [--max-load 1.0 --max-wait 1200]

Two variants, each a uiray run then a TRL run, every run in its own process (uiray: `python jobs/sft.py`, its
own Ray cluster; TRL: this script with --trl-child):
    1  one core each: uiray with 1 Ray Train worker (torch 1 thread) vs TRL with torch 1 thread
    2  both cores:    uiray with 2 DDP workers (gloo, 1 thread each) vs TRL in one process with torch 2 threads
                     (TRL's way of using one machine's cores; accelerate launch with 2 CPU processes is not tried)

What is held equal, and how:
- data: the skewed corpus of sft_packing.py (most replies cut short, 15% whole pages) and a 32-sample held-out set.
  TRL gets it pre-tokenized by uiray's encode_chat (input_ids + labels), so both learn the same tokens of the
  same samples: the assistant reply and its stop token (TRL tokenizing prompt/completion itself would also label
  the newline after <|im_end|> and tokenize prompt and reply in one piece).
- packing, no cross-sample attention in either: uiray packs rows by first-fit decreasing and passes a
  block-diagonal 4D mask; TRL packs by best-fit decreasing (its default "bfd"), which implies padding-free
  batches: a micro-batch's rows are concatenated into one sequence and transformers builds the block mask from
  the restarting position_ids (use_cache is off in both). The loss of a packed batch equals that of its samples
  run one by one in both layouts (checked while writing this).
- batch and steps: 4 packed rows of seq_len per optimizer step in every run, 2 rows per forward (uiray 1 worker:
  micro 2 x grad_accum 2; 2 workers: micro 2 each; TRL: per_device 2 x grad_accum 2). One epoch: the number of
  steps is what the smaller of the two packings fills (--steps caps it), so both see the same samples bar a row.
- model: the same base in bf16 with sdpa, LoRA r/alpha/dropout/targets from uiray's LoraConfig, adapters in
  fp32, same seed; no autocast (TRL's bf16=True default is turned off: uiray runs the bf16 weights as stored);
  gradient checkpointing off in both (both default to on; --gradient-checkpointing turns it on in both).
- optimizer: torch AdamW (same lr, betas, eps, weight decay on the LoRA matrices), cosine schedule with a linear
  warm-up of ceil(3% of steps), gradient clipping at 1.0; the loss is the mean over the step's labelled tokens.
- tokens/s: real (non-pad) tokens / step time over the steps after --warmup, as a median of steps and as total
  tokens / total step time. uiray: its logged tokens_per_s (from collating the first micro-batch to after the
  optimizer step and the metric all-reduce). TRL: a callback's on_step_begin -> on_step_end (forward/backward of
  both micro-batches, clipping, optimizer, scheduler); TRL fetches and collates the step's batches before
  on_step_begin, so its window leaves out its collate where uiray's includes it. Both also get a step-to-step
  rate over the same steps: TRL's from the callback (fetch, collate, logging included), uiray's from the times
  rank 0's progress lines reach this process through Ray's log relay (good to a fraction of a second over the
  run). It includes what uiray does between steps: the wait for the next batch, and ray.train.report(), which
  in Ray Train 2.60 waits until the controller - collecting every 2 s (RAY_TRAIN_HEALTH_CHECK_INTERVAL_S) - has
  taken the previous report (uiray reported every step until 948a026, which held the tiny model to one step per
  ~2 s; now every 10 steps). Model load, Ray startup and data preparation are in neither rate.
- loss: the mean training loss over the last 20% of steps (the two data orders differ, so batches differ; the
  script prints the batch-to-batch noise of such a mean), and the held-out loss of both final adapters, computed
  here by the same code on the same samples: the comparison to judge by.
Not equal: the data order; the packing algorithm; uiray also computes token and critical-token accuracy each
step, TRL entropy and token accuracy (from a fused, chunked LM head that never materialises full logits); a
TRL forward is one sequence of 2 x seq_len (padding-free), whose attention covers twice the length of uiray's
two rows - SDPA on CPU computes masked pairs too, so attention-bound models (the tiny one) pay for it.
Ratios are uiray / TRL (issue goals: tokens/s >= 1.0x, final loss within 2%). The machine is shared: --max-load
waits for a quiet machine before each run and the load averages are printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sft_packing import (
    TINY,
    fill_defaults,
    length_summary,
    prepare_model,
    read_jsonl,
    run_uiray,
    sft_config,
    skewed_rows,
    step_stats,
    wait_for_quiet,
    write_jsonl,
)

EVAL_SAMPLES = 32
ROWS_PER_FORWARD = 2
ROWS_PER_STEP = 4
DEFAULTS = {
    TINY: {"samples": 600, "seq_len": 2048, "lr": 1e-3, "warmup": 5},
    "other": {"samples": 60, "seq_len": 512, "lr": 1e-4, "warmup": 2},
}


# ----------------------------------------------------------------------------- data


def encode_rows(rows: list[dict], model: str, seq_len: int) -> list[dict]:
    """Rows -> {id, input_ids, labels} exactly as `uiray sft` encodes them (system prompt, reply-only labels)."""
    from uiray.config import UI_SYSTEM_PROMPT
    from uiray.train.data import encode_sft

    encode = encode_sft(model, "chat", UI_SYSTEM_PROMPT, seq_len)
    batch = encode({"id": [r["id"] for r in rows], "system": [None] * len(rows),
                    "prompt": [r["prompt"] for r in rows], "completion": [r["completion"] for r in rows]})  # fmt: skip
    return [{"id": i, "input_ids": ids.tolist(), "labels": labels.tolist()}
            for i, ids, labels in zip(batch["id"], batch["input_ids"], batch["labels"], strict=True)]  # fmt: skip


def packed_rows(encoded: list[dict], seq_len: int, seed: int) -> tuple[int, int]:
    """(uiray's, TRL's) number of packed rows for these samples, computed as each of them packs."""
    import datasets
    from trl.data_utils import pack_dataset

    from uiray.data.split import split_key
    from uiray.train.data import PACK_BUFFER
    from uiray.train.packing import pack

    order = sorted(encoded, key=lambda r: split_key(r["id"], seed + 1))  # uiray.train.data.ordered
    ours = sum(len(pack(order[i : i + PACK_BUFFER], seq_len)) for i in range(0, len(order), PACK_BUFFER))
    table = datasets.Dataset.from_list([{"input_ids": r["input_ids"], "labels": r["labels"]} for r in encoded])
    return ours, len(pack_dataset(table, seq_len, "bfd"))


# ----------------------------------------------------------------------------- TRL side (child process)


def trl_child(spec_path: str) -> None:
    """One TRL SFTTrainer run as described in spec.json; writes result.json next to it and the adapter."""
    spec = json.loads(Path(spec_path).read_text())
    out = Path(spec["output_dir"])
    import torch

    torch.set_num_threads(spec["threads"])
    import datasets
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    class StepClock(TrainerCallback):
        """Per optimizer step: on_step_begin -> on_step_end seconds, step-to-step seconds, loss, tokens."""

        def __init__(self):
            self.steps: list[dict] = []
            self.begin = self.last_end = None

        def on_step_begin(self, args, state, control, **kwargs):
            self.begin = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            now = time.perf_counter()
            loop = now - self.last_end if self.last_end is not None else None
            self.steps.append({"step": state.global_step, "seconds": now - self.begin, "loop_seconds": loop})
            self.last_end = now

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs and self.steps:
                self.steps[-1].update(loss=logs["loss"], num_tokens=logs.get("num_tokens"))

    started = time.perf_counter()
    torch.manual_seed(spec["seed"])  # as uiray.train.loop.load_model: same adapter init
    model = AutoModelForCausalLM.from_pretrained(spec["model"], dtype=torch.bfloat16, attn_implementation="sdpa")
    model.config.use_cache = False
    tokenizer = AutoTokenizer.from_pretrained(spec["model"])
    lora = spec["lora"]
    model = get_peft_model(model, LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                                             target_modules=lora["target_modules"], task_type="CAUSAL_LM"))  # fmt: skip
    train = datasets.Dataset.from_list(read_jsonl(Path(spec["train"])))
    args = SFTConfig(
        output_dir=str(out / "trainer"),
        max_steps=spec["steps"],
        per_device_train_batch_size=ROWS_PER_FORWARD,
        gradient_accumulation_steps=ROWS_PER_STEP // ROWS_PER_FORWARD,
        learning_rate=spec["lr"],
        lr_scheduler_type="cosine",
        warmup_steps=spec["warmup_steps"],
        weight_decay=spec["weight_decay"],
        max_grad_norm=spec["max_grad_norm"],
        optim="adamw_torch",
        packing=True,
        packing_strategy="bfd",
        max_length=spec["seq_len"],
        bf16=False,
        gradient_checkpointing=spec["gradient_checkpointing"],
        gradient_checkpointing_kwargs={"use_reentrant": False},  # as uiray.train.loop.load_model
        use_cpu=True,
        seed=spec["seed"],
        logging_steps=1,
        save_strategy="no",
        eval_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    clock = StepClock()
    trainer = SFTTrainer(model=model, args=args, train_dataset=train, processing_class=tokenizer, callbacks=[clock])
    prepared = time.perf_counter() - started
    trainer.train()
    model.save_pretrained(out / "adapter")
    result = {"steps": clock.steps, "prepare_s": prepared, "rows": len(trainer.train_dataset),
              "trainable_dtypes": sorted({str(p.dtype) for p in model.parameters() if p.requires_grad}),
              "threads": torch.get_num_threads()}  # fmt: skip
    (out / "result.json").write_text(json.dumps(result))


def run_trl(spec: dict, threads: int) -> dict:
    out = Path(spec["output_dir"])
    out.mkdir(parents=True, exist_ok=True)
    spec_path = out / "spec.json"
    spec_path.write_text(json.dumps({**spec, "threads": threads}))
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    with open(out / "run.log", "w") as log:
        proc = subprocess.run([sys.executable, __file__, "--trl-child", str(spec_path)],
                              stdout=log, stderr=subprocess.STDOUT, env=env, cwd=Path(__file__).parent)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"TRL run failed (exit {proc.returncode}):\n{(out / 'run.log').read_text()[-3000:]}")
    result = json.loads((out / "result.json").read_text())
    result["wall_s"] = time.perf_counter() - started
    return result


def trl_stats(result: dict, warmup: int) -> dict:
    steps = [s for s in result["steps"] if "loss" in s]
    tokens = [b["num_tokens"] - a["num_tokens"] for a, b in zip([{"num_tokens": 0}, *steps], steps, strict=False)]
    kept = [(s, t) for s, t in zip(steps, tokens, strict=True) if s["step"] > warmup]
    loops = [s["loop_seconds"] for s, _ in kept if s["loop_seconds"]]
    return {
        "steps": len(kept),
        "median_tokens_per_s": statistics.median(t / s["seconds"] for s, t in kept),
        "tokens_per_s": sum(t for _, t in kept) / sum(s["seconds"] for s, _ in kept),
        "loop_tokens_per_s": sum(t for (s, t) in kept if s["loop_seconds"]) / sum(loops),
        "tokens_per_step": sum(t for _, t in kept) / len(kept),
        "median_step_s": statistics.median(s["seconds"] for s, _ in kept),
        "losses": [s["loss"] for s in steps],
    }


# ----------------------------------------------------------------------------- held-out loss (same code for both)


def held_out_loss(model_dir: str, adapter: Path, samples: list[dict]) -> float:
    """Mean next-token loss over the labelled tokens of the held-out samples, one sample per forward."""
    import torch
    import torch.nn.functional as F
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16, attn_implementation="sdpa")
    model = PeftModel.from_pretrained(model, str(adapter)).eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for s in samples:
            logits = model(input_ids=torch.tensor([s["input_ids"]]), use_cache=False).logits[0, :-1].float()
            labels = torch.tensor(s["labels"][1:])
            total += float(F.cross_entropy(logits, labels, ignore_index=-100, reduction="sum"))
            count += int((labels != -100).sum())
    return total / count


# ----------------------------------------------------------------------------- driver


def tail(losses: list[float], share: float = 0.2) -> list[float]:
    """The last `share` of the per-step losses (at least two)."""
    return losses[-max(2, round(len(losses) * share)) :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=TINY, help="'tiny' (built here) or a model uiray resolves")
    parser.add_argument("--variants", nargs="+", default=["1", "2"], choices=["1", "2"])
    parser.add_argument("--samples", type=int, help="training samples (600 tiny, 60 otherwise)")
    parser.add_argument("--seq-len", type=int, help="packed row length (2048 tiny, 512 otherwise)")
    parser.add_argument("--steps", type=int, help="cap on the optimizer steps (default: one epoch)")
    parser.add_argument("--warmup", type=int, help="first steps left out of tokens/s (5 tiny, 2 otherwise)")
    parser.add_argument("--lr", type=float, help="peak learning rate (1e-3 tiny: its loss must move; 1e-4 otherwise)")
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--gradient-checkpointing", action="store_true", help="in both (uiray's config default)")
    parser.add_argument("--long-share", type=float, default=0.15, help="share of samples that are whole pages")
    parser.add_argument("--max-load", type=float, default=1.0, help="before each run, wait for this load average")
    parser.add_argument("--max-wait", type=float, default=0.0, help="... for at most this many seconds")
    parser.add_argument("--workdir", help="keep the runs here (default: a temporary directory)")
    parser.add_argument("--trl-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trl_child:
        return trl_child(args.trl_child)
    fill_defaults(args, DEFAULTS)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="uiray-bench-") as tmp:
        workdir = Path(args.workdir or tmp)
        model = prepare_model(args.model, workdir)
        rows = skewed_rows(args.samples + EVAL_SAMPLES, args.long_share, (100, 1000))
        data = workdir / "data"
        write_jsonl(data / "train.jsonl", rows[EVAL_SAMPLES:])
        write_jsonl(data / "eval.jsonl", rows[:EVAL_SAMPLES])
        encoded = encode_rows(rows, model, args.seq_len)
        train, held = encoded[EVAL_SAMPLES:], encoded[:EVAL_SAMPLES]
        write_jsonl(data / "train_tokens.jsonl", [{"input_ids": r["input_ids"], "labels": r["labels"]} for r in train])
        ours, theirs = packed_rows(train, args.seq_len, seed=0)
        steps = min(ours, theirs) // ROWS_PER_STEP
        steps = min(steps, args.steps) if args.steps else steps
        print(length_summary([len(r["input_ids"]) for r in train], args.seq_len))
        print(f"packed rows: uiray {ours}, TRL {theirs} -> {steps} steps of {ROWS_PER_STEP} rows; model {args.model}")
        lengths = {r["id"]: len(r["input_ids"]) for r in encoded}
        pairs = {v: run_variant(int(v), model, data, workdir, steps, lengths, args) for v in args.variants}
        for variant, (ui, trl) in pairs.items():
            ui["eval"] = held_out_loss(model, ui["adapter"], held)
            trl["eval"] = held_out_loss(model, trl["adapter"], held)
            print_comparison(variant, ui, trl)
    print(f"load average now {os.getloadavg()[0]:.2f}; {time.perf_counter() - started:.0f} s in all")


def run_variant(workers: int, model: str, data: Path, workdir: Path, steps: int, lengths: dict, args):
    """uiray with `workers` Ray Train workers, then TRL with as many torch threads; returns both stats."""
    run_args = argparse.Namespace(
        steps=steps, seq_len=args.seq_len, micro_batch=ROWS_PER_FORWARD, workers=workers,
        grad_accum=ROWS_PER_STEP // (workers * ROWS_PER_FORWARD), gradient_checkpointing=args.gradient_checkpointing,
    )  # fmt: skip
    optim = {"train.lr": args.lr, "train.weight_decay": args.weight_decay}
    cfg = sft_config(model, data, workdir / f"uiray-{workers}", run_args, True, **optim)
    load = wait_for_quiet(args.max_load, args.max_wait)
    summary = run_uiray(cfg)
    ui = step_stats(Path(cfg.output_dir), lengths, args.warmup, summary["line_times"])
    ui.update(wall_s=summary["wall_s"], load=load, adapter=Path(cfg.output_dir) / "final")
    report("uiray", workers, ui)

    spec = {
        "model": model, "train": str(data / "train_tokens.jsonl"), "output_dir": str(workdir / f"trl-{workers}"),
        "steps": steps, "seq_len": args.seq_len, "lr": cfg.train.lr, "weight_decay": cfg.train.weight_decay,
        "warmup_steps": math.ceil(steps * cfg.train.warmup_ratio - 1e-9),  # as uiray's cosine_schedule
        "max_grad_norm": cfg.train.max_grad_norm, "seed": cfg.seed, "lora": cfg.lora.model_dump(),
        "gradient_checkpointing": cfg.train.gradient_checkpointing,
    }  # fmt: skip
    load = wait_for_quiet(args.max_load, args.max_wait)
    raw = run_trl(spec, threads=workers)
    trl = trl_stats(raw, args.warmup)
    trl.update(wall_s=raw["wall_s"], load=load, adapter=Path(spec["output_dir"]) / "adapter")
    report("TRL", workers, trl)
    return ui, trl


def report(name: str, variant: int, r: dict) -> None:
    print(f"[{variant}] {name}: {r['median_tokens_per_s']:.0f} tokens/s (median step), {r['tokens_per_s']:.0f} "
          f"(total), {r['loop_tokens_per_s']:.0f} (step-to-step) over {r['steps']} steps, {r['tokens_per_step']:.0f} "
          f"tokens/step, {r['median_step_s']:.3f} s/step; loss {r['losses'][0]:.3f} -> {r['losses'][-1]:.3f}; "
          f"run {r['wall_s']:.0f} s; load at start {r['load']:.2f}", flush=True)  # fmt: skip


def print_comparison(variant: str, ui: dict, trl: dict) -> None:
    what = {"1": "1 worker vs 1 thread", "2": "2 DDP workers vs 2 threads"}[variant]
    last_ui, last_trl = tail(ui["losses"]), tail(trl["losses"])
    train_ui, train_trl = statistics.mean(last_ui), statistics.mean(last_trl)
    noise = statistics.stdev(last_ui + last_trl) / math.sqrt(len(last_ui)) / train_trl  # of one side's mean
    print(
        f"variant {variant} ({what}): tokens/s uiray/TRL {ratio(ui, trl, 'median_tokens_per_s')} (median step), "
        f"{ratio(ui, trl, 'tokens_per_s')} (total), {ratio(ui, trl, 'loop_tokens_per_s')} (step-to-step)"
    )
    print(f"  train loss, mean of the last {len(last_ui)} steps: uiray {train_ui:.4f}, TRL {train_trl:.4f} "
          f"({(train_ui - train_trl) / train_trl:+.1%}; batch-to-batch noise of such a mean ~{noise:.1%})")  # fmt: skip
    print(f"  held-out loss: uiray {ui['eval']:.4f}, TRL {trl['eval']:.4f} "
          f"({(ui['eval'] - trl['eval']) / trl['eval']:+.1%})")  # fmt: skip


def ratio(a: dict, b: dict, key: str) -> str:
    return f"{a[key] / b[key]:.2f}x"


if __name__ == "__main__":
    main()
