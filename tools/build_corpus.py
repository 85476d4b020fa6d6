"""Build the embedded corpus that ships with uiray, check it, or write a corpus of another size or seed.

    python tools/build_corpus.py                     # rewrite uiray/data/embedded_corpus.parquet (seed 0)
    python tools/build_corpus.py --check             # exit 1 unless the shipped file is the generator's output
    python tools/build_corpus.py --n 3000 --seed 1 --out corpus.jsonl   # a bigger corpus as a data-stage input

Run it after editing a template or generator module in tools/corpusgen, and commit the parquet file with them.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))  # corpusgen, when run as a script from anywhere

from corpusgen import generate_corpus, write_corpus  # noqa: E402

from uiray.config import EMBEDDED_ROWS  # noqa: E402
from uiray.data.embedded import EMBEDDED_FILE, corpus_table, load_embedded  # noqa: E402

SHIPPED = Path(__file__).resolve().parent.parent / "uiray" / "data" / EMBEDDED_FILE
SHIPPED_SEED = 0


def write_parquet(path: Path, n: int, seed: int) -> Counter:
    """The corpus as a zstd parquet file in the shipped layout; returns the number of rows per category."""
    rows = generate_corpus(n, seed=seed)
    table = corpus_table(rows).replace_schema_metadata({"generator": "tools/corpusgen", "seed": str(seed)})
    pq.write_table(table, path, compression="zstd", compression_level=19)
    return Counter(row["category"] for row in rows)


def shipped_matches_generator() -> bool:
    """Whether the shipped file holds exactly what the generator makes for its seed and size."""
    seed = int(pq.read_schema(SHIPPED).metadata[b"seed"])
    shipped = load_embedded()
    return len(shipped) == EMBEDDED_ROWS and shipped == generate_corpus(len(shipped), seed=seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare the shipped file with the generator's output")
    parser.add_argument("--n", type=int, default=EMBEDDED_ROWS, help="rows to write")
    parser.add_argument("--seed", type=int, default=SHIPPED_SEED, help="same seed, same corpus")
    parser.add_argument("--out", help="a .jsonl or .parquet path (default: the shipped file)")
    args = parser.parse_args(argv)
    if args.check:
        same = shipped_matches_generator()
        print(f"{SHIPPED}: {'matches' if same else 'DIFFERS FROM'} the generator's output")
        return 0 if same else 1
    out = Path(args.out) if args.out else SHIPPED
    if out == SHIPPED and (args.n, args.seed) != (EMBEDDED_ROWS, SHIPPED_SEED):
        parser.error(f"the shipped corpus is {EMBEDDED_ROWS} rows of seed {SHIPPED_SEED}; give --out for another")
    counts = write_corpus(out, args.n, args.seed) if out.suffix == ".jsonl" else write_parquet(out, args.n, args.seed)
    width = max(map(len, counts), default=5)
    for category, number in sorted(counts.items()):
        print(f"{category:<{width}}  {number}")
    print(f"{'total':<{width}}  {sum(counts.values())}  -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
