"""SFT tokens/s with packing vs padding: two real `uiray sft` runs, same data, model, seq_len, batch and steps.

    python benchmarks/sft_packing.py [--model tiny|smollm2-135m-instruct] [--steps N] [--seq-len N]
        [--samples N] [--long-share 0.15] [--workers 2] [--micro-batch 2] [--grad-accum 1] [--max-wait 1200]

Corpus: replies of the embedded corpus (uiray.data.embedded); --long-share of them (15%) are whole pages, which
encode_chat cuts to seq_len, the rest are cut at a uniform 100-1000 characters. With the system prompt and
the request that is 340-860 tokens for the tiny model's 600-token vocabulary (140-500 for SmolLM2's) against
seq_len 2048 (1024 for other models); the script prints the quantiles. Both runs read the same files with the
same seed (same order) and differ only in `packing`. Each is `python jobs/sft.py --config ...` in its own
process and Ray cluster, one after the other (packed first); eval (loss only, 16 samples) and the checkpoint
come at the end only; wandb is off (its service process would take CPU from the two cores).

Settings that are not the config's defaults: 2 rows per worker per forward and grad_accum 1 (the config has
1 x 8): with one sample per forward a padded batch holds no padding at all, and packing could only win by
making fewer, bigger forwards; gradient checkpointing off (on in the config; it costs both runs alike).

Measured from each run's metrics.jsonl: uiray logs tokens_per_s = real (non-pad) tokens of the step / step
time, the step running from collating its first micro-batch to after the optimizer step and the metric
all-reduce; model load, Ray startup and data preparation are outside it. Printed per run, over the steps after
--warmup: the median of tokens_per_s; total tokens / total step time (tokens per step from data_log.jsonl and
the encoded lengths); and tokens / time between rank 0's progress lines, which also counts the wait for the
next batch (the lines reach this process through Ray's log relay: good to a fraction of a second overall).
Then the ratio packed / padded (the issue's goal: >= 1.5x) and the padded run's pad share. The step-to-step
rate falls below the step-time rate when something between steps takes time: a ray.train.report() that waits
for Ray Train 2.60's controller, which collects reports every 2 s (RAY_TRAIN_HEALTH_CHECK_INTERVAL_S), held
uiray to one step per ~2 s while it reported every step (it reports every 10 steps since 948a026).

How to read it: padding costs the pad tokens and small forwards; packing costs attention over whole rows:
a packed row is one seq_len-long sequence with a block-diagonal mask, and SDPA on CPU computes every
query-key pair of the row (masked or not) - quadratic in seq_len, where a padded batch is quadratic in its
longest sample. The tiny model (hidden 128) is attention-bound at these lengths; real models less so. Judge by
the total ratio: a padded run's per-step rate spreads 2x (a step without a whole page runs up to 2x faster per
token than one with), so its median is a short-sample step. The machine is shared: the load average is printed
with the numbers; compare ratios, not absolute rates.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = "tiny"
EVAL_SAMPLES = 16
STEP_LINE = re.compile(r"\[sft\] step (\d+)/\d+ .*tokens_per_s")
# Per-model defaults: the tiny model's steps take milliseconds, SmolLM2's seconds.
DEFAULTS = {
    TINY: {"steps": 60, "warmup": 5, "seq_len": 2048, "samples": 800},
    "other": {"steps": 10, "warmup": 3, "seq_len": 1024, "samples": 300},
}


def skewed_rows(n: int, long_share: float, short_chars: tuple[int, int], seed: int = 0) -> list[dict]:
    """n SFT rows {id, prompt, completion}: long_share of them whole corpus replies, the rest cut short.

    Short replies are cut at a uniform number of characters in short_chars. Pages are reused (at most 300
    distinct ones, with different cuts and ids): throughput does not care whether two samples start alike.
    """
    from uiray.data.embedded import load_embedded

    pages = [row for row in load_embedded() if row["dup_of"] is None][: min(n, 300)]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        page = pages[i % len(pages)]
        cut = None if rng.random() < long_share else rng.randint(*short_chars)
        rows.append({"id": f"skew-{i}", "prompt": page["prompt"], "completion": page["completion"][:cut]})
    return rows


def fill_defaults(args: argparse.Namespace, defaults: dict[str, dict]) -> None:
    """Set the arguments left at None from defaults[TINY] for the tiny model, else from defaults["other"]."""
    for key, value in defaults[TINY if args.model == TINY else "other"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def encoded_lengths(rows: list[dict], tokenizer_path: str, seq_len: int) -> dict[str, int]:
    """id -> tokens of the encoded sample, as the run encodes it (uiray.train.data.encode_sft)."""
    from uiray.config import UI_SYSTEM_PROMPT
    from uiray.train.data import encode_sft

    encode = encode_sft(tokenizer_path, "chat", UI_SYSTEM_PROMPT, seq_len)
    batch = encode({"id": [r["id"] for r in rows], "system": [None] * len(rows),
                    "prompt": [r["prompt"] for r in rows], "completion": [r["completion"] for r in rows]})  # fmt: skip
    return {row_id: len(ids) for row_id, ids in zip(batch["id"], batch["input_ids"], strict=True)}


def length_summary(lengths: list[int], seq_len: int) -> str:
    q = statistics.quantiles(lengths, n=10)
    return (f"{len(lengths)} training samples, tokens: mean {statistics.mean(lengths):.0f}, p10 {q[0]:.0f}, "
            f"median {q[4]:.0f}, p90 {q[8]:.0f}, max {max(lengths)}; {sum(n >= seq_len for n in lengths)} "
            f"cut to seq_len {seq_len}")  # fmt: skip


def prepare_model(name: str, workdir: Path) -> str:
    """A model directory: the tiny test model built here, or a known/local model resolved by uiray."""
    if name == TINY:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests/ is not installed
        from tests.tiny_model import build_tiny_model

        return str(build_tiny_model(workdir / "tiny-model"))
    from uiray.models import resolve_model

    return resolve_model(name)


def sft_config(model: str, data: Path, out: Path, args, packing: bool, **extra):
    """An SFTConfig for a timing run: eval (loss only) and a checkpoint at the end only, no wandb.

    data: a directory with train.jsonl and eval.jsonl. An eval set is given because a run without one fails
    (evaluate() asks Ray Train for an "eval" shard that does not exist: KeyError in Ray Train V2).
    """
    from uiray.config import SFTConfig

    cfg = {
        "model": {"name": model},
        "train_data": str(data / "train.jsonl"),
        "eval_data": str(data / "eval.jsonl"),
        "output_dir": str(out),
        "packing": packing,
        "train": {
            "max_steps": args.steps,
            "seq_len": args.seq_len,
            "too_long": "cut",  # as measured before train.too_long existed (the default now drops long rows)
            "micro_batch_size": args.micro_batch,
            "grad_accum": args.grad_accum,
            "gradient_checkpointing": args.gradient_checkpointing,
        },
        "scaling": {"num_workers": args.workers},
        "eval": {"every": 10**6, "generations": 0, "render": False},
        "checkpoint": {"every": 10**6},
        "resume": "never",
        "wandb": {"mode": "disabled"},
    }
    for key, value in extra.items():  # "train.lr" -> cfg["train"]["lr"]
        section, _, field = key.rpartition(".")
        (cfg.setdefault(section, {}) if section else cfg)[field] = value
    return SFTConfig.model_validate(cfg)


def run_uiray(cfg, log_name: str = "run.log", timeout: float = 3600) -> dict:
    """`python jobs/sft.py --config <output_dir>/bench.yaml` in a fresh process (own Ray cluster).

    Returns summary.json plus `line_times`: step -> when rank 0's progress line for it reached this process
    (relayed by Ray's log monitor: a fraction of a second late, roughly evenly; used for step-to-step time only).
    """
    from uiray.config import save_config

    out = Path(cfg.output_dir)
    config = save_config(cfg, out, "bench.yaml")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # a local cluster, not someone's
    env["PYTHONUNBUFFERED"] = "1"
    started, line_times = time.perf_counter(), {}
    with open(out / log_name, "w") as log:
        proc = subprocess.Popen([sys.executable, str(REPO / "jobs" / "sft.py"), "--config", str(config)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)  # fmt: skip
        for line in proc.stdout:
            log.write(line)
            step = STEP_LINE.search(line)
            if step:
                line_times.setdefault(int(step.group(1)), time.perf_counter())
            if time.perf_counter() - started > timeout:
                proc.kill()
        proc.wait()
    if proc.returncode != 0:
        tail = (out / log_name).read_text()[-3000:]
        raise RuntimeError(f"uiray sft failed (exit {proc.returncode}); end of {out / log_name}:\n{tail}")
    summary = json.loads((out / "summary.json").read_text())
    summary.update(wall_s=time.perf_counter() - started, line_times=line_times)
    return summary


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def step_stats(out: Path, lengths: dict[str, int], warmup: int, line_times: dict[int, float]) -> dict:
    """Steady-state throughput of a finished run from its metrics.jsonl and data_log.jsonl (steps > warmup)."""
    steps = {r["step"]: r for r in read_jsonl(out / "metrics.jsonl") if "tokens_per_s" in r}
    log = {r["step"]: r["ids"] for r in read_jsonl(out / "data_log.jsonl")}
    kept = [s for s in sorted(steps) if s > warmup]
    tokens = [sum(lengths[i] for i in log[s]) for s in kept]
    seconds = [t / steps[s]["tokens_per_s"] for s, t in zip(kept, tokens, strict=True)]
    return {
        "steps": len(kept),
        "median_tokens_per_s": statistics.median(steps[s]["tokens_per_s"] for s in kept),
        "tokens_per_s": sum(tokens) / sum(seconds),
        "loop_tokens_per_s": sum(tokens) / (line_times[kept[-1]] - line_times[warmup]),
        "tokens_per_step": sum(tokens) / len(kept),
        "samples_per_step": sum(len(log[s]) for s in kept) / len(kept),
        "median_step_s": statistics.median(seconds),
        "losses": [steps[s]["loss"] for s in sorted(steps)],
        "log": {s: log[s] for s in kept},
    }


def pad_share(log: dict[int, list[str]], lengths: dict[str, int], micro: int) -> float:
    """Share of pad tokens in the padded run's forwards (each micro-batch padded to its longest sample)."""
    real = padded = 0
    for ids in log.values():  # one global batch per step (grad_accum 1), micro rows per worker, in order
        for k in range(0, len(ids), micro):
            chunk = [lengths[i] for i in ids[k : k + micro]]
            real, padded = real + sum(chunk), padded + len(chunk) * max(chunk)
    return 1 - real / padded


def wait_for_quiet(max_load: float, max_wait_s: float) -> float:
    """Wait (up to max_wait_s) for the 1-minute load average to fall to max_load; returns the load seen."""
    deadline = time.time() + max_wait_s
    while os.getloadavg()[0] > max_load and time.time() < deadline:
        print(f"load average {os.getloadavg()[0]:.2f} > {max_load}: waiting", flush=True)
        time.sleep(30)
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=TINY, help="'tiny' (built here) or a model uiray resolves")
    parser.add_argument("--steps", type=int, help="optimizer steps per run (default: 60 tiny, 10 otherwise)")
    parser.add_argument("--warmup", type=int, help="first steps left out of the statistics (5 tiny, 3 otherwise)")
    parser.add_argument("--seq-len", type=int, help="training sequence length (2048 tiny, 1024 otherwise)")
    parser.add_argument("--samples", type=int, help="training samples (800 tiny, 300 otherwise)")
    parser.add_argument("--long-share", type=float, default=0.15, help="share of samples that are whole pages")
    parser.add_argument("--short-chars", type=int, nargs=2, default=(100, 1000), help="cut range of the others")
    parser.add_argument("--workers", type=int, default=2, help="Ray Train workers (the config default is 2)")
    parser.add_argument("--micro-batch", type=int, default=2, help="rows per worker per forward (config: 1)")
    parser.add_argument("--grad-accum", type=int, default=1, help="micro-batches per step (config: 8)")
    parser.add_argument("--gradient-checkpointing", action="store_true", help="as the config does (off here)")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for the load average to fall to this")
    parser.add_argument("--max-wait", type=float, default=0.0, help="seconds to wait for it (0: do not wait)")
    parser.add_argument("--workdir", help="keep the runs here (default: a temporary directory)")
    args = parser.parse_args()
    fill_defaults(args, DEFAULTS)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="uiray-bench-") as tmp:
        workdir = Path(args.workdir or tmp)
        model = prepare_model(args.model, workdir)
        rows = skewed_rows(args.samples + EVAL_SAMPLES, args.long_share, args.short_chars)
        data = workdir / "data"
        write_jsonl(data / "train.jsonl", rows[EVAL_SAMPLES:])
        write_jsonl(data / "eval.jsonl", rows[:EVAL_SAMPLES])
        lengths = encoded_lengths(rows, model, args.seq_len)
        print(length_summary([lengths[r["id"]] for r in rows[EVAL_SAMPLES:]], args.seq_len))
        load = wait_for_quiet(args.max_load, args.max_wait)
        results = {}
        for packing in (True, False):
            name = "packed" if packing else "padded"
            cfg = sft_config(model, data, workdir / name, args, packing)
            summary = run_uiray(cfg)
            results[name] = step_stats(Path(cfg.output_dir), lengths, args.warmup, summary["line_times"])
            r = results[name]
            print(f"{name}: {r['median_tokens_per_s']:.0f} tokens/s (median step), {r['tokens_per_s']:.0f} "
                  f"(total tokens / total step time), {r['loop_tokens_per_s']:.0f} (step-to-step, from the progress "
                  f"lines) over {r['steps']} steps; {r['tokens_per_step']:.0f} tokens and "
                  f"{r['samples_per_step']:.1f} samples per step, {r['median_step_s']:.3f} s/step; run "
                  f"{summary['wall_s']:.0f} s ({summary['rows']} rows)", flush=True)  # fmt: skip
    packed, padded = results["packed"], results["padded"]
    print(f"padded run: {pad_share(padded['log'], lengths, args.micro_batch):.0%} of its forward tokens are padding")
    print(f"loss first/last step: packed {packed['losses'][0]:.3f}/{packed['losses'][-1]:.3f}, "
          f"padded {padded['losses'][0]:.3f}/{padded['losses'][-1]:.3f}")  # fmt: skip
    print(f"ratio packed/padded: {packed['median_tokens_per_s'] / padded['median_tokens_per_s']:.2f}x (median step), "
          f"{packed['tokens_per_s'] / padded['tokens_per_s']:.2f}x (total); model {args.model}, {args.workers} "
          f"workers x {args.micro_batch} rows, seq_len {args.seq_len}")  # fmt: skip
    print(f"load average at start {load:.2f}, now {os.getloadavg()[0]:.2f}; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
