"""`uiray grpo`: the GRPO loop, top to bottom.

    prompts ─► RolloutWorker(s) (vLLM; samples tagged with the policy version) ─► RewardWorker(s) (Chromium)
                    ▲                                                                  │
                    └── weight sync (adapter or full) ◄── Learner (one update per batch) ◄── group advantages

Asynchrony is bounded by `max_staleness`: up to max_staleness + 1 rollout calls are in flight, so the engines
generate the next batch while the learner trains on this one. A batch whose policy version lags the learner by
more than max_staleness is dropped (counted) and its prompts asked again; with max_staleness = 0 every batch is
generated after the previous update's sync, which is synchronous on-policy GRPO. docs/grpo.md draws both.

After every `sync_check_every` syncs the engine's greedy tokens on a probe prompt must equal the learner's: a
version counter that advances while the engine keeps stale weights stops the run here instead of training on
the wrong policy.
"""

from __future__ import annotations

import json
import logging
import random
import statistics
import time
from collections import deque
from pathlib import Path

from uiray.config import GenerateConfig, ModelConfig, save_config
from uiray.rl.config import GRPOConfig

log = logging.getLogger("uiray.rl")
PROBE_TOKENS = 16


def run_grpo(cfg: GRPOConfig, prompts: list[dict] | None = None) -> dict:
    """Train; returns the summary (also written to output_dir/summary.json). `prompts` overrides cfg.prompts."""
    import ray

    from uiray.cluster import init_ray
    from uiray.reward.actors import start_reward_workers
    from uiray.rl.learner import Learner
    from uiray.rl.prompts import load_rl_prompts
    from uiray.rl.rollout import start_rollout_workers
    from uiray.rl.weight_sync import greedy_matches

    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out)
    prompts = prompts if prompts is not None else load_rl_prompts(cfg.prompts)
    init_ray(cfg.ray)
    engine_cfg = GenerateConfig(model=ModelConfig(name=_engine_model(cfg)), engine=cfg.engine,
                                system_prompt=cfg.system_prompt or "", response_prefix=cfg.response_prefix)  # fmt: skip
    # CPUs: the engines and the learner each hold one; browsers are placed by the `render` resource and ask
    # for no CPU of their own, so a 2-core laptop runs all three roles
    rollouts = start_rollout_workers(cfg.rollout_workers, engine_cfg, cfg.lora.r if cfg.lora.enabled else None)
    scorers = start_reward_workers(cfg.scorers, cfg.reward, num_cpus=0)
    learner = ray.remote(Learner).options(num_cpus=1).remote(cfg.model_dump())
    order = _prompt_stream(prompts, cfg.seed)
    inflight: deque = deque()
    counts = {"dropped_batches": 0, "zero_variance_groups": 0, "syncs": 0, "sync_checks": 0}
    metrics: list[dict] = []
    version, calls = 0, 0
    started = time.perf_counter()
    while len(metrics) < cfg.steps:
        while len(inflight) < cfg.max_staleness + 1:  # keep the engines busy, within the staleness bound
            batch = [next(order) for _ in range(cfg.prompts_per_step)]
            worker = rollouts[calls % len(rollouts)]
            inflight.append((worker.generate.remote([p["prompt"] for p in batch], cfg.sampling.model_dump()), batch))
            calls += 1
        waited = time.perf_counter()
        call, batch = inflight.popleft()
        rollout_version, samples = ray.get(call)
        rollout_wait = time.perf_counter() - waited
        if version - rollout_version > cfg.max_staleness:
            counts["dropped_batches"] += 1
            continue
        waited = time.perf_counter()
        rewards = _score(scorers, batch, samples, cfg.sampling.n)
        reward_wait = time.perf_counter() - waited
        groups = _with_advantages(samples, rewards, cfg)
        counts["zero_variance_groups"] += groups["zero_variance"]
        stats = ray.get(learner.step.remote(groups["samples"])) if groups["samples"] else {"version": version}
        version = stats["version"]
        waited = time.perf_counter()
        payload = learner.payload.remote()
        load = "load_adapter" if cfg.lora.enabled else "load_full"
        ray.get([getattr(worker, load).remote(payload, version) for worker in rollouts])
        counts["syncs"] += 1
        sync_s = time.perf_counter() - waited
        if cfg.sync_check_every and counts["syncs"] % cfg.sync_check_every == 0:
            prompt_ids, engine_tokens = ray.get(rollouts[0].greedy.remote(prompts[0]["prompt"], PROBE_TOKENS))
            learner_tokens = ray.get(learner.greedy.remote(prompt_ids, PROBE_TOKENS))
            if not greedy_matches(engine_tokens, learner_tokens):
                raise RuntimeError(f"weight sync check failed at policy version {version}: the engine's greedy "
                                   "tokens differ from the learner's (it kept stale weights)")  # fmt: skip
            counts["sync_checks"] += 1
        row = _step_metrics(len(metrics) + 1, version, rollout_version, samples, rewards, stats)
        row.update(rollout_wait_s=rollout_wait, reward_wait_s=reward_wait, sync_s=sync_s, **counts)
        metrics.append(row)
        _log(row, cfg.steps, started)
    ray.get(learner.save.remote(str(out / "final")))
    (out / "metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metrics))
    summary = {"steps": len(metrics), "version": version, "seconds": round(time.perf_counter() - started, 1),
               "final": str(out / "final"), **counts,
               "reward_first": metrics[0]["reward_mean"], "reward_last": metrics[-1]["reward_mean"]}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    for actor in [*rollouts, *scorers, learner]:
        ray.kill(actor)
    return summary


def _engine_model(cfg: GRPOConfig) -> str:
    """What the engines load: the starting model itself (an adapter start is merged by the learner, and vLLM
    cannot stack adapters: merge it first with `uiray merge`)."""
    from uiray.models import adapter_config

    if adapter_config(cfg.model.name) and cfg.lora.enabled:
        raise ValueError(f"{cfg.model.name} is an adapter: merge it first (uiray merge) and start GRPO from that")
    return cfg.model.name


def _prompt_stream(prompts: list[dict], seed: int):
    """Prompts forever, reshuffled each pass (seeded)."""
    rng = random.Random(seed)
    while True:
        order = list(prompts)
        rng.shuffle(order)
        yield from order


def _score(scorers: list, batch: list[dict], samples: list[dict], n: int) -> list[dict]:
    """Each sample's RewardOutcome, groups spread over the browser actors."""
    import ray

    calls = []
    for g, prompt in enumerate(batch):
        requests = []
        for sample in samples[g * n : (g + 1) * n]:
            request = {
                "prompt": prompt["prompt"],
                "response": sample["reply"],
                "num_tokens": sample["completion_tokens"],
            }
            request.update({k: prompt[k] for k in ("checklist", "reference") if prompt.get(k)})
            requests.append(request)
        calls.append(scorers[g % len(scorers)].score.remote(requests))
    return [outcome for group in ray.get(calls) for outcome in group]


def _with_advantages(samples: list[dict], outcomes: list[dict], cfg: GRPOConfig) -> dict:
    """Samples of the groups that carry signal, each with its advantage; zero-variance groups counted."""
    import torch

    from uiray.rl.algo import group_advantages

    n = cfg.sampling.n
    rewards = torch.tensor([o["reward"] for o in outcomes], dtype=torch.float32).view(-1, n)
    advantages, zero = group_advantages(rewards, cfg.advantage)
    kept = []
    for g in range(rewards.shape[0]):
        if zero[g]:
            continue
        for i in range(n):
            sample = samples[g * n + i]
            kept.append({k: sample[k] for k in ("prompt_token_ids", "token_ids", "logprobs")}
                        | {"advantage": float(advantages[g, i])})  # fmt: skip
    return {"samples": kept, "zero_variance": int(zero.sum())}


def _step_metrics(step: int, version: int, rollout_version: int, samples, outcomes, stats: dict) -> dict:
    rewards = [o["reward"] for o in outcomes]
    components: dict[str, list[float]] = {}
    for outcome in outcomes:
        for name, value in outcome["breakdown"]["components"].items():
            components.setdefault(name, []).append(value)
    return {
        "step": step, "version": version, "staleness": version - 1 - rollout_version,
        "reward_mean": statistics.fmean(rewards), "reward_std": statistics.pstdev(rewards),
        **{f"reward/{k}": statistics.fmean(v) for k, v in sorted(components.items())},
        "truncated": statistics.fmean(s["finish_reason"] == "length" for s in samples),
        "response_tokens": statistics.fmean(s["completion_tokens"] for s in samples),
        **{k: v for k, v in stats.items() if k != "version"},
    }  # fmt: skip


def _log(row: dict, steps: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    eta = elapsed / row["step"] * (steps - row["step"])
    log.info(f"grpo step {row['step']}/{steps} reward {row['reward_mean']:.3f}±{row['reward_std']:.3f} "
             f"loss {row.get('loss', float('nan')):.4f} staleness {row['staleness']} "
             f"tokens {row['response_tokens']:.0f} eta {eta:.0f}s")  # fmt: skip
