"""Checklist score (FrontCoder's S_chk): items checked in the page or judged by an LLM/VLM.

    S_chk = sum_i w_i * s_i / (5 * sum_i w_i)      s_i in [0, 5], over the items that could be scored

FrontCoder gives each RL prompt ~20 items and has a VLM score each 0-5 (all weights 1). Here an item may
instead carry an executable `check`, run in the rendered page by uiray/render/checks.py: it scores 5 when
it passes and 0 when it fails, costs no judge call, and cannot be talked into a better score. Items
without a check go to the judge (judge_checklist below, any OpenAI-compatible endpoint), which is off by
default; with the judge off they are left out, and with nothing scored S_chk is None (compose() then
redistributes its weight).

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

import asyncio
import base64
import json
import math
import os
import re
from pathlib import Path
from typing import Any, TypedDict

from pydantic import Field, ValidationError, model_validator

from uiray.config import JudgeConfig, Strict
from uiray.reward.judge_http import HTTPStatusError, ask, semaphore

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


def checklist_score(
    items: list[ChecklistItem],
    check_results: list[dict] | None = None,
    judge_scores: list[float | None] | None = None,
) -> tuple[float | None, list[ItemScore]]:
    """S_chk in [0, 1] (None when no item could be scored) and one ItemScore per item.

    check_results: run_checks() output ({"index", "passed", "detail"}); None when the page was not checked.
    judge_scores: 0-5 per item, aligned with `items` (None entries: not judged); None when no judge ran.
    An executable item is scored by its check only; the judge's score counts for judge-only items.
    """
    if judge_scores is not None and len(judge_scores) != len(items):
        raise ValueError(f"{len(judge_scores)} judge scores for {len(items)} checklist items")
    results = {r["index"]: r for r in check_results or []}
    scores: list[ItemScore] = []
    for index, item in enumerate(items):
        source, score, detail = None, None, "not checked (the page was not checked)"
        if item.check is not None:
            if index in results:
                passed = bool(results[index]["passed"])
                source, score, detail = "check", MAX_SCORE if passed else 0.0, str(results[index].get("detail", ""))
        elif judge_scores is not None and judge_scores[index] is not None:
            value = float(judge_scores[index])
            if not 0.0 <= value <= MAX_SCORE:
                raise ValueError(f"judge score {value} for item {index} is outside [0, {MAX_SCORE}]")
            source, score, detail = "judge", value, "scored by the judge"
        else:
            detail = "not judged (judge off or no answer)"
        scores.append(ItemScore(index=index, id=item.id, source=source, score=score, detail=detail))
    weights = [(items[s["index"]].weight, s["score"]) for s in scores if s["score"] is not None]
    if not weights:
        return None, scores
    total = sum(w * s for w, s in weights) / (MAX_SCORE * sum(w for w, _ in weights))
    return total, scores


# ---------------------------------------------------------------------------------------------------
# The judge: any OpenAI-compatible /chat/completions endpoint scores the judge-only items 0-5.

JUDGE_SYSTEM = (
    "You are a strict senior front-end reviewer. You check a web page against a checklist and score each "
    "item independently from 0 to 5."
)
_SCALE = (
    "5 = fully met, 4 = met with minor flaws, 3 = partly met, 2 = attempted but mostly missing, "
    "1 = barely attempted, 0 = not met at all."
)


class JudgeResult(TypedDict):
    scores: list[float | None]
    """0-5 per checklist item, aligned with the items given; None for executable items and on failure."""
    error: str | None
    """Why there are no scores: 'judge disabled', or the last failure after all retries (None when scored)."""
    attempts: int
    """Requests made."""


def judge_prompt(prompt: str, code: str, texts: list[str], max_code_chars: int, with_image: bool) -> str:
    """FrontCoder-style user message: the task, the page's code, the numbered items, the scale, a JSON reply."""
    if len(code) > max_code_chars:
        code = code[:max_code_chars] + f"\n<!-- [cut: {len(code) - max_code_chars} more characters] -->"
    numbered = "\n".join(f"{i}. {text}" for i, text in enumerate(texts, 1))
    seen = "the code and the attached screenshot of the rendered page" if with_image else "the code"
    return (
        f"## Task given to the developer\n{prompt}\n\n## The developer's page\n```html\n{code}\n```\n\n"
        f"## Checklist ({len(texts)} items)\n{numbered}\n\n"
        f"Score every item from 0 to 5 by what {seen} actually shows, not by comments or intentions. "
        f"{_SCALE}\nAnswer with JSON only, one score per item in checklist order: "
        f'{{"scores": [s1, s2, ...]}} with exactly {len(texts)} numbers.'
    )


async def judge_checklist(
    prompt: str,
    code: str,
    items: list[ChecklistItem],
    cfg: JudgeConfig,
    screenshot: bytes | None = None,
    backoff_s: float = 0.5,
) -> JudgeResult:
    """Ask the judge to score the judge-only items (those without a check); never raises for the endpoint.

    Retries (cfg.retries, exponential back-off from backoff_s) on connection errors, timeouts, 5xx/429 and
    answers without one 0-5 score per item. Each request is bounded by cfg.timeout_s in total.
    """
    scores: list[float | None] = [None] * len(items)
    if not cfg.enabled:
        return JudgeResult(scores=scores, error="judge disabled", attempts=0)
    judged = [i for i, item in enumerate(items) if item.check is None]
    if not judged:
        return JudgeResult(scores=scores, error=None, attempts=0)
    import httpx

    body = _chat_request(prompt, code, [items[i].text for i in judged], cfg, screenshot)
    headers = {}
    if cfg.api_key_env and os.environ.get(cfg.api_key_env):
        headers["Authorization"] = f"Bearer {os.environ[cfg.api_key_env]}"
    endpoint = cfg.base_url.rstrip("/") + "/chat/completions"
    error, attempts = "no attempt", 0
    async with httpx.AsyncClient(timeout=cfg.timeout_s) as client:
        for attempt in range(cfg.retries + 1):
            if attempt:
                await asyncio.sleep(min(backoff_s * 2 ** (attempt - 1), 30.0))
            attempts += 1
            try:
                async with semaphore(cfg.max_concurrency):
                    answer = await asyncio.wait_for(ask(client, endpoint, body, headers), cfg.timeout_s)
                values = parse_scores(answer, len(judged))
            except TimeoutError:
                error = f"timeout after {cfg.timeout_s:g} s"
            except HTTPStatusError as e:
                error = str(e)
                if not e.retryable:
                    break
            except (httpx.HTTPError, ValueError) as e:  # connection trouble, malformed or unparseable answers
                error = f"{type(e).__name__}: {str(e)[:300]}"
            except Exception as e:  # a bad base_url and the like: retrying will not help
                error = f"{type(e).__name__}: {str(e)[:300]}"
                break
            else:
                for index, value in zip(judged, values, strict=True):
                    scores[index] = value
                return JudgeResult(scores=scores, error=None, attempts=attempts)
    return JudgeResult(scores=scores, error=f"judge failed after {attempts} attempt(s): {error}", attempts=attempts)


def _chat_request(prompt: str, code: str, texts: list[str], cfg: JudgeConfig, screenshot: bytes | None) -> dict:
    """The chat-completions body; in vision mode the screenshot rides along as a PNG data: URL."""
    with_image = cfg.vision and screenshot is not None
    text = judge_prompt(prompt, code, texts, cfg.max_code_chars, with_image)
    content: str | list[dict] = text
    if with_image:
        url = "data:image/png;base64," + base64.b64encode(screenshot).decode()
        content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]
    messages = [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": content}]
    return {"model": cfg.model, "temperature": cfg.temperature, "messages": messages}


_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_ITEM_LINE = re.compile(r"^\W*(?:item\s*)?#?(\d+)\s*[.):\-]\s*(.*)$", re.I | re.M)
_OUT_OF_FIVE = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*5(?!\d)")
_LABELLED = re.compile(r"score\s*[:=]?\s*(\d+(?:\.\d+)?)", re.I)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def parse_scores(answer: str, n: int) -> list[float]:
    """n scores in [0, 5] from a judge's answer; raises ValueError when there are not exactly n.

    Prefers JSON ({"scores": [...]}, a bare list, {"1": 4, ...}, [{"item": 1, "score": 4}, ...]) anywhere in
    the text (code fences and <think> blocks are fine); falls back to numbered lines ("3. ...: 4/5").
    """
    text = _THINK.sub("", answer)
    if "</think>" in text.lower():  # an unclosed reasoning block: keep what follows it
        text = text[text.lower().rindex("</think>") + len("</think>") :]
    decoder = json.JSONDecoder()
    for start in [m.start() for m in re.finditer(r"[\[{]", text)][:200]:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        scores = _scores_from_json(value, n)
        if scores is not None:
            return scores
    scores = _scores_from_lines(text, n)
    if scores is None:
        raise ValueError(f"no {n} scores in 0-5 found in the answer: {answer[:200]!r}")
    return scores


def _scores_from_json(value: Any, n: int) -> list[float] | None:
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        for key in ("scores", "items", "results", "checklist"):
            if key in lowered:
                return _scores_from_json(lowered[key], n)
        numbered = {_item_number(k): v for k, v in value.items()}
        if sorted(k for k in numbered if k is not None) != list(range(1, n + 1)):
            return None
        values = [numbered[i] for i in range(1, n + 1)]
    elif isinstance(value, list):
        values = value
        numbers = [
            _item_number(v.get("item", v.get("index", v.get("id")))) if isinstance(v, dict) else None for v in value
        ]
        if None not in numbers and sorted(numbers) == list(range(1, n + 1)):
            values = [v for _, v in sorted(zip(numbers, value, strict=True), key=lambda pair: pair[0])]
    else:
        return None
    scores = [_score(v) for v in values]
    return scores if len(scores) == n and None not in scores else None


def _item_number(key: Any) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    match = re.fullmatch(r"\D*?(\d+)", str(key).strip()) if isinstance(key, str) else None
    return int(match.group(1)) if match else None


def _score(value: Any) -> float | None:
    if isinstance(value, dict):
        value = next((v for k, v in value.items() if str(k).lower() == "score"), None)
    if isinstance(value, str):
        try:
            value = float(value.strip().removesuffix("/5").strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 <= value <= MAX_SCORE else None


def _scores_from_lines(text: str, n: int) -> list[float] | None:
    """Numbered lines; the last scored line per item wins (answers restate items before scoring them)."""
    found: dict[int, float] = {}
    for match in _ITEM_LINE.finditer(text):
        number, rest = int(match.group(1)), match.group(2)
        hit = _OUT_OF_FIVE.search(rest) or _LABELLED.search(rest)
        numbers = _NUMBER.findall(rest)
        raw = hit.group(1) if hit else (numbers[-1] if numbers else None)
        score = _score(raw) if raw is not None else None
        if 1 <= number <= n and score is not None:
            found[number] = score
    return [found[i] for i in range(1, n + 1)] if len(found) == n else None
