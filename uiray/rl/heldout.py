"""Held-out evaluation during GRPO, through `uiray eval`'s code: the rollout engine (which serves the current policy)
answers the first `eval.limit` held-out prompts greedily, the reward actors score them, eval's Scoring writes the
records and eval's metrics average them.

    output_dir/evals/step_N/answers.jsonl, code/, shots/   eval's per-answer records, replies, thumbnails
    metrics row of step N: eval/reward, eval/completeness, eval/looped, eval/checklist_pass, eval/render_ok, ...

The same prompts every time, so the numbers form a curve; `uiray eval` on the final policy gives the full table
and report.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("uiray.rl")

CURVE = ("reward", "completeness", "looped", "truncated", "render_ok", "checklist_pass", "interactivity", "tokens")
"""Eval metrics that go into the step's metrics row (as eval/<name>)."""


def evaluate(engine, scorers: list, cfg, prompts: list, step: int, version: int, out: Path) -> dict[str, float]:
    """Answer and score the held-out `prompts` (eval's load_prompts) with `engine`'s current policy, which must be
    `version`; {eval/<metric>: value}, or {} (logged) when the engine answered with other weights (it restarted)
    or an actor failed: a skipped evaluation does not stop training."""
    import ray

    try:
        return _evaluate(engine, scorers, cfg, prompts, step, version, out)
    except ray.exceptions.RayError as e:
        log.warning(f"grpo: held-out evaluation at step {step} skipped: {type(e).__name__}")
        return {}


def _evaluate(engine, scorers: list, cfg, prompts: list, step: int, version: int, out: Path) -> dict[str, float]:
    import ray

    from uiray.eval.metrics import model_metrics
    from uiray.eval.run import Scoring

    folder = out / "evals" / f"step_{step:06d}"
    folder.mkdir(parents=True, exist_ok=True)
    label = f"step_{step}"
    scoring = Scoring(scorers, {p["id"]: p for p in prompts}, folder, total=len(prompts) * cfg.eval.sampling.n)
    answered, samples = ray.get(engine.generate.remote([p["prompt"] for p in prompts], cfg.eval.sampling.model_dump()))
    if answered != version:
        log.warning(f"grpo: held-out evaluation at step {step} skipped: the engine answered at v{answered}")
        return {}
    n = cfg.eval.sampling.n
    scoring.submit([{"model": label, "prompt_id": prompts[i // n]["id"], "sample": i % n, "reply": s["reply"],
                     "finish_reason": s["finish_reason"], "completion_tokens": s["completion_tokens"]}
                    for i, s in enumerate(samples)])  # fmt: skip
    table = model_metrics(scoring.finish())[label]
    return {f"eval/{name}": table[name] for name in CURVE if table.get(name) is not None}
