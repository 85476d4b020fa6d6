"""The shipped corpus is the generator's output, and a smaller corpus keeps its duplicates and categories."""

import pyarrow.parquet as pq
import pytest
from corpusgen import CATEGORIES, generate_corpus

from uiray.config import EMBEDDED_ROWS, DataConfig
from uiray.data import embedded
from uiray.data.embedded import load_embedded


@pytest.fixture(scope="module")
def shipped():
    return load_embedded()


def test_the_shipped_corpus_is_what_the_generator_makes_for_its_seed(shipped):
    path = embedded.resources.files("uiray.data") / embedded.EMBEDDED_FILE
    assert int(pq.read_schema(path).metadata[b"seed"]) == 0
    assert len(shipped) == EMBEDDED_ROWS == DataConfig().embedded_rows
    assert shipped == generate_corpus(EMBEDDED_ROWS, seed=0)  # ids, prompts, pages, checklists, planted copies


@pytest.mark.parametrize("n", [1, 10, 36, 100])
def test_a_smaller_corpus_keeps_the_share_of_copies_and_their_originals(shipped, n):
    rows = load_embedded(n)
    ids = [row["id"] for row in rows]
    assert len(rows) == n and ids == sorted(ids)  # corpus order
    by_id = {row["id"]: row for row in shipped}
    assert all(row == by_id[row["id"]] for row in rows)  # the shipped rows, unchanged
    copies = [row for row in rows if row["dup_of"] is not None]
    assert len(copies) == round(n * 110 / 1000)  # the whole corpus plants 3 % exact + 8 % near copies
    assert {row["dup_of"] for row in copies} <= set(ids)
    if n >= 36:
        assert {row["category"] for row in rows} == set(CATEGORIES)
    assert load_embedded(EMBEDDED_ROWS + 5) == shipped
