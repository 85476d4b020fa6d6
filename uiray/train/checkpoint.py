"""Checkpoints: what one holds, how every rank writes its part, and how a run finds and resumes the newest.

    <output_dir>/checkpoints/step_000100/       written through Ray Train (works with any storage_path)
        model/          peft adapter (adapter_config.json + adapter_model.safetensors) or full weights,
                        and the tokenizer: loadable by transformers, peft and vLLM's LoRARequest
        trainer/        optimizer, scheduler and (sharded) trainable weights, as the strategy saves them
        rng/rank_K.pt   Python, NumPy, torch (and CUDA) RNG states of rank K (dropout continues where it stopped)
        manifest/rank_K.json  every file rank K wrote and its size: the proof that its upload finished
        state.json      step, epoch, batches done in the epoch, world size, tokens seen (written by rank 0)
        metrics.jsonl   every logged step so far; loss.svg  the loss curves (rank 0)
        data_log.jsonl  the sample ids of every global batch trained so far (rank 0): the proof that a
                        resumed run neither replays nor skips a sample

Every rank reports its own directory to ray.train.report; Ray merges them into one checkpoint, copying
files in no particular order. A checkpoint counts only when state.json is there and every rank's manifest
is there with every file it lists at its full size: a driver or worker killed during the upload leaves a
partial directory that `latest_checkpoint` passes over.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import torch

CHECKPOINTS = "checkpoints"
_STEP_DIR = re.compile(r"^step_(\d+)$")


def step_dir_name(step: int) -> str:
    return f"step_{step:06d}"


def checkpoint_step(path: str | Path) -> int | None:
    """The step of a checkpoint directory from its name (step_000100 -> 100), None for other names."""
    match = _STEP_DIR.match(Path(path).name)
    return int(match.group(1)) if match else None


def write_manifest(directory: Path, rank: int) -> None:
    """Last thing a rank writes before the upload: the size of every file under directory."""
    files = {str(f.relative_to(directory)): f.stat().st_size for f in sorted(directory.rglob("*")) if f.is_file()}
    (directory / "manifest").mkdir(parents=True, exist_ok=True)
    (directory / "manifest" / f"rank_{rank}.json").write_text(json.dumps(files, indent=1))


def is_complete(path: Path) -> bool:
    state_file = path / "state.json"
    if not state_file.is_file():
        return False
    world = json.loads(state_file.read_text())["world_size"]
    manifests = [path / "manifest" / f"rank_{rank}.json" for rank in range(world)]
    if not all(m.is_file() for m in manifests):
        return False
    for manifest in manifests:
        try:
            files = json.loads(manifest.read_text())
        except json.JSONDecodeError:  # the manifest itself is still being copied
            return False
        if not all((path / name).is_file() and (path / name).stat().st_size == size for name, size in files.items()):
            return False
    return True


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The newest complete checkpoint under output_dir/checkpoints, or None."""
    root = Path(output_dir) / CHECKPOINTS
    if not root.is_dir():
        return None
    found = sorted((step, p) for p in root.iterdir() if (step := checkpoint_step(p)) is not None and is_complete(p))
    return found[-1][1] if found else None


def save_model(inner: torch.nn.Module, state_dict: dict | None, tokenizer, directory: Path) -> None:
    """Rank 0: weights in Hugging Face / peft format plus the tokenizer (state_dict from trainable_state_dict)."""
    directory.mkdir(parents=True, exist_ok=True)
    if hasattr(inner, "peft_config"):
        inner.save_pretrained(directory, state_dict=state_dict)
    else:
        inner.save_pretrained(directory, state_dict=state_dict, safe_serialization=True)
    tokenizer.save_pretrained(directory)


def save_rng(directory: Path, rank: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():  # dropout on a GPU draws from the device's generator, not the CPU one
        states["cuda"] = torch.cuda.get_rng_state()
    torch.save(states, directory / f"rank_{rank}.pt")


def load_rng(directory: Path, rank: int) -> None:
    states = torch.load(directory / f"rank_{rank}.pt", weights_only=False)
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state(states["cuda"])


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
