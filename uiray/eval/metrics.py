"""Eval's numbers, as pure functions of the per-answer records (answers.jsonl holds every input they use).

Per model, each metric is the mean over that model's answers of one per-answer field (a field that is None
for an answer is left out of its mean; the table says how many answers count):

    page_found      a page (HTML or a React component) was found in the reply
    render_ok       the page loaded with no uncaught error (the reward's render gate)
    completeness    uiray/page/heuristics.py's score (0 when there is no page)
    truncated       the reply hit max_tokens (unknown for given replies without finish_reason)
    looped          the repetition gate closed (a degenerate loop)
    skeleton        placeholders, empty handlers or "implement this yourself" (`is_skeleton`)
    interactivity   share of probed controls that changed the page (None: no page, or no controls)
    a11y_violations axe violations on a rendered page
    visual          visual sanity of the screenshot
    checklist_pass  share of the prompt's executable checklist items that held (0 when nothing rendered)
    checklist_score the reward's checklist component: executable items and, with a judge, the judged ones
    reward          the composed reward; its 95 % interval is a bootstrap over prompts (a prompt's samples
                    move together, so prompts, not answers, are the unit resampled)
    tokens          reply length in tokens (estimated at 3.5 characters per token when not known)

Colour diversity looks across a model's answers: each rendered page's dominant hue (12 buckets of 30 degrees,
or neutral when under 3 % of its pixels are saturated), then the entropy of those buckets normalised to [0, 1]
(0: every page the same colour, the "everything is blue" collapse) and the share of the most common one.

Pairwise: per prompt, each model's mean reward; A wins when it beats B by more than the tie margin. The sign
test's p is two-sided over the non-tied prompts.
"""

from __future__ import annotations

import io
import math
import statistics
from collections import Counter, defaultdict

METRICS = ("page_found", "render_ok", "completeness", "truncated", "looped", "skeleton", "interactivity",
           "a11y_violations", "visual", "checklist_pass", "checklist_score", "reward", "tokens")  # fmt: skip
HUE_BUCKETS = 12
NEUTRAL = -1


def model_metrics(answers: list[dict], bootstrap: int = 1000, seed: int = 0) -> dict[str, dict]:
    """{model: {metric: mean, metric + '_n': answers counted, reward_ci: [lo, hi], colour_*}}."""
    by_model: dict[str, list[dict]] = defaultdict(list)
    for answer in answers:
        by_model[answer["model"]].append(answer)
    table = {}
    for model, rows in by_model.items():
        row: dict = {"answers": len(rows)}
        for name in METRICS:
            values = [float(a[name]) for a in rows if a.get(name) is not None]
            row[name] = statistics.fmean(values) if values else None
            row[f"{name}_n"] = len(values)
        row["reward_ci"] = reward_interval(rows, bootstrap, seed)
        row["colour_diversity"], row["top_colour_share"] = colour_diversity([a.get("hue") for a in rows])
        table[model] = row
    return table


def reward_interval(answers: list[dict], bootstrap: int, seed: int) -> list[float]:
    """95 % percentile-bootstrap interval of the mean reward, resampling prompts (with all their samples)."""
    import numpy as np

    per_prompt = defaultdict(list)
    for answer in answers:
        per_prompt[answer["prompt_id"]].append(answer["reward"])
    sums = np.array([sum(v) for v in per_prompt.values()])
    counts = np.array([len(v) for v in per_prompt.values()])
    picks = np.random.default_rng(seed).integers(0, len(sums), size=(bootstrap, len(sums)))
    means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def colour_diversity(hues: list[int | None]) -> tuple[float | None, float | None]:
    """(normalised entropy of the dominant-hue buckets, share of the most common), over rendered pages."""
    seen = Counter(h for h in hues if h is not None)
    total = sum(seen.values())
    if not total:
        return None, None
    entropy = -sum(n / total * math.log(n / total) for n in seen.values())
    return abs(entropy) / math.log(HUE_BUCKETS + 1), max(seen.values()) / total


def dominant_hue(png: bytes, min_saturated: float = 0.03) -> int:
    """The 30-degree hue bucket most of a screenshot's saturated pixels fall in, or NEUTRAL."""
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.thumbnail((96, 96))
    hsv = np.asarray(image.convert("HSV")).reshape(-1, 3).astype(int)
    hues = hsv[(hsv[:, 1] > 64) & (hsv[:, 2] > 50), 0] * HUE_BUCKETS // 256
    if len(hues) < min_saturated * len(hsv):
        return NEUTRAL
    return int(np.bincount(hues, minlength=HUE_BUCKETS).argmax())


def pairwise(answers: list[dict], models: list[str], tie_margin: float) -> list[dict]:
    """One row per pair of models (in the given order): per-prompt wins, ties and losses of the first, and p."""
    reward: dict[tuple[str, str], list[float]] = defaultdict(list)
    for answer in answers:
        reward[answer["model"], answer["prompt_id"]].append(answer["reward"])
    mean = {key: statistics.fmean(values) for key, values in reward.items()}
    rows = []
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            shared = sorted({p for m, p in mean if m == a} & {p for m, p in mean if m == b})
            diffs = [mean[a, p] - mean[b, p] for p in shared]
            wins = sum(d > tie_margin for d in diffs)
            losses = sum(d < -tie_margin for d in diffs)
            rows.append({"a": a, "b": b, "prompts": len(shared), "a_wins": wins, "ties": len(shared) - wins - losses,
                         "b_wins": losses, "sign_test_p": sign_test(wins, losses)})  # fmt: skip
    return rows


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial p of a win/loss split at least this uneven under 'no difference'."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)
