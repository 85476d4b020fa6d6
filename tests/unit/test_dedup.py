"""Dedup building blocks without Ray: normalisation, shingles, signatures, LSH bands, union-find, the
representative rule, and the per-partition bucket function on hand-made band rows."""

import math
import random
import string

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from datasketch import MinHashLSH

from uiray.config import DedupConfig
from uiray.data.dedup import UnionFind, bucket_edges, pick_representative, sketch_band_rows
from uiray.data.minhash import (
    LSH_WEIGHTS,
    band_key_matrix,
    band_keys,
    band_params,
    estimated_jaccard,
    normalise,
    shingles,
    signature,
)

CFG = DedupConfig()


def random_page(seed: int, words: int = 300) -> str:
    rng = random.Random(seed)
    body = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 8))) for _ in range(words))
    return f"<html><body><main><p>{body}</p><button onclick='go()'>Go</button></main></body></html>"


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(normalise(a), 5), shingles(normalise(b), 5)
    return len(sa & sb) / len(sa | sb)


def test_normalise_ignores_whitespace_layout_but_keeps_case():
    assert normalise("  <p>\r\n\tHello   world</p>\n") == "<p> Hello world</p>"
    assert normalise("a\u00a0\u2003b") == "a b"  # unicode spaces are whitespace too
    assert normalise("caf\u0065\u0301") == normalise("caf\u00e9")  # NFC: composed and decomposed é are one
    assert normalise("<button onClick=f()>") != normalise("<button onclick=f()>")


def test_shingles_are_overlapping_k_character_substrings():
    assert shingles("abcdef", 5) == {"abcde", "bcdef"}
    assert shingles("abab ab", 2) == {"ab", "ba", "b ", " a"}
    assert shingles("abc", 5) == {"abc"}  # shorter than k: the text itself
    assert shingles("", 5) == set()


def test_signature_is_seeded_uint32_and_ignores_what_normalise_ignores():
    page = random_page(1)
    sig = signature(page, CFG)
    assert sig.dtype == np.uint32 and sig.shape == (CFG.num_perm,)
    assert np.array_equal(sig, signature(page, CFG))
    assert np.array_equal(sig, signature("\n  " + page.replace(" ", "\n\t ") + "  ", CFG))
    assert not np.array_equal(sig, signature(random_page(2), CFG))


def test_estimated_jaccard_tracks_the_true_one():
    page = random_page(3)
    words = page.split(" ")
    for i in range(5, len(words), 12):  # edit every 12th word
        words[i] = "zzzz" + words[i][::-1]
    edited = " ".join(words)
    true = jaccard(page, edited)
    estimate = estimated_jaccard(signature(page, CFG), signature(edited, CFG))
    assert 0.5 < true < 0.95
    assert abs(estimate - true) < 4 * math.sqrt(true * (1 - true) / CFG.num_perm)  # 4 standard errors


@pytest.mark.parametrize("threshold", [0.7, 0.75, 0.8])
def test_band_params_are_datasketchs_and_favour_recall(threshold):
    bands, rows = band_params(threshold, 128)
    lsh = MinHashLSH(threshold=threshold, num_perm=128, weights=LSH_WEIGHTS)
    assert (bands, rows) == (lsh.b, lsh.r)
    assert bands * rows <= 128
    candidate = 1 - (1 - (threshold + 0.1) ** rows) ** bands  # S-curve one tenth above the threshold
    assert candidate >= 0.98


def test_band_params_rows_grow_with_threshold():
    assert band_params(0.7, 128)[1] < band_params(0.8, 128)[1] < band_params(0.9, 128)[1]


def test_band_keys_are_equal_for_identical_documents_and_differ_per_band():
    bands, rows = band_params(CFG.threshold, CFG.num_perm)
    sig = signature(random_page(4), CFG)
    keys = band_keys(sig, bands, rows)
    assert len(keys) == bands and all(isinstance(k, int) for k in keys)
    assert keys == band_keys(signature(random_page(4), CFG), bands, rows)
    changed = sig.copy()
    changed[2 * rows] += 1  # first value of band 2
    differs = [a != b for a, b in zip(keys, band_keys(changed, bands, rows), strict=True)]
    assert differs == [i == 2 for i in range(bands)]
    same_values = np.tile(np.arange(rows, dtype=np.uint32), bands)  # every band holds the same values
    assert len(set(band_keys(same_values, bands, rows))) == bands  # the band index is part of the key
    assert not set(keys) & set(band_keys(signature(random_page(5), CFG), bands, rows))


def test_band_key_matrix_matches_per_document_keys():
    sigs = np.stack([signature(random_page(s), CFG) for s in range(4)])
    matrix = band_key_matrix(sigs, 12, 10)
    assert matrix.dtype == np.int64 and matrix.shape == (4, 12)
    assert [band_keys(s, 12, 10) for s in sigs] == matrix.tolist()


def test_union_find_joins_transitively():
    forest = UnionFind()
    assert forest.union("a", "b") and forest.union("c", "d") and forest.union("b", "c")
    assert not forest.union("a", "d")
    forest.find("e")
    groups = sorted(sorted(g) for g in forest.groups().values())
    assert groups == [["a", "b", "c", "d"], ["e"]]
    assert forest.size[forest.find("a")] == 4


def test_representative_is_higher_score_then_longer_then_smaller_id():
    assert (
        pick_representative([{"id": 1, "score": 0.5, "text": "long text"}, {"id": 2, "score": 0.9, "text": "x"}]) == 2
    )
    assert pick_representative([{"id": 1, "score": 0.5, "text": "ab"}, {"id": 2, "score": 0.5, "text": "abc"}]) == 2
    assert pick_representative([{"id": 7, "score": 0.5, "text": "ab"}, {"id": 3, "score": 0.5, "text": "cd"}]) == 3
    assert pick_representative([{"id": "b", "length": 4}, {"id": "a", "length": 4}]) == "a"  # no score: length, id
    missing = [{"id": 1, "score": None, "text": "longest"}, {"id": 2, "score": float("nan"), "text": "longer"}]
    assert pick_representative([*missing, {"id": 3, "score": -5.0, "text": "x"}]) == 3  # any score beats none
    assert pick_representative(missing) == 1


def band_rows(docs: list[dict]) -> pa.Table:
    bands, rows = band_params(CFG.threshold, CFG.num_perm)
    return sketch_band_rows(pa.Table.from_pylist(docs), CFG, bands, rows, "text", "id", "score")


def test_bucket_edges_finds_exact_groups_once_and_verified_near_pairs():
    page = random_page(6)
    words = page.split(" ")
    words[100] = "qqqqqq"  # one edited word: near-duplicate (J ≈ 0.98)
    docs = [
        {"id": 10, "text": page, "score": 0.2},
        {"id": 11, "text": page.replace(" ", "  "), "score": 0.9},  # exact, better score: heads the group
        {"id": 12, "text": " ".join(words), "score": 0.5},
        {"id": 13, "text": random_page(7), "score": 0.5},
    ]
    edges = bucket_edges(band_rows(docs), CFG.threshold).to_pylist()
    exact = [(e["a"], e["b"]) for e in edges if e["kind"] == "exact"]
    near = {frozenset((e["a"], e["b"])) for e in edges if e["kind"] == "near"}
    assert exact == [(11, 10)]  # once, though the pair shares all 12 buckets
    assert near == {frozenset((11, 12))}  # the exact duplicate 10 takes no part in near verification


def test_bucket_edges_verify_candidates_so_band_collisions_do_not_merge():
    bands, rows = band_params(CFG.threshold, CFG.num_perm)
    table = band_rows([{"id": i, "text": random_page(20 + i), "score": 0.0} for i in range(3)])
    # Force all rows into one bucket: a shared band key is only a candidate, the signatures disagree.
    table = table.set_column(table.schema.get_field_index("band_key"), "band_key", pa.array([7] * len(table)))
    assert bucket_edges(table, CFG.threshold).num_rows == 0


def test_bucket_edges_caps_big_buckets_at_the_best_ranked_anchors():
    page = random_page(8)
    docs = []
    for i in range(6):  # six near copies (distinct normalised texts) of one page, all in the same buckets
        words = page.split(" ")
        words[10 + i] = "edit" * (i + 1)
        docs.append({"id": i, "text": " ".join(words), "score": float(i)})
    table = band_rows(docs)
    one_bucket_per_band = pc.cast(table["band"], pa.int64())  # all six share every bucket
    table = table.set_column(table.schema.get_field_index("band_key"), "band_key", one_bucket_per_band)
    edges = bucket_edges(table, CFG.threshold, max_bucket=2).to_pylist()
    near = [e for e in edges if e["kind"] == "near"]
    assert {e["a"] for e in near} <= {5, 4}  # anchors: the two best-scored documents
    forest = UnionFind()
    for e in near:
        forest.union(e["a"], e["b"])
    assert len({forest.find(i) for i in range(6)}) == 1  # still one cluster
    assert max(e["bucket_size"] for e in near) == 6


def test_vectorised_small_buckets_and_the_per_bucket_loop_find_the_same_clusters():
    page, docs = random_page(9), []
    for i in range(12):  # twelve near copies: buckets of up to 12 heads
        words = page.split(" ")
        for w in range(i):
            words[20 + 7 * w] = "x" * (3 + i)
        docs.append({"id": i, "text": " ".join(words), "score": 0.0})
    docs += [{"id": 100 + s, "text": random_page(100 + s), "score": 0.0} for s in range(5)]
    table = band_rows(docs)

    def clusters(edges: pa.Table) -> set[frozenset]:
        forest = UnionFind()
        for e in edges.to_pylist():
            forest.union(e["a"], e["b"])
        return {frozenset(g) for g in forest.groups().values()}

    vectorised, looped = bucket_edges(table, CFG.threshold), bucket_edges(table, CFG.threshold, small=1)
    assert clusters(vectorised) == clusters(looped) and len(clusters(looped)) >= 1
    assert bucket_edges(table.slice(0, 0), CFG.threshold).num_rows == 0
