"""The GRPO learner group: two DDP ranks (Ray actors, gloo) take the same update as one rank on the same batch,
uneven shares and padding micro-batches included, and stay identical."""

import pytest
import ray
import torch
from safetensors.torch import load
from transformers import AutoTokenizer

from uiray.config import LoraConfig, ModelConfig, SamplingConfig
from uiray.rl.config import GRPOConfig
from uiray.rl.learner_group import LearnerGroup

pytestmark = pytest.mark.slow


def _samples(model_dir) -> list[dict]:
    """Five samples (rank 0 gets three: two micro-batches; rank 1 two: one, plus a padding one), of different
    lengths, rewards spread so that the advantages differ."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    replies = ["<button>+</button>", "<p>0</p>", "<div><button id=b>1</button></div>", "<h1>Hi</h1>", "<ul></ul>"]
    prompt = tokenizer("a counter button")["input_ids"]
    samples = []
    for i, reply in enumerate(replies):
        ids = tokenizer(reply)["input_ids"]
        samples.append({"prompt_token_ids": prompt, "token_ids": ids, "logprobs": [-1.0] * len(ids),
                        "advantage": [1.2, -0.8, 0.5, -1.1, 0.2][i]})  # fmt: skip
    return samples


def _adapter(group: LearnerGroup, rank: int = 0) -> dict[str, torch.Tensor]:
    return load(ray.get(group.ranks[rank].payload.remote())["adapter_model.safetensors"])


def test_two_ddp_ranks_take_the_same_step_as_one(ray_cluster, tiny_model_dir):
    model = ModelConfig(name=str(tiny_model_dir), dtype="float32")
    cfg = GRPOConfig(model=model, lr=1e-3, lora=LoraConfig(r=8, alpha=16), sampling=SamplingConfig(max_tokens=64),
                     max_grad_norm=100.0)  # fmt: skip
    samples = _samples(tiny_model_dir)
    one = LearnerGroup(cfg, num_cpus=0.5)
    two = LearnerGroup(cfg.model_copy(update={"learners": 2}), num_cpus=0.5)
    try:
        for _ in range(2):  # the second step starts from moved weights and a non-empty optimizer state
            alone, together = one.step(samples), two.step(samples)
            assert together["version"] == alone["version"]
            assert together["tokens"] == alone["tokens"] == sum(len(s["token_ids"]) for s in samples)
            assert together["loss"] == pytest.approx(alone["loss"], rel=1e-5)
            # the gradient's scale: AdamW's step hides it, the norm does not (averaged ranks, padding counted)
            assert together["grad_norm"] == pytest.approx(alone["grad_norm"], rel=1e-4)
        reference, rank0, rank1 = _adapter(one), _adapter(two, 0), _adapter(two, 1)
        assert any(t.abs().max() > 0 for name, t in reference.items() if "lora_B" in name)  # it trained
        for name, tensor in reference.items():
            # AdamW divides by sqrt(v): where a gradient is ~0, float rounding moves a weight by ~1e-6
            torch.testing.assert_close(rank0[name], tensor, rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(rank1[name], rank0[name], rtol=0, atol=0)
    finally:
        one.kill()
        two.kill()
