"""Read the stage's inputs into one Ray Dataset of normalised rows (uiray/data/formats.py).

Inputs are 'embedded' (the built-in corpus), jsonl/json/parquet files, or directories of them (searched
recursively), local or any fsspec URL (s3://, gs://, hf://, ...). Nothing is lost on the way in:

    jsonl / json     read as raw bytes and split into lines here, not by Ray's JSON reader, so that one
                     bad line (invalid UTF-8, broken JSON, over `max_row_mb`) is quarantined with its
                     file and line instead of failing the whole file; a .json file holding one JSON
                     array is read as its items
    parquet          one task per row group, every row numbered (file:row), any schema (a file with
                     unknown columns gives rows of no known format, quarantined like any other)
    unreadable file  (permissions, a dangling link, a corrupt parquet footer) one quarantine row that
                     names the file and the error
    other files      skipped, and listed (`skipped_files` in stats.json)

`plan_inputs` runs on the driver before any Ray work: a missing path or inputs without a single byte of
data are a ConfigError naming them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from uiray.config import ConfigError, DataConfig
from uiray.data.formats import normalise_row, parse_line, quarantined, rows_table

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
MB = 1024 * 1024


@dataclass
class InputFiles:
    """What one or more input specs hold, found on the driver before reading."""

    jsonl: list[str] = field(default_factory=list)
    parquet: list[tuple[str, int, int]] = field(default_factory=list)
    """(file, row group, rows before it in the file)."""
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """(file, why it cannot be read)."""
    skipped: list[str] = field(default_factory=list)
    """Files that are neither jsonl/json nor parquet."""
    data_bytes: int = 0


def plan_inputs(cfg: DataConfig) -> InputFiles:
    """Expand every input spec; ConfigError when a path is missing or there is nothing to read."""
    files = InputFiles()
    for spec in cfg.inputs:
        if spec != "embedded":
            _expand(spec, files)
    if "embedded" not in cfg.inputs and files.data_bytes == 0 and not files.unreadable:
        raise ConfigError(f"inputs: {', '.join(cfg.inputs)} hold no data (every file is empty)")
    return files


def read_inputs(cfg: DataConfig, files: InputFiles | None = None):
    files = files or plan_inputs(cfg)
    parts = [_embedded(cfg)] if "embedded" in cfg.inputs else []
    if files.jsonl or files.parquet or files.unreadable:
        parts.append(read_files(files, cfg.max_row_mb))
    rows = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return rows.limit(cfg.limit) if cfg.limit else rows


def read_path(spec: str, max_row_mb: float = 64.0):
    """A jsonl/parquet file or directory (local or fsspec URL) -> Ray Dataset of normalised rows."""
    files = InputFiles()
    _expand(spec, files)
    return read_files(files, max_row_mb)


def read_files(files: InputFiles, max_row_mb: float):
    import ray

    parts = []
    if files.jsonl:
        jsonl = ray.data.read_binary_files(files.jsonl, include_paths=True)
        parts.append(jsonl.map_batches(_jsonl_rows(max_row_mb), batch_size=1, batch_format="pyarrow"))
    if files.parquet:
        groups = ray.data.from_items([{"path": p, "group": g, "offset": o} for p, g, o in files.parquet])
        parts.append(groups.map_batches(_parquet_rows, batch_size=1, batch_format="pyarrow"))
    if files.unreadable:
        bad = [quarantined(path, path, f"cannot read the file: {why}") for path, why in files.unreadable]
        parts.append(ray.data.from_arrow(rows_table(bad)))
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def _embedded(cfg: DataConfig):
    import ray

    from uiray.data.embedded import load_embedded

    corpus = load_embedded(cfg.embedded_rows)
    records = [
        {"record": json.dumps({k: row[k] for k in ("id", "prompt", "completion", "checklist", "category")}),
         "source": f"embedded:{i}"}
        for i, row in enumerate(corpus)
    ]  # fmt: skip

    def normalise(batch):
        pairs = zip(batch["record"].to_pylist(), batch["source"].to_pylist(), strict=True)
        return rows_table([normalise_row(json.loads(record), source) for record, source in pairs])

    return ray.data.from_items(records).map_batches(normalise, batch_format="pyarrow")


def _jsonl_rows(max_row_mb: float):
    limit = int(max_row_mb * MB)

    def rows(batch):
        path, data = batch["path"][0].as_py(), batch["bytes"][0].as_py()
        if data.lstrip()[:1] == b"[":  # a .json file holding one array of records
            return rows_table(_array_rows(data, path, limit))
        return rows_table([_line_row(line, f"{path}:{n}", limit)
                           for n, line in enumerate(data.split(b"\n"), start=1) if line.strip()])  # fmt: skip

    return rows


def _line_row(line: bytes, source: str, limit: int):
    if len(line) > limit:
        return quarantined(line[:200].decode("utf-8", "replace"), source, _too_big(len(line), limit))
    return parse_line(line, source)


def _array_rows(data: bytes, path: str, limit: int) -> list:
    if len(data) > limit:
        return [quarantined(data[:200].decode("utf-8", "replace"), path, _too_big(len(data), limit))]
    try:
        items = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return [quarantined(data[:1000].decode("utf-8", "replace"), path, f"not a valid JSON array: {e}")]
    return [normalise_row(item, f"{path}:item {n}") for n, item in enumerate(items, start=1)]


def _too_big(size: int, limit: int) -> str:
    return f"row of {size / MB:.1f} MB is over max_row_mb {limit / MB:g} (first 200 bytes kept)"


def _parquet_rows(batch):
    """One row group of one parquet file -> normalised rows, numbered within the file."""
    import fsspec
    import pyarrow.parquet as pq

    path, group, offset = batch["path"][0].as_py(), batch["group"][0].as_py(), batch["offset"][0].as_py()
    with fsspec.open(path, "rb") as f:
        records = pq.ParquetFile(f).read_row_group(group).to_pylist()
    return rows_table([normalise_row(_plain(r), f"{path}:{offset + n}") for n, r in enumerate(records, start=1)])


def _plain(value):
    """Parquet values -> the JSON they were written from. A list of structs holds every key any of its
    items had (None where an item had none): those Nones were absent keys and are dropped again."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    return value


def _expand(spec: str, files: InputFiles) -> None:
    """Add the files of one spec (a file or a directory, searched recursively) to `files`."""
    import fsspec

    fs, _, [root] = fsspec.get_fs_token_paths(spec)
    if not fs.exists(root):
        raise ConfigError(f"inputs: {spec} does not exist")
    found = [root] if not fs.isdir(root) else sorted(fs.find(root, withdirs=False))
    protocol = spec.split("://", 1)[0] + "://" if "://" in spec else ""
    data_files = 0
    for path in found:
        named = protocol + path if protocol and not path.startswith(protocol) else path
        if not named.endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES):
            files.skipped.append(named)
            continue
        data_files += 1
        problem = _unreadable(fs, path)
        if problem:
            files.unreadable.append((named, problem))
        elif named.endswith(JSONL_SUFFIXES):
            files.jsonl.append(named)
            files.data_bytes += fs.size(path)
        else:
            _add_parquet(fs, path, named, files)
    if not data_files:
        raise ConfigError(f"inputs: no .jsonl/.json/.parquet files in {spec}")


def _unreadable(fs, path: str) -> str | None:
    try:
        with fs.open(path, "rb") as f:
            f.read(1)
    except Exception as e:  # noqa: BLE001 - any reason a file cannot be opened is reported, not raised
        return f"{type(e).__name__}: {e}"[:300]
    return None


def _add_parquet(fs, path: str, named: str, files: InputFiles) -> None:
    import pyarrow.parquet as pq

    try:
        with fs.open(path, "rb") as f:
            meta = pq.ParquetFile(f).metadata
    except Exception as e:  # noqa: BLE001 - a corrupt file is quarantined with the reason
        files.unreadable.append((named, f"not a readable parquet file: {type(e).__name__}: {e}"[:300]))
        return
    offset = 0
    for group in range(meta.num_row_groups):
        files.parquet.append((named, group, offset))
        offset += meta.row_group(group).num_rows
    files.data_bytes += fs.size(path)
