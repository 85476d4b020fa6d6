import hashlib

import pytest

from tests.tiny_model import build_tiny_model
from uiray.models import ModelError, resolve_model


def test_known_model_not_prepared_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("UIRAY_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match="uiray model prepare smollm2-135m-instruct"):
        resolve_model("smollm2-135m-instruct", prepare=False)


def test_local_paths_and_hub_ids(tmp_path):
    (tmp_path / "ckpt").mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model(str(tmp_path / "ckpt"))
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model("./missing-model")
    (tmp_path / "ckpt" / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path / "ckpt")) == str(tmp_path / "ckpt")
    assert resolve_model("Qwen/Qwen2.5-Coder-0.5B-Instruct") == "Qwen/Qwen2.5-Coder-0.5B-Instruct"


def test_tiny_model_is_deterministic_and_has_a_chat_template(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    digests = []
    for name in ("a", "b"):
        path = build_tiny_model(tmp_path / name)
        digests.append(hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest())
    assert digests[0] == digests[1]

    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "a")
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "a timer"}], add_generation_prompt=True, tokenize=False
    )
    assert text == "<|im_start|>user\na timer<|im_end|>\n<|im_start|>assistant\n"
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "a")
    assert model.config.model_type == "qwen2"
    assert model.config.eos_token_id == tokenizer.convert_tokens_to_ids("<|im_end|>")
    # Byte-level BPE round-trips arbitrary page text, unicode included.
    page = "<button onclick=\"go('→')\">Start ✓</button>"
    assert tokenizer.decode(tokenizer(page)["input_ids"]) == page
