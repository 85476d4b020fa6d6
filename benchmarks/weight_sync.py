"""Weight-sync time of GRPO's two payloads on one vLLM rollout engine, in one run: the LoRA adapter vs the full
weights, each built by the learner side and loaded by the engine (what the driver's _sync does every step), plus
the sync check (the engine's greedy probe teacher-forced through the learner).

    python benchmarks/weight_sync.py                                   # tiny Qwen2 built on the spot
    python benchmarks/weight_sync.py --model smollm2-135m-instruct --dtype bfloat16

Prints seconds per sync for each payload, its size, and full / adapter.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model name or directory (default: a tiny Qwen2 built now)")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--rank", type=int, default=16, help="LoRA rank")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import ray
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from uiray.cluster import init_ray
    from uiray.config import GenerateConfig, ModelConfig, RayConfig
    from uiray.models import resolve_model
    from uiray.rl.rollout import start_rollout_workers
    from uiray.rl.weight_sync import adapter_payload, default_tie, full_payload, greedy_margins, greedy_matches

    model = args.model
    if model is None:
        from tests.tiny_model import build_tiny_model

        model = str(build_tiny_model(Path(tempfile.mkdtemp()) / "tiny"))
    init_ray(RayConfig(object_store_gib=2.0))
    cfg = GenerateConfig(model=ModelConfig(name=model, dtype=args.dtype), response_prefix="")
    [engine] = start_rollout_workers(1, cfg, lora_rank=args.rank)
    ray.get(engine.policy_version.remote())  # the engine is up
    base = AutoModelForCausalLM.from_pretrained(resolve_model(model), dtype=getattr(torch, args.dtype))
    modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    policy = get_peft_model(base, LoraConfig(r=args.rank, lora_alpha=2 * args.rank, target_modules=modules,
                                             init_lora_weights=False))  # fmt: skip

    def timed(build, load) -> tuple[float, int]:
        seconds, size = [], 0
        for version in range(1, args.repeats + 1):
            started = time.perf_counter()
            payload = build()
            size = sum(map(len, payload.values())) if isinstance(payload, dict) else len(payload)
            ray.get(load(ray.put(payload), version))
            seconds.append(time.perf_counter() - started)
        return statistics.median(seconds), size

    adapter_s, adapter_bytes = timed(lambda: adapter_payload(policy), engine.load_adapter.remote)
    started = time.perf_counter()
    prompt_ids, tokens = ray.get(engine.greedy.remote("a kanban board", 16))
    agree = greedy_matches(tokens, *greedy_margins(policy, prompt_ids, tokens), tie=default_tie(args.dtype))
    check_s = time.perf_counter() - started
    merged = policy.merge_and_unload()
    full_s, full_bytes = timed(lambda: full_payload(merged), engine.load_full.remote)
    print(f"model {model} ({args.dtype}), LoRA r{args.rank} on all linear layers, median of {args.repeats}")
    print(f"adapter sync: {adapter_s * 1000:.0f} ms ({adapter_bytes / 2**20:.1f} MiB)")
    print(f"full sync:    {full_s * 1000:.0f} ms ({full_bytes / 2**20:.1f} MiB)")
    print(f"full / adapter: {full_s / adapter_s:.2f}x; sync check {check_s * 1000:.0f} ms (agree: {agree})")
    ray.kill(engine)


if __name__ == "__main__":
    main()
