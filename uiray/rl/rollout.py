"""Rollout worker: one vLLM engine (through the generation path) that samples completions with their token ids
and log-probs, tagged with the policy version whose weights produced them, and takes weight syncs.

    worker = start_rollout_workers(1, generate_cfg, lora_rank=16)[0]
    version, samples = ray.get(worker.generate.remote(prompts, sampling))
    ray.get(worker.load_adapter.remote(adapter_payload(peft_model), version=1))
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from uiray.config import GenerateConfig, SamplingConfig

ACTOR_OPTIONS = {"num_cpus": 1, "max_restarts": -1, "max_task_retries": 2}
"""A rollout actor restarts when it dies and Ray redoes the call it was running (the driver re-syncs weights to
a restarted engine before it samples again: its `version` comes back as 0)."""


class RolloutWorker:
    """A vLLM engine serving the current policy. Create with `start_rollout_workers`."""

    def __init__(self, cfg: dict, lora_rank: int | None = None):
        from uiray.generation import UIGenerator
        from uiray.logs import setup_logging

        setup_logging()
        self.generator = UIGenerator(GenerateConfig.model_validate(cfg), lora_rank=lora_rank,
                                     worker_extension="uiray.rl.weight_sync.WeightReceiver")  # fmt: skip
        self.version = 0
        self._adapters = Path(tempfile.mkdtemp(prefix="uiray-rollout-"))

    def generate(self, prompts: list[str], sampling: dict) -> tuple[int, list[dict]]:
        """(the policy version that answered, n samples per prompt with token ids and log-probs)."""
        samples = self.generator.generate(prompts, SamplingConfig.model_validate(sampling), token_logprobs=True)
        return self.version, [dict(s) for s in samples]

    def greedy(self, prompt: str, max_tokens: int) -> tuple[list[int], list[int]]:
        """(prompt token ids, greedy completion ids): the probe the weight-sync check compares."""
        sampling = SamplingConfig(temperature=0.0, max_tokens=max_tokens, repetition_penalty=1.0, seed=0)
        [sample] = self.generator.generate([prompt], sampling, token_logprobs=True)
        return sample["prompt_token_ids"], sample["token_ids"]

    def policy_version(self) -> int:
        """The version it serves (0 after a restart: the starting weights)."""
        return self.version

    def load_adapter(self, payload: dict[str, bytes], version: int) -> int:
        """Serve a new LoRA adapter as the policy of `version` (a fresh LoRA id, so vLLM loads it anew)."""
        from vllm.lora.request import LoRARequest

        from uiray.rl.weight_sync import write_adapter

        path = write_adapter(payload, self._adapters / f"v{version}")
        self.generator.lora_request = LoRARequest(f"policy-v{version}", version + 1, str(path))
        self.version = version
        return version

    def load_full(self, blob: bytes, version: int) -> int:
        """Load full weights in place as the policy of `version`; cached prefixes of the old weights go."""
        self.generator.llm.collective_rpc("uiray_reload", args=(blob,))
        self.generator.llm.reset_prefix_cache()
        self.version = version
        return version


def start_rollout_workers(n: int, cfg: GenerateConfig, lora_rank: int | None = None, **options: Any) -> list:
    """n RolloutWorker actors (Ray must be initialised); `options` override ACTOR_OPTIONS (say, num_gpus=1)."""
    import ray

    actor = ray.remote(RolloutWorker).options(**{**ACTOR_OPTIONS, **options})
    return [actor.remote(cfg.model_dump(), lora_rank) for _ in range(n)]
