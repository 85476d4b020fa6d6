"""What the SFT and DPO worker loops share: model loading, resume, checkpoint writing, logging, progress.

These run inside Ray Train workers (one process per rank). Each is a plain function the loops call in
order; there is no trainer base class. Rank 0 writes the human-facing outputs (model weights, metrics,
plots, wandb); every rank writes its optimizer shard and RNG state.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.distributed as dist

from uiray.models import adapter_config
from uiray.train.checkpoint import (
    checkpoint_step,
    latest_checkpoint,
    load_rng,
    read_jsonl,
    save_model,
    save_rng,
    step_dir_name,
    write_jsonl,
    write_manifest,
)
from uiray.train.plot import loss_svg

log = logging.getLogger("uiray.train")


def rank_world() -> tuple[int, int]:
    import ray.train

    ctx = ray.train.get_context()
    return ctx.get_world_rank(), ctx.get_world_size()


def adapter_base(path: str) -> str | None:
    """The base model of a peft adapter directory (an SFT output), or None when path is not one."""
    config = adapter_config(path)
    return config["base_model_name_or_path"] if config else None


def load_model(model_cfg, lora_cfg, attn_implementation: str, seed: int, gradient_checkpointing: bool = False):
    """(model with a fresh LoRA adapter - or all weights trainable -, tokenizer).

    model_cfg.name may be a peft adapter directory (say, the SFT output): its adapter is merged into the
    base first, so DPO trains a new adapter on top of the SFT model and its reference is the SFT model.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from uiray.models import resolve_model

    torch.manual_seed(seed)
    base = adapter_base(model_cfg.name)
    path = resolve_model(base or model_cfg.name)
    dtype = "auto" if model_cfg.dtype == "auto" else getattr(torch, model_cfg.dtype)
    model = AutoModelForCausalLM.from_pretrained(
        path, dtype=dtype, attn_implementation=attn_implementation, trust_remote_code=model_cfg.trust_remote_code
    )
    if base:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, model_cfg.name).merge_and_unload()
    tokenizer = AutoTokenizer.from_pretrained(model_cfg.name if base else path)
    model.config.use_cache = False  # training never reuses a KV cache; generation passes use_cache itself
    if gradient_checkpointing:
        # Non-reentrant checkpointing works with frozen inputs (LoRA) without enable_input_require_grads.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if not lora_cfg.enabled:
        return model, tokenizer
    from peft import LoraConfig, get_peft_model

    adapter = LoraConfig(
        r=lora_cfg.r,
        lora_alpha=lora_cfg.alpha,
        lora_dropout=lora_cfg.dropout,
        target_modules=list(lora_cfg.target_modules),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, adapter), tokenizer


def all_sum(values: list[float]) -> list[float]:
    """Element-wise sum over ranks (float64 on CPU: gloo and NCCL both take it once moved to the device)."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return list(values)
    import ray.train.torch

    tensor = torch.tensor(values, dtype=torch.float64, device=ray.train.torch.get_device())
    dist.all_reduce(tensor)
    return tensor.cpu().tolist()


class Worker(NamedTuple):
    """What both worker loops start from."""

    rank: int
    world: int
    trainable: Any
    tokenizer: Any
    pad_id: int
    state: Resumed


def start_worker(cfg, run, optimizer, schedule) -> Worker:
    """Model + adapter, sharded by the configured strategy with the recipe's optimizer and schedule (see
    uiray/train/optim.py), on the CPUs the worker asked for, with the checkpoint to resume from loaded."""
    from uiray.train.data import quiet_worker
    from uiray.train.strategies import wrap_for_training

    quiet_worker()
    torch.set_num_threads(run.cpus)  # the CPUs this worker asked Ray for
    rank, world = rank_world()
    opt = cfg.train
    model, tokenizer = load_model(cfg.model, cfg.lora, cfg.attn_implementation, cfg.seed, opt.gradient_checkpointing)
    trainable = wrap_for_training(
        model, strategy=cfg.scaling.strategy, optimizer=optimizer, schedule=schedule, max_grad_norm=opt.max_grad_norm,
        grad_accum=opt.grad_accum, cpu_offload=cfg.scaling.cpu_offload, bf16=cfg.model.dtype == "bfloat16",
    )  # fmt: skip
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    state = resume(trainable, rank, run.output_dir)
    return Worker(rank, world, trainable, tokenizer, pad_id, state)


class Resumed(dict):
    """state.json of the checkpoint a run resumes from, plus its metrics and data log ({} for a fresh run)."""


def resume(trainable, rank: int, output_dir: str | None) -> Resumed:
    """Load the run's newest complete checkpoint into `trainable` and the RNGs.

    Newest means the newest on disk in output_dir (a killed run's, when the driver starts again) or the one
    Ray Train hands back after a worker failure, whichever is later. Ray's alone is not enough: a worker
    that dies just after a checkpoint was written can take the report down with it before the controller
    (polling every ~2 s) has collected it, and Ray Train then restarts from an older checkpoint, or from
    step 0, training those steps twice. Storage that is not a local path has only Ray's.
    """
    import ray.train

    checkpoint = ray.train.get_checkpoint()
    newest = latest_checkpoint(output_dir) if output_dir else None
    if newest is not None and (checkpoint is None or checkpoint_step(newest) > (checkpoint_step(checkpoint.path) or 0)):
        checkpoint = ray.train.Checkpoint(str(newest))
    if checkpoint is None:
        return Resumed()
    with checkpoint.as_directory() as directory:
        directory = Path(directory)
        trainable.load(directory / "trainer")
        load_rng(directory / "rng", rank)
        state = Resumed(json.loads((directory / "state.json").read_text()))
        state["metrics"] = read_jsonl(directory / "metrics.jsonl")
        state["data_log"] = read_jsonl(directory / "data_log.jsonl")
    if rank == 0:
        log.info(f"resumed from step {state['step']} (epoch {state['epoch']}, batch {state['batches_done']})")
    return state


def save_checkpoint(trainable, tokenizer, state: dict, metrics: list[dict], data_log: list[dict], title: str) -> None:
    """Collective: every rank writes its part to a local directory and reports it to Ray Train."""
    import ray.train

    rank, _ = rank_world()
    full = trainable.trainable_state_dict()  # collective gather; the full weights land on rank 0
    with tempfile.TemporaryDirectory(prefix="uiray-ckpt-") as tmp:
        directory = Path(tmp)
        trainable.save(directory / "trainer")
        save_rng(directory / "rng", rank)
        if rank == 0:
            save_model(trainable.inner, full, tokenizer, directory / "model")
            write_jsonl(directory / "metrics.jsonl", metrics)
            write_jsonl(directory / "data_log.jsonl", data_log)
            (directory / "loss.svg").write_text(loss_svg(metrics, title))
            (directory / "state.json").write_text(json.dumps(state, indent=1))
        write_manifest(directory, rank)
        last = metrics[-1] if metrics else {}
        ray.train.report(
            {k: v for k, v in last.items() if isinstance(v, (int, float))},
            checkpoint=ray.train.Checkpoint.from_directory(directory),
            checkpoint_dir_name=step_dir_name(state["step"]),
        )


REPORT_EVERY = 10
"""Steps between metric reports to Ray Train (the dashboard); checkpoints report on their own steps."""


class Logger:
    """Rank 0's metrics: kept for checkpoints and plots, sent to wandb, printed with progress and ETA."""

    def __init__(self, cfg, total_steps: int, resumed: Resumed, rank: int, stage: str):
        self.rank, self.total, self.stage = rank, total_steps, stage
        self.records: list[dict] = list(resumed.get("metrics", []))
        self.start_step = resumed.get("step", 0)
        self.started = time.perf_counter()
        self.wandb = None
        if rank == 0 and cfg.wandb.mode != "disabled":
            import wandb

            run_id = resumed.get("wandb_id") or uuid.uuid4().hex[:8]
            out = Path(cfg.output_dir).resolve()
            out.mkdir(parents=True, exist_ok=True)
            self.wandb = wandb.init(
                project=cfg.wandb.project, mode=cfg.wandb.mode, dir=str(out), id=run_id, resume="allow",
                config=cfg.model_dump(mode="json"), job_type=stage,
            )  # fmt: skip

    @property
    def wandb_id(self) -> str | None:
        return self.wandb.id if self.wandb else None

    def log(self, step: int, metrics: dict[str, Any], report: bool = True) -> None:
        import ray.train

        if not metrics:  # an evaluation with nothing to evaluate (no held-out set, no prompts)
            return
        record = {"step": step, **metrics}
        if self.rank == 0:
            self.records.append(record)
            if self.wandb:
                self.wandb.log(metrics, step=step)
            log.info(self.progress_line(step, metrics))
        # Every rank reports on the same steps (a report is a sync point). Not every step: in Ray Train 2.60
        # a report waits until the controller, polling every ~2 s, has collected the previous one, which
        # capped short steps at one per 2 s.
        if report and step % REPORT_EVERY == 0:
            ray.train.report({k: v for k, v in record.items() if isinstance(v, (int, float))})

    def progress_line(self, step: int, metrics: dict[str, Any]) -> str:
        done = step - self.start_step
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done * (self.total - step) if done > 0 else math.nan
        shown = " ".join(f"{k} {_fmt(v)}" for k, v in metrics.items() if k in _SHOWN)
        return f"[{self.stage}] step {step}/{self.total} ({100 * step / self.total:.0f}%) {shown} eta {_duration(eta)}"

    def finish(self) -> None:
        if self.wandb:
            self.wandb.finish()


_SHOWN = ("loss", "eval/loss", "token_acc", "rewards/accuracy", "eval/rewards/accuracy", "tokens_per_s", "lr")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-2 or abs(value) >= 1e4 else f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
