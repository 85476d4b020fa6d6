"""Recognise the corpus formats people bring and normalise every row to one schema (the data contract).

    format               keys                                   becomes
    messages             messages: [{role, content}, ...]       sft  (last assistant turn = completion)
    prompt_completion    prompt, completion                     sft
    question_response    question, response (FrontCoder-SFT)    sft
    preference           prompt, chosen, rejected               pref (chosen/rejected: text or messages)
    rl_prompt            prompt (+ checklist, reference)        rl
    text                 text (raw front-end code)              text (continued pre-training)

Every format may also carry `id`, `system`, `checklist`, `reference` and `category`; all are optional
(the chat format's system turn is its `system`). Rows are checked in that order (a row with
prompt+chosen+rejected is a preference even if it also has a completion). A row that matches none,
has an empty prompt or answer, a malformed checklist, or is not valid UTF-8 is not dropped:
`normalise_row` returns it with `quarantine` set to the reason, and the stage writes it aside.

Every normalised row has exactly the fields of `Row` (None where a format has no such field), and
blocks of rows are built with `ROW_SCHEMA`, so a column that one input lacks is a string column of
nulls - never a null-typed column that pandas and numpy would turn into NaN floats - and later stages
(SFT, DPO, GRPO) read one schema whatever the inputs were.

A row without an `id` gets one from its content and where it sits (file name and line), so two
identical rows in a file are still two rows that can each be traced to the line they came from.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, TypedDict

Kind = Literal["sft", "pref", "rl", "text"]


class Row(TypedDict):
    id: str
    """The input's id, else a hash of the content (stable across runs)."""
    source: str
    """Where the row came from: file and line/row number."""
    format: str
    kind: str
    """'sft', 'pref', 'rl', or '' for quarantined rows."""
    system: str | None
    prompt: str | None
    completion: str | None
    chosen: str | None
    rejected: str | None
    checklist: str | None
    """JSON text of the checklist items (see uiray/reward/checklist.py)."""
    reference: str | None
    category: str | None
    text: str | None
    """A raw document (kind 'text', for continued pre-training)."""
    quarantine: str | None
    """Why the row cannot be used (None for good rows)."""
    raw: str | None
    """The original row as JSON text, kept for quarantined rows only."""


def normalise_row(record: Any, source: str) -> Row:
    """One input record -> a Row (quarantined with a reason when it is unusable)."""
    if not isinstance(record, dict):
        return quarantined(record, source, f"not a JSON object ({type(record).__name__})")
    found = _match(record)
    if found is None:
        return quarantined(record, source, f"no known format (keys: {', '.join(sorted(record)[:12])})")
    fmt, kind, fields = found
    for name in REQUIRED[kind]:
        value = fields.get(name)
        if not isinstance(value, str) or not value.strip():
            return quarantined(record, source, f"{fmt}: empty or non-text {name}")
    checklist = record.get("checklist")
    if checklist not in (None, "", []):
        problem = _checklist_problem(checklist)
        if problem:
            return quarantined(record, source, f"{fmt}: bad checklist: {problem}")
    given_id = record.get("id")
    row = Row(
        id=str(given_id) if given_id not in (None, "") else _content_id(fields, source),
        source=source,
        format=fmt,
        kind=kind,
        system=fields.get("system"),
        prompt=fields.get("prompt"),
        completion=fields.get("completion"),
        chosen=fields.get("chosen"),
        rejected=fields.get("rejected"),
        checklist=None if checklist in (None, "", []) else _json_text(checklist),
        reference=_text_or_none(record.get("reference")),
        category=_text_or_none(record.get("category")),
        text=fields.get("text"),
        quarantine=None,
        raw=None,
    )
    return row


REQUIRED: dict[str, tuple[str, ...]] = {
    "sft": ("prompt", "completion"), "pref": ("prompt", "chosen", "rejected"), "rl": ("prompt",), "text": ("text",)
}  # fmt: skip


def row_schema():
    """The Arrow schema of a block of Rows (every field a nullable string)."""
    import pyarrow as pa

    return pa.schema([(name, pa.string()) for name in Row.__annotations__])


def rows_table(rows: list[Row]):
    """Rows -> an Arrow table with `row_schema()` (missing values stay nulls of the column's type)."""
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=row_schema())


def quarantined(record: Any, source: str, reason: str) -> Row:
    raw = record if isinstance(record, str) else _json_text(record)
    return Row(
        id=_hash(f"{_location(source)}\x00{raw}"),
        source=source,
        format="",
        kind="",
        system=None,
        prompt=None,
        completion=None,
        chosen=None,
        rejected=None,
        checklist=None,
        reference=None,
        category=None,
        text=None,
        quarantine=reason,
        raw=raw[:RAW_KEPT_CHARS],
    )


RAW_KEPT_CHARS = 100_000
"""Quarantined rows keep this much of the original row (a 50 MB line is kept as its first 100K characters)."""


def parse_line(line: bytes, source: str) -> Row:
    """One jsonl line (raw bytes) -> a Row; bad UTF-8 and bad JSON are quarantined, not raised."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return quarantined(line.decode("utf-8", "replace"), source, f"not valid UTF-8 (byte {e.start})")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as e:
        return quarantined(text, source, f"not valid JSON: {e.msg} (column {e.colno})")
    return normalise_row(record, source)


def _match(record: dict) -> tuple[str, Kind, dict] | None:
    if isinstance(record.get("messages"), list):
        return _from_messages(record["messages"])
    if all(k in record for k in ("prompt", "chosen", "rejected")):
        fields = {
            "prompt": _prompt_text(record["prompt"]),
            "chosen": _answer_text(record["chosen"]),
            "rejected": _answer_text(record["rejected"]),
            "system": _text_or_none(record.get("system")),
        }
        return "preference", "pref", fields
    if "prompt" in record and "completion" in record:
        fields = {"prompt": _prompt_text(record["prompt"]), "completion": _answer_text(record["completion"])}
        return "prompt_completion", "sft", {**fields, "system": _text_or_none(record.get("system"))}
    if "question" in record and "response" in record:
        fields = {"prompt": _prompt_text(record["question"]), "completion": _answer_text(record["response"])}
        return "question_response", "sft", {**fields, "system": _text_or_none(record.get("system"))}
    if "prompt" in record:
        fields = {"prompt": _prompt_text(record["prompt"]), "system": _text_or_none(record.get("system"))}
        return "rl_prompt", "rl", fields
    if "text" in record:
        return "text", "text", {"text": record["text"] if isinstance(record["text"], str) else None, "system": None}
    return None


def _from_messages(messages: list) -> tuple[str, Kind, dict] | None:
    if not all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
        return "messages", "sft", {}  # quarantined as empty below
    system = next((m["content"] for m in messages if m.get("role") == "system"), None)
    last_assistant = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
    if last_assistant is None:
        user = [m["content"] for m in messages if m.get("role") == "user"]
        return "messages", "rl", {"prompt": user[-1] if user else None, "system": system}
    users = [m["content"] for m in messages[:last_assistant] if m.get("role") == "user"]
    fields = {"prompt": users[-1] if users else None, "completion": messages[last_assistant]["content"]}
    return "messages", "sft", {**fields, "system": system}


def _prompt_text(value: Any) -> str | None:
    if isinstance(value, list):  # a prompt given as messages: the last user turn
        users = [m.get("content") for m in value if isinstance(m, dict) and m.get("role") == "user"]
        return users[-1] if users and isinstance(users[-1], str) else None
    return value if isinstance(value, str) else None


def _answer_text(value: Any) -> str | None:
    if isinstance(value, list):  # an answer given as messages: the last assistant turn
        said = [m.get("content") for m in value if isinstance(m, dict) and m.get("role") == "assistant"]
        return said[-1] if said and isinstance(said[-1], str) else None
    return value if isinstance(value, str) else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _content_id(fields: dict, source: str) -> str:
    text = "\x00".join(str(fields.get(k) or "") for k in ("prompt", "completion", "chosen", "rejected", "text"))
    return _hash(f"{_location(source)}\x00{text}")


def _location(source: str) -> str:
    """'dir/sub/file.jsonl:12' -> 'file.jsonl:12': ids do not change when a corpus moves to another folder."""
    return source.rsplit("/", 1)[-1]


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]


def _checklist_problem(checklist: Any) -> str | None:
    """Why a row's checklist cannot be used by the reward, or None when it can."""
    from uiray.page.checklist import ChecklistError, load_checklist

    if isinstance(checklist, str) and checklist.lstrip()[:1] not in ("[", "{"):
        return "not a JSON list of items"
    try:
        load_checklist(checklist)
    except ChecklistError as e:
        return str(e)[:200]
    return None
