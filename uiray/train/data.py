"""Training data on Ray Data: read the data stage's sets, split off a held-out set, tokenize, pack.

The driver builds each set once and materializes it in the object store, in a fixed order; every Ray
Train worker then reads the same ordered stream and keeps its own slice of every global batch:

    rows (parquet/jsonl) -> normalised (uiray.data) -> train | held-out (by id hash)
        -> tokenized (map_batches; the tokenizer is loaded once per Ray worker process)
        -> ordered by hash(id, seed) -> packed into seq_len rows (FFD, in buffers of PACK_BUFFER samples)
        -> materialized

Why not `streaming_split`: it hands blocks to whichever worker asks first, so the order a sample is seen
in differs from run to run and an interrupted run cannot be resumed without replaying or skipping
samples. Here batch k of epoch e is the same rows in every run, so a checkpoint only needs (epoch,
batches done) - see uiray/train/loop.py. The price is that every worker reads every packed row (it drops
the others' slices), which is cheap next to the forward pass: packed rows are token ids only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from uiray.config import ConfigError
from uiray.data.split import split_key

log = logging.getLogger("uiray.train")

PACK_BUFFER = 512
"""Samples packed together (first-fit decreasing); bigger buffers pack tighter but delay the stream."""


def read_rows(path: str, kind: str, mode: str = "chat"):
    """Rows of one kind ('sft' or 'pref'; 'text' documents in text mode) from a file or directory in any
    format `uiray data` reads (its outputs included); a ConfigError when there are none."""
    from ray.data.expressions import col

    from uiray.data.reading import read_path

    kind = "text" if mode == "text" else kind
    everything = read_path(path).materialize()
    rows = everything.filter(expr=col("kind") == kind).materialize()
    total, usable = everything.count(), rows.count()
    if usable < total:
        log.warning(f"{path}: {total - usable} of {total} rows are not {kind} rows or cannot be read; training on "
                    f"the other {usable} (`uiray data` writes them aside)")  # fmt: skip
    if usable == 0:
        wanted = {"sft": "SFT rows (messages, prompt/completion, question/response)",
                  "pref": "preference rows (prompt/chosen/rejected)", "text": "`text` documents"}[kind]  # fmt: skip
        raise ConfigError(f"{path} holds no {wanted}; run `uiray data` on it to see how its rows were read")
    return rows


def held_out(ds, fraction: float, seed: int, key: str = "id"):
    """(train, held-out) split by hash: the same rows land on the same side in every run."""
    if fraction <= 0:
        return ds, None
    return (
        ds.filter(lambda r: split_key(r[key], seed) >= fraction),
        ds.filter(lambda r: split_key(r[key], seed) < fraction),
    )


@lru_cache(maxsize=2)
def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def encode_sft(tokenizer_path: str, mode: str, system_prompt: str | None, max_len: int):
    """map_batches function: rows -> input_ids/labels (loss on the reply only in chat mode)."""
    from uiray.train.tokenize import encode_chat, encode_text

    def encode(batch: dict) -> dict:
        tokenizer = load_tokenizer(tokenizer_path)
        out = {"id": [], "input_ids": [], "labels": [], "length": []}
        for i, row_id in enumerate(batch["id"]):
            if mode == "text":
                enc = encode_text(tokenizer, batch["text"][i], max_len)
            else:
                system = _text(batch["system"][i]) or system_prompt
                enc = encode_chat(tokenizer, system, batch["prompt"][i], batch["completion"][i], max_len)
            out["id"].append(row_id)
            out["input_ids"].append(np.asarray(enc["input_ids"], dtype=np.int32))
            out["labels"].append(np.asarray(enc["labels"], dtype=np.int32))
            out["length"].append(enc["length"])
        return out

    return encode


def encode_dpo(tokenizer_path: str, system_prompt: str | None, max_len: int):
    """map_batches function: preference rows -> chosen/rejected input_ids and labels (one shared prompt)."""
    from uiray.train.tokenize import encode_pair

    def encode(batch: dict) -> dict:
        tokenizer = load_tokenizer(tokenizer_path)
        out: dict[str, list] = {"id": []}
        for i, row_id in enumerate(batch["id"]):
            system = _text(batch["system"][i]) or system_prompt
            enc = encode_pair(tokenizer, system, batch["prompt"][i], batch["chosen"][i], batch["rejected"][i], max_len)
            out["id"].append(row_id)
            for name, ids in enc.items():
                out.setdefault(name, []).append(ids if name == "length" else np.asarray(ids, dtype=np.int32))
        return out

    return encode


def _text(value) -> str | None:
    """A text cell or None (an all-None column reaches numpy batches as NaN floats)."""
    return value if isinstance(value, str) and value else None


def fit_to_length(encoded, seq_len: int, policy: str, name: str):
    """Rows encoded longer than seq_len: dropped or kept cut (`train.too_long`), never silently.

    Returns (rows to train on, {"rows", "too_long", "policy"}) and logs how many did not fit."""
    from ray.data.expressions import col

    encoded = encoded.materialize()
    total = encoded.count()
    over = encoded.filter(expr=col("length") > seq_len).count() if total else 0
    if over:
        action = "dropped" if policy == "drop" else "cut to fit (their endings are lost)"
        log.warning(f"{name}: {over} of {total} rows are longer than train.seq_len={seq_len} tokens and were "
                    f"{action} (train.too_long={policy})")  # fmt: skip
    if over and policy == "drop":
        if over == total:
            raise ConfigError(f"{name}: all {total} rows are longer than train.seq_len={seq_len} tokens: raise "
                              f"train.seq_len, or set train.too_long=cut to train on their beginnings")  # fmt: skip
        encoded = encoded.filter(expr=col("length") <= seq_len).materialize()
    return encoded, {"rows": total, "too_long": over, "policy": policy}


def ordered(ds, seed: int):
    """Sort by hash(id, seed): a shuffled order that is the same in every run with this seed."""
    return ds.map(lambda r: {**r, "order": split_key(r["id"], seed + 1)}).sort("order").drop_columns(["order"])


def pack_rows(seq_len: int, packing: bool):
    """map_batches function: encoded samples -> packed rows (or one padded-later row per sample)."""
    from uiray.train.packing import pack

    def to_rows(batch: dict) -> dict:
        samples = [
            {"input_ids": ids.tolist(), "labels": labels.tolist(), "id": row_id}
            for row_id, ids, labels in zip(batch["id"], batch["input_ids"], batch["labels"], strict=True)
        ]
        if packing:
            rows = pack(samples, seq_len)
        else:
            rows = [{**s, "position_ids": list(range(len(s["input_ids"]))), "seq_lens": [len(s["input_ids"])],
                     "ids": [s["id"]]} for s in samples]  # fmt: skip
        return {
            "input_ids": [np.asarray(r["input_ids"], dtype=np.int32) for r in rows],
            "labels": [np.asarray(r["labels"], dtype=np.int32) for r in rows],
            "position_ids": [np.asarray(r["position_ids"], dtype=np.int32) for r in rows],
            "seq_lens": [np.asarray(r["seq_lens"], dtype=np.int32) for r in rows],
            "sample_ids": [list(r["ids"]) for r in rows],
        }

    return to_rows


def global_batches(iterator, global_rows: int, epoch: int, seed: int, skip: int = 0) -> Iterator[list[dict]]:
    """Consecutive global batches of `global_rows` rows from a worker's (unsplit) dataset iterator.

    Rows are shuffled in a local buffer seeded by (seed, epoch), so every epoch has its own order and
    every run the same one. The last incomplete batch is dropped (its rows are counted by the caller).
    `skip` batches are read and thrown away: the resume path.
    """
    buffer = max(4 * global_rows, 64)
    batches = iterator.iter_batches(
        batch_size=global_rows,
        batch_format="numpy",
        drop_last=True,
        local_shuffle_buffer_size=buffer,
        local_shuffle_seed=seed * 1000 + epoch,
    )
    for index, batch in enumerate(batches):
        if index >= skip:
            yield batch_rows(batch)


def batch_rows(batch: dict) -> list[dict]:
    """A numpy batch -> rows of plain Python values (token arrays as lists: torch keeps int32 otherwise)."""
    columns = {k: [v.tolist() if isinstance(v, np.ndarray) else v for v in values] for k, values in batch.items()}
    n = len(next(iter(columns.values())))
    return [{k: values[i] for k, values in columns.items()} for i in range(n)]


def quiet_worker() -> None:
    """uiray's log lines on (the driver's level), Ray Data progress bars off: from every training worker they
    would drown the step lines."""
    import ray.data

    from uiray.logs import setup_logging

    setup_logging()

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.execution_options.preserve_order = True


def rank_slice(rows: list[dict], rank: int, world: int) -> list[dict]:
    """This worker's share of a global batch (contiguous, equal-sized)."""
    per = len(rows) // world
    return rows[rank * per : (rank + 1) * per]


def dataset_shard(name: str):
    """This worker's iterator of dataset `name`, or None when the driver passed no such dataset (no eval set)."""
    import ray.train

    try:
        return ray.train.get_dataset_shard(name)
    except KeyError:
        return None
