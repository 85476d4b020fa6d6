"""Sequence log-probabilities, the sigmoid DPO loss, and reference log-probs from the adapter-free model.

DPO (Rafailov et al., 2023, eq. 7) for a prompt x with chosen y_w and rejected y_l:

    r_w = beta * (log pi(y_w|x) - log ref(y_w|x))        implicit reward of the chosen reply
    r_l = beta * (log pi(y_l|x) - log ref(y_l|x))        ... and of the rejected one
    loss = -log sigmoid(r_w - r_l)                        averaged over the batch

log pi(y|x) is the sum of the reply's token log-probabilities (labels != IGNORE), not their mean: the
paper's objective is over whole sequences, and the reference term cancels most of the length effect.

With LoRA the reference is the same network with the adapter switched off (peft's disable_adapter),
so DPO holds one copy of the weights instead of two. The reference never changes during training, so
its log-probs can also be computed once per pair before training and stored with the data.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F

from uiray.train.tokenize import IGNORE

_MODEL_INPUTS = ("input_ids", "attention_mask", "position_ids")


def sequence_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, L, V) logits and (B, L) labels -> (sum of log p over labelled tokens, number of them), each (B,).

    Position t's logits predict token t + 1, so the labels are shifted by one (as in transformers' own
    loss). Computed in float32: bf16 log-probs summed over thousands of tokens lose the small differences
    DPO is made of.
    """
    logits = logits[:, :-1].float()
    targets = labels[:, 1:]
    mask = targets != IGNORE
    picked = torch.gather(logits, -1, targets.masked_fill(~mask, 0).unsqueeze(-1)).squeeze(-1)
    token_logp = (picked - torch.logsumexp(logits, dim=-1)).masked_fill(~mask, 0.0)
    return token_logp.sum(-1), mask.sum(-1)


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Sigmoid DPO loss (module docstring) from (B,) sequence log-probs, and its metrics.

    metrics: rewards/chosen and rewards/rejected (batch means of r_w and r_l), rewards/margin (mean of
    r_w - r_l), rewards/accuracy (share of pairs with r_w > r_l; ties count as wrong).
    """
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    chosen = beta * (policy_chosen - ref_chosen)
    rejected = beta * (policy_rejected - ref_rejected)
    margin = chosen - rejected
    # logsigmoid, not log(sigmoid(x)): the latter is -inf for margins below about -100.
    loss = -F.logsigmoid(margin).mean()
    metrics = {
        "rewards/chosen": chosen.detach().mean().item(),
        "rewards/rejected": rejected.detach().mean().item(),
        "rewards/margin": margin.detach().mean().item(),
        "rewards/accuracy": (margin.detach() > 0).float().mean().item(),
    }
    return loss, metrics


def batch_logprobs(model: torch.nn.Module, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Forward `batch` (input_ids, labels, attention_mask, optional position_ids) -> (B,) summed log-probs."""
    inputs = {k: batch[k] for k in _MODEL_INPUTS if k in batch}
    logits = model(**inputs).logits
    return sequence_logprobs(logits, batch["labels"])[0]


def ref_logprobs_with_adapter_disabled(model: torch.nn.Module, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Reference log-probs: the same peft model with its adapter switched off, no grad, in eval mode.

    Eval mode for the call because dropout would make the reference random; the model's mode is restored
    afterwards. A DistributedDataParallel wrapper is looked through (no_grad needs none of its hooks).
    """
    inner = model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model
    if not hasattr(inner, "disable_adapter"):
        raise TypeError(
            f"{type(inner).__name__} has no adapter to disable; full fine-tuning needs a separate frozen "
            f"reference model (or precomputed reference log-probs)"
        )
    was_training = inner.training
    inner.eval()
    try:
        with torch.no_grad(), inner.disable_adapter():
            return batch_logprobs(inner, batch)
    finally:
        inner.train(was_training)
