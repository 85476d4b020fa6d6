"""GRPO's prompts: the data stage's rl/ split (parquet or jsonl files in a directory) or any jsonl with `prompt`,
and the feed that hands them to the driver in seeded passes.

Each prompt keeps its optional `checklist` (a list, or the JSON string the data stage writes) and `reference`
page, which the reward uses.
"""

from __future__ import annotations

import json
import random
from collections import deque
from pathlib import Path

from uiray.config import ConfigError


def load_rl_prompts(spec: str) -> list[dict]:
    """[{id, prompt, checklist, reference}] from a file or a directory of .parquet / .jsonl files."""
    path = Path(spec)
    if not path.exists():
        raise ConfigError(f"GRPO prompts not found: {spec} (run `uiray data` first, or give a jsonl with `prompt`)")
    files = sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.suffix in (".parquet", ".jsonl"))
    rows: list[dict] = []
    for file in files:
        if file.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows += pq.read_table(file).to_pylist()
        else:
            rows += [json.loads(line) for line in file.read_text().splitlines() if line.strip()]
    prompts = []
    for i, row in enumerate(rows):
        if not isinstance(row.get("prompt"), str) or not row["prompt"].strip():
            raise ConfigError(f"{spec}: row {i} has no prompt")
        checklist = row.get("checklist")
        if isinstance(checklist, str) and checklist:
            checklist = json.loads(checklist)
        prompts.append({"id": str(row.get("id") or i), "prompt": row["prompt"], "checklist": checklist or None,
                        "reference": row.get("reference") or None})  # fmt: skip
    if not prompts:
        raise ConfigError(f"{spec}: no prompts found (.parquet or .jsonl files with a `prompt` column)")
    return prompts


class PromptFeed:
    """Prompt indices in seeded, reshuffled passes; prompts handed back (a dropped or lost batch) come first.

    Its state is the count drawn from the passes and the prompts owed: those handed back and, in a checkpoint,
    those of batches in flight. A resumed feed redraws the passes from the seed, skips what was drawn, and owes
    the same prompts, so every prompt is trained on exactly as if the run had not stopped.
    """

    def __init__(self, size: int, seed: int, state: dict | None = None):
        self.size, self.seed = size, seed
        self.drawn = 0
        self.requeued = (state or {}).get("requeued", 0)
        self.owed: deque[int] = deque((state or {}).get("owed", []))
        self._passes = self._indices()
        for _ in range((state or {}).get("drawn", 0)):
            self._next()

    def take(self, k: int) -> list[int]:
        return [self.owed.popleft() if self.owed else self._next() for _ in range(k)]

    def give_back(self, indices: list[int]) -> None:
        self.owed.extend(indices)
        self.requeued += len(indices)

    def state(self, in_flight: list[int]) -> dict:
        return {"drawn": self.drawn, "owed": [*self.owed, *in_flight], "requeued": self.requeued}

    def _next(self) -> int:
        self.drawn += 1
        return next(self._passes)

    def _indices(self):
        rng = random.Random(self.seed)
        while True:
            order = list(range(self.size))
            rng.shuffle(order)
            yield from order
