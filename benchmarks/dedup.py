"""Near-dedup docs/s: the Ray Data pipeline vs a single-process datasketch MinHashLSH loop, same documents.

    python benchmarks/dedup.py [--docs 20000] [--threshold 0.8] [--cpus 2]

The corpus is random HTML-like pages of 4k-6.5k characters (the embedded corpus's pages average ~5k) with
planted families: exact copies (whitespace changes only), near copies edited to a known Jaccard above the
threshold, and distractors edited to threshold - 0.15. Both sides use the same `signature`, the same band
parameters, the same verification (estimated Jaccard ≥ threshold) and the same representative rule, so they
must find the same clusters; the script prints their agreement, both rates, the ratio, the planted-pair
recall and where the pipeline's time went. The baseline signs exact-duplicate heads only (a dict groups
exact copies first); the pipeline signs every document. The Ray side is timed after a 200-document warm-up
run (worker processes started, modules imported), as a long job would amortise them; the clock covers
`dedup()` up to its stats (clusters decided), like the baseline's; materialising kept/duplicates is timed
separately. The machine is shared: the load average is printed with the numbers.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import string
import time

from datasketch import MinHash, MinHashLSH

from uiray.config import DedupConfig
from uiray.data.dedup import UnionFind, rank_key
from uiray.data.minhash import MINHASH_SEED, band_params, estimated_jaccard, normalise, shingles, signature, text_hash

WORD = re.compile(r"[a-z]{3,}")
TAGS = ["section", "article", "div", "aside", "nav", "footer"]


def random_word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))


def random_page(rng: random.Random, vocabulary: list[str], min_chars: int = 4000, max_chars: int = 6500) -> str:
    """An HTML-like page: shared boilerplate (as real pages have) around text drawn from a common vocabulary."""
    target = rng.randint(min_chars, max_chars)
    title = " ".join(rng.choices(vocabulary, k=3))
    parts = [f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"]
    i = 0
    while sum(map(len, parts)) < target:
        words = " ".join(rng.choices(vocabulary, k=rng.randint(8, 20)))
        tag = rng.choice(TAGS)
        parts.append(
            f'<{tag} class="c{i}"><h2>{rng.choice(vocabulary)}</h2><p>{words}</p>'
            f'<button onclick="f{i}()">{rng.choice(vocabulary)}</button></{tag}>'
        )
        i += 1
    parts.append("</body></html>")
    return "\n".join(parts)


def jaccard(a: str, b: str, k: int) -> float:
    sa, sb = shingles(normalise(a), k), shingles(normalise(b), k)
    return len(sa & sb) / len(sa | sb)


def edited_copy(text: str, target: float, k: int, rng: random.Random) -> tuple[str, float]:
    """A copy with words replaced by fresh random ones until its exact shingle Jaccard is just above target."""
    spans = [m.span() for m in WORD.finditer(text)]
    rng.shuffle(spans)
    replacements = [random_word(rng) for _ in spans]

    def with_edits(m: int) -> str:
        chosen = sorted(zip(spans[:m], replacements[:m], strict=True), reverse=True)
        out = text
        for (start, end), word in chosen:
            out = out[:start] + word + out[end:]
        return out

    # Each edit of a word of length L replaces about L + k - 1 shingles; J = (n - d) / (n + d).
    n = len(shingles(normalise(text), k))
    needed = n * (1 - target) / (1 + target)
    m = max(1, round(needed / (6 + k - 1)))
    copy, j = with_edits(m), jaccard(text, with_edits(m), k)
    while j > target and m < len(spans):  # too similar: edit more
        m += 1
        copy, j = with_edits(m), jaccard(text, with_edits(m), k)
    while j < target and m > 1:  # overshot: edit less
        m -= 1
        copy, j = with_edits(m), jaccard(text, with_edits(m), k)
    return copy, j


def exact_variant(text: str, rng: random.Random) -> str:
    """Same text after normalise: only existing whitespace changes (indentation, CRLF, padding)."""
    pieces = text.split(" ")
    spaced = "".join(p + rng.choice([" ", "  ", "\n\t", " \r\n "]) for p in pieces[:-1]) + pieces[-1]
    return "\n  " + spaced.replace("\n", "\r\n") + "  \n"


def planted_corpus(n: int, threshold: float, k: int = 5, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """n documents {id, text, score} and the planted pairs {a, b, kind: exact|near|distractor, jaccard}."""
    rng = random.Random(seed)
    vocabulary = [random_word(rng) for _ in range(3000)]
    docs, pairs = [], []

    def add(text: str) -> int:
        docs.append({"id": len(docs), "text": text, "score": round(rng.random(), 1)})
        return len(docs) - 1

    while len(docs) < n:
        original = random_page(rng, vocabulary)
        a = add(original)
        family = rng.random()
        if family < 0.2:
            for _ in range(rng.randint(1, 3)):
                copy, j = edited_copy(original, min(0.97, threshold + rng.choice([0.1, 0.15])), k, rng)
                pairs.append({"a": a, "b": add(copy), "kind": "near", "jaccard": j})
        elif family < 0.3:
            for _ in range(rng.randint(1, 2)):
                pairs.append({"a": a, "b": add(exact_variant(original, rng)), "kind": "exact", "jaccard": 1.0})
        elif family < 0.4:
            copy, j = edited_copy(original, threshold - 0.15, k, rng)
            pairs.append({"a": a, "b": add(copy), "kind": "distractor", "jaccard": j})
    return docs[:n], [p for p in pairs if p["b"] < n]


def doc_rank(doc: dict) -> tuple:
    return rank_key(doc["id"], doc["score"], len(doc["text"]))


def baseline_clusters(docs: list[dict], cfg: DedupConfig) -> dict:
    """doc id -> representative id, single process: exact dict, then a MinHashLSH query+insert loop."""
    groups: dict[int, list[dict]] = {}
    for doc in docs:
        groups.setdefault(text_hash(normalise(doc["text"])), []).append(doc)
    heads, exact_of = [], {}
    for members in groups.values():
        head = min(members, key=doc_rank)
        heads.append(head)
        exact_of.update((m["id"], head["id"]) for m in members if m is not head)
    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm, params=band_params(cfg.threshold, cfg.num_perm))
    sigs, forest = {}, UnionFind()
    for doc in heads:
        sig = signature(doc["text"], cfg)
        minhash = MinHash(seed=MINHASH_SEED, hashvalues=sig, scheme="affine32")
        for other in lsh.query(minhash):
            if estimated_jaccard(sig, sigs[other]) >= cfg.threshold:
                forest.union(doc["id"], other)
        lsh.insert(doc["id"], minhash)
        sigs[doc["id"]] = sig
    by_id = {d["id"]: d for d in docs}
    rep = {}
    for members in forest.groups().values():
        best = min(members, key=lambda i: doc_rank(by_id[i]))
        rep.update((m, best) for m in members)
    clusters = {d["id"]: d["id"] for d in docs}
    for doc_id, head in exact_of.items():
        clusters[doc_id] = rep.get(head, head)
    clusters.update(rep)
    return clusters


def pipeline_clusters(result) -> dict:
    """doc id -> representative id from a DedupResult's duplicates (everything else is its own)."""
    rows = result.duplicates.select_columns(["id", "dup_of"]).take_all()
    return {r["id"]: r["dup_of"] for r in rows}


def agreement(a: dict, b: dict, ids: list) -> float:
    return sum(a.get(i, i) == b.get(i, i) for i in ids) / len(ids)


def planted_report(clusters: dict, pairs: list[dict], threshold: float) -> str:
    def together(p):
        return clusters.get(p["a"], p["a"]) == clusters.get(p["b"], p["b"])

    near = [together(p) for p in pairs if p["kind"] == "near"]
    exact = [together(p) for p in pairs if p["kind"] == "exact"]
    false = sum(together(p) for p in pairs if p["jaccard"] < threshold - 0.1)
    return (
        f"planted near recall {sum(near) / max(1, len(near)):.4f} ({len(near)} pairs), exact recall "
        f"{sum(exact) / max(1, len(exact)):.4f} ({len(exact)}), merged below threshold-0.1: {false}"
    )


def scaling_estimate(per_doc_ms: float, stats: dict, num_perm: int, n: int = 10_000_000) -> str:
    """A 10M-document estimate from this run's measurements (the assumptions are printed with it)."""
    row_bytes = 5 * 8 + 2 + 4 * num_perm  # band_key, id, score, length, hash; band; uint32 signature
    shuffle_gb = n * stats["bands"] * row_bytes / 1e9
    core_hours = n * per_doc_ms / 1e3 / 3600
    edges = n * stats["edges"] / stats["input"]
    dropped = n * (stats["exact_dropped"] + stats["near_dropped"]) / stats["input"]
    return "\n".join(
        [
            f"Scaling estimate for {n / 1e6:.0f}M documents like these (this corpus: "
            f"{(stats['exact_dropped'] + stats['near_dropped']) / stats['input']:.0%} duplicates):",
            f"- signatures: {per_doc_ms:.2f} ms/doc/core measured -> {core_hours:.1f} core-hours: "
            f"{core_hours * 60 / 64:.0f} min on 64 cores, {core_hours * 60 / 256:.0f} min on 256 (linear: one task "
            "per block, no coordination)",
            f"- band shuffle: N x {stats['bands']} bands x {row_bytes} B = {shuffle_gb:.0f} GB through the object "
            "store (disk-based hash shuffle past its size; or shuffle (key, id) only and re-join signatures for "
            f"non-singleton buckets: {n * stats['bands'] * 16 / 1e9:.1f} GB)",
            f"- edges to the driver: {stats['edges'] / stats['input']:.2f} per doc -> {edges / 1e6:.0f}M pairs, "
            f"~{edges * 65 / 1e9:.1f} GB of Arrow",
            f"- driver union-find: ~{dropped / 1e6:.1f}M dropped documents, ~200 B per node -> "
            f"~{2 * dropped * 200 / 1e9:.1f} GB peak (distributed connected components beyond ~50M)",
            f"- fixed Ray overhead measured here (bucket stage at {stats['input']} docs: "
            f"{stats['seconds']['buckets']} s) is amortised: it grows with the shuffle volume, not per document",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--cpus", type=int, default=os.cpu_count())
    parser.add_argument("--default-workers", action="store_true", help="Ray's default idle-worker killing")
    args = parser.parse_args()
    cfg = DedupConfig(threshold=args.threshold)

    docs, pairs = planted_corpus(args.docs, cfg.threshold, cfg.shingle_chars)
    chars = sum(len(d["text"]) for d in docs) / len(docs)
    print(
        f"{len(docs)} documents, {chars:.0f} chars on average, {len(pairs)} planted pairs, bands x rows = "
        f"{band_params(cfg.threshold, cfg.num_perm)}"
    )

    started = time.perf_counter()
    sample = docs[:200]
    for doc in sample:
        signature(doc["text"], cfg)
    per_doc_ms = (time.perf_counter() - started) / len(sample) * 1e3
    print(f"signature: {per_doc_ms:.2f} ms per document (single core)")

    started = time.perf_counter()
    base = baseline_clusters(docs, cfg)
    base_s = time.perf_counter() - started
    print(f"baseline (1 process, MinHashLSH): {base_s:.1f} s, {len(docs) / base_s:.0f} docs/s")

    import pyarrow as pa
    import ray

    from uiray.data.dedup import dedup

    # A fresh local cluster of exactly --cpus CPUs even when someone's `ray start` cluster runs on this machine
    # (init_ray would join it); no dashboard, whose agents would take CPU from a 2-core measurement. Idle worker
    # processes are kept, as on a batch cluster: Ray's default kills those above num_cpus after 1 s, and the
    # shuffle's aggregator actors then re-spawn them (~1 CPU-second each on 2 cores): measured ~3 s per dedup.
    keep_workers = {} if args.default_workers else {"idle_worker_killing_time_threshold_ms": 600_000}
    ray.init(
        address="local",
        num_cpus=args.cpus,
        object_store_memory=2 * 1024**3,
        include_dashboard=False,
        _system_config={**keep_workers, "num_workers_soft_limit": 4 * args.cpus} if keep_workers else None,
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    table = pa.Table.from_pylist(docs)
    step = -(-len(table) // (4 * args.cpus))  # 4 blocks per CPU: even waves, small tail
    ds = ray.data.from_arrow([table.slice(i, step) for i in range(0, len(table), step)]).materialize()
    warm_up = ray.data.from_items(docs[:200], override_num_blocks=4 * args.cpus)
    dedup(warm_up, cfg)  # every worker process starts and imports once, as in a long job
    started = time.perf_counter()
    result = dedup(ds, cfg)
    ray_s = time.perf_counter() - started
    print(f"ray data ({args.cpus} CPUs): {ray_s:.1f} s, {len(docs) / ray_s:.0f} docs/s")
    print(f"  stage seconds: {result.stats['seconds']}")
    started = time.perf_counter()
    kept = result.kept.count()
    ours = pipeline_clusters(result)
    print(f"  then kept ({kept}) + duplicates ({len(ours)}) datasets: {time.perf_counter() - started:.1f} s")
    ray.shutdown()

    ids = [d["id"] for d in docs]
    stats = {k: v for k, v in result.stats.items() if k != "examples"}
    print(f"stats: {stats}")
    identical = base == {**{i: i for i in ids}, **ours}
    print(f"cluster agreement (same representative): {agreement(base, ours, ids):.4f}, identical: {identical}")
    print(f"baseline: {planted_report(base, pairs, cfg.threshold)}")
    print(f"ray data: {planted_report(ours, pairs, cfg.threshold)}")
    print(f"speed-up: {base_s / ray_s:.2f}x on {args.cpus} CPUs; load average now {os.getloadavg()}")
    print(scaling_estimate(per_doc_ms, result.stats, cfg.num_perm))


if __name__ == "__main__":
    main()
