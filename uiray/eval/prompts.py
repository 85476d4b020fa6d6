"""What eval measures on: a prompt set (the shipped held-out one or any jsonl) and, optionally, given replies.

A prompt set is jsonl, one object per line: `prompt` (required) and optional `id`, `checklist` (the format of
uiray/page/checklist.py; executable items run in the page), `reference` (a reference page for DOM similarity)
and `category`. `heldout` is the set shipped with uiray (uiray/eval/heldout.jsonl): 66 prompts over forms,
dashboards, games, tools, landing pages, data views and everyday apps, none near any prompt of the embedded
training corpus (tests/integration/test_eval_prompts.py checks with the data stage's MinHash).

A replies file is jsonl of {prompt, model, reply} (+ optional id, finish_reason, completion_tokens): another
system's answers, scored the same way. A reply is matched to the prompt set by id, else by its prompt text
(and then uses that prompt's checklist); an unmatched prompt is scored without one. Bad rows (not JSON, a
missing prompt or model, an empty reply) are returned with their line and reason, never dropped silently.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from importlib import resources
from pathlib import Path
from typing import TypedDict

from uiray.config import ConfigError


class EvalPrompt(TypedDict):
    id: str
    prompt: str
    checklist: list | None
    reference: str | None
    category: str | None


class GivenReply(TypedDict):
    model: str
    prompt_id: str
    reply: str
    finish_reason: str | None
    completion_tokens: int | None


def load_prompts(spec: str, limit: int | None = None) -> list[EvalPrompt]:
    """The prompt set `spec` ('heldout' or a jsonl path); a bad row is a ConfigError naming its line."""
    if spec == "heldout":
        text = (resources.files("uiray.eval") / "heldout.jsonl").read_text(encoding="utf-8")
        source = "heldout"
    else:
        path = Path(spec)
        if not path.is_file():
            raise ConfigError(f"prompt set not found: {spec} (give 'heldout' or a jsonl file)")
        text, source = path.read_text(encoding="utf-8"), str(path)
    prompts: list[EvalPrompt] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        row = _json(line)
        if not isinstance(row, dict) or not _text(row.get("prompt")):
            raise ConfigError(f"{source}:{number}: a prompt row must be a JSON object with a non-empty 'prompt'")
        prompts.append(EvalPrompt(id=str(row.get("id") or _content_id(row["prompt"])), prompt=row["prompt"],
                                  checklist=row.get("checklist") or None, reference=row.get("reference") or None,
                                  category=row.get("category")))  # fmt: skip
    ids = [p["id"] for p in prompts]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{source}: prompt ids repeat: {sorted({i for i in ids if ids.count(i) > 1})[:5]}")
    if not prompts:
        raise ConfigError(f"{source}: no prompts")
    return _spread(prompts)[:limit] if limit else prompts


def _spread(prompts: list[EvalPrompt]) -> list[EvalPrompt]:
    """The prompts taken in turn from each category, so that a `limit` covers them all (the held-out file is
    sorted by category: its first ten are forms). Without categories the order is the file's."""
    groups: dict = {}
    for prompt in prompts:
        groups.setdefault(prompt["category"], []).append(prompt)
    return [p for turn in itertools.zip_longest(*groups.values()) for p in turn if p is not None]


def load_replies(path: str, prompts: list[EvalPrompt]) -> tuple[list[GivenReply], list[EvalPrompt], list[dict]]:
    """(good replies, prompts they answer that the set lacks, rejected rows as {line, reason, row})."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"replies file not found: {path}")
    by_id = {p["id"]: p for p in prompts}
    by_text = {p["prompt"]: p for p in prompts}
    replies: list[GivenReply] = []
    extra: dict[str, EvalPrompt] = {}
    rejected: list[dict] = []
    for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        row = _json(line)
        reason = _problem(row)
        if reason:
            rejected.append({"line": number, "reason": reason, "row": line[:300]})
            continue
        prompt = by_id.get(str(row.get("id"))) or by_text.get(row["prompt"])
        if prompt is None:
            new = EvalPrompt(id=_content_id(row["prompt"]), prompt=row["prompt"], checklist=None, reference=None,
                             category=None)  # fmt: skip
            prompt = extra.setdefault(row["prompt"], new)
        tokens = row.get("completion_tokens")
        replies.append(GivenReply(model=row["model"].strip(), prompt_id=prompt["id"], reply=row["reply"],
                                  finish_reason=row.get("finish_reason"),
                                  completion_tokens=tokens if isinstance(tokens, int) else None))  # fmt: skip
    return replies, list(extra.values()), rejected


def _problem(row) -> str | None:
    if row is None:
        return "not valid JSON"
    if not isinstance(row, dict):
        return f"not a JSON object ({type(row).__name__})"
    if not _text(row.get("prompt")):
        return "missing or empty prompt"
    if not _text(row.get("model")):
        return "unknown model: no model name"
    if not _text(row.get("reply")):
        return "empty reply"
    return None


def _json(line: str):
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def _text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _content_id(prompt: str) -> str:
    return "prompt-" + hashlib.blake2b(prompt.encode(), digest_size=6).hexdigest()
