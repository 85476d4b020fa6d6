"""Rubric score: an LLM judge grades a (prompt, reply) pair on weighted dimensions; FrontCoder's 25 are a preset.

    rubric_score = sum_d w_d * s_d / (10 * sum_d w_d)        s_d in [0, 10], so rubric_score is in [0, 1]

FrontCoder keeps an SFT pair only when Qwen3-Coder-480B scores it at least 80% on this rubric (0.8 here).
Its scorer is public (github.com/leanfeng1/FrontCoder, data_construction/sft/generate_sft5_scorer.py): the
25 dimension names, their categories, their relative weights (0.7 to 1.5, summing to 25.4) and the
five-level scale 0 / 2.5 / 5 / 7.5 / 10 below are taken from it. The descriptions are ours, shorter, with the
per-level anchors folded into one shared scale. Differences from that script, on purpose:
- it takes the judge's own "percentage" figure as the score; here the total is computed from the
  per-dimension scores, so the weights really apply and the judge's arithmetic slips do not leak in;
- it asks for one score per dimension plus reasons and comments; here only the scores (fewer tokens);
- its README's summary table lists "Extensibility" where the script has "Visual Fidelity & Completeness";
  the script (what ran) is followed;
- it cuts the reply at 8,000 characters; here at JudgeConfig.max_code_chars.
The judge reads the whole reply, prose included: two dimensions (comments, documentation) are about it.
Weights are kept as FrontCoder published them (relative); `normalised_weights` gives the ones summing to 1.

Batch scoring is RubricScorer, a Dataset.map_batches UDF. Scores are cached as JSON lines under cache_dir,
one file per scorer instance (several Ray actors never write the same file), keyed by
sha1([model, rubric, prompt, reply]); every file is read when a scorer starts, so a re-run after a crash asks
the judge only for rows it has no answer for. Failures are not cached: they are asked again next run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import re
import threading
import uuid
from pathlib import Path
from typing import Any, NamedTuple, TypedDict

from uiray.config import JudgeConfig
from uiray.judge import ask_judge, json_values, without_thinking

MAX_SCORE = 10.0
SCALE = "10 = excellent, 7.5 = good with minor flaws, 5 = adequate or partly done, 2.5 = poor, 0 = absent or broken."


class Dimension(NamedTuple):
    key: str
    """snake_case id, the key in the judge's answer and in rubric_detail."""
    name: str
    category: str
    weight: float
    """Relative weight (> 0); only ratios matter."""
    description: str
    """What the judge reads: one line."""


def _dim(category: str, name: str, weight: float, description: str) -> Dimension:
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return Dimension(key, name, category, weight, description)


RUBRICS: dict[str, list[Dimension]] = {
    "frontcoder": [
        _dim("Code Quality", "Code Executability", 1.2, "Runs as is: no syntax, reference or logic error breaks it."),
        _dim("Code Quality", "Core Function Completeness", 1.5, "Every core function the request asks for is there."),
        _dim("Code Quality", "Code Standards", 1.0, "Conventional naming, indentation and structure."),
        _dim("Code Quality", "Engineering Quality", 1.0, "Modular design and reuse instead of a pile of globals."),
        _dim("Functionality", "Boundary Handling", 1.1, "Edge cases (empty, extreme, repeated input) behave sensibly."),
        _dim("Functionality", "Data Validation", 1.1, "Input is checked and escaped before use (no XSS)."),
        _dim("Functionality", "Interaction Completeness", 1.2, "Every interaction offered (click, drag, type) works."),
        _dim("UX", "Design Professionalism", 1.0, "Colour, layout and typography look deliberate and professional."),
        _dim("UX", "Interaction Smoothness", 1.0, "Transitions and animations are smooth; responses are immediate."),
        _dim("UX", "User Feedback", 1.0, "Visible feedback for actions, loading and error states."),
        _dim("Response", "Requirement Understanding", 1.3, "The reply solves the task asked, without drifting."),
        _dim("Response", "Solution Rationality", 1.2, "The approach is sound and follows best practice."),
        _dim("Response", "Comment Quality", 0.8, "Comments explain the structure and non-obvious logic."),
        _dim("Response", "Documentation Completeness", 0.7, "The reply explains what was built and how to use it."),
        _dim("Technical", "Tech Selection", 1.0, "Libraries and platform features fit the task."),
        _dim("Technical", "Performance Optimization", 1.1, "Sensible algorithms, rendering and memory use."),
        _dim("Technical", "Modern Features", 0.9, "Modern HTML5, CSS3 and ES6+ used where they help."),
        _dim("Innovation", "Innovative Features", 0.8, "Thoughtful features or techniques beyond the obvious."),
        _dim("Innovation", "UX Enhancement", 0.7, "Polish beyond the brief: animation, personalisation, shortcuts."),
        _dim("Robustness", "Code Redundancy", 0.8, "No duplicated, dead or unrelated code (10 = none at all)."),
        _dim("Robustness", "Exception Handling", 1.1, "Network errors, bad data and user mistakes are handled."),
        _dim("Compatibility", "Cross-Platform", 1.0, "Works across browsers and screen sizes; responsive layout."),
        _dim("Accessibility", "A11y Support", 0.7, "Semantic elements, ARIA, keyboard navigation, screen readers."),
        _dim("Maintainability", "Code Readability", 1.0, "Easy to read, understand and change."),
        _dim("Overall", "Visual Fidelity & Completeness", 1.2, "The result looks complete, faithful and professional."),
    ],
}


def normalised_weights(rubric: str | list[Dimension]) -> dict[str, float]:
    """Weight per dimension key, scaled to sum to 1 (the share of rubric_score each dimension carries)."""
    dims = RUBRICS[rubric] if isinstance(rubric, str) else rubric
    total = sum(d.weight for d in dims)
    return {d.key: d.weight / total for d in dims}


def rubric_total(dims: list[Dimension], scores: dict[str, float]) -> float:
    """Weighted mean of the 0-10 scores, in [0, 1]; every dimension must be scored. Rounded to 12 places so that
    full marks are exactly 1.0 and a threshold such as FrontCoder's 0.8 is not missed by float noise."""
    total = math.fsum(d.weight * scores[d.key] for d in dims) / (MAX_SCORE * math.fsum(d.weight for d in dims))
    return round(total, 12)


# ---------------------------------------------------------------------------------------------------
# The judge: any OpenAI-compatible /chat/completions endpoint.

JUDGE_SYSTEM = (
    "You are a strict senior front-end reviewer. You grade a developer's reply to a task on several "
    "dimensions, each independently, from 0 to 10."
)


class RubricResult(TypedDict):
    scores: dict[str, float] | None
    """0-10 per dimension key; None when the judge gave no usable answer."""
    total: float | None
    """Weighted mean in [0, 1]; None with scores."""
    error: str | None
    """Why there is no score: 'judge disabled', 'empty reply', or the last failure after all retries."""
    attempts: int
    """Requests made."""


def rubric_prompt(prompt: str, code: str, dims: list[Dimension], max_code_chars: int) -> str:
    """User message: the task, the reply, the dimensions with their keys, the scale and the JSON to answer."""
    if len(code) > max_code_chars:
        code = code[:max_code_chars] + f"\n[cut: {len(code) - max_code_chars} more characters]"
    listed = "\n".join(f"{i}. {d.name} [{d.key}]: {d.description}" for i, d in enumerate(dims, 1))
    example = ", ".join(f'"{d.key}": s{i}' for i, d in enumerate(dims[:2], 1))
    return (
        f"## Task given to the developer\n{prompt}\n\n## The developer's reply\n{code}\n\n## End of reply\n\n"
        f"## Dimensions ({len(dims)})\n{listed}\n\n"
        f"Score every dimension from 0 to 10 using these levels: {SCALE}\n"
        "Be strict: look for defects, compare with industry practice, do not give full marks easily, and judge "
        "what the code does, not its length or its comments' claims.\n"
        f'Answer with JSON only: {{"scores": {{{example}, ...}}}} with all {len(dims)} keys.'
    )


async def judge_rubric(
    prompt: str, code: str, cfg: JudgeConfig, rubric: str = "frontcoder", backoff_s: float = 0.5
) -> RubricResult:
    """Grade one reply on a rubric from RUBRICS; never raises for the endpoint.

    Retries (cfg.retries, exponential back-off from backoff_s) on connection errors, timeouts, 5xx/429 and
    answers without a 0-10 score for every dimension. Requests on one event loop share cfg.max_concurrency.
    """
    dims = RUBRICS[rubric]
    if not cfg.enabled:
        return RubricResult(scores=None, total=None, error="judge disabled", attempts=0)
    if not code or not code.strip():
        return RubricResult(scores=None, total=None, error="empty reply", attempts=0)
    user = rubric_prompt(prompt, code, dims, cfg.max_code_chars)
    messages = [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]
    score = {"type": "number", "minimum": 0, "maximum": MAX_SCORE}
    schema = {
        "type": "object",
        "properties": {"scores": {"type": "object", "properties": {d.key: score for d in dims},
                                  "required": [d.key for d in dims]}},
        "required": ["scores"],
    }  # fmt: skip
    answer = await ask_judge(cfg, messages, lambda text: parse_rubric(text, dims), schema, backoff_s)
    if answer.value is None:
        return RubricResult(scores=None, total=None, error=answer.error, attempts=answer.attempts)
    return RubricResult(
        scores=answer.value, total=rubric_total(dims, answer.value), error=None, attempts=answer.attempts
    )


_LIST_KEYS = ("scores", "dimensions", "criteria", "rubric", "results")
_ID_KEYS = ("key", "criterion_id", "criterion", "dimension", "id", "name", "index", "item")


def parse_rubric(answer: str, dims: list[Dimension]) -> dict[str, float]:
    """A 0-10 score per dimension key from the judge's answer; raises ValueError when any is missing.

    Takes the first JSON value in the text (code fences and <think> blocks are fine) that scores every
    dimension, as {"scores": {key or name or number: s}}, a bare such object, {"scores": [s1, ..., sn]} in
    rubric order, or FrontCoder's {"scores": [{"criterion_id": 1, "score": 7.5, ...}, ...]}.
    """
    text = without_thinking(answer)
    lookup = {}
    for number, d in enumerate(dims, 1):
        lookup.update({d.key: d.key, _norm(d.name): d.key, str(number): d.key})
    for value in json_values(text):
        scores = _from_json(value, dims, lookup)
        if scores is not None:
            return scores
    raise ValueError(f"no 0-10 score for each of the {len(dims)} dimensions in the answer: {answer[:200]!r}")


def _from_json(value: Any, dims: list[Dimension], lookup: dict[str, str]) -> dict[str, float] | None:
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        for key in _LIST_KEYS:
            if key in lowered:
                return _from_json(lowered[key], dims, lookup)
        pairs = list(value.items())
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        ids = [next((v[k] for k in v if str(k).lower() in _ID_KEYS), None) for v in value]
        pairs = list(zip(ids, value, strict=True))
    elif isinstance(value, list) and len(value) == len(dims):
        pairs = [(d.key, v) for d, v in zip(dims, value, strict=True)]
    else:
        return None
    if all(raw_id is None for raw_id, _ in pairs) and len(pairs) == len(dims):  # [{"score": 7}, ...] in order
        pairs = [(d.key, v) for d, (_, v) in zip(dims, pairs, strict=True)]
    scores: dict[str, float] = {}
    for raw_id, raw_score in pairs:
        key = _dimension_key(raw_id, lookup)
        score = _score(raw_score)
        if key is None or score is None:
            continue  # extra fields ("total_score", "overall_comment") are not dimensions
        if key in scores and scores[key] != score:
            return None  # two different scores for one dimension: trust neither
        scores[key] = score
    return scores if len(scores) == len(dims) else None


def _dimension_key(raw_id: Any, lookup: dict[str, str]) -> str | None:
    """A dimension's key from its key, its name, its 1-based number, or 'criterion 3' and the like."""
    if raw_id is None or isinstance(raw_id, bool):
        return None
    name = _norm(str(raw_id))
    if name in lookup:
        return lookup[name]
    number = re.fullmatch(r"[a-z_]*?_?(\d+)", name)
    return lookup.get(number.group(1)) if number else None


def _norm(name: str) -> str:
    """'Visual Fidelity & Completeness' and 'visual_fidelity_completeness' and ' 3 ' compare equal."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _score(value: Any) -> float | None:
    if isinstance(value, dict):
        value = next((v for k, v in value.items() if str(k).lower() == "score"), None)
    if isinstance(value, str):
        try:
            value = float(value.strip().removesuffix("/10").strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 <= value <= MAX_SCORE else None


# ---------------------------------------------------------------------------------------------------
# Batches: a Ray Data UDF with a resumable cache.


def cache_key(model: str, rubric: str, prompt: str, code: str) -> str:
    """sha1 of the JSON list, so that field boundaries cannot blur ('ab' + 'c' vs 'a' + 'bc')."""
    return hashlib.sha1(json.dumps([model, rubric, prompt, code]).encode()).hexdigest()


def load_cache(cache_dir: str | Path) -> dict[str, dict[str, float]]:
    """Scores per cache key from every *.jsonl under cache_dir; a torn last line (a crash mid-write) is skipped."""
    cached: dict[str, dict[str, float]] = {}
    for path in sorted(Path(cache_dir).glob("*.jsonl")):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    record = json.loads(line)
                    cached[record["key"]] = {str(k): float(v) for k, v in record["scores"].items()}
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
    return cached


class RubricScorer:
    """Dataset.map_batches UDF: grades prompt + reply with the judge and adds `rubric_score` (in [0, 1], or
    None when unscored: NaN in a pandas batch, null in the dataset) and `rubric_detail` (JSON: scores per
    dimension, error, attempts, cached).

        ds.map_batches(RubricScorer, fn_constructor_kwargs={"cfg": cfg.rubric.judge.model_dump(),
                       "cache_dir": "/shared/rubric-cache"}, concurrency=4, batch_size=32)

    Ray Data calls it synchronously; the batch's requests run concurrently on an event loop in a background
    thread, at most cfg.max_concurrency at once per scorer (so actors x max_concurrency in all). With several
    nodes, cache_dir must be on a filesystem they share. Batches may be pandas or dicts of numpy arrays.
    """

    def __init__(self, cfg: JudgeConfig | dict | None = None, rubric: str = "frontcoder",
                 cache_dir: str | None = None, prompt_column: str = "prompt", code_column: str = "completion",
                 backoff_s: float = 0.5):  # fmt: skip
        if rubric not in RUBRICS:
            raise ValueError(f"unknown rubric {rubric!r}; known: {sorted(RUBRICS)}")
        self.cfg = JudgeConfig.model_validate(cfg or {})
        self.rubric, self.dims, self.backoff_s = rubric, RUBRICS[rubric], backoff_s
        self.prompt_column, self.code_column = prompt_column, code_column
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.cache: dict[str, dict[str, float]] = {}
        self._file = None
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            keys = {d.key for d in self.dims}  # answers for an older set of dimensions are asked again
            self.cache = {k: v for k, v in load_cache(self.cache_dir).items() if keys <= v.keys()}
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="rubric-loop", daemon=True).start()

    def __call__(self, batch: Any) -> Any:
        prompts = ["" if p is None else str(p) for p in list(batch[self.prompt_column])]
        codes = ["" if c is None else str(c) for c in list(batch[self.code_column])]
        keys = [cache_key(self.cfg.model, self.rubric, p, c) for p, c in zip(prompts, codes, strict=True)]
        todo = {k: (p, c) for k, p, c in zip(keys, prompts, codes, strict=True) if k not in self.cache}
        asked = asyncio.run_coroutine_threadsafe(self._judge(todo), self._loop).result() if todo else {}
        self._remember(asked)
        totals, details = [], []
        for key in keys:
            cached = key not in asked  # answered by an earlier batch or run
            result = asked.get(key) or RubricResult(scores=self.cache[key], total=None, error=None, attempts=0)
            scores = result["scores"]
            totals.append(rubric_total(self.dims, scores) if scores is not None else None)
            detail = {"rubric": self.rubric, "model": self.cfg.model, "scores": scores, "error": result["error"],
                      "attempts": result["attempts"], "cached": cached}  # fmt: skip
            details.append(json.dumps(detail, sort_keys=True))
        batch["rubric_score"] = totals
        batch["rubric_detail"] = details
        return batch

    async def _judge(self, todo: dict[str, tuple[str, str]]) -> dict[str, RubricResult]:
        """Each distinct row once, all at once; the judge's semaphore bounds what is in flight."""
        results = await asyncio.gather(
            *(judge_rubric(p, c, self.cfg, self.rubric, self.backoff_s) for p, c in todo.values())
        )
        return dict(zip(todo, results, strict=True))

    def _remember(self, asked: dict[str, RubricResult]) -> None:
        """Keep the answers in memory and append them to this scorer's own file, flushed before returning."""
        lines = []
        for key, result in asked.items():
            if result["scores"] is None:
                continue  # failures are asked again next time
            self.cache[key] = result["scores"]
            record = {"key": key, "model": self.cfg.model, "rubric": self.rubric, "scores": result["scores"]}
            lines.append(json.dumps(record, sort_keys=True) + "\n")
        if not lines or self.cache_dir is None:
            return
        if self._file is None:  # opened lazily: a resumed scorer that asks nothing leaves no empty file
            path = self.cache_dir / f"{uuid.uuid4().hex}.jsonl"
            self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - stays open across batches
        self._file.write("".join(lines))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Stop the event loop and close the cache file (Ray ends actors without calling this)."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._file is not None:
            self._file.close()
            self._file = None
