"""The embedded default model: GGUF conversion and generation through vLLM, as a user runs them."""

import subprocess
import sys

import pytest

from uiray.models import convert_gguf, smollm2_gguf_path

pytestmark = pytest.mark.slow


def test_gguf_conversion_keeps_the_weights_and_the_chat_template(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_path()
    out = convert_gguf(gguf, tmp_path / "smollm2")
    assert (out / "model.safetensors").is_file() and (out / "uiray_prepared.json").is_file()
    assert not (tmp_path / "smollm2.partial").exists()

    converted = AutoModelForCausalLM.from_pretrained(out)
    assert converted.dtype == torch.bfloat16
    assert "quantization_config" not in converted.config.to_dict()
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert "<|im_start|>assistant" in tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False
    )
    # Same logits as transformers' own GGUF loader: the conversion loses nothing.
    original = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16)
    ids = tokenizer("<!DOCTYPE html><html>", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.equal(converted(ids).logits, original(ids).logits)


def test_generate_with_the_default_model(tmp_path):
    out = tmp_path / "x.html"
    cmd = [sys.executable, "-m", "uiray.cli", "generate", "a counter button", "-o", str(out)]
    result = subprocess.run(cmd + ["sampling.max_tokens=400"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and len(html) > 100
