"""The learner group: `learners` Learner actors (uiray/rl/learner.py) that train one policy with torch.distributed
DDP, seen by the driver as one learner.

    group = LearnerGroup(cfg)                  # N actors, each loads the policy; rank 0 hosts the rendezvous
    stats = group.step(samples)                # the batch dealt over the ranks, one synchronised update
    ray.get(engine.load_adapter.remote(group.payload(), stats["version"]))

Each rank gets every N-th sample and cuts its share into micro-batches of MICRO_BATCH samples; ranks with fewer
micro-batches pad (a micro-batch whose loss counts 0), because DDP all-reduces once per step and every rank must
get there. The loss of every micro-batch is normalised by the whole batch's tokens (or sequences), so N ranks
take the same step as one rank on the same samples (tests/integration/test_rl_learner_group.py checks it).

DDP only: every rank holds the whole policy, so rank 0 alone answers payload(), greedy_margins() and save(). The sharded
strategies of SFT and DPO (ZeRO, FSDP2) would need the weights gathered for each sync; they are not offered here
yet. With LoRA the replica is the base model plus a small adapter, which is what one GPU or CPU node holds anyway.
"""

from __future__ import annotations

import math
from typing import Any

from uiray.rl.config import GRPOConfig

MICRO_BATCH = 2
"""Samples per forward/backward pass on a rank."""
ACTOR_OPTIONS = {"num_cpus": 1, "max_restarts": 0}
"""A dead learner rank ends the run (its optimizer state is gone); `resume: auto` continues from the checkpoint."""


class LearnerGroup:
    """Driver-side handle of the learner ranks; the same calls as one Learner, answered by blocking."""

    def __init__(self, cfg: GRPOConfig, **options: Any):
        """Start cfg.learners Learner actors; `options` override ACTOR_OPTIONS (say, num_gpus=1)."""
        import ray

        from uiray.rl.learner import Learner

        actor = ray.remote(Learner).options(**{**ACTOR_OPTIONS, "num_gpus": cfg.gpus_per_learner, **options})
        self.ranks = [actor.remote(cfg.model_dump()) for _ in range(cfg.learners)]
        self.loss_aggregation = cfg.loss_aggregation
        if len(self.ranks) > 1:
            address = ray.get(self.ranks[0].address.remote())
            ray.get([rank.join.remote(address, i, len(self.ranks)) for i, rank in enumerate(self.ranks)])

    def step(self, samples: list[dict]) -> dict:
        """One update on `samples` over every rank; the new version and the step's statistics."""
        import ray

        world = len(self.ranks)
        tokens = sum(len(s["token_ids"]) for s in samples)
        total = float(tokens) if self.loss_aggregation == "token_mean" else float(len(samples))
        shares = [samples[rank::world] for rank in range(world)]
        count = max(math.ceil(len(share) / MICRO_BATCH) for share in shares)
        calls = []
        for rank, share in zip(self.ranks, shares, strict=True):
            parts = [share[i * MICRO_BATCH : (i + 1) * MICRO_BATCH] for i in range(count)]
            calls.append(rank.step.remote(parts, total, samples[0]))
        answers = ray.get(calls)
        sums = {key: sum(a[key] for a in answers) for key in ("loss", "clipped", "kl", "truncated", "entropy_proxy")}
        per_token = max(tokens, 1)
        return {"version": answers[0]["version"], "loss": sums["loss"], "grad_norm": answers[0]["grad_norm"],
                "tokens": tokens, "clip_fraction": sums["clipped"] / per_token, "kl": sums["kl"] / per_token,
                "tis_truncated": sums["truncated"] / per_token, "neg_logp": sums["entropy_proxy"] / per_token,
                "step_s": max(a["step_s"] for a in answers)}  # fmt: skip

    def payload(self):
        """ObjectRef of what the engines load for the current version (rank 0's: every rank holds the same)."""
        return self.ranks[0].payload.remote()

    def greedy_margins(self, prompt_ids: list[int], tokens: list[int]) -> tuple[list[int], list[float]]:
        import ray

        return ray.get(self.ranks[0].greedy_margins.remote(prompt_ids, tokens))

    def save(self, directory: str) -> str:
        import ray

        return ray.get(self.ranks[0].save.remote(directory))

    def save_state(self, directory: str) -> int:
        """The policy and optimizer state (rank 0's: DDP keeps the ranks identical) and the version."""
        import ray

        return ray.get(self.ranks[0].save_state.remote(directory))

    def load_state(self, directory: str) -> int:
        """Every rank continues from save_state(directory); the version."""
        import ray

        return ray.get([rank.load_state.remote(directory) for rank in self.ranks])[0]

    def kill(self) -> None:
        import ray

        for rank in self.ranks:
            ray.kill(rank)
