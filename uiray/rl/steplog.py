"""Where each GRPO step's metrics go: metrics.jsonl (appended as the step ends), wandb (offline by default, the
same run continued after a resume) and Ray's metrics (gauges that the dashboard shows while the job runs); and,
every `screenshot_every` steps, rendered pages: output_dir/screenshots/ and wandb images."""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path

log = logging.getLogger("uiray.rl")

GAUGES = ("reward_mean", "reward_std", "staleness", "version", "response_tokens", "truncated", "loss", "kl",
          "clip_fraction", "tis_truncated", "step_s", "sync_s", "rollout_wait_s", "reward_wait_s", "dropped_batches",
          "lost_batches", "zero_variance_groups")  # fmt: skip
"""Row fields exported as Ray gauges named uiray_grpo_<field>, tagged with the run (output_dir's name)."""


class StepLog:
    def __init__(self, cfg, out: Path, resumed_step: int, wandb_id: str | None):
        self.path, self.steps, self.run = out / "metrics.jsonl", cfg.steps, out.name
        self.budget_s = cfg.max_minutes * 60 if cfg.max_minutes else float("inf")
        self._keep_until(resumed_step)
        self.started, self.done = time.perf_counter(), 0
        self.wandb = None
        if cfg.wandb.mode != "disabled":
            import wandb

            self.wandb = wandb.init(project=cfg.wandb.project, mode=cfg.wandb.mode, dir=str(out),
                                    id=wandb_id or uuid.uuid4().hex[:8], resume="allow", job_type="grpo",
                                    config=cfg.model_dump(mode="json"))  # fmt: skip
        self.gauges = self._gauges()

    @property
    def wandb_id(self) -> str | None:
        return self.wandb.id if self.wandb else None

    def write(self, row: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(json.dumps(row) + "\n")
        numbers = {k: v for k, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if self.wandb:
            self.wandb.log(numbers, step=row["step"])
        for name, gauge in self.gauges.items():
            if name in numbers:
                gauge.set(numbers[name], tags={"run": self.run})
        self.done += 1
        elapsed = time.perf_counter() - self.started
        eta = min(elapsed / self.done * (self.steps - row["step"]), max(self.budget_s - elapsed, 0))
        log.info(f"grpo step {row['step']}/{self.steps} reward {row['reward_mean']:.3f}±{row['reward_std']:.3f} "
                 f"loss {row.get('loss', float('nan')):.4f} staleness {row['staleness']} "
                 f"tokens {row['response_tokens']:.0f} eta {eta:.0f}s")  # fmt: skip

    def screenshots(self, step: int, prompts: list[str], outcomes: list[dict]) -> None:
        """Write each outcome's screenshot (taken out of it) as screenshots/step_N_gG_rR.png and log them."""
        folder = self.path.parent / "screenshots"
        folder.mkdir(exist_ok=True)
        images = []
        for g, (prompt, outcome) in enumerate(zip(prompts, outcomes, strict=True)):
            png = outcome.pop("screenshot", None)
            if not png:  # the page did not render
                continue
            path = folder / f"step_{step:06d}_g{g}_r{outcome['reward']:.2f}.png"
            path.write_bytes(png)
            images.append((path, f"{prompt[:80]} (reward {outcome['reward']:.2f})"))
        if self.wandb and images:
            import wandb

            self.wandb.log({"pages": [wandb.Image(str(p), caption=c) for p, c in images]}, step=step)

    def rows(self) -> list[dict]:
        return [json.loads(line) for line in self.path.read_text().splitlines()] if self.path.exists() else []

    def finish(self) -> None:
        if self.wandb:
            self.wandb.finish()

    def _keep_until(self, step: int) -> None:
        """A resumed run redoes the steps after its checkpoint: their rows go."""
        kept = [row for row in self.rows() if row["step"] <= step]
        self.path.write_text("".join(json.dumps(row) + "\n" for row in kept))

    @staticmethod
    def _gauges() -> dict:
        from ray.util.metrics import Gauge

        return {name: Gauge(f"uiray_grpo_{name}", description=f"GRPO {name} of the last step", tag_keys=("run",))
                for name in GAUGES}  # fmt: skip
