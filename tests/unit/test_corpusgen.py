"""The embedded corpus: deterministic, complete pages, executable checklists, planted duplicates."""

import json
import random
import re
import statistics
from collections import Counter, defaultdict

import pytest
from build_corpus import main
from corpusgen import CATEGORIES, generate_corpus, iter_corpus, jaccard, shingles, write_corpus

from uiray.page.checklist import load_checklist
from uiray.page.extract import extract_html
from uiray.page.heuristics import completeness, repetition_indicator

ROW_KEYS = {"id", "prompt", "completion", "html", "category", "style", "palette", "checklist", "dup_of", "dup_kind",
            "planted_jaccard"}  # fmt: skip
STEP_KEYS = [{"click"}, {"fill", "value"}, {"select", "value"}, {"press", "value"}]


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(600, seed=0)


@pytest.fixture(scope="module")
def by_id(corpus):
    return {row["id"]: row for row in corpus}


def test_same_seed_same_corpus_other_seed_other_corpus(corpus):
    assert generate_corpus(600, seed=0) == corpus
    other = generate_corpus(60, seed=1)
    assert [r["html"] for r in other] != [r["html"] for r in corpus[:60]]
    assert list(iter_corpus(60, seed=1)) == other


def test_rows_have_the_schema_and_planned_counts(corpus):
    assert len(corpus) == 600
    assert all(set(row) == ROW_KEYS for row in corpus)
    assert len({row["id"] for row in corpus}) == 600
    kinds = Counter(row["dup_kind"] for row in corpus)
    assert kinds == {None: 600 - 48 - 18, "near": 48, "exact": 18}  # 8% and 3% of 600
    originals = Counter(row["category"] for row in corpus if row["dup_kind"] is None)
    assert set(originals) == set(CATEGORIES) and len(CATEGORIES) >= 15
    assert max(originals.values()) - min(originals.values()) <= 1  # round-robin over the originals
    assert len({row["style"] for row in corpus}) >= 6 and len({row["palette"] for row in corpus}) >= 10


def test_every_page_is_complete_and_passes_the_repetition_gate(corpus):
    for row in corpus:
        html = row["html"]
        assert completeness(html).score == 1.0, (row["id"], completeness(html).issues)
        assert repetition_indicator(html) == 1, row["id"]
        assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
        assert 2000 < len(html) < 12000, (row["id"], len(html))


def test_pages_reach_no_network_except_the_tailwind_cdn(corpus):
    for row in corpus:
        links = set(re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", row["html"])) - {"https://cdn.tailwindcss.com"}
        assert all(link.startswith("#") for link in links), (row["id"], links)
        assert not re.search(r"url\(|@import|fetch\(|XMLHttpRequest", row["html"]), row["id"]
    tailwind = sum("cdn.tailwindcss.com" in row["html"] for row in corpus)
    assert 0 < tailwind < len(corpus) / 4


def test_completion_is_a_sentence_and_the_fenced_page(corpus):
    for row in corpus:
        intro, _, rest = row["completion"].partition("\n\n")
        assert intro.endswith((".", ":")) and "\n" not in intro and len(intro) < 200
        assert rest.startswith("```html\n")
        assert extract_html(row["completion"]).html == row["html"].strip()


def test_prompts_are_varied_requests(corpus):
    prompts = [row["prompt"] for row in corpus if row["dup_kind"] != "exact"]
    assert len(set(prompts)) == len(prompts)
    assert len({p.split()[0].lower() for p in prompts}) >= 8  # many ways to open a request
    assert all(20 < len(p) < 400 for p in prompts)


def test_checklists_are_executable_items_in_the_agreed_format(corpus):
    for row in corpus:
        items = row["checklist"]
        assert 3 <= len(items) <= 8, row["id"]
        assert len(load_checklist(items)) == len(items)  # the reward's own parser accepts them
        for item in items:
            assert set(item) == {"text", "check"} and item["text"]
            check = item["check"]
            if "steps" in check:
                assert set(check) == {"steps", "expect"} and set(check["expect"]) == {"selector", "text"}
                assert all(set(step) in STEP_KEYS for step in check["steps"])
            else:
                assert set(check) in ({"selector", "min_count"}, {"text"}), check
        assert any("steps" in item["check"] for item in items), row["id"]


def test_exact_copies_equal_their_original_after_whitespace_normalisation(corpus, by_id):
    copies = [row for row in corpus if row["dup_kind"] == "exact"]
    assert copies
    for row in copies:
        original = by_id[row["dup_of"]]
        assert original["dup_kind"] is None
        assert " ".join(row["completion"].split()) == " ".join(original["completion"].split())
        assert row["prompt"] == original["prompt"] and row["planted_jaccard"] == 1.0
    assert any(row["html"] == by_id[row["dup_of"]]["html"] for row in copies)  # byte-identical ones
    assert any(row["html"] != by_id[row["dup_of"]]["html"] for row in copies)  # whitespace-only changes


def test_near_copies_have_the_recorded_jaccard_above_the_dedup_threshold(corpus, by_id):
    copies = [row for row in corpus if row["dup_kind"] == "near"]
    assert copies
    for row in copies:
        original = by_id[row["dup_of"]]
        assert original["dup_kind"] is None and row["category"] == original["category"]
        measured = jaccard(shingles(row["html"]), shingles(original["html"]))
        assert row["planted_jaccard"] == measured
        assert 0.83 <= measured < 0.97, (row["id"], measured)
        assert row["checklist"] == original["checklist"]  # the edits leave behaviour alone
    spread = [row["planted_jaccard"] for row in copies]
    assert max(spread) - min(spread) > 0.05  # targets spread over 0.84-0.95, not one value


def test_unrelated_pages_of_a_category_are_mostly_below_the_threshold(corpus):
    """Same-category originals share their app logic; code-style variation must keep them apart."""
    rng = random.Random(0)
    pages = defaultdict(list)
    for row in corpus:
        if row["dup_kind"] is None:
            pages[row["category"]].append(shingles(row["html"]))
    values = []
    for sets in pages.values():
        sample = rng.sample(sets, min(8, len(sets)))
        values += [jaccard(a, b) for i, a in enumerate(sample) for b in sample[i + 1 :]]
    assert len(values) > 300
    assert statistics.median(values) < 0.68
    assert sum(v >= 0.8 for v in values) / len(values) < 0.01


def test_shingles_and_jaccard():
    assert shingles("abcdef") == {"abcde", "bcdef"}
    assert shingles("a  b\n\tc") == shingles("a b c")  # whitespace runs collapse, as in dedup
    assert shingles("abc") == {"abc"}
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="dup fractions"):
        generate_corpus(10, near_dup_fraction=0.7, exact_dup_fraction=0.4)
    with pytest.raises(ValueError):
        generate_corpus(-1)
    assert generate_corpus(0) == []


def test_write_corpus_and_cli(tmp_path, capsys):
    path = tmp_path / "corpus.jsonl"
    counts = write_corpus(path, n=45, seed=2)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == generate_corpus(45, seed=2) and sum(counts.values()) == 45
    main(["--n", "40", "--seed", "3", "--out", str(tmp_path / "cli.jsonl")])
    out = capsys.readouterr().out
    assert "total" in out and "40" in out and "timer" in out
    assert len((tmp_path / "cli.jsonl").read_text().splitlines()) == 40
