"""Accessibility score from axe-core violations, weighted by impact.

    score = 1 / (1 + sum over violated rules of IMPACT_WEIGHTS[impact])

Each violated *rule* counts once, however many elements break it: a 100-row table without header cells
is one mistake repeated, not a hundred, and counting nodes would make long pages score worse than short
ones with the same habits. The weights follow axe's own impact scale. One critical violation halves the
score; a clean page scores 1; the score never reaches 0, so it ranks bad pages instead of flattening them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

IMPACT_WEIGHTS = {"critical": 1.0, "serious": 0.5, "moderate": 0.25, "minor": 0.1}


def accessibility_score(violations: Iterable[Mapping]) -> float:
    """Score in (0, 1] from axe violations (dicts with an 'impact'); unknown impacts count as minor."""
    penalty = sum(IMPACT_WEIGHTS.get(v.get("impact") or "minor", IMPACT_WEIGHTS["minor"]) for v in violations)
    return 1.0 / (1.0 + penalty)
