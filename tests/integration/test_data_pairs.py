"""Best-vs-worst pairs from several scored completions of one prompt, on a real local Ray cluster."""

import pytest

from uiray.config import DataConfig
from uiray.data.pairs import group_pairs

pytestmark = [pytest.mark.slow]


def scored_row(row_id: str, prompt: str, score: float, error: str = "") -> dict:
    return {"id": row_id, "prompt": prompt, "system": None, "completion": f"reply {row_id}", "score": score,
            "reward_error": error, "source": "test.jsonl"}  # fmt: skip


def test_group_pairs_take_best_and_worst_usable_completion_when_the_margin_holds(ray_cluster):
    rows = [
        scored_row("a1", "a timer", 0.9),
        scored_row("a2", "a timer", 0.5),
        scored_row("a3", "a timer", 0.3),
        scored_row("a4", "a timer", 0.0, error="timeout: scoring took over 60 s"),  # not a judgement: skipped
        scored_row("b1", "a clock", 0.80),
        scored_row("b2", "a clock", 0.78),  # closer than min_margin: no pair
        scored_row("c1", "a board", 0.9),  # one completion: no pair
    ]
    cfg = DataConfig(pairs={"min_margin": 0.05})
    pairs = group_pairs(ray_cluster.data.from_items(rows), cfg).take_all()
    assert len(pairs) == 1
    pair = pairs[0]
    assert (pair["id"], pair["chosen"], pair["rejected"]) == ("a1>a3", "reply a1", "reply a3")
    assert (pair["chosen_score"], pair["rejected_score"], pair["pair_source"]) == (0.9, 0.3, "group")
    assert pair["prompt"] == "a timer" and pair["perturbation"] is None
