"""Steps/s of GRPO with max_staleness=1 (rollouts overlap learning) vs 0 (synchronous), same model, prompts,
steps and sampling, in one run; and adapter vs full-weight sync time.

    python benchmarks/grpo_staleness.py [--model PATH] [--steps 8] [--n 4] [--max-tokens 64]

From the synchronous run it takes the mean time the driver spends generating and scoring (g: rollout and reward
waits) and learning and syncing (t: learner step and sync); perfect overlap would run (g + t) / max(g, t) times
faster. It prints the measured speed-up, that ideal, their ratio (the issue's goal: at least 0.8), and where
the asynchronous run waits. The default model is a tiny Qwen2 built on the spot (tests/tiny_model.py).
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import COUNTER_PROMPT, COUNTER_REPLY  # noqa: E402
from tests.tiny_model import build_tiny_model  # noqa: E402
from uiray.config import UI_SYSTEM_PROMPT, LoraConfig, ModelConfig, RayConfig, SamplingConfig  # noqa: E402
from uiray.rl.config import GRPOConfig  # noqa: E402
from uiray.rl.driver import run_grpo  # noqa: E402

BUTTON = [{"text": "Has a button", "check": {"selector": "button", "min_count": 1}}]
PROMPTS = ["a counter button", "a button", "a page with one button", "make a clickable button", "a counter",
           "a big button", "a like button", "a toggle button"]  # fmt: skip


def run(model: str, dtype: str, staleness: int, lora: bool, args, root: Path) -> tuple[float, list[dict]]:
    prompts = [{"id": str(i), "prompt": p, "checklist": BUTTON, "reference": None} for i, p in enumerate(PROMPTS)]
    sampling = SamplingConfig(temperature=1.0, top_p=1.0, repetition_penalty=1.0, n=args.n,
                              max_tokens=args.max_tokens, seed=None)  # fmt: skip
    out = root / f"s{staleness}-{'lora' if lora else 'full'}"
    cfg = GRPOConfig(model=ModelConfig(name=model, dtype=dtype), steps=args.steps, prompts_per_step=2,
                     sampling=sampling, lr=1e-4, lora=LoraConfig(r=8, alpha=16, enabled=lora),
                     max_staleness=staleness, sync_check_every=0, output_dir=str(out),
                     ray=RayConfig(object_store_gib=1.0))  # fmt: skip
    run_grpo(cfg, prompts)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return _steady_seconds(out), rows


def _steady_seconds(out: Path) -> float:
    """Wall seconds per step after the first (engine and browser start-up excluded)."""
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return (rows[-1]["elapsed_s"] - rows[0]["elapsed_s"]) / (len(rows) - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a checkpoint directory (default: a tiny model built now)")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="uiray-bench-grpo-"))
    model = args.model or str(build_tiny_model(root / "tiny", teach=[(COUNTER_PROMPT, COUNTER_REPLY)],
                                               system_prompt=UI_SYSTEM_PROMPT))  # fmt: skip
    started = time.perf_counter()
    sync_s, sync_rows = run(model, args.dtype, 0, True, args, root)
    async_s, async_rows = run(model, args.dtype, 1, True, args, root)
    _, full_rows = run(model, args.dtype, 0, False, args, root)
    g = statistics.fmean(r["rollout_wait_s"] + r["reward_wait_s"] for r in sync_rows[1:])
    t = statistics.fmean(r.get("step_s", 0) + r["sync_s"] for r in sync_rows[1:])
    ideal, measured = (g + t) / max(g, t), sync_s / async_s
    print(f"synchronous: {sync_s:.2f} s/step (generate+score {g:.2f} s, learn+sync {t:.2f} s)")
    print(f"max_staleness=1: {async_s:.2f} s/step; waits per step: rollout "
          f"{statistics.fmean(r['rollout_wait_s'] for r in async_rows[1:]):.2f} s, reward "
          f"{statistics.fmean(r['reward_wait_s'] for r in async_rows[1:]):.2f} s, sync "
          f"{statistics.fmean(r['sync_s'] for r in async_rows[1:]):.2f} s")  # fmt: skip
    print(f"speed-up {measured:.2f}x of an ideal {ideal:.2f}x: ratio {measured / ideal:.2f} (goal >= 0.8)")
    lora_sync = statistics.fmean(r["sync_s"] for r in sync_rows[1:])
    full_sync = statistics.fmean(r["sync_s"] for r in full_rows[1:])
    print(f"sync per step: LoRA adapter {lora_sync * 1000:.0f} ms, full weights {full_sync * 1000:.0f} ms "
          f"(full / adapter {full_sync / lora_sync:.2f}x); total {time.perf_counter() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
