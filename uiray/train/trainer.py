"""How a recipe (uiray/train/sft.py, uiray/train/dpo.py) runs on Ray Train: the driver's side.

    prepare(cfg)   Ray up, output_dir checked against `resume`, config saved, an adapter start merged once
                   -> (the config to train with, the tokenizer's directory)
    fit(cfg, worker, datasets, stage)
        datasets materialized (ordered) -> plan (steps per epoch, total) -> CPUs per worker
        -> newest complete checkpoint in output_dir (resume: auto) -> TorchTrainer.fit() with `worker` on every
        rank, given a WorkerRun -> output_dir/final (the last checkpoint's model/), metrics.jsonl, loss.svg,
        summary.json

The run's checkpoints live in <output_dir>/checkpoints/step_N (Ray Train's storage: output_dir may be a
shared filesystem or any pyarrow-supported URL on a cluster; local paths are made absolute).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uiray.config import ConfigError, save_config
from uiray.train.checkpoint import CHECKPOINTS, latest_checkpoint

log = logging.getLogger("uiray.train")


@dataclass(frozen=True)
class WorkerRun:
    """What every worker of a run is given (Ray Train's train_loop_config is {"run": WorkerRun})."""

    cfg: Any
    """The recipe's config (SFTConfig or DPOConfig)."""
    steps_per_epoch: int
    total_steps: int
    output_dir: str
    """Absolute: where checkpoints and outputs go, and the newest checkpoint to resume from is looked for."""
    cpus: int
    """CPUs the worker asked Ray for: its torch threads."""
    eval_prompts: list[dict] = field(default_factory=list)
    """Held-out prompts ({"system", "prompt"}) answered at each evaluation (SFT)."""


def prepare(cfg):
    """Ray up, output_dir checked against `resume`, config saved; returns (the config to train with, the
    tokenizer's directory).

    A LoRA run that starts from an adapter (DPO on the SFT output) trains a new adapter on the merged model.
    That model is written once to output_dir/base_model and becomes model.name, so the run's adapters name it
    as their base: recorded as the adapter's own base, they would load onto the original model without the
    SFT weights (vLLM, `uiray eval`, `uiray merge` and serving all read that field)."""
    from uiray.cluster import init_ray
    from uiray.models import resolve_model
    from uiray.train.loop import adapter_base

    out = Path(cfg.output_dir)
    if cfg.resume == "never" and (out / CHECKPOINTS).exists():
        raise ConfigError(f"output_dir {out} already holds checkpoints and resume=never: pick a new output_dir")
    # Ray Train 2.60 patches print() in its workers to log *and*, because Ray wraps sys.stdout, to print as well:
    # every step line came out twice. Unpatched, a worker's print is printed once.
    init_ray(cfg.ray, runtime_env={"env_vars": {"RAY_TRAIN_ENABLE_PRINT_PATCH": "0"}})
    import ray.data

    ray.data.DataContext.get_current().execution_options.preserve_order = True
    save_config(cfg, out)
    if adapter_base(cfg.model.name) and cfg.lora.enabled:
        cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update={"name": str(_merged_start(cfg, out))})})
    return cfg, cfg.model.name if adapter_base(cfg.model.name) else resolve_model(cfg.model.name)


def _merged_start(cfg, out: Path) -> Path:
    """output_dir/base_model: the starting adapter merged into its base (once; reused on resume)."""
    from uiray.train.merge import merge_adapter

    merged = out / "base_model"
    if not (merged / MERGED_MARKER).is_file():
        dtype = cfg.model.dtype if cfg.model.dtype != "auto" else "float32"
        log.info(f"{cfg.model.name} is an adapter: merging it into its base once, in {merged}")
        merge_adapter(cfg.model.name, merged, dtype=dtype)
        (merged / MERGED_MARKER).write_text(cfg.model.name + "\n")
    return merged.resolve()


MERGED_MARKER = "uiray_merged_from.txt"


def fit(cfg, worker, datasets: dict, stage: str, report: dict | None = None, eval_prompts: list | None = None) -> dict:
    """Materialize the datasets, plan the steps, run `worker` on every rank (TorchTrainer), publish the final
    outputs; returns (and writes) summary.json."""
    import ray.train
    from ray.train.torch import TorchTrainer

    started = time.perf_counter()
    datasets = {name: ds.materialize() for name, ds in datasets.items()}
    for ds in datasets.values():
        ds.context.enable_progress_bars = False  # every worker re-reads them: no progress bar per worker
    rows = datasets["train"].count()
    plan = plan_steps(rows, cfg.scaling.num_workers, cfg.train.micro_batch_size, cfg.train.grad_accum,
                      cfg.train.epochs, cfg.train.max_steps)  # fmt: skip
    log.info(f"{stage}: {rows} training rows -> {plan['steps_per_epoch']} steps/epoch, {plan['total_steps']} steps "
        f"({time.perf_counter() - started:.0f} s to prepare the data)")  # fmt: skip
    out = Path(cfg.output_dir).resolve()
    checkpoint = latest_checkpoint(out) if cfg.resume == "auto" else None
    if checkpoint is not None:
        log.info(f"resuming from {checkpoint}")
    cpus = worker_cpus(cfg.scaling)
    run = WorkerRun(cfg=cfg, steps_per_epoch=plan["steps_per_epoch"], total_steps=plan["total_steps"],
                    output_dir=str(out), cpus=cpus, eval_prompts=eval_prompts or [])  # fmt: skip
    trainer = TorchTrainer(
        worker,
        train_loop_config={"run": run},
        scaling_config=ray.train.ScalingConfig(
            num_workers=cfg.scaling.num_workers, use_gpu=cfg.scaling.use_gpu,
            resources_per_worker={"CPU": cpus},
        ),
        run_config=ray.train.RunConfig(
            name=CHECKPOINTS, storage_path=str(out),
            checkpoint_config=ray.train.CheckpointConfig(num_to_keep=cfg.checkpoint.keep),
            failure_config=ray.train.FailureConfig(max_failures=cfg.scaling.max_failures),
        ),
        datasets=datasets,
        dataset_config=ray.train.DataConfig(datasets_to_split=[]),  # ordered, unsplit: see uiray/train/data.py
    )  # fmt: skip
    result = trainer.fit()
    final = latest_checkpoint(out)
    summary = {"stage": stage, "rows": rows, **plan, **(report or {}),
               "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    if final is not None:
        _publish(final, out)
        summary["checkpoint"] = str(final)
        summary["metrics"] = {k: v for k, v in (result.metrics or {}).items() if isinstance(v, (int, float))}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    log.info(f"{stage}: done in {summary['seconds']} s; final model in {out / 'final'}")
    return summary


def worker_cpus(scaling) -> int:
    """scaling.cpus_per_worker, or the CPUs of the nodes that can hold a worker shared out among the workers.

    A worker that asks for one CPU gets one thread (Ray sets OMP_NUM_THREADS to what it asked for): on a
    2-core box one SFT worker ran at half the speed of a plain 2-thread loop. At most one node's CPUs, so
    that a worker still fits a node."""
    import ray

    if scaling.cpus_per_worker:
        return scaling.cpus_per_worker
    nodes = [n["Resources"] for n in ray.nodes() if n["Alive"] and (n["Resources"].get("GPU") or not scaling.use_gpu)]
    cpus = [int(node.get("CPU", 0)) for node in nodes] or [1]
    return max(1, min(max(cpus), sum(cpus) // scaling.num_workers))


def plan_steps(rows: int, workers: int, micro: int, grad_accum: int, epochs: int, max_steps: int | None) -> dict:
    """Optimizer steps per epoch and in total; an error when the data cannot fill one step."""
    global_batches = rows // (workers * micro)
    per_epoch = global_batches // grad_accum
    if per_epoch == 0:
        raise ConfigError(
            f"{rows} training rows cannot fill one step of {workers} workers x micro_batch_size {micro} x "
            f"grad_accum {grad_accum}: use more data or smaller batches"
        )
    total = per_epoch * epochs if max_steps is None else min(max_steps, per_epoch * epochs)
    return {
        "steps_per_epoch": per_epoch,
        "total_steps": total,
        "dropped_rows_per_epoch": rows - per_epoch * grad_accum * workers * micro,
    }


def _publish(checkpoint: Path, out: Path) -> None:
    """Copy the final model and curves to output_dir/final and output_dir (stable paths for the next stage)."""
    final = out / "final"
    if final.exists():
        shutil.rmtree(final)
    shutil.copytree(checkpoint / "model", final)
    for name in ("metrics.jsonl", "loss.svg", "data_log.jsonl"):
        if (checkpoint / name).exists():
            shutil.copy2(checkpoint / name, out / name)
