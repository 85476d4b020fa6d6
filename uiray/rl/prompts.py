"""GRPO's prompts: the data stage's rl/ split (parquet or jsonl files in a directory) or any jsonl with `prompt`.

Each prompt keeps its optional `checklist` (a list, or the JSON string the data stage writes) and `reference`
page, which the reward uses.
"""

from __future__ import annotations

import json
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
