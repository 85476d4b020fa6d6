"""Checklist score (FrontCoder's S_chk): items checked in the page or judged by an LLM/VLM.

    S_chk = sum_i w_i * s_i / (5 * sum_i w_i)      s_i in [0, 5], over the items that could be scored

FrontCoder gives each RL prompt ~20 items and has a VLM score each 0-5 (all weights 1). Here an item may
instead carry an executable `check`, run in the rendered page by uiray/render/checks.py: it scores 5 when
it passes and 0 when it fails, costs no judge call, and cannot be talked into a better score. Items
without a check go to the judge (judge_checklist below, any OpenAI-compatible endpoint), which is off by
default; with the judge off they are left out, and with nothing scored S_chk is None (compose() then
redistributes its weight).

The checklist format is in uiray/page/checklist.py.
"""

from __future__ import annotations

import base64
import math
import re
from typing import Any, TypedDict

from uiray.config import JudgeConfig
from uiray.judge import ask_judge, json_values, without_thinking
from uiray.page.checklist import MAX_SCORE, ChecklistItem, ItemScore


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
    messages = _messages(prompt, code, [items[i].text for i in judged], cfg, screenshot)
    schema = {
        "type": "object",
        "properties": {"scores": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": MAX_SCORE},
                                  "minItems": len(judged), "maxItems": len(judged)}},
        "required": ["scores"],
    }  # fmt: skip
    answer = await ask_judge(cfg, messages, lambda text: parse_scores(text, len(judged)), schema, backoff_s)
    if answer.value is not None:
        for index, value in zip(judged, answer.value, strict=True):
            scores[index] = value
    return JudgeResult(scores=scores, error=answer.error, attempts=answer.attempts)


def _messages(prompt: str, code: str, texts: list[str], cfg: JudgeConfig, screenshot: bytes | None) -> list[dict]:
    """The chat messages; in vision mode the screenshot rides along as a PNG data: URL."""
    with_image = cfg.vision and screenshot is not None
    text = judge_prompt(prompt, code, texts, cfg.max_code_chars, with_image)
    content: str | list[dict] = text
    if with_image:
        url = "data:image/png;base64," + base64.b64encode(screenshot).decode()
        content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": content}]


_ITEM_LINE = re.compile(r"^\W*(?:item\s*)?#?(\d+)\s*[.):\-]\s*(.*)$", re.I | re.M)
_OUT_OF_FIVE = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*5(?!\d)")
_LABELLED = re.compile(r"score\s*[:=]?\s*(\d+(?:\.\d+)?)", re.I)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def parse_scores(answer: str, n: int) -> list[float]:
    """n scores in [0, 5] from a judge's answer; raises ValueError when there are not exactly n.

    Prefers JSON ({"scores": [...]}, a bare list, {"1": 4, ...}, [{"item": 1, "score": 4}, ...]) anywhere in
    the text (code fences and <think> blocks are fine); falls back to numbered lines ("3. ...: 4/5").
    """
    text = without_thinking(answer)
    for value in json_values(text):
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
