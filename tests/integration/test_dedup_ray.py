"""The dedup pipeline on a real local Ray cluster, on a corpus with planted exact and near duplicates whose
exact shingle Jaccard is known: recall, no false merges, the representative rule, and counts that add up."""

import random
import re
import string

import pyarrow as pa
import pytest

from uiray.config import DedupConfig
from uiray.data.dedup import dedup, pick_representative, rank_key
from uiray.data.minhash import normalise, shingles

pytestmark = pytest.mark.slow
WORD = re.compile(r"[a-z]{3,}")


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(normalise(a), 5), shingles(normalise(b), 5)
    return len(sa & sb) / len(sa | sb)


def page(rng: random.Random, vocabulary: list[str]) -> str:
    sections = "\n".join(
        f'<section class="s{i}"><h2>{rng.choice(vocabulary)}</h2><p>{" ".join(rng.choices(vocabulary, k=15))}</p>'
        f"<button onclick='f{i}()'>{rng.choice(vocabulary)}</button></section>"
        for i in range(rng.randint(8, 14))
    )
    return f"<!DOCTYPE html><html><head><title>{rng.choice(vocabulary)}</title></head><body>{sections}</body></html>"


def edited(text: str, target: float, rng: random.Random) -> tuple[str, float]:
    """Replace words one at a time (random order) while the exact Jaccard stays ≥ target."""
    spans = [m.span() for m in WORD.finditer(text)]
    copy, j = text, 1.0
    for start, end in rng.sample(spans, len(spans)):
        word = "".join(rng.choices(string.ascii_lowercase, k=end - start))
        candidate = copy[:start] + word + copy[end:]  # same length: earlier spans stay valid
        j_candidate = jaccard(text, candidate)
        if j_candidate < target:
            break
        copy, j = candidate, j_candidate
    return copy, j


def planted(families: int, threshold: float, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Each family: an original plus either near copies (J ≥ threshold+0.1), whitespace-only exact copies,
    a distractor (J ≈ threshold-0.15), or nothing. Scores come from {0.1, 0.5, 0.9} so ties happen."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(2000)]
    docs, pairs = [], []

    def add(text):
        docs.append({"id": len(docs), "text": text, "score": rng.choice([0.1, 0.5, 0.9])})
        return len(docs) - 1

    for f in range(families):
        original = page(rng, vocabulary)
        a = add(original)
        if f % 4 == 0:
            for target in (threshold + 0.1, threshold + 0.15):
                copy, j = edited(original, target, rng)
                pairs.append({"a": a, "b": add(copy), "kind": "near", "jaccard": j})
        elif f % 4 == 1:
            variant = "  " + original.replace(" ", rng.choice(["  ", "\t", "\r\n"])) + "\n"
            pairs.append({"a": a, "b": add(variant), "kind": "exact", "jaccard": 1.0})
        elif f % 4 == 2:
            copy, j = edited(original, threshold - 0.15, rng)
            pairs.append({"a": a, "b": add(copy), "kind": "distractor", "jaccard": j})
    rng.shuffle(docs)  # ids stay; the order the pipeline sees is mixed
    return docs, pairs


def run(ray, docs: list[dict], cfg: DedupConfig, **columns):
    table = pa.Table.from_pylist(docs)
    ds = ray.data.from_arrow([table.slice(i, 40) for i in range(0, len(table), 40)])
    result = dedup(ds, cfg, **columns)
    kept = result.kept.take_all()
    duplicates = result.duplicates.take_all()
    return result, kept, duplicates


@pytest.mark.parametrize("threshold", [0.8, 0.7])
def test_planted_duplicates_are_found_without_false_merges(ray_cluster, threshold):
    cfg = DedupConfig(threshold=threshold)
    docs, pairs = planted(80, threshold, seed=int(threshold * 10))
    assert all(p["jaccard"] >= threshold + 0.1 for p in pairs if p["kind"] == "near")
    assert all(p["jaccard"] < threshold - 0.1 for p in pairs if p["kind"] == "distractor")
    result, kept, duplicates = run(ray_cluster, docs, cfg)
    by_id = {d["id"]: d for d in docs}
    rep = {d["id"]: d["id"] for d in kept} | {d["id"]: d["dup_of"] for d in duplicates}

    near = [rep[p["a"]] == rep[p["b"]] for p in pairs if p["kind"] == "near"]
    assert sum(near) / len(near) >= 0.95
    assert all(rep[p["a"]] == rep[p["b"]] for p in pairs if p["kind"] == "exact")
    assert not any(rep[p["a"]] == rep[p["b"]] for p in pairs if p["kind"] == "distractor")
    for dup in duplicates:  # no merge anywhere below threshold - 0.1, planted or not
        assert jaccard(dup["text"], by_id[dup["dup_of"]]["text"]) >= threshold - 0.1

    stats = result.stats
    assert stats["input"] == len(docs) == stats["kept"] + stats["exact_dropped"] + stats["near_dropped"]
    assert len(kept) == stats["kept"] and len(duplicates) == stats["exact_dropped"] + stats["near_dropped"]
    assert sorted(d["id"] for d in kept + duplicates) == sorted(by_id)
    assert stats["exact_dropped"] == sum(p["kind"] == "exact" for p in pairs)
    assert set(duplicates[0]) == {"id", "text", "score", "dup_of", "dup_kind"}


def test_representative_rule_and_duplicate_kinds(ray_cluster):
    cfg = DedupConfig()
    docs, _ = planted(40, cfg.threshold, seed=3)
    _, kept, duplicates = run(ray_cluster, docs, cfg)
    by_id = {d["id"]: d for d in docs}
    kept_ids = {d["id"] for d in kept}
    clusters: dict[int, list[dict]] = {}
    for dup in duplicates:
        assert dup["dup_of"] in kept_ids  # dup_of is a representative, never another duplicate
        clusters.setdefault(dup["dup_of"], [by_id[dup["dup_of"]]]).append(by_id[dup["id"]])
    assert clusters
    for rep, members in clusters.items():
        assert pick_representative(members) == rep
    for dup in duplicates:  # exact: a better-ranked document has the same normalised text
        doc = by_id[dup["id"]]
        better_twin = any(
            normalise(o["text"]) == normalise(doc["text"])
            and rank_key(o["id"], o["score"], len(o["text"])) < rank_key(doc["id"], doc["score"], len(doc["text"]))
            for o in docs
        )
        assert (dup["dup_kind"] == "exact") == better_twin


def test_string_ids_and_no_score_column(ray_cluster):
    text = "<html><body>" + " ".join(f"word{i}" for i in range(200)) + "</body></html>"
    docs = [
        {"id": "b", "text": text},
        {"id": "a", "text": text.replace(" ", "\n")},  # exact, same length: smaller id wins
        {"id": "c", "text": text.replace("word7 ", "word7 extra ")},  # near and longer: represents the cluster
        {"id": "d", "text": "<p>unrelated</p>"},
    ]
    result, kept, duplicates = run(ray_cluster, docs, DedupConfig(), score_column=None)
    assert sorted(d["id"] for d in kept) == ["c", "d"]
    assert {(d["id"], d["dup_of"], d["dup_kind"]) for d in duplicates} == {("a", "c", "near"), ("b", "c", "exact")}
    [example] = result.stats["examples"]
    assert example["representative"] == "c" and sorted(example["members"]) == ["a", "b", "c"]


def test_a_corpus_without_duplicates_is_kept_whole(ray_cluster):
    rng = random.Random(5)
    docs = [{"id": i, "text": f"<p>{''.join(rng.choices(string.ascii_letters, k=400))}</p>"} for i in range(20)]
    result, kept, duplicates = run(ray_cluster, docs, DedupConfig(), score_column=None)
    assert len(kept) == 20 and duplicates == []
    assert result.stats["kept"] == 20 and result.stats["clusters"] == 0
