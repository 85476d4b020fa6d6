"""What `uiray serve` hosts: one base model and the LoRA adapters on it, resolved before Ray sees them.

    served = resolve_served(cfg)     # ServedModels(model_id, base_path, adapters={name: dir}, max_lora_rank)

`model.name` may be a known name, a checkpoint, a peft adapter (then its base is served and the adapter is an
adapter named after its run), or a run directory (its final/). Every adapter must sit on the served base: vLLM
applies an adapter to whatever base it is given, so an adapter trained on another base would answer garbage
rather than fail.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from uiray.config import ConfigError
from uiray.generation import vllm_lora_rank
from uiray.models import KNOWN_MODELS, adapter_config, resolve_model
from uiray.serving.config import NAME, ServeConfig


class ServedModels(NamedTuple):
    model_id: str
    """What clients put in `model` for the base."""
    base_path: str
    """Directory (or hub id) vLLM loads."""
    adapters: dict[str, str]
    """Adapter name -> absolute adapter directory; requested as `<model_id>:<name>`."""
    max_lora_rank: int
    """Largest adapter rank, rounded up to what vLLM accepts (0 without adapters)."""


def resolve_served(cfg: ServeConfig) -> ServedModels:
    """Resolve cfg.model and cfg.adapters to directories; raise ConfigError naming what does not fit."""
    name = _final(cfg.model.name)
    adapters = {}
    own = adapter_config(name)
    if own:  # an adapter given as the model: serve its base, and it under its run's name
        adapters[_adapter_name(name)] = str(Path(name).resolve())
        name = own["base_model_name_or_path"]
    base_path = resolve_model(name)
    for adapter, path in cfg.adapters.items():
        path = _final(path)
        if adapter_config(path) is None:
            raise ConfigError(f"adapters.{adapter}: {path} is not a peft adapter directory (no adapter_config.json)")
        adapters[adapter] = str(Path(path).resolve())
    ranks = []
    for adapter, path in adapters.items():
        config = adapter_config(path)
        base = resolve_model(config["base_model_name_or_path"], prepare=False)
        if Path(base).resolve() != Path(base_path).resolve():
            raise ConfigError(
                f"adapter {adapter} ({path}) was trained on {config['base_model_name_or_path']}, but the served base "
                f"is {base_path}: serve that base, or give the adapter to a server of its own"
            )
        ranks.append(int(config["r"]))
    model_id = cfg.model_id or _model_id(name, base_path)
    return ServedModels(model_id, base_path, adapters, vllm_lora_rank(max(ranks)) if ranks else 0)


def _final(path: str) -> str:
    """A run directory (uiray sft/dpo/grpo output) stands for its final model."""
    final = Path(path).expanduser() / "final"
    return str(final) if final.is_dir() else path


def _adapter_name(path: str) -> str:
    """outputs/sft/final -> 'sft'; a bare adapter directory -> its own name."""
    p = Path(path).resolve()
    return _clean(p.parent.name if p.name == "final" else p.name)


def _model_id(name: str, base_path: str) -> str:
    return name if name in KNOWN_MODELS else _clean(Path(base_path).name)


def _clean(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", text).strip("-._") or "model"
    assert NAME.fullmatch(cleaned[:64]), cleaned
    return cleaned[:64]
