"""GRPO's weight sync on a real vLLM engine (a Ray actor) and the greedy-match check that proves it happened:
after a LoRA adapter sync the engine's greedy tokens equal the learner's, and a skipped sync is caught. Full
weights are synced and checked after every step of tests/integration/test_grpo.py's full fine-tuning run."""

import pytest
import ray
import torch

from uiray.config import GenerateConfig, ModelConfig
from uiray.rl.rollout import start_rollout_workers
from uiray.rl.weight_sync import adapter_payload, greedy_matches

pytestmark = pytest.mark.slow
PROBE = "a kanban board"  # not taught: the tiny model's own continuation, which any weight change moves
TOKENS = 24


def _learner_greedy(model, prompt_ids: list[int]) -> list[int]:
    ids = torch.tensor([prompt_ids])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=TOKENS,
                             do_sample=False, pad_token_id=0)  # fmt: skip
    return out[0, ids.shape[1] :].tolist()


def _engine_cfg(model_dir) -> GenerateConfig:
    return GenerateConfig(model=ModelConfig(name=str(model_dir), dtype="float32"), response_prefix="")


def test_lora_adapter_sync_is_checked_by_greedy_tokens(ray_cluster, tiny_model_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    [worker] = start_rollout_workers(1, _engine_cfg(tiny_model_dir), lora_rank=8)
    prompt_ids, before = ray.get(worker.greedy.remote(PROBE, TOKENS))
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert greedy_matches(before, _learner_greedy(base, prompt_ids))

    torch.manual_seed(0)
    lora = LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False)
    policy = get_peft_model(base, lora)
    expected = _learner_greedy(policy, prompt_ids)
    assert not greedy_matches(before, expected)  # the adapter changes the probe: the check can see a sync
    assert ray.get(worker.load_adapter.remote(adapter_payload(policy), version=1)) == 1
    _, after = ray.get(worker.greedy.remote(PROBE, TOKENS))
    assert greedy_matches(after, expected)

    with torch.no_grad():  # a learner step that is never synced
        for name, param in policy.named_parameters():
            if "lora_B" in name:
                param.mul_(-3.0)
    assert not greedy_matches(ray.get(worker.greedy.remote(PROBE, TOKENS))[1], _learner_greedy(policy, prompt_ids))
    version, [sample] = ray.get(worker.generate.remote([PROBE], {"temperature": 1.0, "max_tokens": 4}))
    assert version == 1 and len(sample["logprobs"]) == len(sample["token_ids"]) > 0
    ray.kill(worker)
