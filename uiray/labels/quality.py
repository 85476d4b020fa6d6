"""Which labelers to trust, and what their rankings say together.

Dojo's check: some tasks hide a control, a copy of one candidate broken on purpose (a data-stage perturbation:
handlers removed, a script error, the page cut short). An attentive labeler ranks it below the candidate it was
made from; one who clicks at random does so half the time. A labeler is trusted once they have seen
`min_controls` controls and ranked at least `min_agreement` of them right; only trusted labels are exported.

Several trusted rankings of one task are combined with a Bradley-Terry model (each ranking gives "a beat b" for
every pair it orders; strengths by Hunter's MM iterations), and their agreement is reported as the mean Kendall
tau between two labelers' orders of the same candidates (1: same order, 0: unrelated, -1: reversed).
"""

from __future__ import annotations

import itertools
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
            entry["right"] += label.ranking.index(original) < label.ranking.index(control)
    for entry in result.values():
        entry["agreement"] = entry["right"] / entry["controls"] if entry["controls"] else None
    return result


def trusted_labelers(checks: dict[str, dict], min_agreement: float, min_controls: int) -> dict[str, str]:
    """{labeler: why} for each labeler, with `trusted` or the reason not, read from control_checks()."""
    verdicts = {}
    for name, c in checks.items():
        if c["controls"] < min_controls:
            verdicts[name] = f"not trusted: {c['controls']} controls seen, {min_controls} needed"
        elif c["agreement"] < min_agreement:
            verdicts[name] = f"not trusted: ranked {c['right']} of {c['controls']} controls right, " \
                             f"{min_agreement:.0%} needed"  # fmt: skip
        else:
            verdicts[name] = f"trusted: ranked {c['right']} of {c['controls']} controls right"
    return verdicts


def bradley_terry(rankings: list[list[str]], iterations: int = 200) -> dict[str, float]:
    """Strengths (summing to 1) of the items in these rankings (best first), from every pairwise win in them.
    An item that never wins gets a small floor rather than 0, so that the strengths stay defined."""
    wins: dict[tuple[str, str], float] = defaultdict(float)
    items = sorted({i for r in rankings for i in r})
    for ranking in rankings:
        for better, worse in itertools.combinations(ranking, 2):
            wins[better, worse] += 1.0
    strength = dict.fromkeys(items, 1.0 / len(items)) if items else {}
    for _ in range(iterations):
        updated = {}
        for i in items:
            won = sum(wins[i, j] for j in items if j != i) + 1e-3  # the floor: a pseudo-win
            games = sum((wins[i, j] + wins[j, i]) / (strength[i] + strength[j]) for j in items if j != i)
            updated[i] = won / games if games else strength[i]
        total = sum(updated.values())
        strength = {i: s / total for i, s in updated.items()}
    return strength


def kendall_tau(a: list[str], b: list[str]) -> float:
    """Kendall's tau between two orders of the same items."""
    position = {item: k for k, item in enumerate(b)}
    pairs = list(itertools.combinations(a, 2))
    if not pairs:
        return 1.0
    agree = sum(1 if position[x] < position[y] else -1 for x, y in pairs)
    return agree / len(pairs)


def aggregate(store: LabelStore, trusted: set[str]) -> dict[str, dict]:
    """Per task labeled by trusted labelers: {prompt, order (candidate ids, best first, controls left out),
    strengths, labelers, critiques (with the labeler's name)}."""
    by_task: dict[str, list[Label]] = defaultdict(list)
    for label in store.labels():
        if label.labeler in trusted:
            by_task[label.task_id].append(label)
    result = {}
    for task_id, labels in by_task.items():
        task = store.task(task_id)
        controls = {c["id"] for c in task["candidates"] if c["control_of"]}
        rankings = [[c for c in label.ranking if c not in controls] for label in labels]
        strengths = bradley_terry(rankings)
        result[task_id] = {
            "task": task,
            "order": sorted(strengths, key=lambda c: -strengths[c]),
            "strengths": strengths,
            "labelers": [label.labeler for label in labels],
            "critiques": [(label.labeler, label.critique) for label in labels if label.critique],
            "rankings": rankings,
        }
    return result


def agreement(aggregated: dict[str, dict]) -> dict:
    """Mean Kendall tau between trusted labelers on the tasks two or more of them ranked."""
    taus = [kendall_tau(a, b) for task in aggregated.values() for a, b in itertools.combinations(task["rankings"], 2)]
    return {"tasks": sum(len(t["rankings"]) > 1 for t in aggregated.values()), "pairs": len(taus),
            "kendall_tau": statistics.fmean(taus) if taus else None}  # fmt: skip
