"""Read the stage's inputs into one Ray Dataset of normalised rows (uiray/data/formats.py).

Inputs are 'embedded' (the built-in corpus), jsonl/json/parquet files, or directories of them, local or
any fsspec URL (s3://, gs://, hf://, ...). jsonl is read as raw bytes and split into lines here, not by
Ray's JSON reader, so that one bad line (invalid UTF-8, broken JSON) is quarantined with its line number
instead of failing the whole file.
"""

from __future__ import annotations

import json

from uiray.config import ConfigError, DataConfig
from uiray.data.formats import normalise_row, parse_line

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")


def read_inputs(cfg: DataConfig):
    parts = []
    for spec in cfg.inputs:
        if spec == "embedded":
            parts.append(_embedded(cfg))
            continue
        parts.append(read_path(spec))
    rows = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return rows.limit(cfg.limit) if cfg.limit else rows


def read_path(spec: str):
    """A jsonl/parquet file or directory (local or fsspec URL) -> Ray Dataset of normalised rows."""
    import ray

    jsonl, parquet = _expand(spec)
    parts = []
    if jsonl:
        parts.append(ray.data.read_binary_files(jsonl, include_paths=True).flat_map(_jsonl_rows))
    if parquet:
        parts.append(ray.data.read_parquet(parquet, include_paths=True).map(_parquet_row))
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def _embedded(cfg: DataConfig):
    import ray

    from uiray.data.corpus import generate_corpus

    corpus = generate_corpus(cfg.embedded_rows, seed=cfg.embedded_seed)
    records = [
        {"record": json.dumps({k: row[k] for k in ("id", "prompt", "completion", "checklist", "category")}),
         "source": f"embedded:{i}"}
        for i, row in enumerate(corpus)
    ]  # fmt: skip
    return ray.data.from_items(records).map(lambda r: normalise_row(json.loads(r["record"]), r["source"]))


def _jsonl_rows(item: dict) -> list[dict]:
    path, data = item["path"], item["bytes"]
    return [parse_line(line, f"{path}:{n}") for n, line in enumerate(data.split(b"\n"), start=1) if line.strip()]


def _parquet_row(record: dict) -> dict:
    source = str(record.pop("path", "parquet"))
    return normalise_row({k: _plain(v) for k, v in record.items()}, source)


def _plain(value):
    """Arrow/numpy values (lists of structs come back as arrays) -> plain Python."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _expand(spec: str) -> tuple[list[str], list[str]]:
    """(jsonl files, parquet files) of a file or directory, local or fsspec."""
    import fsspec

    fs, _, [root] = fsspec.get_fs_token_paths(spec)
    if not fs.exists(root):
        raise ConfigError(f"inputs: {spec} does not exist")
    files = [root] if fs.isfile(root) else sorted(p for p in fs.find(root) if fs.isfile(p))
    protocol = spec.split("://", 1)[0] + "://" if "://" in spec else ""
    named = [protocol + f if protocol and not f.startswith(protocol) else f for f in files]
    jsonl = [f for f in named if f.endswith(JSONL_SUFFIXES)]
    parquet = [f for f in named if f.endswith(PARQUET_SUFFIXES)]
    if not jsonl and not parquet:
        raise ConfigError(f"inputs: no .jsonl/.json/.parquet files in {spec}")
    return jsonl, parquet
