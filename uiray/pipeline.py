"""`uiray pipeline`: data -> (CPT) -> SFT -> DPO -> (merge) GRPO -> eval, each stage's outputs the next one's inputs.

GRPO's rollout engines sync one LoRA adapter, the policy's own, so it starts from full weights: when it follows
SFT or DPO, a `merge` stage writes their adapter merged into <output_dir>/grpo-start first.

    cfg = PipelineConfig()
    plans = plan_pipeline(cfg)                      # resolved stage configs and their fingerprints
    chosen = select(plans, start="dpo")
    jobs = StageJobs(cfg, Progress(chosen, folder))  # `python jobs/<stage>.py`, all on one Ray cluster
    run_pipeline(plans, chosen, jobs)               # runs what changed, skips what is done; then jobs.close()

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
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, field_validator

from uiray.config import (
    DEFAULT_MODEL,
    ConfigError,
    DataConfig,
    DPOConfig,
    EvalConfig,
    RayConfig,
    SFTConfig,
    Strict,
    load_config,
)

STAGES = ("data", "cpt", "sft", "dpo", "grpo", "eval")
Stage = Literal["data", "cpt", "sft", "dpo", "grpo", "eval"]
TRAINED = ("cpt", "sft", "dpo")
"""Stages that leave an adapter the next one starts from (GRPO starts from their merged weights)."""
STARTED, DONE = ".pipeline_started.json", ".pipeline_done.json"
ROOT = Path(__file__).resolve().parents[1]


class PipelineConfig(Strict):
    """`uiray pipeline`: the stages, where their outputs go, and each stage's own config and overrides."""

    model: str = DEFAULT_MODEL
    """Base model the pipeline starts from (a known name or a checkpoint)."""
    output_dir: str = "outputs"
    """Each stage writes <output_dir>/<stage>."""
    stages: list[Stage] = ["data", "sft", "dpo", "grpo", "eval"]
    """Stages this pipeline has, in order. Leave one out and what came after it reads from the one before it
    (without DPO, GRPO starts from the SFT adapter). `cpt` (continued pre-training: SFT in text mode on the data
    stage's `text` documents) goes before SFT, which then starts from it."""
    configs: dict[Stage, str] = Field(default_factory=lambda: {s: f"configs/{s}.yaml" for s in STAGES})
    """Each stage's YAML config (a recipe points these at its own files)."""
    overrides: dict[Stage, list[str]] = {}
    """Dotted overrides per stage, applied after the YAML: {sft: [train.lr=2e-4]}."""
    ray: RayConfig = RayConfig()
    """The one cluster every stage job joins: RAY_ADDRESS's (set under `ray job submit`), else a local one started
    for the run. The stages' own `ray` sections then do not apply."""

    @field_validator("stages")
    @classmethod
    def _in_order(cls, stages: list[str]) -> list[str]:
        if len(set(stages)) != len(stages) or stages != sorted(stages, key=STAGES.index):
            raise ValueError(f"list each stage once, in the order {', '.join(STAGES)}")
        return stages


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
    return {"data": DataConfig, "cpt": SFTConfig, "sft": SFTConfig, "dpo": DPOConfig, "eval": EvalConfig}[stage]


def _wiring(cfg: PipelineConfig) -> dict[str, tuple[tuple[str, ...], list[str]]]:
    """Per stage: the stages it reads, and the overrides that point it at their outputs. A trained stage starts
    from the adapter of the trained stage before it (cpt -> sft -> dpo), or from the base model."""
    out = Path(cfg.output_dir)
    has = [s for s in cfg.stages if s in TRAINED]
    trained = [str(out / s) for s in ("cpt", "sft", "dpo", "grpo") if s in cfg.stages]

    def start(stage: str) -> tuple[tuple[str, ...], str]:
        before = [s for s in has if TRAINED.index(s) < TRAINED.index(stage)]
        return (("data", before[-1]), str(out / before[-1] / "final")) if before else (("data",), cfg.model)

    wiring = {"data": ((), [f"model.name={cfg.model}", f"output_dir={out / 'data'}"])}  # lengths in its tokens
    for stage, data in (("cpt", "text"), ("sft", "sft"), ("dpo", "dpo")):
        reads, model = start(stage)
        wiring[stage] = (reads, [f"model.name={model}", f"train_data={out / 'data' / data}",
                                 f"output_dir={out / stage}", *(["mode=text"] if stage == "cpt" else [])])  # fmt: skip
    wiring["grpo"] = (("data", "merge") if has else ("data",),
                      [f"model.name={out / 'grpo-start' if has else cfg.model}", f"prompts={out / 'data' / 'rl'}",
                       f"output_dir={out / 'grpo'}"])  # fmt: skip
    wiring["eval"] = (
        tuple(s for s in ("cpt", "sft", "dpo", "grpo") if s in cfg.stages),
        [f"models=[{','.join([cfg.model, *trained])}]", f"output_dir={out / 'eval'}"],
    )
    return wiring


def plan_pipeline(cfg: PipelineConfig) -> list[StagePlan]:
    """Resolve every stage's config and fingerprint; raises ConfigError naming the stage whose config is bad.
    GRPO that starts from an SFT or DPO adapter gets a `merge` stage before it."""
    wiring = _wiring(cfg)
    plans: dict[str, StagePlan] = {}
    for stage in cfg.stages:
        reads, wired = wiring[stage]
        try:
            yaml_file = _find(cfg.configs.get(stage))
            config = load_config(_config_class(stage), yaml_file, [*cfg.overrides.get(stage, []), *wired])
        except ConfigError as e:
            raise ConfigError(f"pipeline stage {stage}: {e}") from e
        if "merge" in reads:
            policy = next(s for s in reversed(TRAINED) if s in plans)
            dtype = config.model.dtype if config.model.dtype != "auto" else "bfloat16"
            merge = MergeStage(adapter=str(plans[policy].output_dir / "final"), output_dir=config.model.name,
                               dtype=dtype)  # fmt: skip
            plans["merge"] = _plan("merge", merge, (policy,), plans)
        plans[stage] = _plan(stage, config, tuple(r for r in reads if r in plans), plans)
    return list(plans.values())


def _find(config: str | None) -> str | None:
    """A stage's YAML: as given (relative to the working directory), else in the uiray checkout (configs/...)."""
    if config is None or Path(config).exists() or not (ROOT / config).exists():
        return config
    return str(ROOT / config)


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


def run_pipeline(plans: list[StagePlan], selected: list[str], run_stage: Callable[[StagePlan], int],
                 log: Callable[[str], None] = print) -> dict[str, dict]:  # fmt: skip
    """Run the selected stages in order; returns {stage: {"action", "seconds"}}. A stage is skipped when it is
    done with its fingerprint and nothing it reads ran in this call; an unselected stage that a selected one
    reads must be done already."""
    ran: set[str] = set()
    report = {}
    for plan in plans:
        state = status(plan)
        if plan.name not in selected:
            if state != "done" and any(plan.name in p.reads for p in plans if p.name in selected):
                raise ConfigError(f"stage {plan.name} is {state}, and a selected stage reads it: run it first")
            continue
        if state == "done" and not ran.intersection(plan.reads):
            log(f"{plan.name}: done with these settings, skipped")
            report[plan.name] = {"action": "skipped", "seconds": 0.0}
            continue
        if state in ("stale", "done"):  # done, but with inputs that were just made again
            aside = _aside(plan.output_dir)
            plan.output_dir.rename(aside)
            log(f"{plan.name}: settings or inputs changed; the old output moved to {aside}")
        log(f"{plan.name}: {'resuming' if state == 'partial' else 'running'}")
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


class StageJobs:
    """Runs each stage as `python jobs/<stage>.py --config <its resolved config>`, the command users run, in
    its own process; its output is shown and kept in <output_dir>/pipeline/<stage>.log.

    Every stage joins one Ray cluster, started on the first stage that runs (a cluster start costs 10-15 s on
    2 cores) and stopped by close(); under `ray job submit` that is the submitting cluster (RAY_ADDRESS)."""

    def __init__(self, cfg: PipelineConfig, progress: Progress):
        self.folder = Path(cfg.output_dir) / "pipeline"
        self.ray_cfg, self.progress = cfg.ray, progress
        self.env: dict[str, str] | None = None
        self.own_cluster = False

    def __call__(self, plan: StagePlan) -> int:
        self.progress.start(plan.name)
        if plan.name == "merge":
            from uiray.train.merge import merge_adapter

            merge_adapter(plan.config.adapter, plan.output_dir, dtype=plan.config.dtype)
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / f"{plan.name}.yaml"
        config.write_text(yaml.safe_dump(plan.config.model_dump(mode="json"), sort_keys=False))
        job = "sft" if plan.name == "cpt" else plan.name  # CPT is SFT in text mode
        command = [sys.executable, str(ROOT / "jobs" / f"{job}.py"), "--config", str(config)]
        process = subprocess.Popen(command, env=self._cluster(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        with open(self.folder / f"{plan.name}.log", "ab") as kept:
            while chunk := os.read(process.stdout.fileno(), 65536):  # as it comes: progress bars redraw with \r
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
                kept.write(chunk)
                self.progress.see(chunk.decode(errors="replace"))
        code = process.wait()
        self.progress.finish(code)
        return code

    def _cluster(self) -> dict[str, str]:
        """The stage jobs' environment: RAY_ADDRESS of the cluster they join."""
        if self.env is None:
            env = dict(os.environ)
            address = self.ray_cfg.address or env.get("RAY_ADDRESS")
            if address:
                env["RAY_ADDRESS"] = address
            else:
                import ray

                from uiray.cluster import init_ray

                context = init_ray(self.ray_cfg)  # None: this process was connected already
                self.own_cluster = context is not None
                env["RAY_ADDRESS"] = ray.get_runtime_context().gcs_address
                if context is not None:  # Ray Train's state API scans this machine for "its" cluster: name ours
                    env["RAY_API_SERVER_ADDRESS"] = f"http://{context.dashboard_url}"
            # Clients speak token auth only if told before `import ray`, which a stage may do before init_ray
            env.setdefault("RAY_AUTH_MODE", "token")
            self.env = env
        return self.env

    def close(self) -> None:
        if self.own_cluster:
            import ray

            ray.shutdown()


class Progress:
    """One progress line across the stages: which stage of how many, its step and ETA as the stage prints them,
    and the time so far; shown when a stage starts and then every `every_s`, and kept in pipeline/progress.json."""

    PATTERNS = (
        re.compile(r"\[(?:sft|dpo)\] step (?P<step>\d+)/(?P<total>\d+) .* eta (?P<eta>\S+)"),  # uiray/train/loop.py
        re.compile(r"grpo step (?P<step>\d+)/(?P<total>\d+) .* eta (?P<eta>\S+)"),  # uiray/rl/steplog.py
        re.compile(r"\[uiray data\] (?P<step>\d)/(?P<total>5) (?P<phase>[^(]+)"),  # uiray/data/pipeline.py's phases
        re.compile(r"eval: .*\| (?P<step>\d+)/(?P<total>\d+) \[[^<]*<(?P<eta>[^,\]]+)"),  # eval's tqdm bar
    )

    def __init__(self, stages: list[str], folder: Path, log: Callable[[str], None] = print, every_s: float = 30):
        self.stages, self.file, self.log, self.every_s = stages, folder / "progress.json", log, every_s
        self.began = time.time()
        self.state: dict = {}
        self.shown = 0.0
        self._partial = ""

    def start(self, stage: str) -> None:
        self.state = {"stage": stage, "index": self.stages.index(stage) + 1, "of": len(self.stages)}
        self._partial = ""
        self._show(force=True)

    def finish(self, code: int) -> None:
        """The stage's last state, whatever the interval: a short stage shows no line between start and end."""
        self.state["ended"] = "done" if code == 0 else f"failed (exit {code})"
        self._show(force=True)

    def see(self, text: str) -> None:
        lines = re.split(r"[\r\n]", self._partial + text)
        self._partial = lines.pop()
        for line in lines:
            for pattern in self.PATTERNS:
                if found := pattern.search(line):
                    self.state.update({k: v for k, v in found.groupdict().items() if v})
                    break
        self._show()

    def line(self) -> str:
        s = self.state
        where = f"step {s['step']}/{s['total']}" if "step" in s else "starting"
        where += f" ({s['phase'].strip()})" if "phase" in s else f", eta {s['eta']}" if "eta" in s else ""
        if "ended" in s:
            where = f"{s['ended']} at {where}" if "step" in s else s["ended"]
        return f"stage {s['index']}/{s['of']} {s['stage']}: {where}; {_minutes(time.time() - self.began)} so far"

    def _show(self, force: bool = False) -> None:
        if not force and time.time() - self.shown < self.every_s:
            return
        self.shown = time.time()
        self.log(self.line())
        self.file.parent.mkdir(parents=True, exist_ok=True)
        self.file.write_text(json.dumps({**self.state, "elapsed_s": round(self.shown - self.began)}))


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


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
