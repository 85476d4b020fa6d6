"""The checklist schema: what an item of a prompt's checklist is, parsed and validated, and its executable checks.

Used by the data stage (validating input rows), the renderer (running checks in the page) and the reward
(scoring them). Scoring lives in uiray/reward/checklist.py.

Checklist format: a JSON file (or the parsed object) holding a list of items, or {"items": [...]}.
An item is a plain string (judge-only) or an object:

    {"id": "counter",                                  optional, shown in the per-item detail
     "text": "Clicking + increases the count",          required: what a human or the judge reads
     "weight": 1,                                       optional, > 0
     "check": {...}}                                    optional: makes the item executable

A check is a page condition, or steps followed by an expectation:

    {"selector": "nav a", "min_count": 3}                        >= 3 visible elements match
    {"text": "Total"}                                             the page's visible text contains "Total"
    {"selector": "#n", "text": "0", "exact": true}                 an element matching #n reads exactly "0"
    {"selector": "[role=tab]", "attribute": "aria-selected", "equals": "true", "count": 1}
    {"click": "#inc", "expect": {"selector": "#n", "text": "1", "exact": true}}
    {"steps": [{"fill": "#todo", "value": "milk"}, {"press": "#todo", "value": "Enter"}, {"wait_ms": 200}],
     "expect": [{"text": "milk", "selector": "li"}]}

Condition fields: selector (CSS; default: the whole body), text (visible innerText contains it, case- and
whitespace-insensitive; exact: the whole text equals it), visible (default true: only elements with a box
that are not visibility:hidden count), attribute (+ equals / contains; "value" and "checked" read the live
property), and the count the matching elements must reach: min_count (default 1), max_count, or count.
Step kinds: click, fill (value required), select (option value or label), press (key, default Enter),
wait_ms. Every expectation must hold after the steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict

from pydantic import Field, ValidationError, model_validator

from uiray.config import Strict

MAX_SCORE = 5.0
ACTIONS = ("click", "fill", "select", "press")


class ChecklistError(ValueError):
    """A checklist is malformed; the message names the item index and the field."""


class Condition(Strict):
    """A state of the page: how many elements match a selector, text and attribute."""

    selector: str | None = Field(None, min_length=1)
    """CSS selector; None means the page body."""
    text: str | None = Field(None, min_length=1)
    """Visible text (innerText) the element must contain, case- and whitespace-insensitive."""
    exact: bool = False
    """The element's whole visible text must equal `text` instead of containing it."""
    visible: bool = True
    """Count only elements that have a box and are not visibility:hidden."""
    attribute: str | None = Field(None, min_length=1)
    """Attribute the element must have ('value' and 'checked' read the live property)."""
    equals: str | None = None
    """... with exactly this value."""
    contains: str | None = None
    """... with a value containing this, case-insensitive."""
    min_count: int | None = Field(None, ge=0)
    """At least this many elements must match (default 1)."""
    max_count: int | None = Field(None, ge=0)
    """At most this many elements may match."""
    count: int | None = Field(None, ge=0)
    """Exactly this many elements must match."""

    @model_validator(mode="after")
    def _consistent(self) -> Condition:
        if self.selector is None and self.text is None:
            raise ValueError("a condition needs a selector or a text")
        if self.attribute is not None and self.selector is None:
            raise ValueError("attribute needs a selector")
        if (self.equals is not None or self.contains is not None) and self.attribute is None:
            raise ValueError("equals/contains need an attribute")
        if self.exact and self.text is None:
            raise ValueError("exact needs a text")
        if self.count is not None and (self.min_count is not None or self.max_count is not None):
            raise ValueError("give count, or min_count/max_count, not both")
        if self.min_count is not None and self.max_count is not None and self.min_count > self.max_count:
            raise ValueError(f"min_count {self.min_count} > max_count {self.max_count}")
        return self

    def bounds(self) -> tuple[int, int | None]:
        """(least, most) matching elements for the condition to hold; most None is unbounded."""
        if self.count is not None:
            return self.count, self.count
        return (1 if self.min_count is None else self.min_count), self.max_count


class Step(Strict):
    """One interaction: exactly one of click / fill / select / press / wait_ms."""

    click: str | None = Field(None, min_length=1)
    """Click the first visible element matching this CSS selector."""
    fill: str | None = Field(None, min_length=1)
    """Type `value` into the first visible input/textarea matching this selector."""
    select: str | None = Field(None, min_length=1)
    """Pick the option `value` (value or label) in the first visible <select> matching this selector."""
    press: str | None = Field(None, min_length=1)
    """Focus the first visible element matching this selector and press the key `value` (default Enter)."""
    wait_ms: int | None = Field(None, ge=0, le=5000)
    """Wait this long (for timers and transitions)."""
    value: str | None = None
    """Text to fill, option to select, or key to press."""

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [name for name in (*ACTIONS, "wait_ms") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a step needs exactly one of click/fill/select/press/wait_ms, got {given or 'none'}")
        if given[0] in ("fill", "select") and self.value is None:
            raise ValueError(f"{given[0]} needs a value")
        if given[0] in ("click", "wait_ms") and self.value is not None:
            raise ValueError(f"{given[0]} takes no value")
        return self

    @property
    def action(self) -> str:
        return next(name for name in (*ACTIONS, "wait_ms") if getattr(self, name) is not None)


class Check(Strict):
    """Canonical executable check: steps (possibly none) run in order, then every expectation must hold."""

    steps: list[Step] = []
    """Interactions to perform first."""
    expect: list[Condition] = Field(min_length=1)
    """Conditions that must all hold afterwards."""

    @model_validator(mode="before")
    @classmethod
    def _canonical(cls, data: Any) -> Any:
        """Accept the short forms: a bare condition, and a single step written next to `expect`."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "expect" not in data and "steps" not in data and not any(k in data for k in ACTIONS):
            return {"expect": [data]}
        if isinstance(data.get("expect"), dict):
            data["expect"] = [data["expect"]]
        step = {k: data.pop(k) for k in (*ACTIONS, "wait_ms", "value") if k in data}
        if step:
            if "steps" in data:
                raise ValueError("write the action inside `steps`, or use the one-step short form, not both")
            data["steps"] = [step]
        return data


class ChecklistItem(Strict):
    id: str | None = None
    """Optional name, shown in the per-item detail."""
    text: str = Field(min_length=1)
    """What the item asks for, as a human (or the judge) reads it."""
    check: Check | None = None
    """Executable check; None leaves the item to the judge."""
    weight: float = Field(1.0, gt=0, le=100)
    """Relative weight in S_chk (FrontCoder: all 1)."""


class ItemScore(TypedDict):
    index: int
    id: str | None
    source: str | None
    """'check', 'judge', or None when the item could not be scored (left out of S_chk)."""
    score: float | None
    """0-5, or None when left out."""
    detail: str


def load_checklist(source: str | Path | list | dict) -> list[ChecklistItem]:
    """Read a checklist from a JSON file, JSON text, or the parsed object; raises ChecklistError."""
    if isinstance(source, Path) or (isinstance(source, str) and source.lstrip()[:1] not in ("[", "{")):
        try:
            source = json.loads(Path(source).read_text())
        except FileNotFoundError:
            raise ChecklistError(f"checklist file not found: {source}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ChecklistError(f"{source}: not valid JSON: {e}") from None
    elif isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as e:
            raise ChecklistError(f"checklist text is not valid JSON: {e}") from None
    if isinstance(source, dict):
        if set(source) != {"items"}:
            raise ChecklistError(f'a checklist object must be {{"items": [...]}}, got keys {sorted(source)}')
        source = source["items"]
    if not isinstance(source, list):
        raise ChecklistError(f"a checklist must be a list of items, got {type(source).__name__}")
    return [_parse_item(index, raw) for index, raw in enumerate(source)]


def _parse_item(index: int, raw: Any) -> ChecklistItem:
    if isinstance(raw, ChecklistItem):
        return raw
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict):
        raise ChecklistError(f"checklist item {index}: must be a string or an object, got {type(raw).__name__}")
    try:
        return ChecklistItem.model_validate(raw)
    except ValidationError as e:
        name = f" ({raw['id']!r})" if isinstance(raw.get("id"), str) else ""
        raise ChecklistError(f"checklist item {index}{name}: {_problems(e)}") from None


def parse_check(raw: Any) -> Check:
    """One check (either short form or the canonical one); raises ChecklistError naming the field."""
    try:
        return Check.model_validate(raw)
    except ValidationError as e:
        raise ChecklistError(_problems(e, prefix="check")) from None


def _problems(error: ValidationError, prefix: str = "") -> str:
    problems = []
    for err in error.errors():
        field = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "") or "<item>"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        problems.append(f"{field}: {message}")
    return "; ".join(problems)


def executable_checks(items: list[ChecklistItem]) -> list[dict]:
    """The checks to run in the page (RenderPool.render(..., checks=...)), each tagged with its item index."""
    return [
        {"index": index, **item.check.model_dump(exclude_none=True)}
        for index, item in enumerate(items)
        if item.check is not None
    ]
