"""The whole data stage as users run it: `ray job submit -- python jobs/data.py --config configs/data.yaml`,
on the embedded corpus plus a file of hand-broken and hand-made rows."""

import json
import subprocess
from pathlib import Path

import pandas as pd
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
    (b'{"text": "just some text"}', "no known format"),
    (b'{"question": "a timer", "response": ""}', "question_response: empty or non-text completion"),
]
MADE = [
    {"id": "todo", "prompt": "a timer", "completion": GOOD.replace("</body>", "<!-- TODO: add the timer --></body>")},
    {"id": "cut", "prompt": "a clock", "completion": GOOD[: GOOD.index("</body>")]},
    {"id": "pair", "prompt": "a counter", "chosen": GOOD, "rejected": "no page"},
    {"id": "rl", "prompt": "a kanban board", "checklist": [{"text": "has columns", "check": {"selector": ".col"}}]},
]


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("data")
    inputs = tmp / "mine.jsonl"
    inputs.write_bytes(b"\n".join([line for line, _ in BROKEN] + [json.dumps(r).encode() for r in MADE]) + b"\n")
    out = tmp / "out"
    head = start_head(num_cpus=2, resources='{"render": 2}')
    try:
        job = subprocess.run(
            ["ray", "job", "submit", "--address", head.dashboard, "--working-dir", ".", "--",
             "python", "jobs/data.py", "--config", "configs/data.yaml", "embedded_rows=36",
             f"inputs=[embedded, {inputs}]", f"output_dir={out}", "pairs.per_row=1"],
            cwd=REPO, capture_output=True, text=True, env=head.env, timeout=1500,
        )  # fmt: skip
    finally:
        head.stop()
    assert job.returncode == 0, job.stdout[-4000:] + job.stderr[-2000:]
    return out, json.loads((out / "stats.json").read_text())


def read(out: Path, name: str) -> pd.DataFrame:
    files = sorted((out / name).glob("*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files]) if files else pd.DataFrame()


def test_every_output_is_written_and_counts_add_up(stage):
    out, stats = stage
    assert stats["counts_add_up"] and stats["rows_in"] == 36 + len(BROKEN) + len(MADE)
    assert stats["rows_in"] == stats["kept"] + stats["duplicates"] + stats["filtered"] + stats["quarantined"]
    assert (out / "report.md").read_text().startswith("# uiray data report")
    assert stats["duplicates"] >= 1  # the embedded corpus plants copies
    assert len(read(out, "sft")) > 0 and "rl" in set(read(out, "rl")["id"])


def test_broken_rows_are_quarantined_or_filtered_with_reasons(stage):
    out, _ = stage
    quarantine = read(out, "quarantine")
    for _, reason in BROKEN:
        assert any(q.startswith(reason) for q in quarantine["quarantine"]), (reason, list(quarantine["quarantine"]))
    filtered = read(out, "filtered").set_index("id")["filtered"]
    assert filtered["todo"].startswith("placeholder") and filtered["cut"].startswith("truncated")


def test_every_built_pair_prefers_the_better_scored_answer(stage):
    out, stats = stage
    dpo = read(out, "dpo")
    built = dpo[dpo["pair_source"] != "input"]
    assert len(built) > 0 and (built["chosen_score"] > built["rejected_score"]).all()
    assert set(dpo[dpo["pair_source"] == "input"]["id"]) == {"pair"}
    assert built["perturbation"].notna().all()
