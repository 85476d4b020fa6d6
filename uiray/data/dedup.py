"""Exact and MinHash-LSH near-duplicate removal on Ray Data, with no global index anywhere.

    result = dedup(ds, DedupConfig(threshold=0.8))   # ds has columns id, text, score
    result.kept, result.duplicates, result.stats

Pipeline (two Ray Data executions; only edges, i.e. id pairs, ever reach the driver):

    ds ──map_batches──▶ per document: id, score, length, hash of the normalised text, MinHash signature,
                        exploded to one row per LSH band with its int64 band key            [parallel, dominant]
       ──materialize, sort("band_key")──▶ every bucket whole in one block (range partitions)
       ──map_batches(bucket_edges)──▶ exact edges (equal hash, band 0 only) and near edges (pairs verified by
                                      estimated Jaccard ≥ threshold, spanning forest per bucket)
    driver: union-find over the edges (O(duplicates), not O(documents)) ─▶ one representative per cluster
    ds ──map_batches(drop table)──▶ kept, duplicates (lazy)

Exact and near dedup share the shuffle: exact duplicates have identical signatures, so they meet in the same
bucket of every band. A separate exact groupby would add a shuffle to save signing a few % of a corpus.

What counts as a duplicate
- Exact: equal after `normalise` (Unicode NFC, whitespace runs collapsed, ends stripped). Case is kept:
  HTML attributes and JavaScript identifiers are case-sensitive, so `onClick` and `onclick` are different pages.
- Near: estimated Jaccard of the 5-char shingle sets (of the normalised text) ≥ threshold. LSH only proposes
  candidates; every candidate pair is verified on the full signatures, so band collisions never merge.
- Clusters are connected components of exact + near edges (so A~B and B~C puts A, B, C together even when A
  and C are below threshold: the usual single-linkage behaviour of LSH dedup).
- Representative: higher score, then longer text, then smaller id (`rank_key`). A dropped document is "exact"
  when its normalised text equals that of a better document, otherwise "near"; `dup_of` is always the final
  representative of its cluster.

Why `sort` + `map_batches(batch_size=None)`, not `groupby().map_groups()`: map_groups is that same sort
plus one Python call per group, and nearly every bucket is a singleton (240k groups for 20k
documents); one call per partition finds the buckets with a vectorised sort instead. Ray Data's `join` needs
polars (not a dependency), hence the broadcast drop table for kept/duplicates.

Scaling (benchmarks/dedup.py prints a 10M-document estimate from its measurements): signatures dominate and
parallelise per block; the band shuffle moves N x bands rows of ~554 B (Ray's task-based sort shuffle, see
uiray/cluster.py; the object store spills to disk past its cap); the driver holds the edges and the
union-find, O(duplicates), never the documents.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uiray.data.minhash import band_key_matrix, band_params, minhash, normalise, text_hash

if TYPE_CHECKING:
    from uiray.config import DedupConfig

MAX_BUCKET = 256
"""A bucket with more members verifies each member against its MAX_BUCKET best members only (see bucket_edges)."""
EXAMPLE_CLUSTERS = 5
"""How many of the largest clusters stats["examples"] lists."""


# ---------------------------------------------------------------- clusters


class UnionFind:
    """Disjoint sets over hashable ids, with path halving and union by size."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}
        self.size: dict[Any, int] = {}

    def find(self, x: Any) -> Any:
        parent = self.parent
        if x not in parent:
            parent[x], self.size[x] = x, 1
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: Any, b: Any) -> bool:
        """Join the sets of a and b; False if they were already one set."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return True

    def groups(self) -> dict[Any, list[Any]]:
        """Root -> members, for every id seen."""
        out: dict[Any, list[Any]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return out


def rank_key(doc_id: Any, score: float | None, length: int) -> tuple:
    """Sort key whose minimum is the representative: higher score, then longer text, then smaller id.

    A missing or NaN score ranks below every real score."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        score = -math.inf
    return (-score, -length, doc_id)


def pick_representative(members: list[dict]) -> Any:
    """Id of the member to keep: each member is {"id", "score" (optional), "text" or "length"}."""
    best = min(
        members,
        key=lambda m: rank_key(m["id"], m.get("score"), m["length"] if "length" in m else len(m["text"])),
    )
    return best["id"]


# ---------------------------------------------------------------- batch functions (run in Ray Data workers)


def sketch_batch(batch: pa.Table, cfg: DedupConfig, text_column: str, id_column: str, score_column: str | None):
    """Per document: id, score (-inf if absent), raw length, 64-bit hash of the normalised text, signature."""
    texts = [t or "" for t in batch[text_column].to_pylist()]
    normalised = [normalise(t) for t in texts]
    hashes = [text_hash(n) for n in normalised]
    signed: dict[int, np.ndarray] = {}  # exact duplicates within a batch are signed once
    for n, h in zip(normalised, hashes, strict=True):
        if h not in signed:
            signed[h] = minhash(n, cfg)
    sigs = np.stack([signed[h] for h in hashes]) if texts else np.zeros((0, cfg.num_perm), np.uint32)
    if score_column and score_column in batch.column_names:
        score = pc.fill_null(pc.cast(batch[score_column], pa.float64()), -math.inf).to_numpy(zero_copy_only=False)
        score = np.where(np.isnan(score), -math.inf, score)
    else:
        score = np.full(len(texts), -math.inf)
    return pa.table(
        {
            "id": batch[id_column],
            "score": score,
            "length": np.array([len(t) for t in texts], dtype=np.int64),
            "hash": np.array(hashes, dtype=np.int64),
            "sig": pa.FixedSizeListArray.from_arrays(pa.array(sigs.ravel(), pa.uint32()), cfg.num_perm),
        }
    )


def _sig_matrix(table: pa.Table) -> np.ndarray:
    column = table["sig"].combine_chunks()
    return column.values.to_numpy().reshape(len(column), column.type.list_size)


def _rank_order(table: pa.Table, group_columns: list[str]) -> np.ndarray:
    """Row order grouping equal `group_columns` values, best-ranked member (see rank_key) first in each group."""
    keys = [(c, "ascending") for c in group_columns]
    keys += [("score", "descending"), ("length", "descending"), ("id", "ascending")]
    return pc.sort_indices(table, sort_keys=keys).to_numpy()


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each run of equal values in a sorted array."""
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.concatenate([[0], change]), np.concatenate([change, [len(sorted_keys)]])


def sketch_band_rows(batch: pa.Table, cfg: DedupConfig, bands: int, rows: int, *columns: str) -> pa.Table:
    """The sketches of a batch of documents, one row per (document, band), with `band` and `band_key`.

    Exact duplicates are exploded too: their identical signatures put them in the same bucket of every band,
    which is where `bucket_edges` finds them, so exact and near dedup share one shuffle."""
    sketch = sketch_batch(batch, cfg, *columns)
    keys = band_key_matrix(_sig_matrix(sketch), bands, rows)
    exploded = sketch.take(pa.array(np.repeat(np.arange(len(sketch)), bands)))
    band = np.tile(np.arange(bands, dtype=np.int16), len(sketch))
    return exploded.append_column("band", pa.array(band)).append_column("band_key", pa.array(keys.ravel()))


def _verified_pairs(sigs: np.ndarray, members: np.ndarray, threshold: float, max_bucket: int, chunk: int = 1024):
    """(i, j) member positions, i < j, i among the first max_bucket, with estimated Jaccard ≥ threshold.

    The comparison is chunked over members so a pathological bucket needs max_bucket x chunk x num_perm bytes.
    """
    anchors = sigs[members[:max_bucket]]
    num_perm = sigs.shape[1]
    found_i, found_j = [], []
    for first in range(0, len(members), chunk):
        block = sigs[members[first : first + chunk]]
        agree = np.count_nonzero(anchors[:, None, :] == block[None, :, :], axis=2) / num_perm
        i, j = np.nonzero(agree >= threshold)
        j = j + first
        found_i.append(i[i < j])
        found_j.append(j[i < j])
    return np.concatenate(found_i), np.concatenate(found_j)


def _edge_table(part: pa.Table, src: np.ndarray, dst: np.ndarray, kind: str, sizes: np.ndarray) -> pa.Table:
    a, b = pa.array(np.asarray(src, np.int64)), pa.array(np.asarray(dst, np.int64))
    ids, score, length = part["id"], part["score"], part["length"]
    return pa.table(
        {
            "a": pc.take(ids, a),
            "a_score": pc.take(score, a),
            "a_length": pc.take(length, a),
            "b": pc.take(ids, b),
            "b_score": pc.take(score, b),
            "b_length": pc.take(length, b),
            "kind": pa.array([kind] * len(a), pa.string()),
            "bucket_size": pa.array(np.asarray(sizes, np.int64)),
        }
    )


def _small_bucket_pairs(sigs, heads, starts, size, threshold):
    """Verified pairs of every bucket holding exactly `size` heads, all at once (no per-bucket Python)."""
    members = heads[starts[:, None] + np.arange(size)]  # (buckets, size) row numbers
    i, j = np.triu_indices(size, 1)
    a, b = members[:, i].ravel(), members[:, j].ravel()
    agree = np.count_nonzero(sigs[a] == sigs[b], axis=1) / sigs.shape[1]
    return a[agree >= threshold], b[agree >= threshold]


def bucket_edges(part: pa.Table, threshold: float, max_bucket: int = MAX_BUCKET, small: int = 8) -> pa.Table:
    """Exact and near edges from one partition of band rows (every bucket lies wholly in one partition).

    Within a bucket, rows with equal normalised hash are one exact group headed by its best-ranked member;
    band 0's buckets emit an edge head -> member for each of the others (every band holds the same groups, one
    band is enough). Only heads take part in near verification, each pair on the full signatures. Buckets of
    up to `small` heads (nearly all) are verified together, vectorised, and emit every verified pair; bigger
    ones are verified one by one and emit a spanning forest of their verified pairs (at most size-1 edges),
    so a 1,000-copy template does not emit 500k pairs.
    Cap rule: in a bucket with more than `max_bucket` heads, every head is compared with the `max_bucket`
    best-ranked heads only; heads similar to none of them are not merged through this bucket (they still are
    through any other band they share). This bounds work per bucket to max_bucket x size.
    """
    order = _rank_order(part, ["band_key", "hash"])  # buckets; exact groups inside; best first inside those
    keys, hashes = part["band_key"].to_numpy()[order], part["hash"].to_numpy()[order]
    is_head = np.ones(len(order), bool)
    is_head[1:] = (keys[1:] != keys[:-1]) | (hashes[1:] != hashes[:-1])
    head_pos = np.maximum.accumulate(np.where(is_head, np.arange(len(order)), 0))
    dup_pos = np.flatnonzero(~is_head & (part["band"].to_numpy()[order] == 0))
    tables = [_edge_table(part, order[head_pos[dup_pos]], order[dup_pos], "exact", np.zeros(len(dup_pos)))]

    sigs, heads = _sig_matrix(part), order[is_head]
    starts, ends = _runs(keys[is_head]) if len(heads) else (np.zeros(0, int), np.zeros(0, int))
    sizes, small = ends - starts, min(small, max_bucket)
    for size in range(2, small + 1):
        a, b = _small_bucket_pairs(sigs, heads, starts[sizes == size], size, threshold)
        tables.append(_edge_table(part, a, b, "near", np.full(len(a), size)))
    src, dst, bucket_size, rank = [], [], [], None
    for start, end in zip(starts[sizes > small], ends[sizes > small], strict=True):
        members = heads[start:end]
        if len(members) > max_bucket:  # rank the heads so that the anchors are the best ones
            rank = _rank_order(part, []).argsort() if rank is None else rank
            members = members[np.argsort(rank[members], kind="stable")]
        forest = UnionFind()
        for i, j in zip(*_verified_pairs(sigs, members, threshold, max_bucket), strict=True):
            if forest.union(int(i), int(j)):
                src.append(members[i]), dst.append(members[j]), bucket_size.append(len(members))
    tables.append(_edge_table(part, src, dst, "near", bucket_size))
    return pa.concat_tables(tables)


def drop_rows(batch: pa.Table, drops: pa.Table, id_column: str) -> pa.Table:
    """The batch's rows whose id is not in `drops` (a broadcast anti-join: the drop table is O(duplicates))."""
    dropped = pc.is_in(batch[id_column], value_set=drops["id"].cast(batch.schema.field(id_column).type))
    return batch.filter(pc.invert(dropped))


def dropped_rows(batch: pa.Table, drops: pa.Table, id_column: str) -> pa.Table:
    """The batch's rows whose id is in `drops`, with their `dup_of` and `dup_kind` (a broadcast inner join)."""
    ids = drops["id"].cast(batch.schema.field(id_column).type)
    where = pc.index_in(batch[id_column], value_set=ids)
    batch = batch.filter(pc.is_valid(where))
    where = pc.drop_null(where)
    return batch.append_column("dup_of", pc.take(drops["dup_of"], where)).append_column(
        "dup_kind", pc.take(drops["dup_kind"], where)
    )


# ---------------------------------------------------------------- the pipeline


@dataclass
class DedupResult:
    kept: Any
    """ray.data.Dataset: the input rows that are their cluster's representative (or in no cluster)."""
    duplicates: Any
    """ray.data.Dataset: the dropped input rows plus `dup_of` (representative id) and `dup_kind` (exact|near)."""
    stats: dict = field(default_factory=dict)
    """input, kept, exact_dropped, near_dropped, clusters, largest_cluster, examples, and LSH details."""


def _collect(ds) -> pa.Table | None:
    """A small dataset's rows on the driver (edges only, never documents)."""
    import ray

    tables = [t for t in ray.get(ds.to_arrow_refs()) if len(t)]
    return pa.concat_tables(tables) if tables else None


def _drop_table(edges: pa.Table | None) -> pa.Table:
    """id, dup_of, dup_kind of every dropped document: clusters are components of exact + near edges.

    An exact duplicate never outranks its group's head, so every cluster's representative is the best-ranked
    near-edge endpoint of its component, or the exact head when the component has no near edge.
    """
    if edges is None:
        empty = pa.array([], pa.int64())
        return pa.table({"id": empty, "dup_of": empty, "dup_kind": pa.array([], pa.string())})
    near = edges.filter(pc.equal(edges["kind"], "near"))
    forest, ranks = UnionFind(), {}
    for side in ("a", "b"):
        columns = (near[side], near[f"{side}_score"], near[f"{side}_length"])
        ranks.update((i, rank_key(i, s, n)) for i, s, n in zip(*(c.to_pylist() for c in columns), strict=True))
    for a, b in zip(near["a"].to_pylist(), near["b"].to_pylist(), strict=True):
        forest.union(a, b)
    representative = {root: min(members, key=ranks.__getitem__) for root, members in forest.groups().items()}

    def rep_of(doc_id):
        return representative[forest.find(doc_id)] if doc_id in forest.parent else doc_id

    ids, dup_of, kinds = [], [], []
    for doc_id in forest.parent:
        if rep_of(doc_id) != doc_id:
            ids.append(doc_id), dup_of.append(rep_of(doc_id)), kinds.append("near")
    exact = edges.filter(pc.equal(edges["kind"], "exact"))
    for head, doc_id in zip(exact["a"].to_pylist(), exact["b"].to_pylist(), strict=True):
        ids.append(doc_id), dup_of.append(rep_of(head)), kinds.append("exact")
    id_type = edges.schema.field("a").type
    kinds = pa.array(kinds, pa.string())
    return pa.table({"id": pa.array(ids, id_type), "dup_of": pa.array(dup_of, id_type), "dup_kind": kinds})


def _stats(n_input: int, drops: pa.Table, edges: pa.Table | None, bands: int, rows: int) -> dict:
    kinds = Counter(drops["dup_kind"].to_pylist())
    members: dict[Any, list] = {}
    for doc_id, rep in zip(drops["id"].to_pylist(), drops["dup_of"].to_pylist(), strict=True):
        members.setdefault(rep, [rep]).append(doc_id)
    largest = sorted(members.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))[:EXAMPLE_CLUSTERS]
    return {
        "input": n_input,
        "kept": n_input - len(drops),
        "exact_dropped": kinds["exact"],
        "near_dropped": kinds["near"],
        "clusters": len(members),
        "largest_cluster": len(largest[0][1]) if largest else 1,
        "examples": [{"representative": rep, "size": len(m), "members": m[:10]} for rep, m in largest],
        "bands": bands,
        "rows_per_band": rows,
        "edges": 0 if edges is None else len(edges),
        "largest_merging_bucket": 0 if edges is None else int(pc.max(edges["bucket_size"]).as_py()),
    }


def dedup(
    ds,
    cfg: DedupConfig,
    text_column: str = "text",
    id_column: str = "id",
    score_column: str | None = "score",
    batch_size: int = 256,
) -> DedupResult:
    """Exact then near-duplicate removal of a Ray dataset; ids must be unique (any orderable type).

    Give `ds` a few blocks per CPU (read_* APIs do; from_arrow/from_pandas of one table do not): the
    signature stage runs one task per block. `ds` is read twice (signatures, then kept/duplicates), so
    materialise it first if it is expensive to recompute. kept/duplicates are lazy datasets.
    """
    started = time.perf_counter()
    bands, rows = band_params(cfg.threshold, cfg.num_perm)
    arrow = {"batch_format": "pyarrow", "zero_copy_batch": True}

    # 1. One parallel pass over the text (the dominant cost): sketches exploded to one row per band. Materialised
    #    so that stats can time the stages apart; streaming it into the shuffle measured the same (the hash
    #    shuffle holds every row until its last input arrives anyway).
    columns = (text_column, id_column, score_column)
    band_rows = ds.map_batches(sketch_band_rows, fn_args=(cfg, bands, rows, *columns), batch_size=batch_size, **arrow)
    band_rows = band_rows.materialize()
    signed = time.perf_counter()
    # 2. Ray Data range-partitions the rows by band key (a sort), so each bucket is whole in one block, where
    #    its exact groups and verified near pairs become edges (Ray's own map_groups relies on the same). Only
    #    the edges reach the driver.
    buckets = band_rows.sort("band_key")
    edges = _collect(buckets.map_batches(bucket_edges, fn_args=(cfg.threshold,), batch_size=None, **arrow))
    grouped = time.perf_counter()
    # 3. Driver: union-find over the edges, one representative per cluster.
    drops = _drop_table(edges)
    stats = _stats(band_rows.count() // bands, drops, edges, bands, rows)
    stats["seconds"] = {
        "signatures": round(signed - started, 2),
        "buckets": round(grouped - signed, 2),
        "union_find": round(time.perf_counter() - grouped, 2),
    }
    # 4. kept / duplicates: the input filtered against the drop table (Ray puts it in the object store once).
    #    Whole blocks per call: pc.is_in builds its hash set of dropped ids once per call.
    kept = ds.map_batches(drop_rows, fn_args=(drops, id_column), batch_size=None, **arrow)
    duplicates = ds.map_batches(dropped_rows, fn_args=(drops, id_column), batch_size=None, **arrow)
    return DedupResult(kept=kept, duplicates=duplicates, stats=stats)
