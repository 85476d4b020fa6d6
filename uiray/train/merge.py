"""`uiray merge`: a peft adapter + its base -> one full model directory (what serving and GRPO load)."""

from __future__ import annotations

from pathlib import Path

from uiray.config import ConfigError


def merge_adapter(adapter_dir: str | Path, output_dir: str | Path, dtype: str = "bfloat16") -> Path:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from uiray.models import adapter_config, resolve_model

    adapter_dir, out = Path(adapter_dir), Path(output_dir)
    config = adapter_config(adapter_dir)
    if config is None:
        raise ConfigError(f"{adapter_dir} is not a peft adapter directory (no adapter_config.json)")
    base = resolve_model(config["base_model_name_or_path"])
    model = AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype))
    merged = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out, safe_serialization=True)
    AutoTokenizer.from_pretrained(adapter_dir).save_pretrained(out)
    return out
