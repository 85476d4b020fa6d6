"""Data-parallel training inside a Ray Train worker: DDP, DeepSpeed ZeRO-2/3 or FSDP2 behind one interface.

The SFT and DPO loops are written once against `Trainable`; the strategy is a config string, the optimizer and
schedule are the recipe's (uiray/train/optim.py):

    trainable = wrap_for_training(model, strategy="zero3", optimizer=adamw(lr=1e-4, weight_decay=0.0),
                                  schedule=cosine_schedule(1000, 0.03), max_grad_norm=1.0, grad_accum=4)
    for i, batch in enumerate(micro_batches):
        trainable.backward(loss_fn(trainable.model(**batch), batch))
        if (i + 1) % grad_accum == 0:
            grad_norm = trainable.step()

    ddp    torch DistributedDataParallel: a full replica per worker; the default for LoRA, where the
           trainable state is tiny and sharding it only adds communication.
    zero2  DeepSpeed ZeRO-2: optimizer state and gradients sharded, parameters replicated.
    zero3  DeepSpeed ZeRO-3: parameters sharded too (gathered layer by layer in forward/backward).
    fsdp2  torch fully_shard: each decoder layer, then the rest of the model, sharded over a 1-D mesh.

The same code runs on CPU workers (gloo, as Ray Train sets up with use_gpu=False) and on GPUs (NCCL).
All four give the same losses and gradient norms (to float rounding) for the same data and init, and
resume exactly from save(); tests/integration/test_train_strategies.py checks both. Tiny Qwen2 + LoRA
(2 layers, hidden 128), 2 CPU workers, 2 micro-batches per step: ddp 0.016-0.025 s/step, zero2
0.018-0.040, zero3 0.11-0.16, fsdp2 0.045-0.083 (quiet machine - shared machine).

Precision. Trainable parameters are kept in fp32 on every strategy: bf16 keeps 8 significant bits, so
an AdamW update under ~0.4% of a weight would be rounded away. With bf16=True the frozen weights are
stored in bf16 (the memory that matters for LoRA). Compute: DeepSpeed's "bf16" section runs the whole
module in bf16 with fp32 master weights; FSDP2 gets MixedPrecisionPolicy(param_dtype=bf16,
reduce_dtype=fp32), the same thing; DDP runs as stored (bf16 base, fp32 adapters - peft casts around the
adapter), so a full fine-tune under DDP stays in fp32 even with bf16=True. FSDP2 in torch 2.13 needs one
dtype only among the *trainable* parameters of a unit (mixed dtypes are all-gathered as bytes), so a
bf16 base with fp32 adapters needs no casting.

Checkpoints. save()/load() are collective and write under `directory/sharded/`: DeepSpeed's own
save_checkpoint layout (fp32 master partitions per rank, step counters, scheduler), or a
torch.distributed.checkpoint (DCP) directory with the trainable weights, AdamW state and scheduler.
Frozen weights are not written (they come from the base model). Every rank must be able to read the
whole directory at load time (a shared filesystem, or Ray Train's checkpoint download).

Found while building this (torch 2.13 CPU, deepspeed 0.19.8, gloo):
- On CPU, DeepSpeed JIT-builds its shared-memory comm op (deepspeed_shm_comm) when its comm backend
  starts, even with a torch AdamW: ~30 s once per machine (cached in ~/.cache/torch_extensions).
- DeepSpeed needs `engine.step()` after *every* micro-batch (it counts micro-steps to find the
  accumulation boundary); backward() calls it off the boundary, where it does nothing else.
- DeepSpeed allocates its gradient bucket of reduce_bucket_size elements up front (default 5e8: 2 GB in
  fp32), and ZeRO-3 leaves parameters under stage3_param_persistence_threshold (default 1e5 elements)
  unpartitioned, so a small model is not sharded at all. Both are sized from hidden_size, as
  transformers' "auto" values are.
- torch's ignore_frozen_params and DeepSpeed's exclude_frozen_parameters both let a tied lm_head.weight
  through (it is not in named_parameters); the torch path filters it out, DeepSpeed's ZeRO-2 checkpoint
  carries it (the embedding matrix, harmless on load).
- DDP allows one forward of `model` per backward(); run the reference (adapter off) forward under
  torch.no_grad(), and policy forwards of chosen and rejected as one concatenated batch.
- generate() under zero3/fsdp2 gathers weights in every forward: call it on all ranks together with
  `synced_gpus=True` (ranks stop at different lengths otherwise and hang).
- FSDP2's root unit is the transformers model, not the peft wrapper: peft's generate() calls the inner
  model directly, and with the wrapper as root the embeddings stay sharded ("mixed torch.Tensor and
  DTensor").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import torch
import torch.distributed as dist
from torch import nn

STRATEGIES = ("ddp", "zero2", "zero3", "fsdp2")
SHARDED_DIR = "sharded"


class Trainable(Protocol):
    """What the training loops use; see the module docstring for the call sequence."""

    model: nn.Module
    """Call this for forward passes (the DDP module, DeepSpeed engine or FSDP2-sharded model)."""
    inner: nn.Module
    """The unwrapped (peft) model: disable_adapter(), generate(), config, peft_config."""

    def backward(self, loss: torch.Tensor) -> None:
        """Backward of one micro-batch's mean loss, scaled by 1/grad_accum; no gradient sync off the boundary."""

    def step(self) -> float:
        """After every grad_accum-th backward(): clip, optimizer and scheduler step, zero the gradients.
        Returns the global gradient norm before clipping (the same on every rank)."""

    def lr(self) -> float:
        """The learning rate the next step will use."""

    def trainable_state_dict(self) -> dict[str, torch.Tensor] | None:
        """Collective. Full fp32 trainable weights on CPU, keyed as in inner.state_dict(), on rank 0; None elsewhere."""

    def save(self, directory: str | Path) -> None:
        """Collective. Each rank writes its part of the trainable weights, optimizer and scheduler state."""

    def load(self, directory: str | Path) -> None:
        """Collective. Restores what save() wrote (same strategy and world size); training continues exactly."""


def wrap_for_training(
    model: nn.Module,
    *,
    strategy: str,
    optimizer: Callable[[nn.Module], torch.optim.Optimizer],
    schedule: Callable[[int], float],
    max_grad_norm: float,
    grad_accum: int,
    cpu_offload: bool = False,
    bf16: bool = False,
) -> Trainable:
    """Moves to the worker's device, shards per strategy, builds the recipe's optimizer over the (sharded)
    model with `schedule` as its LambdaLR multiplier, and returns the wrapper.

    Call it inside a Ray Train worker (the process group is initialised; world size 1 works too).
    cpu_offload (zero2: optimizer state; zero3: parameters too) is DeepSpeed's, for GPU workers short of
    memory; the optimizer must then be DeepSpeed's CPU Adam (optim.adamw(..., cpu_offload=True)).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    if cpu_offload and strategy not in ("zero2", "zero3"):
        raise ValueError(f"cpu_offload needs strategy zero2 or zero3, got {strategy!r}")
    if grad_accum < 1:
        raise ValueError(f"grad_accum must be >= 1, got {grad_accum}")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("the model has no trainable parameters")
    _set_dtypes(model, bf16)
    device = _device()
    if strategy in ("zero2", "zero3"):
        config = _deepspeed_config(
            stage=int(strategy[-1]),
            max_grad_norm=max_grad_norm,
            grad_accum=grad_accum,
            cpu_offload=cpu_offload,
            bf16=bf16,
            hidden_size=getattr(getattr(model, "config", None), "hidden_size", None),
        )
        return DeepSpeedTrainable(_deepspeed_engine(model, optimizer(model), schedule, config), grad_accum)
    wrapped = _fsdp2(model, device, bf16) if strategy == "fsdp2" else _ddp(model, device)
    built = optimizer(model)  # after sharding: over the DTensor parameters
    scheduler = torch.optim.lr_scheduler.LambdaLR(built, schedule)
    return TorchTrainable(wrapped, model, built, scheduler, grad_accum, max_grad_norm)


# --- shared helpers ---------------------------------------------------------------------------------


def _device() -> torch.device:
    """The worker's device: Ray's choice on GPU workers (and made current for NCCL and DeepSpeed), else CPU."""
    import ray.train.torch

    device = ray.train.torch.get_device()
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def _set_dtypes(model: nn.Module, bf16: bool) -> None:
    """Trainable parameters in fp32 (see the module docstring); frozen ones in bf16 when asked, else as given."""
    for param in model.parameters():
        if param.requires_grad:
            param.data = param.data.float()
        elif bf16 and param.is_floating_point():
            param.data = param.data.to(torch.bfloat16)


def _only_trainable(model: nn.Module, state: dict) -> dict:
    """Drop what ignore_frozen_params lets through: a tied head (lm_head.weight is not in named_parameters,
    so its frozen embedding matrix passes as a non-parameter) and buffers."""
    names = {name for name, param in model.named_parameters() if param.requires_grad}
    return {name: value for name, value in state.items() if name in names}


def _check_boundary(micro_steps: int, grad_accum: int) -> None:
    """step() off the accumulation boundary would leave DDP grads unsynchronised and DeepSpeed idle."""
    if micro_steps != grad_accum:
        raise RuntimeError(f"step() after {micro_steps} backward() calls; expected grad_accum={grad_accum}")


# --- DDP and FSDP2 ----------------------------------------------------------------------------------


def _ddp(model: nn.Module, device: torch.device) -> nn.Module:
    from torch.nn.parallel import DistributedDataParallel

    model.to(device)
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def _fsdp2(model: nn.Module, device: torch.device, bf16: bool) -> nn.Module:
    """fully_shard each decoder layer, then the transformers model as the root (not the peft wrapper).

    Per-layer units keep only one layer's full weights alive at a time; the root unit holds the
    embeddings, final norm and head. The root is the model peft wraps because peft's generate() calls
    it directly and must trigger its unshard hooks. fully_shard moves each unit to the mesh's device as it
    shards it, so a GPU never holds the whole unsharded model. Sharding is in place: `model` is returned.
    """
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    mesh = init_device_mesh(device.type, (dist.get_world_size(),))
    policy = MixedPrecisionPolicy(torch.bfloat16, torch.float32) if bf16 else MixedPrecisionPolicy()
    root = model.get_base_model() if hasattr(model, "get_base_model") else model
    layer_classes = set(getattr(root, "_no_split_modules", None) or ())
    layers = [module for module in root.modules() if type(module).__name__ in layer_classes]
    if not layers:
        raise ValueError(f"fsdp2: no decoder layers ({layer_classes or '_no_split_modules unset'}) in the model")
    for layer in layers:
        fully_shard(layer, mesh=mesh, mp_policy=policy)
    fully_shard(root, mesh=mesh, mp_policy=policy)
    return model


class TorchTrainable:
    """DDP or FSDP2 model, torch AdamW and LambdaLR; accumulation and clipping are done here.

    Off the accumulation boundary DDP skips its all-reduce (no_sync) and sums local gradients; FSDP2
    reduce-scatters every micro-batch instead, because skipping it would keep full unsharded gradients
    of every layer alive until the boundary and undo the memory saving of sharding.
    """

    def __init__(self, model, inner, optimizer, scheduler, grad_accum: int, max_grad_norm: float):
        self.model = model
        self.inner = inner
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.grad_accum = grad_accum
        self.max_grad_norm = max_grad_norm
        self._micro_steps = 0

    def backward(self, loss: torch.Tensor) -> None:
        self._micro_steps += 1
        scaled = loss / self.grad_accum
        if self._micro_steps < self.grad_accum and hasattr(self.model, "no_sync"):
            with self.model.no_sync():
                scaled.backward()
        else:
            scaled.backward()

    def step(self) -> float:
        from torch.distributed.tensor import DTensor

        _check_boundary(self._micro_steps, self.grad_accum)
        self._micro_steps = 0
        params = [p for p in self.inner.parameters() if p.requires_grad]
        norm = torch.nn.utils.clip_grad_norm_(params, self.max_grad_norm)
        if isinstance(norm, DTensor):  # FSDP2: per-shard norms, combined across ranks here
            norm = norm.full_tensor()
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return norm.item()

    def lr(self) -> float:
        return self.scheduler.get_last_lr()[0]

    def trainable_state_dict(self) -> dict[str, torch.Tensor] | None:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        # full_state_dict + cpu_offload: gathered to CPU on rank 0 only, the other ranks get {}
        options = StateDictOptions(full_state_dict=True, cpu_offload=True, ignore_frozen_params=True)
        state = _only_trainable(self.inner, get_model_state_dict(self.inner, options=options))
        return state if dist.get_rank() == 0 else None

    def _state(self) -> dict:
        """Each rank's own (sharded for FSDP2) trainable weights and AdamW state, plus the scheduler."""
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

        options = StateDictOptions(ignore_frozen_params=True)
        model_state, optimizer_state = get_state_dict(self.inner, self.optimizer, options=options)
        return {
            "model": _only_trainable(self.inner, model_state),
            "optimizer": optimizer_state,
            "scheduler": self.scheduler.state_dict(),
        }

    def save(self, directory: str | Path) -> None:
        import torch.distributed.checkpoint as dcp

        dcp.save(self._state(), checkpoint_id=Path(directory) / SHARDED_DIR)

    def load(self, directory: str | Path) -> None:
        import torch.distributed.checkpoint as dcp
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

        state = self._state()  # the template DCP loads into, in place
        dcp.load(state, checkpoint_id=Path(directory) / SHARDED_DIR)
        options = StateDictOptions(ignore_frozen_params=True, strict=False)  # frozen weights are not saved
        set_state_dict(
            self.inner,
            self.optimizer,
            model_state_dict=state["model"],
            optim_state_dict=state["optimizer"],
            options=options,
        )
        self.scheduler.load_state_dict(state["scheduler"])


# --- DeepSpeed ZeRO-2 / ZeRO-3 ----------------------------------------------------------------------


def _deepspeed_config(*, stage, max_grad_norm, grad_accum, cpu_offload, bf16, hidden_size) -> dict:
    """ZeRO config for a loop that calls backward() per micro-batch and step() every grad_accum of them.

    train_micro_batch_size_per_gpu only feeds DeepSpeed's throughput bookkeeping (batches come from the
    loop, not from DeepSpeed), so 1 is given; gradient_accumulation_steps is what scales and times steps.
    """
    zero: dict = {"stage": stage}
    if hidden_size:  # transformers' "auto" sizes (see the module docstring)
        zero["reduce_bucket_size"] = hidden_size * hidden_size
        if stage == 3:
            zero["stage3_prefetch_bucket_size"] = int(0.9 * hidden_size * hidden_size)
            zero["stage3_param_persistence_threshold"] = 10 * hidden_size
    if cpu_offload:
        pin = torch.cuda.is_available()
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": pin}
        if stage == 3:
            zero["offload_param"] = {"device": "cpu", "pin_memory": pin}
    return {
        "train_micro_batch_size_per_gpu": 1,
        "gradient_accumulation_steps": grad_accum,
        "gradient_clipping": max_grad_norm,
        "zero_optimization": zero,
        "bf16": {"enabled": bf16},
        "zero_allow_untested_optimizer": True,  # a plain torch AdamW: no DeepSpeed optimizer op to compile
        "steps_per_print": 2**31 - 1,
    }


def _deepspeed_engine(model, optimizer, schedule, config):
    """The engine owns accumulation, clipping and the schedule. DeepSpeed builds the scheduler on the torch
    optimizer it wraps, whose param_groups ZeRO reads the learning rate from. DeepSpeed takes its GPU
    from LOCAL_RANK, which Ray Train sets to match get_device()."""
    import deepspeed

    engine, *_ = deepspeed.initialize(
        model=model,
        optimizer=optimizer,
        lr_scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, schedule),
        config=config,
    )
    return engine


class DeepSpeedTrainable:
    """A DeepSpeed engine doing accumulation (loss scaling by 1/grad_accum), clipping and the schedule."""

    def __init__(self, engine, grad_accum: int):
        self.model = engine
        self.inner = engine.module
        self.grad_accum = grad_accum
        self._micro_steps = 0

    def backward(self, loss: torch.Tensor) -> None:
        self.model.backward(loss)
        self._micro_steps += 1
        if self._micro_steps < self.grad_accum:
            self.model.step()  # off the boundary this only advances DeepSpeed's micro-step counter

    def step(self) -> float:
        _check_boundary(self._micro_steps, self.grad_accum)
        self._micro_steps = 0
        self.model.step()
        return float(self.model.get_global_grad_norm())  # pre-clip, all-reduced by DeepSpeed

    def lr(self) -> float:
        return self.model.get_lr()[0]

    def trainable_state_dict(self) -> dict[str, torch.Tensor] | None:
        """The fp32 master weights (not the bf16 compute copy), gathered parameter by parameter."""
        from deepspeed.utils import safe_get_full_fp32_param

        state = {}
        for name, param in self.inner.named_parameters():
            if param.requires_grad:
                full = safe_get_full_fp32_param(param)  # collective: same order on every rank
                if dist.get_rank() == 0:
                    state[name] = full.detach().cpu().clone()
        return state if dist.get_rank() == 0 else None

    def save(self, directory: str | Path) -> None:
        self.model.save_checkpoint(str(directory), tag=SHARDED_DIR, save_latest=False, exclude_frozen_parameters=True)

    def load(self, directory: str | Path) -> None:
        path, _ = self.model.load_checkpoint(str(directory), tag=SHARDED_DIR, load_module_strict=False)
        if path is None:
            raise FileNotFoundError(f"no DeepSpeed checkpoint under {Path(directory) / SHARDED_DIR}")
