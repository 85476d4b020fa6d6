"""GRPO's weight sync on a real vLLM engine (a Ray actor) and the greedy-match check that proves it happened:
after a LoRA adapter sync the engine's greedy tokens equal the learner's, and a skipped sync is caught. Full
weights are synced and checked after every step of tests/integration/test_grpo.py's full fine-tuning run."""

import pytest
import ray
import torch

from uiray.config import GenerateConfig, ModelConfig
from uiray.rl.rollout import start_rollout_workers
from uiray.rl.weight_sync import adapter_payload, greedy_margins, greedy_matches

pytestmark = pytest.mark.slow
PROBE = "a kanban board"  # not taught: the tiny model's own continuation, which any weight change moves
TOKENS = 24


def _matches(engine_tokens: list[int], model, prompt_ids: list[int]) -> bool:
    """The check the GRPO driver runs (float32: a tie is a margin under 1e-3)."""
    return greedy_matches(engine_tokens, *greedy_margins(model, prompt_ids, engine_tokens), tie=1e-3)


def _engine_cfg(model_dir) -> GenerateConfig:
    return GenerateConfig(model=ModelConfig(name=str(model_dir), dtype="float32"), response_prefix="")


def test_lora_adapter_sync_is_checked_by_greedy_tokens(ray_cluster, tiny_model_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    [worker] = start_rollout_workers(1, _engine_cfg(tiny_model_dir), lora_rank=8)
    prompt_ids, before = ray.get(worker.greedy.remote(PROBE, TOKENS))
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert _matches(before, base, prompt_ids)

    torch.manual_seed(0)
    lora = LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False)
    policy = get_peft_model(base, lora)
    assert not _matches(before, policy, prompt_ids)  # the adapter changes the probe: the check can see a sync
    assert ray.get(worker.load_adapter.remote(adapter_payload(policy), version=1)) == 1
    _, after = ray.get(worker.greedy.remote(PROBE, TOKENS))
    assert _matches(after, policy, prompt_ids)

    with torch.no_grad():  # a learner step that is never synced
        for name, param in policy.named_parameters():
            if "lora_B" in name:
                param.mul_(-3.0)
    assert not _matches(ray.get(worker.greedy.remote(PROBE, TOKENS))[1], policy, prompt_ids)
    version, [sample] = ray.get(worker.generate.remote([PROBE], {"temperature": 1.0, "max_tokens": 4}))
    assert version == 1 and len(sample["logprobs"]) == len(sample["token_ids"]) > 0
    ray.kill(worker)
