"""Learner: the policy being trained (LoRA or full) and its optimizer, one GRPO update per batch of samples.

A sample is a rollout's prompt and completion token ids, the rollout policy's log-probs of the completion and the
sample's group-relative advantage. One update per batch (GRPO with a single inner step): the "old" policy of
the clipped ratio is the learner's own before the update, so the ratio is 1 and the clip does not bind
(`clip_fraction` stays 0; it would with several optimizer steps per batch, which are not offered). Stale samples
(async rollouts) are corrected instead by truncated importance weights between the learner's log-probs before the
update and the rollout's (the decoupled objective: behaviour → proximal policy by importance weights).
Dropout is off: the learner must compute the log-probs of the policy that sampled.

One Learner is one rank of the learner group (uiray/rl/learner_group.py): with more than one, each rank wraps the
policy in DistributedDataParallel (gloo on CPU, NCCL on GPU), takes its share of the batch and the gradients are
averaged; every rank then holds the same policy, so rank 0 alone answers payload(), greedy_margins() and save().
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

import torch

from uiray.rl.algo import aggregate, clipped_surrogate, kl_to_reference, truncated_importance_weights
from uiray.rl.config import GRPOConfig


class Learner:
    """Holds the policy and takes steps. Ray actor options: rl/driver.py."""

    def __init__(self, cfg: dict, threads: int | None = None):
        from uiray.train.loop import load_model
        from uiray.train.optim import adamw

        if threads:
            torch.set_num_threads(threads)
        self.cfg = GRPOConfig.model_validate(cfg)
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        lora = self.cfg.lora.model_copy(update={"dropout": 0.0})
        self.model, self.tokenizer = load_model(self.cfg.model, lora, "sdpa", self.cfg.seed)
        self.model.to(self.device).eval()  # no dropout; gradients flow all the same
        self.reference = None  # with LoRA the reference is the adapter switched off: no second model
        if self.cfg.kl_coef > 0 and not self.cfg.lora.enabled:
            self.reference, _ = load_model(self.cfg.model, lora, "sdpa", self.cfg.seed)
            self.reference.to(self.device).eval().requires_grad_(False)
        self.optimizer = adamw(self.cfg.lr, self.cfg.weight_decay)(self.model)
        self.version = 0
        self.forward = self.model  # the DDP wrapper once joined to a group of more than one rank
        self.world = 1

    def address(self) -> str:
        """host:port where this rank (rank 0) can host the group's rendezvous."""
        import socket

        import ray

        with socket.socket() as probe:
            probe.bind(("", 0))
            port = probe.getsockname()[1]
        return f"{ray.util.get_node_ip_address()}:{port}"

    def join(self, address: str, rank: int, world: int) -> int:
        """Join the torch.distributed group of `world` ranks that rank 0 hosts at `address` (all ranks at once)."""
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        backend = "nccl" if self.device.type == "cuda" else "gloo"
        dist.init_process_group(backend, init_method=f"tcp://{address}", rank=rank, world_size=world)
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.forward, self.world = DistributedDataParallel(self.model, device_ids=ids), world
        return rank

    def step(self, micro_batches: list[list[dict]], total: float, padding: dict) -> dict:
        """One update: backward over this rank's `micro_batches` of samples (each with prompt_token_ids,
        token_ids, logprobs, advantage), gradients averaged over the ranks, one optimizer step. An empty
        micro-batch is padding, so that every rank runs as many as the others: `padding` goes through it and
        counts nothing. `total` normalises the loss over the whole batch of every rank (its tokens, or its
        sequences for seq_sum). Returns the new version and this rank's sums; LearnerGroup.step adds them up."""
        started = time.perf_counter()
        cfg = self.cfg
        sums = {"loss": 0.0, "clipped": 0.0, "kl": 0.0, "truncated": 0.0, "entropy_proxy": 0.0, "tokens": 0}
        for i, part in enumerate(micro_batches):
            # sum gradients locally; DDP averages them over the ranks at the last micro-batch
            local = self.forward.no_sync() if self.world > 1 and i < len(micro_batches) - 1 else nullcontext()
            with local:
                self._backward(part or [padding], total, sums, counts=bool(part))
        norm = torch.nn.utils.clip_grad_norm_(
            [p for p in self.model.parameters() if p.requires_grad], cfg.max_grad_norm
        )
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.version += 1
        return {"version": self.version, "grad_norm": float(norm), "step_s": time.perf_counter() - started, **sums}

    def _backward(self, part: list[dict], total: float, sums: dict, counts: bool) -> None:
        """Forward and backward of one micro-batch, its statistics added to `sums`; `counts` False: padding,
        whose loss is multiplied by 0 (it still runs, so that DDP's all-reduce meets every rank)."""
        cfg = self.cfg
        batch = {k: v.to(self.device) for k, v in _collate(part, self.tokenizer.pad_token_id or 0).items()}
        logp = token_logprobs(self.forward, batch["input_ids"], batch["attention_mask"])
        mask = batch["completion_mask"]
        weights, truncated = truncated_importance_weights(logp.detach(), batch["rollout_logp"], mask, cfg.tis_cap)
        per_token, clipped = clipped_surrogate(logp, logp.detach(), batch["advantage"], cfg.clip_low, cfg.clip_high)
        per_token = per_token * weights
        kl = torch.zeros_like(per_token)
        if cfg.kl_coef > 0:
            kl = kl_to_reference(logp, self._reference_logprobs(batch), cfg.kl_estimator)
            per_token = per_token + cfg.kl_coef * kl
        loss = aggregate(per_token, mask, cfg.loss_aggregation, cfg.sampling.max_tokens, total=total)
        # DDP averages gradients over the ranks; each rank's loss is its share of the batch's, so the
        # batch's gradient is their sum: scale by the world size
        (loss * (self.world if counts else 0.0)).backward()
        if not counts:
            return
        counted = mask.bool()
        n = counted.sum().item()
        sums["loss"] += loss.item()
        sums["tokens"] += n
        sums["clipped"] += (clipped & counted).sum().item()
        sums["kl"] += (kl.detach() * counted).sum().item()
        sums["truncated"] += truncated * n
        sums["entropy_proxy"] += -(logp.detach() * counted).sum().item()  # mean -log p of the sampled tokens

    def payload(self):
        """What the rollout engines load for the current version: adapter files (LoRA) or full weights."""
        from uiray.rl.weight_sync import adapter_payload, full_payload

        return adapter_payload(self.model) if self.cfg.lora.enabled else full_payload(self.model)

    def greedy_margins(self, prompt_ids: list[int], tokens: list[int]) -> tuple[list[int], list[float]]:
        """The engine's greedy probe tokens seen by the policy (weight_sync.greedy_margins)."""
        from uiray.rl.weight_sync import greedy_margins

        return greedy_margins(self.model, prompt_ids, tokens)

    def save(self, directory: str) -> str:
        """The policy as a peft adapter (LoRA) or a checkpoint, loadable by every stage and vLLM."""
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        return directory

    def save_state(self, directory: str) -> int:
        """What resuming needs: the policy (save()), the trainable weights, the optimizer and the version."""
        self.save(directory)
        trainable = {n: p.detach() for n, p in self.model.named_parameters() if p.requires_grad}
        state = {"trainable": trainable, "optimizer": self.optimizer.state_dict(), "version": self.version}
        torch.save(state, Path(directory) / "learner_state.pt")
        return self.version

    def load_state(self, directory: str) -> int:
        """Continue from save_state(directory); the version it held."""
        state = torch.load(Path(directory) / "learner_state.pt", map_location="cpu", weights_only=True)
        unexpected = self.model.load_state_dict(state["trainable"], strict=False).unexpected_keys
        if unexpected:
            raise ValueError(f"{directory}: checkpoint weights this policy does not have: {unexpected[:3]}")
        self.optimizer.load_state_dict(state["optimizer"])
        self.version = int(state["version"])
        return self.version

    def _reference_logprobs(self, batch: dict) -> torch.Tensor:
        with torch.no_grad():
            if self.reference is not None:  # full fine-tuning: a frozen copy of the starting model
                return token_logprobs(self.reference, batch["input_ids"], batch["attention_mask"])
            with self.model.disable_adapter():
                return token_logprobs(self.model, batch["input_ids"], batch["attention_mask"])


def token_logprobs(model, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """[B, L] log p(token t | tokens < t) (position 0: 0), in float32."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1].float()
    picked = torch.gather(logits, -1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    logp = picked - torch.logsumexp(logits, dim=-1)
    return torch.nn.functional.pad(logp, (1, 0))


def _collate(samples: list[dict], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded input ids, attention mask, a mask of the completion tokens, the rollout's log-probs placed
    at the completion positions, and each sample's advantage."""
    rows = [s["prompt_token_ids"] + s["token_ids"] for s in samples]
    width = max(map(len, rows))
    shape = (len(rows), width)
    input_ids = torch.full(shape, pad_id, dtype=torch.long)
    attention = torch.zeros(shape, dtype=torch.long)
    completion = torch.zeros(shape, dtype=torch.long)
    rollout = torch.zeros(shape, dtype=torch.float32)
    for i, (row, sample) in enumerate(zip(rows, samples, strict=True)):
        start = len(sample["prompt_token_ids"])
        input_ids[i, : len(row)] = torch.tensor(row)
        attention[i, : len(row)] = 1
        completion[i, start : len(row)] = 1
        rollout[i, start : len(row)] = torch.tensor(sample["logprobs"], dtype=torch.float32)
    advantage = torch.tensor([float(s["advantage"]) for s in samples])
    return {"input_ids": input_ids, "attention_mask": attention, "completion_mask": completion,
            "rollout_logp": rollout, "advantage": advantage}  # fmt: skip
