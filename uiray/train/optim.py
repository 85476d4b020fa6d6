"""The optimizer and learning-rate schedule a recipe trains with (uiray/train/sft.py, dpo.py build them;
uiray/train/strategies.py only shards and steps them).

    optimizer = adamw(lr=1e-4, weight_decay=0.0)            # a factory: model -> optimizer
    schedule = cosine_schedule(total_steps=1000, warmup_ratio=0.03)
    trainable = wrap_for_training(model, strategy="ddp", optimizer=optimizer, schedule=schedule, ...)

The optimizer is a factory because FSDP2 needs it built over the sharded (DTensor) parameters, after
sharding, and DeepSpeed takes it before building its engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

OptimizerFactory = Callable[[nn.Module], torch.optim.Optimizer]


def adamw(
    lr: float, weight_decay: float, betas: tuple[float, float] = (0.9, 0.999), cpu_offload: bool = False
) -> OptimizerFactory:
    """AdamW over the model's trainable parameters, weight decay on matrices only (decaying biases and norm
    gains pulls them to 0, which helps nothing). cpu_offload: DeepSpeed's CPU Adam, the only optimizer
    DeepSpeed accepts with offload; its C++ op is compiled on first use: 35-80 s (59 s on 2 cores), once per
    machine, cached in ~/.cache/torch_extensions."""

    def build(model: nn.Module) -> torch.optim.Optimizer:
        trainable = [p for p in model.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
        ]
        groups = [group for group in groups if group["params"]]  # DeepSpeed rejects empty groups
        if cpu_offload:
            from deepspeed.ops.adam import DeepSpeedCPUAdam

            return DeepSpeedCPUAdam(groups, lr=lr, betas=betas, adamw_mode=True)
        return torch.optim.AdamW(groups, lr=lr, betas=betas)

    return build


def cosine_schedule(total_steps: int, warmup_ratio: float) -> Callable[[int], float]:
    """LR multiplier: linear warm-up from 0 then cosine decay to 0 (used with LambdaLR).

    Warm-up steps are rounded up, as transformers does, so any warmup_ratio > 0 warms up at least one step
    (less a hair first, so that 100 * 0.07 = 7.000000000000001 gives 7 steps, not 8).
    """
    warmup = math.ceil(total_steps * warmup_ratio - 1e-9)

    def multiplier(step: int) -> float:
        if step < warmup:
            return step / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return multiplier
