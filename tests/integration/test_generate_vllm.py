"""Generation through vLLM (the CPU build here) with the tiny model: the path rollouts and serving use."""

import json
import subprocess
import sys

import pytest

from tests.conftest import COUNTER_BODY, COUNTER_PROMPT, COUNTER_REPLY
from uiray.config import GenerateConfig, ModelConfig, SamplingConfig

pytestmark = pytest.mark.slow

GREEDY = SamplingConfig(temperature=0, max_tokens=120, repetition_penalty=1.0)


@pytest.fixture(scope="module")
def generator(tiny_model_dir):
    from uiray.generation import UIGenerator

    cfg = GenerateConfig(model=ModelConfig(name=str(tiny_model_dir), dtype="float32"))
    return UIGenerator(cfg)


def test_prefixed_generation_continues_the_reply_and_extracts_the_page(generator):
    [page] = generator.generate([COUNTER_PROMPT], GREEDY)
    assert page["reply"] == COUNTER_REPLY
    assert page["finish_reason"] == "stop"
    assert page["html_source"] == "fence"
    assert page["html"] == COUNTER_REPLY.removeprefix("```html\n").removesuffix("\n```")
    assert page["completion_tokens"] > 10


def test_vllm_greedy_tokens_match_transformers(generator, tiny_model_dir):
    """The engine computes what the checkpoint defines: greedy ids equal HF generate's, token for token."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    prompt = "a kanban board"  # not taught: the model's own (arbitrary) continuation
    generator.response_prefix = ""
    try:
        [page] = generator.generate([prompt], SamplingConfig(temperature=0, max_tokens=24, repetition_penalty=1.0))
        messages = generator.messages(prompt)
    finally:
        generator.response_prefix = GenerateConfig().response_prefix
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    expected = model.generate(**inputs, max_new_tokens=24, do_sample=False)[0, inputs["input_ids"].shape[1] :]
    assert page["reply"] == tokenizer.decode(expected, skip_special_tokens=True)


def test_rollout_log_probs_are_the_checkpoints_own(generator, tiny_model_dir):
    """token_logprobs: the ids the engine saw and sampled, and the sampled tokens' log-probs equal those that
    transformers computes for the same sequence (what GRPO's learner recomputes)."""
    import torch
    from transformers import AutoModelForCausalLM

    sampling = SamplingConfig(temperature=1.0, max_tokens=20, seed=3, repetition_penalty=1.0)
    [page] = generator.generate(["a kanban board"], sampling, token_logprobs=True)
    assert len(page["token_ids"]) == len(page["logprobs"]) == page["completion_tokens"]
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    ids = torch.tensor([page["prompt_token_ids"] + page["token_ids"]])
    with torch.no_grad():
        logits = model(ids).logits[0, len(page["prompt_token_ids"]) - 1 : -1]
    expected = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(page["token_ids"])[:, None])[:, 0]
    assert expected.tolist() == pytest.approx(page["logprobs"], abs=1e-4)
    [plain] = generator.generate(["a kanban board"], sampling)
    assert plain["token_ids"] is None and plain["reply"] == page["reply"]


def test_n_samples_per_prompt_are_returned_prompt_major(generator):
    pages = generator.generate(["x", "y"], SamplingConfig(n=3, temperature=1.0, max_tokens=8, seed=1))
    assert [p["prompt"] for p in pages] == ["x"] * 3 + ["y"] * 3
    assert all(p["completion_tokens"] <= 8 for p in pages)


def test_generate_command_writes_the_page(tiny_model_dir, tmp_path):
    out = tmp_path / "page.html"
    cmd = [sys.executable, "-m", "uiray.cli", "generate", COUNTER_PROMPT, "-o", str(out)]
    cmd += [f"model.name={tiny_model_dir}", "model.dtype=float32", "sampling.temperature=0", "--json"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_text().endswith(COUNTER_BODY.removesuffix("\n```"))
    assert json.loads(result.stdout)["html_source"] == "fence"  # stdout is the JSON alone: no vLLM or uiray lines
    assert "[uiray] loading" in result.stderr and "INFO" in result.stderr  # they are on stderr (vLLM's say INFO)
    # The resolved config sits next to the output.
    assert "temperature: 0" in (tmp_path / "page.html.config.yaml").read_text()
