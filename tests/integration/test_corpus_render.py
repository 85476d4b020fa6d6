"""The embedded corpus in a real Chromium: pages load cleanly, their controls work, their checklists hold."""

import statistics

import pytest
from corpusgen import CATEGORIES, generate_corpus

from uiray.page.checklist import executable_checks, load_checklist

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def sample():
    """The first original of every category, plus one near and one exact copy."""
    rows = generate_corpus(300, seed=0)
    picked = {}
    for row in rows:
        picked.setdefault(row["dup_kind"] or row["category"], row)
    assert set(CATEGORIES) <= set(picked) and {"near", "exact"} <= set(picked)
    return list(picked.values())


def test_every_category_renders_and_its_controls_work(pool, sample):
    interactivity = []
    for row in sample:
        result = pool.run(pool.render(row["html"], probe=True, screenshot=False))
        assert result["ok"], (row["id"], result["error"])
        assert result["page_errors"] == [], (row["id"], result["page_errors"])
        score = result["probe"]["interactivity"]
        dead = [c for c in result["probe"]["controls"] if not (c["changed_dom"] or c["changed_pixels"])]
        assert score is not None and score >= 0.5, (row["id"], row["category"], dead)
        interactivity.append(score)
    assert statistics.mean(interactivity) >= 0.8


def test_every_checklist_item_holds_in_the_page(pool, sample):
    for row in sample:
        checks = executable_checks(load_checklist(row["checklist"]))
        result = pool.run(pool.render(row["html"], checks=checks, screenshot=False))
        assert result["ok"], (row["id"], result["error"])
        failed = [(row["checklist"][c["index"]]["text"], c["detail"]) for c in result["checks"] if not c["passed"]]
        assert failed == [], (row["id"], row["category"], failed)
