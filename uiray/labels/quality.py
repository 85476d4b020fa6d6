"""Which labelers to trust, and what their rankings say together.

Dojo's check: some tasks hide a control, a copy of one candidate broken on purpose (a data-stage perturbation:
handlers removed, a script error, the page cut short). An attentive labeler ranks it below the candidate it was
made from; one who clicks at random does so half the time. A labeler is trusted once they ranked at least
`min_agreement` of at least `min_controls` controls right, and a random clicker would do as well with a chance of
at most `max_chance` (a binomial tail: 3 of 3 right is a 1-in-8 fluke, 10 of 10 a 1-in-1024 one). Only trusted
labels are exported. A score tie between a control and its original counts as not ranked right.

Several trusted labels of one task are combined with a Bradley-Terry model (each label gives "a beat b" for
every pair it orders; strengths by Hunter's MM iterations), and their agreement is reported as the mean Kendall
tau between two labelers' orders of the same candidates (1: same order, 0: unrelated, -1: reversed).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict

from uiray.labels.store import Label, LabelStore


def control_checks(store: LabelStore) -> dict[str, dict]:
    """Per labeler: controls seen, ranked right (below their original), and the share right (None if none)."""
    controls = {}  # task id -> [(control id, original id)]
    for task_id in store.task_ids():
        pairs = [(c["id"], c["control_of"]) for c in store.task(task_id)["candidates"] if c["control_of"]]
        if pairs:
            controls[task_id] = pairs
    result = {name: {"labels": 0, "controls": 0, "right": 0} for name in store.labelers().values()}
    for label in store.labels():
        entry = result[label.labeler]
        entry["labels"] += 1
        for control, original in controls.get(label.task_id, []):
            entry["controls"] += 1
            entry["right"] += label.prefers(original, control)
    for entry in result.values():
        entry["agreement"] = entry["right"] / entry["controls"] if entry["controls"] else None
    return result


def trusted_labelers(checks: dict[str, dict], min_agreement: float, min_controls: int,
                     max_chance: float) -> dict[str, str]:  # fmt: skip
    """{labeler: why} for each labeler, with `trusted` or the reason not, read from control_checks()."""
    verdicts = {}
    for name, c in checks.items():
        chance = chance_of_right(c["right"], c["controls"])
        record = f"ranked {c['right']} of {c['controls']} controls right"
        if c["controls"] < min_controls:
            verdicts[name] = f"not trusted: {c['controls']} controls seen, {min_controls} needed"
        elif c["agreement"] < min_agreement:
            verdicts[name] = f"not trusted: {record}, {min_agreement:.0%} needed"
        elif chance > max_chance:
            verdicts[name] = f"not trusted: {record}, which random clicks do {chance:.1%} of the time"
        else:
            verdicts[name] = f"trusted: {record}"
    return verdicts


def chance_of_right(right: int, controls: int) -> float:
    """The chance that a labeler ordering at random ranks at least `right` of `controls` controls right."""
    return sum(math.comb(controls, k) for k in range(right, controls + 1)) / 2**controls


def bradley_terry(wins: dict[tuple[str, str], float], items: list[str], iterations: int = 200) -> dict[str, float]:
    """Strengths (summing to 1) of `items` from wins[a, b], the times a was put above b. An item that never wins
    gets a small floor rather than 0, so that the strengths stay defined."""
    strength = dict.fromkeys(items, 1.0 / len(items)) if items else {}
    for _ in range(iterations):
        updated = {}
        for i in items:
            won = sum(wins.get((i, j), 0.0) for j in items if j != i) + 1e-3  # the floor: a pseudo-win
            games = sum((wins.get((i, j), 0.0) + wins.get((j, i), 0.0)) / (strength[i] + strength[j])
                        for j in items if j != i)  # fmt: skip
            updated[i] = won / games if games else strength[i]
        total = sum(updated.values())
        strength = {i: s / total for i, s in updated.items()}
    return strength


def pairwise_wins(labels: list[Label], items: list[str]) -> dict[tuple[str, str], float]:
    """wins[a, b]: how many of these labels put a above b."""
    wins: dict[tuple[str, str], float] = defaultdict(float)
    for label in labels:
        for a, b in itertools.permutations(items, 2):
            wins[a, b] += label.prefers(a, b)
    return wins


def kendall_tau(a: list[str], b: list[str]) -> float:
    """Kendall's tau between two orders of the same items."""
    position = {item: k for k, item in enumerate(b)}
    pairs = list(itertools.combinations(a, 2))
    if not pairs:
        return 1.0
    agree = sum(1 if position[x] < position[y] else -1 for x, y in pairs)
    return agree / len(pairs)


def aggregate(store: LabelStore, trusted: set[str]) -> dict[str, dict]:
    """Per task labeled by trusted labelers: {task, order (candidate ids, best first, controls left out),
    strengths, wins, labels}."""
    by_task: dict[str, list[Label]] = defaultdict(list)
    for label in store.labels():
        if label.labeler in trusted:
            by_task[label.task_id].append(label)
    result = {}
    for task_id, labels in by_task.items():
        task = store.task(task_id)
        items = [c["id"] for c in task["candidates"] if not c["control_of"]]
        wins = pairwise_wins(labels, items)
        strengths = bradley_terry(wins, items)
        order = sorted(items, key=lambda c: -strengths[c])
        result[task_id] = {"task": task, "order": order, "strengths": strengths, "wins": wins, "labels": labels,
                           "rankings": [[c for c in label.ranking if c in items] for label in labels]}  # fmt: skip
    return result


def agreement(aggregated: dict[str, dict]) -> dict:
    """Mean Kendall tau between trusted labelers on the tasks two or more of them ranked."""
    taus = [kendall_tau(a, b) for task in aggregated.values() for a, b in itertools.combinations(task["rankings"], 2)]
    return {"tasks": sum(len(t["rankings"]) > 1 for t in aggregated.values()), "pairs": len(taus),
            "kendall_tau": statistics.fmean(taus) if taus else None}  # fmt: skip
