"""`uiray pipeline`: data -> SFT -> DPO -> (merge) GRPO -> eval, each stage's outputs the next one's inputs.

GRPO's rollout engines sync one LoRA adapter, the policy's own, so it starts from full weights: when it follows
SFT or DPO, a `merge` stage writes their adapter merged into <output_dir>/grpo-start first.

    plan = plan_pipeline(PipelineConfig())          # resolved stage configs and their fingerprints
    run_pipeline(plan, select(plan, start="dpo"))   # runs what changed, skips what is done

A stage's fingerprint hashes its resolved config, the files it reads from outside the pipeline (the data
stage's inputs), and the fingerprints of the stages it reads from. So a changed setting re-runs that stage and,
through the chain, every stage after it, while an unchanged re-run skips everything.

Each stage leaves two markers in its output directory:
- `.pipeline_started.json`, written before it runs. If the stage is interrupted, a re-run with the same
  fingerprint keeps the directory, and the stage resumes from its own checkpoint (`resume: auto`).
- `.pipeline_done.json`, written when it finishes.

A directory started under another fingerprint is moved aside (`<dir>.stale-<time>`), never deleted.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from uiray.config import (
    DEFAULT_MODEL,
    ConfigError,
    DataConfig,
    DPOConfig,
    EvalConfig,
    SFTConfig,
    Strict,
    load_config,
)

STAGES = ("data", "sft", "dpo", "grpo", "eval")
Stage = Literal["data", "sft", "dpo", "grpo", "eval"]
STARTED, DONE = ".pipeline_started.json", ".pipeline_done.json"
ROOT = Path(__file__).resolve().parents[1]


class PipelineConfig(Strict):
    """`uiray pipeline`: the stages, where their outputs go, and each stage's own config and overrides."""

    model: str = DEFAULT_MODEL
    """Base model the pipeline starts from (a known name or a checkpoint)."""
    output_dir: str = "outputs"
    """Each stage writes <output_dir>/<stage>."""
    stages: list[Stage] = list(STAGES)
    """Stages this pipeline has, in order. Leave one out and what came after it reads from the one before it
    (without DPO, GRPO starts from the SFT adapter)."""
    configs: dict[Stage, str] = Field(default_factory=lambda: {s: f"configs/{s}.yaml" for s in STAGES})
    """Each stage's YAML config (a recipe points these at its own files)."""
    overrides: dict[Stage, list[str]] = {}
    """Dotted overrides per stage, applied after the YAML: {sft: [train.lr=2e-4]}."""


class MergeStage(Strict):
    """Before GRPO: the adapter it starts from, merged into full weights (its rollout engines sync one adapter,
    the policy's own)."""

    adapter: str
    """The SFT or DPO adapter GRPO starts from."""
    output_dir: str
    """Where the merged checkpoint goes."""
    dtype: Literal["bfloat16", "float16", "float32"] = "bfloat16"
    """Weights dtype of the merged checkpoint (GRPO's model.dtype)."""


@dataclass(frozen=True)
class StagePlan:
    name: str
    config: BaseModel
    """The stage's resolved config (the pipeline's wiring applied last)."""
    output_dir: Path
    reads: tuple[str, ...]
    """Earlier stages whose outputs this one reads."""
    fingerprint: str


def _config_class(stage: str) -> type[BaseModel]:
    if stage == "grpo":
        from uiray.rl.config import GRPOConfig  # no torch: the rl config module is pydantic only

        return GRPOConfig
    return {"data": DataConfig, "sft": SFTConfig, "dpo": DPOConfig, "eval": EvalConfig}[stage]


def _wiring(cfg: PipelineConfig) -> dict[str, tuple[tuple[str, ...], list[str]]]:
    """Per stage: the stages it reads, and the overrides that point it at their outputs."""
    out = Path(cfg.output_dir)
    has = set(cfg.stages)
    trained = [str(out / s) for s in ("sft", "dpo", "grpo") if s in has]
    adapter = any(s in has for s in ("sft", "dpo"))
    return {
        "data": ((), [f"output_dir={out / 'data'}"]),
        "sft": (("data",),
                [f"model.name={cfg.model}", f"train_data={out / 'data' / 'sft'}", f"output_dir={out / 'sft'}"]),
        "dpo": (("data", "sft") if "sft" in has else ("data",),
                [f"model.name={out / 'sft' / 'final' if 'sft' in has else cfg.model}",
                 f"train_data={out / 'data' / 'dpo'}", f"output_dir={out / 'dpo'}"]),
        "grpo": (("data", "merge") if adapter else ("data",),
                 [f"model.name={out / 'grpo-start' if adapter else cfg.model}", f"prompts={out / 'data' / 'rl'}",
                  f"output_dir={out / 'grpo'}"]),
        "eval": (tuple(s for s in ("sft", "dpo", "grpo") if s in has),
                 [f"models=[{','.join([cfg.model, *trained])}]", f"output_dir={out / 'eval'}"]),
    }  # fmt: skip


def plan_pipeline(cfg: PipelineConfig) -> list[StagePlan]:
    """Resolve every stage's config and fingerprint; raises ConfigError naming the stage whose config is bad.
    GRPO that starts from an SFT or DPO adapter gets a `merge` stage before it."""
    wiring = _wiring(cfg)
    plans: dict[str, StagePlan] = {}
    for stage in cfg.stages:
        reads, wired = wiring[stage]
        try:
            config = load_config(_config_class(stage), cfg.configs.get(stage), [*cfg.overrides.get(stage, []), *wired])
        except ConfigError as e:
            raise ConfigError(f"pipeline stage {stage}: {e}") from e
        if "merge" in reads:
            policy = next(s for s in ("dpo", "sft") if s in plans)
            dtype = config.model.dtype if config.model.dtype != "auto" else "bfloat16"
            merge = MergeStage(adapter=str(plans[policy].output_dir / "final"), output_dir=config.model.name,
                               dtype=dtype)  # fmt: skip
            plans["merge"] = _plan("merge", merge, (policy,), plans)
        plans[stage] = _plan(stage, config, tuple(r for r in reads if r in plans), plans)
    return list(plans.values())


def _plan(stage: str, config: BaseModel, reads: tuple[str, ...], done: dict[str, StagePlan]) -> StagePlan:
    dump = config.model_dump(mode="json")
    outside = _input_stamps(dump["inputs"]) if stage == "data" else []
    material = {"stage": stage, "config": dump, "inputs": outside, "reads": [done[r].fingerprint for r in reads]}
    fingerprint = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]
    return StagePlan(stage, config, Path(config.output_dir), reads, fingerprint)


def _input_stamps(inputs: list[str]) -> list:
    """Size and modification time of every file the data stage reads ('embedded' is part of uiray itself)."""
    stamps = []
    for name in inputs:
        path = Path(name)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        stamps += [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files if f.is_file()]
    return stamps


def select(plans: list[StagePlan], start: str | None = None, until: str | None = None,
           only: list[str] | None = None) -> list[str]:  # fmt: skip
    """The stages to consider running: --only, else the range --from .. --until (names checked)."""
    names = [p.name for p in plans]
    for given in [start, until, *(only or [])]:
        if given is not None and given not in names:
            raise ConfigError(f"no stage {given!r} in this pipeline (stages: {', '.join(names)})")
    if only:
        chosen = [n for n in names if n in only]
    else:
        first = names.index(start) if start else 0
        last = names.index(until) if until else len(names) - 1
        chosen = names[first : last + 1]
    if "grpo" in chosen and "merge" in names and "merge" not in chosen:
        chosen.insert(chosen.index("grpo"), "merge")  # GRPO's own first step, not one users pick
    return chosen


def status(plan: StagePlan) -> str:
    """'done' (finished with this fingerprint), 'partial' (started with it: resumable), 'stale' or 'new'."""
    done, started = _marker(plan.output_dir / DONE), _marker(plan.output_dir / STARTED)
    if done.get("fingerprint") == plan.fingerprint:
        return "done"
    if started.get("fingerprint") == plan.fingerprint:
        return "partial"
    return "stale" if plan.output_dir.exists() and any(plan.output_dir.iterdir()) else "new"


def run_pipeline(plans: list[StagePlan], selected: list[str], run_stage: Callable[[StagePlan], int] | None = None,
                 log: Callable[[str], None] = print) -> dict[str, dict]:  # fmt: skip
    """Run the selected stages in order; returns {stage: {"action", "seconds"}}. A stage is skipped when it is
    done with its fingerprint and nothing it reads ran in this call; an unselected stage that a selected one
    reads must be done already."""
    run_stage = run_stage or run_job
    ran: set[str] = set()
    report = {}
    for plan in plans:
        state = status(plan)
        if plan.name not in selected:
            if state != "done" and any(plan.name in p.reads for p in plans if p.name in selected):
                raise ConfigError(f"stage {plan.name} is {state}, and a selected stage reads it: run it first")
            continue
        if state == "done" and not ran.intersection(plan.reads):
            log(f"[pipeline] {plan.name}: done with these settings, skipped")
            report[plan.name] = {"action": "skipped", "seconds": 0.0}
            continue
        if state == "stale" or (state == "done" and ran.intersection(plan.reads)):
            aside = _aside(plan.output_dir)
            plan.output_dir.rename(aside)
            log(f"[pipeline] {plan.name}: settings or inputs changed; the old output moved to {aside}")
        log(f"[pipeline] {plan.name}: {'resuming' if state == 'partial' else 'running'}")
        plan.output_dir.mkdir(parents=True, exist_ok=True)
        (plan.output_dir / STARTED).write_text(json.dumps({"fingerprint": plan.fingerprint}))
        started = time.time()
        code = run_stage(plan)
        if code != 0:
            raise RuntimeError(f"stage {plan.name} failed (exit {code}); re-run the pipeline to resume it")
        seconds = round(time.time() - started, 1)
        (plan.output_dir / DONE).write_text(json.dumps({"fingerprint": plan.fingerprint, "seconds": seconds}))
        ran.add(plan.name)
        report[plan.name] = {"action": "resumed" if state == "partial" else "ran", "seconds": seconds}
    return report


TABLE_COLUMNS = ("reward", "render_ok", "completeness", "checklist_pass", "interactivity", "looped", "tokens")


def results_table(eval_dir: Path, order: list[str] = ()) -> str:
    """Base vs each stage from eval's summary.json, as markdown (each column a held-out mean), rows in `order`
    (eval's names for the models: a directory's name, a known model's own) and then the rest."""
    metrics = json.loads((eval_dir / "summary.json").read_text())["metrics"]
    lines = ["| model | " + " | ".join(TABLE_COLUMNS) + " |", "|---" * (len(TABLE_COLUMNS) + 1) + "|"]
    ranked = sorted(metrics, key=lambda m: order.index(m) if m in order else len(order))
    for model, row in ((m, metrics[m]) for m in ranked):
        cells = [_number(row.get(c)) for c in TABLE_COLUMNS]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\nreport: {eval_dir / 'report.html'}\n"


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)


def run_job(plan: StagePlan) -> int:
    """`python jobs/<stage>.py --config <the resolved config>`: the stage as users run it, in its own process."""
    if plan.name == "merge":
        from uiray.train.merge import merge_adapter

        merge_adapter(plan.config.adapter, plan.output_dir, dtype=plan.config.dtype)
        return 0
    config = plan.output_dir.parent / "pipeline" / f"{plan.name}.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(yaml.safe_dump(plan.config.model_dump(mode="json"), sort_keys=False))
    return subprocess.run([sys.executable, str(ROOT / "jobs" / f"{plan.name}.py"), "--config", str(config)]).returncode


def _aside(directory: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while (aside := directory.with_name(f"{directory.name}.stale-{stamp}" + (f"-{n}" if n else ""))).exists():
        n += 1
    return aside


def _marker(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
