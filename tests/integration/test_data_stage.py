"""The whole data stage as users run it: `ray job submit -- python jobs/data.py --config configs/data.yaml`,
on the embedded corpus, a file of hand-broken and hand-made rows, and a directory of hostile inputs; with
per-category quotas, top_k, an RL fraction and both output formats, every input row is accounted for by id."""

import json
import os
import random
import subprocess
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.ray_head import start_head

pytestmark = [pytest.mark.slow, pytest.mark.browser]
REPO = Path(__file__).resolve().parents[2]
PAGE = """<!DOCTYPE html><html lang="en"><head><title>Counter</title><style>body { font: 16px sans-serif; margin: 2rem }
button { padding: .5rem 1rem; background: #1d4ed8; color: white; border: 0 }</style></head>
<body><h1>Click counter</h1><p>Press the button to count how many times you clicked it today.</p>
<button onclick="n.textContent = +n.textContent + 1">Count a click</button><p id="n">0</p></body></html>"""
GOOD = f"Sure:\n```html\n{PAGE}\n```"
BROKEN = [
    (b'{"prompt": "a timer", "completion": "\xff\xfe broken bytes"}', "not valid UTF-8"),
    (b'{"prompt": "a timer", "completion": ', "not valid JSON"),
    (b'{"body": "just some text"}', "no known format"),
    (b'{"question": "a timer", "response": ""}', "question_response: empty or non-text completion"),
]
MADE = [
    {"id": "todo", "prompt": "a timer", "completion": GOOD.replace("</body>", "<!-- TODO: add the timer --></body>")},
    {"id": "cut", "prompt": "a clock", "completion": GOOD[: GOOD.index("</body>")]},
    {"id": "pair", "prompt": "a counter", "chosen": GOOD, "rejected": "no page"},
    {"id": "rl", "prompt": "a kanban board", "checklist": [{"text": "has columns", "check": {"selector": ".col"}}]},
]


SELECTION = ["selection.min_score=0.6", "selection.per_category=1", "selection.top_k=12", "rl_fraction=0.3",
             "pairs.min_margin=0.05", "output_format=both"]  # fmt: skip


def hostile_inputs(root: Path) -> dict[str, tuple[int, str]]:
    """A directory of what users' corpora hold on a bad day; returns {file: (bad rows, reason it starts with)}.

    Each file also holds good rows where a file can (a good line next to bad ones must survive)."""
    good = json.dumps({"prompt": "a counter that also counts down", "completion": GOOD.replace("Count a", "Add a")})
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "nested" / "deeper" / "good.jsonl").write_text(good + "\n")
    (root / "truncated.jsonl").write_text(good.replace("also", "really") + '\n{"prompt": "a timer", "compl\n')
    (root / "types.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"prompt": 5, "completion": ["not", "text"]}, {"messages": "hello"},
        {"prompt": "a", "chosen": 1, "rejected": "b"}, {"prompt": "a timer", "completion": GOOD, "checklist": 7},
    ]) + "\n")  # fmt: skip
    (root / "utf8.jsonl").write_bytes(b'{"prompt": "caf\xe9", "completion": "x"}\n')
    (root / "garbage.jsonl").write_bytes(random.Random(0).randbytes(4096).replace(b"\n", b"x"))
    (root / "empty.jsonl").write_bytes(b"")
    (root / "big.jsonl").write_text(json.dumps({"prompt": "a huge page", "completion": "x" * (50 * 2**20)}) + "\n")
    pq.write_table(pa.table({"foo": [1, 2], "bar": ["a", "b"]}), root / "unknown.parquet")
    (root / "corrupt.parquet").write_bytes(b"PAR1 this is not a parquet file at all")
    (root / "gone.jsonl").symlink_to(root / "deleted-before-reading.jsonl")
    (root / "notes.txt").write_text("not data: listed as skipped")
    expected = {
        "truncated.jsonl": (1, "not valid JSON"),
        "types.jsonl": (4, ""),
        "utf8.jsonl": (1, "not valid UTF-8"),
        "garbage.jsonl": (1, "not valid"),
        "big.jsonl": (1, "row of 50.0 MB is over max_row_mb 8"),
        "unknown.parquet": (2, "no known format (keys: bar, foo)"),
        "corrupt.parquet": (1, "cannot read the file: not a readable parquet file"),
        "gone.jsonl": (1, "cannot read the file"),
    }
    if os.geteuid() != 0:  # root reads any file whatever its mode
        (root / "locked.jsonl").write_text(good + "\n")
        (root / "locked.jsonl").chmod(0)
        expected["locked.jsonl"] = (1, "cannot read the file")
    return expected


GOOD_HOSTILE_ROWS = 2  # nested/deeper/good.jsonl and the good line of truncated.jsonl


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("data")
    inputs = tmp / "mine.jsonl"
    inputs.write_bytes(b"\n".join([line for line, _ in BROKEN] + [json.dumps(r).encode() for r in MADE]) + b"\n")
    hostile = tmp / "hostile"
    expected = hostile_inputs(hostile)
    out = tmp / "out"
    head = start_head(num_cpus=2, resources='{"render": 2}')
    try:
        job = subprocess.run(
            ["ray", "job", "submit", "--address", head.dashboard, "--working-dir", ".", "--",
             "python", "jobs/data.py", "--config", "configs/data.yaml", "embedded_rows=36",
             f"inputs=[embedded, {inputs}, {hostile}]", f"output_dir={out}", "pairs.per_row=1", *SELECTION],
            cwd=REPO, capture_output=True, text=True, env=head.env, timeout=1500,
        )  # fmt: skip
    finally:
        head.stop()
    assert job.returncode == 0, job.stdout[-4000:] + job.stderr[-2000:]
    return out, json.loads((out / "stats.json").read_text()), expected, hostile


def read(out: Path, name: str) -> pd.DataFrame:
    files = sorted((out / name).glob("*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files]) if files else pd.DataFrame()


def read_jsonl(out: Path, name: str) -> list[dict]:
    return [json.loads(line) for f in sorted((out / name).glob("*.json*")) for line in f.read_text().splitlines()]


def hostile_rows(expected: dict) -> int:
    return sum(n for n, _ in expected.values()) + GOOD_HOSTILE_ROWS


def test_every_output_is_written_and_counts_add_up(stage):
    out, stats, expected, _ = stage
    assert stats["counts_add_up"] and stats["rows_in"] == 36 + len(BROKEN) + len(MADE) + hostile_rows(expected)
    assert stats["rows_in"] == stats["kept"] + stats["duplicates"] + stats["filtered"] + stats["quarantined"]
    assert (out / "report.md").read_text().startswith("# uiray data report")
    assert stats["duplicates"] >= 1  # the embedded corpus plants copies
    assert len(read(out, "sft")) > 0 and "rl" in set(read(out, "rl")["id"])


def test_broken_rows_are_quarantined_or_filtered_with_reasons(stage):
    out, _, _, _ = stage
    quarantine = read(out, "quarantine")
    for _, reason in BROKEN:
        assert any(q.startswith(reason) for q in quarantine["quarantine"]), (reason, list(quarantine["quarantine"]))
    filtered = read(out, "filtered").set_index("id")["filtered"]
    assert filtered["todo"].startswith("placeholder") and filtered["cut"].startswith("truncated")


def test_every_built_pair_prefers_the_better_scored_answer(stage):
    out, stats, _, _ = stage
    dpo = read(out, "dpo")
    built = dpo[dpo["pair_source"] != "input"]
    assert len(built) > 0 and (built["chosen_score"] > built["rejected_score"]).all()
    assert set(dpo[dpo["pair_source"] == "input"]["id"]) == {"pair"}
    assert built["perturbation"].notna().all()


def test_hostile_inputs_lose_nothing_and_name_file_and_line(stage):
    out, stats, expected, hostile = stage
    quarantine = read(out, "quarantine")
    by_file: dict[str, list] = {}
    for source, reason in zip(quarantine["source"], quarantine["quarantine"], strict=True):
        by_file.setdefault(Path(source.rsplit(":", 1)[0]).name, []).append((source, reason))
    for name, (bad, reason) in expected.items():
        found = by_file.get(name, [])
        assert len(found) == bad and all(r.startswith(reason) for _, r in found), (name, found)
        whole_file = reason.startswith("cannot read the file")  # a row per file: the source is the file itself
        assert all(s == str(hostile / name) if whole_file else s.startswith(f"{hostile / name}:") for s, _ in found)
    assert by_file["truncated.jsonl"][0][0].endswith("truncated.jsonl:2")  # the line number of the bad line
    assert {"types.jsonl:4"} == {Path(s).name for s, r in by_file["types.jsonl"] if "bad checklist" in r}
    big = quarantine[quarantine["source"].str.endswith("big.jsonl:1")]
    assert len(big["raw"].iloc[0]) <= 200  # the 50 MB row is not copied into the quarantine
    kept = set(read(out, "sft")["source"]) | set(read(out, "rl")["source"]) | set(read(out, "filtered")["source"])
    kept |= set(read(out, "duplicates")["source"])
    assert f"{hostile}/nested/deeper/good.jsonl:1" in kept and f"{hostile}/truncated.jsonl:1" in kept
    assert stats["skipped_files"] == [f"{hostile}/notes.txt"]


def test_every_input_row_is_accounted_for_by_id(stage):
    from uiray.data.embedded import load_embedded

    out, stats, expected, _ = stage
    sft, rl, dpo = read(out, "sft"), read(out, "rl"), read(out, "dpo")
    sets = {
        "sft": list(sft["id"]), "rl": list(rl["id"]), "input pairs": list(dpo[dpo["pair_source"] == "input"]["id"]),
        "duplicates": list(read(out, "duplicates")["id"]), "filtered": list(read(out, "filtered")["id"]),
        "quarantine": list(read(out, "quarantine")["id"]), "text": list(read(out, "text").get("id", [])),
    }  # fmt: skip
    ids = [i for group in sets.values() for i in group]
    assert len(ids) == len(set(ids)) == stats["rows_in"]  # disjoint, and nothing missing or extra
    assert {r["id"] for r in load_embedded(36)} | {r["id"] for r in MADE} <= set(ids)

    # selection: quotas, top_k, min_score; sft and rl never share a prompt
    selected = sft["category"].tolist() + rl[rl["id"] != "rl"]["category"].tolist()  # "rl": an input RL prompt
    assert len(selected) <= 12 and max(selected.count(c) for c in set(selected)) == 1
    assert (sft["score"] >= 0.6).all() and not set(sft["prompt"]) & set(rl["prompt"])
    assert any(f.startswith("over per_category quota") for f in read(out, "filtered")["filtered"])
    built = dpo[dpo["pair_source"] == "perturbation"]
    assert len(built) > 0 and ((built["chosen_score"] - built["rejected_score"]) >= 0.05).all()

    # output_format=both: the jsonl files hold the same rows as the parquet files
    for name in ("sft", "rl", "dpo", "filtered", "duplicates", "quarantine"):
        as_jsonl = {r["id"]: r for r in read_jsonl(out, name)}
        as_parquet = read(out, name)
        assert set(as_jsonl) == set(as_parquet["id"]), name
        for row in as_parquet.to_dict("records")[:5]:
            assert as_jsonl[row["id"]]["source"] == row["source"], name
