"""`uiray grpo`: the GRPO loop, top to bottom.

    PromptFeed ─► RolloutWorker(s) (vLLM; samples tagged with the policy version) ─► RewardWorker(s) (Chromium)
                    ▲                                                                  │
                    └── weight sync (adapter or full) ◄── Learner (one update per batch) ◄── group advantages

Asynchrony is bounded by `max_staleness`: up to max_staleness + 1 rollout calls are in flight, so the engines
generate the next batch while the learner trains on this one. A batch whose policy version lags the learner by
more than max_staleness is dropped (counted) and its prompts go back to the feed; with max_staleness = 0 every
batch is generated after the previous update's sync, which is synchronous on-policy GRPO. docs/grpo.md draws both.

After every `sync_check_every` syncs the engine's greedy tokens on a probe prompt must be the learner's (up to a
near tie of float rounding): a version counter that advances while the engine keeps stale weights stops the run
here instead of training on the wrong policy.

Faults: rollout and reward actors restart (Ray) and redo their call. A restarted engine comes back with the
starting weights, which the driver notices (it answers with an older version than it was sent) and re-syncs;
its batch is then stale like any other. A call that fails outright hands its prompts back to the feed. Every
`checkpoint_every` steps the learner's state, the step, the version and the feed's cursor (with the prompts of
batches not yet trained on) are saved; `resume: auto` continues from there without replaying or skipping one.
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
import time
from collections import deque
from pathlib import Path

from uiray.config import ConfigError, GenerateConfig, save_config
from uiray.rl.config import GRPOConfig
from uiray.rl.prompts import PromptFeed
from uiray.rl.steplog import StepLog

log = logging.getLogger("uiray.rl")
PROBE_TOKENS = 16
MAX_LOST_IN_A_ROW = 3
"""Rollout calls per engine that may fail in a row (each after Ray's own retries) before the run stops."""


def run_grpo_job(cfg: GRPOConfig) -> dict:
    """`uiray grpo`: run_grpo as a Ray task on the cluster, next to the actors it drives, not in the submitting
    process. Paths are made absolute first: the task may start in another directory or on another node."""
    import ray

    from uiray.cluster import init_ray

    local = {"output_dir": str(Path(cfg.output_dir).resolve()), "prompts": str(Path(cfg.prompts).resolve())}
    if cfg.eval.prompts != "heldout":
        local["eval"] = cfg.eval.model_copy(update={"prompts": str(Path(cfg.eval.prompts).resolve())})
    if Path(cfg.model.name).exists():
        local["model"] = cfg.model.model_copy(update={"name": str(Path(cfg.model.name).resolve())})
    cfg = cfg.model_copy(update=local)
    init_ray(cfg.ray)
    return ray.get(ray.remote(_driver_task).options(num_cpus=0, max_retries=0).remote(cfg.model_dump()))


def _driver_task(cfg: dict) -> dict:
    from uiray.logs import setup_logging

    setup_logging()
    return run_grpo(GRPOConfig.model_validate(cfg))


def run_grpo(cfg: GRPOConfig, prompts: list[dict] | None = None) -> dict:
    """Train; returns the summary (also written to output_dir/summary.json). `prompts` overrides cfg.prompts."""
    import ray

    from uiray.cluster import init_ray
    from uiray.eval.prompts import load_prompts
    from uiray.reward.actors import start_reward_workers
    from uiray.rl.heldout import evaluate
    from uiray.rl.learner_group import LearnerGroup
    from uiray.rl.prompts import load_rl_prompts
    from uiray.rl.rollout import start_rollout_workers

    out = Path(cfg.output_dir)
    resume_from = _checkpoint_to_resume(cfg, out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out)
    prompts = prompts if prompts is not None else load_rl_prompts(cfg.prompts)
    heldout = load_prompts(cfg.eval.prompts, cfg.eval.limit) if cfg.eval.every else []  # a bad file fails now
    init_ray(cfg.ray)
    engine_cfg = GenerateConfig(model=cfg.model.model_copy(update={"name": _engine_model(cfg)}), engine=cfg.engine,
                                system_prompt=cfg.system_prompt or "", response_prefix=cfg.response_prefix)  # fmt: skip
    # CPUs: the engines and the learner ranks each hold one; browsers are placed by the `render` resource and
    # ask for no CPU of their own, so a 2-core laptop runs all three roles
    lora_rank = cfg.lora.r if cfg.lora.enabled else None
    rollouts = start_rollout_workers(cfg.rollout_workers, engine_cfg, lora_rank, num_gpus=cfg.gpus_per_rollout_worker)
    scorers = start_reward_workers(cfg.scorers, cfg.reward, num_cpus=0)
    learner = LearnerGroup(cfg)
    state = json.loads((resume_from / "driver_state.json").read_text()) if resume_from else {}
    feed = PromptFeed(len(prompts), cfg.seed, state.get("feed"))
    counts = state.get("counts") or dict.fromkeys(COUNTS, 0)
    step = state.get("step", 0)
    steplog = StepLog(cfg, out, step, state.get("wandb_id"))
    version = learner.load_state(str(resume_from)) if resume_from else 0
    synced = [version] * len(rollouts)  # the version each engine was last sent
    if resume_from:
        log.info(f"grpo: resuming from {resume_from} (step {step}, policy version {version})")
        _sync(rollouts, learner, version, cfg)
    inflight: deque = deque()  # (call, prompt indices, engine index, the version the engine had been sent)
    calls, lost_in_a_row, started = 0, 0, time.perf_counter()
    deadline = started + cfg.max_minutes * 60 if cfg.max_minutes else float("inf")
    while step < cfg.steps and time.perf_counter() < deadline:
        while len(inflight) < cfg.max_staleness + 1:  # keep the engines busy, within the staleness bound
            w = calls % len(rollouts)
            batch = feed.take(cfg.prompts_per_step)
            texts = [prompts[i]["prompt"] for i in batch]
            inflight.append((rollouts[w].generate.remote(texts, cfg.sampling.model_dump()), batch, w, synced[w]))
            calls += 1
        waited = time.perf_counter()
        call, batch, w, sent = inflight.popleft()
        try:
            rollout_version, samples = ray.get(call)
        except ray.exceptions.RayError as e:  # the engine died more often than Ray retries a call
            log.warning(f"grpo: rollout call lost ({type(e).__name__}); its {len(batch)} prompts go back")
            counts["lost_batches"] += 1
            feed.give_back(batch)
            lost_in_a_row += 1
            if lost_in_a_row > MAX_LOST_IN_A_ROW * len(rollouts):  # an engine that cannot start, say
                raise RuntimeError(f"grpo: {lost_in_a_row} rollout calls in a row failed; the last: {e}") from e
            continue
        lost_in_a_row = 0
        rollout_wait = time.perf_counter() - waited
        if rollout_version < sent:  # restarted with the starting weights, then redid the call
            counts["rollout_restarts_seen"] += 1
            log.warning(f"grpo: rollout engine {w} restarted (answered at v{rollout_version}, was sent v{sent})")
            _sync([rollouts[w]], learner, version, cfg)
        if version - rollout_version > cfg.max_staleness:
            counts["dropped_batches"] += 1
            feed.give_back(batch)
            continue
        waited = time.perf_counter()
        shots = bool(cfg.screenshot_every) and (step + 1) % cfg.screenshot_every == 0
        try:
            rewards = _score(scorers, [prompts[i] for i in batch], samples, cfg.sampling.n, shots)
        except ray.exceptions.RayError as e:
            log.warning(f"grpo: reward call lost ({type(e).__name__}); its {len(batch)} prompts go back")
            counts["lost_batches"] += 1
            feed.give_back(batch)
            continue
        reward_wait = time.perf_counter() - waited
        if shots:
            steplog.screenshots(step + 1, [prompts[i]["prompt"] for i in batch], rewards[:: cfg.sampling.n])
        groups = _with_advantages(samples, rewards, cfg)
        counts["zero_variance_groups"] += groups["zero_variance"]
        staleness = version - rollout_version  # versions between the sampling policy and the one updated now
        stats = learner.step(groups["samples"]) if groups["samples"] else {"version": version}
        version = stats["version"]
        waited = time.perf_counter()
        _sync(rollouts, learner, version, cfg)
        synced = [version] * len(rollouts)
        counts["syncs"] += 1
        sync_s = time.perf_counter() - waited
        if cfg.sync_check_every and counts["syncs"] % cfg.sync_check_every == 0:
            counts["rollout_restarts_seen"] += _check_sync(rollouts[0], learner, prompts[0]["prompt"], version, cfg)
            counts["sync_checks"] += 1
        step += 1
        row = _step_metrics(step, version, rollout_version, staleness, samples, rewards, stats)
        last = step == cfg.steps or time.perf_counter() >= deadline
        if cfg.eval.every and (step % cfg.eval.every == 0 or last):
            row.update(evaluate(rollouts[0], scorers, cfg, heldout, step, version, out))
        row.update(prompts=batch, rollout_wait_s=rollout_wait, reward_wait_s=reward_wait, sync_s=sync_s,
                   elapsed_s=time.perf_counter() - started, **counts)  # fmt: skip
        steplog.write(row)
        if step % cfg.checkpoint_every == 0:
            _checkpoint(out, cfg, learner, step, _driver_state(feed, inflight, counts, step, steplog))
    if step and not (out / "checkpoints" / f"step_{step:06d}").is_dir():  # the last step (all, or the budget's)
        _checkpoint(out, cfg, learner, step, _driver_state(feed, inflight, counts, step, steplog))
    learner.save(str(out / "final"))
    restarts = _restarts({"rollout": rollouts, "reward": scorers})
    steplog.finish()
    metrics = steplog.rows()
    summary = {"steps": step, "version": version, "seconds": round(time.perf_counter() - started, 1),
               "final": str(out / "final"), "resumed_from": str(resume_from) if resume_from else None, **counts,
               "restarts": restarts, "prompts_drawn": feed.drawn, "prompts_requeued": feed.requeued,
               "prompts_pending": feed.state(_prompts_of(inflight))["owed"],
               "reward_first": metrics[0]["reward_mean"] if metrics else None,
               "reward_last": metrics[-1]["reward_mean"] if metrics else None}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    for actor in [*rollouts, *scorers]:
        ray.kill(actor)
    learner.kill()
    return summary


COUNTS = ("dropped_batches", "lost_batches", "rollout_restarts_seen", "zero_variance_groups", "syncs", "sync_checks")


def _prompts_of(inflight: deque) -> list[int]:
    """The prompt indices of the rollout calls in flight (owed if the run stopped now)."""
    return [i for _, batch, _, _ in inflight for i in batch]


def _driver_state(feed: PromptFeed, inflight: deque, counts: dict, step: int, steplog: StepLog) -> dict:
    """What driver_state.json holds: the step, the counters, the wandb run and the feed (owing the prompts of the
    calls in flight)."""
    return {"feed": feed.state(_prompts_of(inflight)), "counts": counts, "step": step, "wandb_id": steplog.wandb_id}


def _sync(rollouts: list, learner, version: int, cfg: GRPOConfig) -> None:
    """Every engine in `rollouts` serves the learner's current policy as `version`."""
    import ray

    payload = learner.payload()
    load = "load_adapter" if cfg.lora.enabled else "load_full"
    ray.get([getattr(worker, load).remote(payload, version) for worker in rollouts])


def _check_sync(engine, learner, prompt: str, version: int, cfg: GRPOConfig) -> int:
    """The engine's greedy tokens on `prompt` are the learner's (up to a near tie, weight_sync.greedy_matches), or
    the run stops; the restarts it saw (an engine that died after its sync answers with the starting weights: it
    is synced again and asked again)."""
    import ray

    from uiray.rl.weight_sync import default_tie, first_mismatch, greedy_matches

    tie = cfg.sync_check_tie if cfg.sync_check_tie is not None else default_tie(cfg.model.dtype)
    for restarts in range(3):
        prompt_ids, engine_tokens = ray.get(engine.greedy.remote(prompt, PROBE_TOKENS))
        top, margins = learner.greedy_margins(prompt_ids, engine_tokens)
        if greedy_matches(engine_tokens, top, margins, tie):
            return restarts
        if ray.get(engine.policy_version.remote()) == version:
            break
        _sync([engine], learner, version, cfg)
    differ = first_mismatch(engine_tokens, top, margins, tie)
    found = "gave no token" if differ is None else f"greedy token {differ} is not the learner's (log-prob margin " \
                                                   f"{margins[differ]:.3f} > {tie})"  # fmt: skip
    raise RuntimeError(f"weight sync check failed at policy version {version}: the engine's {found}: it kept "
                       "stale weights")  # fmt: skip


def _checkpoint(out: Path, cfg: GRPOConfig, learner, step: int, state: dict) -> None:
    """checkpoints/step_N/: the policy, learner_state.pt and driver_state.json (written last: it marks a complete
    checkpoint); the oldest beyond checkpoint_keep go."""

    path = out / "checkpoints" / f"step_{step:06d}"
    path.mkdir(parents=True, exist_ok=True)
    learner.save_state(str(path))
    (path / "driver_state.json").write_text(json.dumps(state))
    for old in _checkpoints(out)[: -cfg.checkpoint_keep]:
        shutil.rmtree(old, ignore_errors=True)


def _checkpoints(out: Path) -> list[Path]:
    return sorted(p.parent for p in (out / "checkpoints").glob("step_*/driver_state.json"))


def _checkpoint_to_resume(cfg: GRPOConfig, out: Path) -> Path | None:
    found = _checkpoints(out)
    if found and cfg.resume == "never":
        raise ConfigError(f"{out} has checkpoints and resume=never: pick another output_dir or use resume=auto")
    return found[-1] if found and cfg.resume == "auto" else None


def _restarts(roles: dict[str, list]) -> dict[str, int | None]:
    """Restarts per role, from Ray's state API (None where it cannot say)."""
    import ray
    from ray.util.state import get_actor

    address = ray.get_runtime_context().gcs_address  # this cluster's, not whichever else runs on the machine
    counted: dict[str, int | None] = {}
    for role, actors in roles.items():
        try:
            counted[role] = sum(get_actor(a._actor_id.hex(), address=address).num_restarts for a in actors)
        except Exception:  # noqa: BLE001 - no dashboard (a cluster started without one)
            counted[role] = None
    return counted


def _engine_model(cfg: GRPOConfig) -> str:
    """What the engines load: the starting model itself (an adapter start is merged by the learner, and vLLM
    cannot stack adapters: merge it first with `uiray merge`)."""
    from uiray.models import adapter_config

    if adapter_config(cfg.model.name) and cfg.lora.enabled:
        raise ConfigError(f"{cfg.model.name} is an adapter: merge it first (uiray merge) and start GRPO from that")
    return cfg.model.name


def _score(scorers: list, batch: list[dict], samples: list[dict], n: int, shots: bool = False) -> list[dict]:
    """Each sample's RewardOutcome, groups spread over the browser actors; `shots`: with the screenshot of each
    group's first sample."""
    import ray

    calls = []
    for g, prompt in enumerate(batch):
        requests = []
        for sample in samples[g * n : (g + 1) * n]:
            request = {"prompt": prompt["prompt"], "response": sample["reply"],
                       "num_tokens": sample["completion_tokens"]}  # fmt: skip
            request.update({k: prompt[k] for k in ("checklist", "reference") if prompt.get(k)})
            request["keep_screenshot"] = shots and not requests
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


def _step_metrics(step: int, version: int, rollout_version: int, staleness: int, samples, outcomes, stats) -> dict:
    rewards = [o["reward"] for o in outcomes]
    components: dict[str, list[float]] = {}
    for outcome in outcomes:
        for name, value in outcome["breakdown"]["components"].items():
            components.setdefault(name, []).append(value)
    return {
        "step": step, "version": version, "rollout_version": rollout_version,
        "staleness": staleness,
        "reward_mean": statistics.fmean(rewards), "reward_std": statistics.pstdev(rewards),
        **{f"reward/{k}": statistics.fmean(v) for k, v in sorted(components.items())},
        "truncated": statistics.fmean(s["finish_reason"] == "length" for s in samples),
        "response_tokens": statistics.fmean(s["completion_tokens"] for s in samples),
        **{k: v for k, v in stats.items() if k != "version"},
    }  # fmt: skip
