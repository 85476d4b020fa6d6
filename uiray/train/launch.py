"""The driver side of `uiray sft` and `uiray dpo`: data on Ray Data, a TorchTrainer, resume, final outputs.

    run_sft(cfg) / run_dpo(cfg)
        init_ray -> tokenized + packed datasets (materialized, ordered) -> plan (steps per epoch, total)
        -> newest complete checkpoint in output_dir (resume: auto) -> TorchTrainer.fit()
        -> output_dir/final -> the last checkpoint's model/ (adapter + tokenizer), metrics.jsonl, loss.svg

The run's checkpoints live in <output_dir>/checkpoints/step_N (Ray Train's storage: output_dir may be a
shared filesystem or any pyarrow-supported URL on a cluster; local paths are made absolute).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

from uiray.config import ConfigError, DPOConfig, SFTConfig, save_config
from uiray.train.checkpoint import CHECKPOINTS, latest_checkpoint

log = logging.getLogger("uiray.train")


def run_sft(cfg: SFTConfig) -> dict:
    from uiray.train.data import PACK_BUFFER, encode_sft, fit_to_length, held_out, ordered, pack_rows, read_rows
    from uiray.train.sft import sft_worker

    tokenizer_path = _prepare(cfg)
    rows = read_rows(cfg.train_data, "sft", cfg.mode)
    train, held = held_out(rows, 0 if cfg.eval_data else cfg.eval_fraction, cfg.seed)
    if cfg.eval_data:
        held = read_rows(cfg.eval_data, "sft", cfg.mode)
    if cfg.mix_data:
        train = _mixed(train, read_rows(cfg.mix_data, "sft"), cfg.mix_ratio, cfg.seed)
    encode = encode_sft(tokenizer_path, cfg.mode, cfg.system_prompt, cfg.train.seq_len)
    pack = pack_rows(cfg.train.seq_len, cfg.packing)
    seq_len, policy = cfg.train.seq_len, cfg.train.too_long
    encoded, lengths = fit_to_length(train.map_batches(encode, batch_size=64), seq_len, policy, "train")
    datasets = {"train": ordered(encoded, cfg.seed).map_batches(pack, batch_size=PACK_BUFFER)}
    report = {"lengths": {"train": lengths}}
    prompts = []
    if held is not None:
        encoded, report["lengths"]["eval"] = fit_to_length(held.map_batches(encode, batch_size=64), seq_len, policy,
                                                           "eval")  # fmt: skip
        datasets["eval"] = encoded.map_batches(pack, batch_size=PACK_BUFFER)
        if cfg.eval.generations and cfg.mode == "chat":
            prompts = [{"system": r["system"] or cfg.system_prompt, "prompt": r["prompt"]}
                       for r in held.take(cfg.eval.generations)]  # fmt: skip
    return _fit(cfg, sft_worker, datasets, {"eval_prompts": prompts}, "sft", report)


def run_dpo(cfg: DPOConfig) -> dict:
    from uiray.train.data import encode_dpo, fit_to_length, held_out, ordered, read_rows
    from uiray.train.dpo import dpo_worker

    if not cfg.lora.enabled and cfg.precompute_ref is False:
        raise ConfigError(
            "dpo: full fine-tuning (lora.enabled=false) needs precompute_ref=true (no adapter to switch off)"
        )
    tokenizer_path = _prepare(cfg)
    rows = read_rows(cfg.train_data, "pref").map(lambda r: {**r, "prompt_key": r["prompt"]})
    train, held = held_out(rows, 0 if cfg.eval_data else cfg.eval_fraction, cfg.seed, key="prompt_key")
    if cfg.eval_data:
        held = read_rows(cfg.eval_data, "pref")
    encode = encode_dpo(tokenizer_path, cfg.system_prompt, cfg.train.seq_len)
    seq_len, policy = cfg.train.seq_len, cfg.train.too_long
    encoded, lengths = fit_to_length(train.map_batches(encode, batch_size=64), seq_len, policy, "train pairs")
    datasets = {"train": ordered(encoded, cfg.seed)}
    report = {"lengths": {"train": lengths}}
    if held is not None:
        encoded, report["lengths"]["eval"] = fit_to_length(held.map_batches(encode, batch_size=64), seq_len, policy,
                                                           "eval pairs")  # fmt: skip
        datasets["eval"] = encoded
    return _fit(cfg, dpo_worker, datasets, {}, "dpo", report)


def _prepare(cfg) -> str:
    """Ray up, output_dir checked against `resume`, config saved; returns the tokenizer's directory."""
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
    return cfg.model.name if adapter_base(cfg.model.name) else resolve_model(cfg.model.name)


def _mixed(train, general, ratio: float, seed: int):
    """train + up to ratio x len(train) rows of general chat data (chosen by id hash, so the same each run)."""
    from uiray.train.data import ordered

    wanted = int(train.count() * ratio)
    log.info(f"mixing in up to {wanted} general rows (mix_ratio={ratio})")
    return train.union(ordered(general, seed + 7).limit(wanted))


def _fit(cfg, worker, datasets: dict, extra: dict, stage: str, report: dict | None = None) -> dict:
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
    trainer = TorchTrainer(
        worker,
        train_loop_config={
            "cfg": cfg.model_dump(mode="json"), "plan": plan, "output_dir": str(out), "cpus": cpus, **extra
        },
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
