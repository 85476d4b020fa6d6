"""The embedded corpus: 1,000 generated UI tasks shipped with uiray, so the pipeline runs offline on a fresh machine.

Every row is a user prompt and a complete, working single-file HTML answer, in 20 app categories (forms, timers,
games, canvas dashboards, kanban, calculators, galleries, ...), 9 styles and 14 palettes, with an executable
checklist; 11 % of the rows are planted duplicates (exact and near copies) so that dedup has work to do. It is
the default input of `configs/data.yaml` (`inputs: [embedded]`); real runs point the config at FrontCoder-SFT,
Dojo-style or their own files.

The rows are data, not code: `embedded_corpus.parquet` next to this module, written by the generator in
tools/corpusgen (Jinja2 page templates; `python tools/build_corpus.py` rebuilds the file, `--check` proves the
file is its output, and tests/unit/test_embedded.py does the same in CI). Columns:

    id               "embedded-s<seed>-<index>"
    prompt           the user's request
    completion       a markdown reply: one short sentence, then the page in a ```html fence
    html             the page alone
    category, style, palette
    checklist        3-7 executable items (uiray/page/checklist.py format), stored as a JSON string
    dup_of           id of the row this one was copied from, or null
    dup_kind         "exact", "near" or null
    planted_jaccard  for copies: the Jaccard of the 5-char shingle sets of the page and its original's

A smaller corpus (`embedded_rows=N`) keeps the corpus's share of copies, so a quick run still has duplicates to
find: the first copies in corpus order with their originals, then more originals in corpus order (which covers the
categories, assigned round-robin). Rows come out in corpus order.
"""

from __future__ import annotations

import json
from importlib import resources

EMBEDDED_FILE = "embedded_corpus.parquet"
COLUMNS = ("id", "prompt", "completion", "html", "category", "style", "palette", "checklist", "dup_of", "dup_kind",
           "planted_jaccard")  # fmt: skip


def corpus_table(rows: list[dict]):
    """Rows as the shipped Arrow table (checklists as JSON strings); the generator writes the file with it."""
    import pyarrow as pa

    fields = [pa.field(name, pa.float64() if name == "planted_jaccard" else pa.string()) for name in COLUMNS]
    columns = {name: [row[name] for row in rows] for name in COLUMNS}
    columns["checklist"] = [json.dumps(items, ensure_ascii=False) for items in columns["checklist"]]
    return pa.Table.from_pydict(columns, schema=pa.schema(fields))


def load_embedded(n: int | None = None) -> list[dict]:
    """The shipped rows as dicts (checklists decoded), all of them or `n` chosen as the module docstring says."""
    import pyarrow.parquet as pq

    with resources.as_file(resources.files("uiray.data") / EMBEDDED_FILE) as path:
        rows = pq.read_table(path).to_pylist()
    for row in rows:
        row["checklist"] = json.loads(row["checklist"])
    if n is None or n >= len(rows):
        return rows
    return _subset(rows, n)


def _subset(rows: list[dict], n: int) -> list[dict]:
    copies = [row for row in rows if row["dup_of"] is not None]
    wanted = round(n * len(copies) / len(rows))
    chosen: set[str] = set()
    for copy in copies[:wanted]:
        if len(chosen | {copy["id"], copy["dup_of"]}) > n:
            break
        chosen |= {copy["id"], copy["dup_of"]}
    for row in rows:
        if len(chosen) >= n:
            break
        if row["dup_of"] is None:
            chosen.add(row["id"])
    return [row for row in rows if row["id"] in chosen]
