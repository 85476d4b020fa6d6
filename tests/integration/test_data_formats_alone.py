"""A user's own file, alone: every documented format through `uiray data`, and `uiray sft` / `uiray dpo` on
what it wrote and on raw files, through the `uiray` command in one local Ray cluster.

A file of one format alone is the case the embedded corpus hid: a column no row has (no checklist, no system)
and a kind with nothing to score (only pairs, only prompts, only documents). Reading is checked for every
format x {jsonl, parquet} x {optional columns, none}; the whole stage runs once per kind of work it does.
"""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from uiray.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TOPICS = [
    ("a tip calculator", "Tip calculator", "#0f766e", '<input id="bill" type="number" value="40"><button '
     'onclick="out.textContent = (bill.value * 0.15).toFixed(2)">Add 15%</button><p id="out">0.00</p>'),
    ("a dark mode toggle", "Night switch", "#7c2d12", '<button onclick="document.body.classList.toggle(\'dark\')">'
     "Toggle the theme</button><p>Reading is easier at night with less light.</p>"),
    ("a shopping list", "Groceries", "#1e3a8a", '<input id="item" placeholder="Milk"><button onclick="const li = '
     "document.createElement('li'); li.textContent = item.value; list.append(li)\">Add item</button><ul id=\"list\">"
     "<li>Bread</li></ul>"),
    ("a dice roller", "Roll the dice", "#581c87", '<button onclick="face.textContent = 1 + Math.floor(Math.random() '
     '* 6)">Throw one die</button><output id="face">6</output><footer>Six faces, fair odds.</footer>'),
]  # fmt: skip
CHECKLIST = [{"text": "has a button", "check": {"selector": "button"}}, {"text": "looks calm", "weight": 2}]
"""Items with different keys: parquet stores them as one struct type, and must give back each item's own keys."""


def page(title: str, colour: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>body {{ '
            f"font: 16px sans-serif; margin: 2rem; color: {colour} }} button {{ padding: .5rem 1rem; background: "
            f"{colour}; color: white; border: 0 }} .dark {{ background: #111 }}</style></head><body><h1>{title}</h1>"
            f"{body}</body></html>")  # fmt: skip


def reply(i: int) -> str:
    _, title, colour, body = TOPICS[i]
    return f"Here is the page:\n```html\n{page(title, colour, body)}\n```"


def records(fmt: str, optional: bool) -> list[dict]:
    """Rows of one format, with every optional column filled in, or with none of them."""
    rows = []
    for i, (prompt, title, _, _) in enumerate(TOPICS):
        row = {
            "messages": {"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply(i)}]},
            "prompt_completion": {"prompt": prompt, "completion": reply(i)},
            "question_response": {"question": prompt, "response": reply(i)},
            "preference": {"prompt": prompt, "chosen": reply(i), "rejected": f"Sorry, I cannot build {title}."},
            "rl_prompt": {"prompt": prompt},
            "text": {"text": page(*TOPICS[i][1:])},
        }[fmt]
        if optional:
            row.update(id=f"{fmt}-{i}", checklist=CHECKLIST, category="tools", reference=page(*TOPICS[i][1:]))
            if fmt == "messages":
                row["messages"] = [{"role": "system", "content": "Answer with one page."}, *row["messages"]]
            else:
                row["system"] = "Answer with one page."
        rows.append(row)
    return rows


def write(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def table(directory: Path) -> pa.Table:
    """An output set as one Arrow table (the types as written, not as pandas would show them)."""
    files = sorted(directory.glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else pa.table({})


FORMATS = {"messages": "sft", "prompt_completion": "sft", "question_response": "sft", "preference": "pref",
           "rl_prompt": "rl", "text": "text"}  # fmt: skip


def test_every_format_reads_alone_with_missing_values_as_nulls(ray_cluster, tmp_path):
    """Each format x {jsonl, parquet} x {every optional column, none}: 24 files, each its own block(s) of rows."""
    from uiray.data.reading import read_path

    files = {}
    for fmt in FORMATS:
        for suffix in (".jsonl", ".parquet"):
            for optional in (True, False):
                path = tmp_path / f"{fmt}-{'full' if optional else 'bare'}{suffix}"
                files[str(path)] = (fmt, optional, write(path, records(fmt, optional)))
    dataset = read_path(str(tmp_path)).materialize()
    assert set(dataset.schema().types) == {pa.string()}  # every column typed, whichever file a block came from
    rows = dataset.take_all()
    for name, (fmt, optional, path) in files.items():
        mine = [r for r in rows if r["source"].rsplit(":", 1)[0] == name]
        assert sorted(r["source"] for r in mine) == [f"{path}:{n}" for n in range(1, len(TOPICS) + 1)], name
        assert all(r["kind"] == FORMATS[fmt] and r["quarantine"] is None for r in mine), name
        for row in mine:
            for column in ("system", "checklist", "category", "reference"):
                value = row[column]
                assert value is None or isinstance(value, str), (name, column, value)  # never NaN
            if optional:
                assert row["id"].startswith(fmt) and json.loads(row["checklist"]) == CHECKLIST, name
                assert row["category"] == "tools" and (row["system"] == "Answer with one page." or fmt == "text")
            else:
                assert row["system"] is None and row["checklist"] is None and row["category"] is None, name


def data_stage(source: Path, out: Path, *overrides: str) -> dict:
    code = main(["data", f"inputs=[{source}]", f"output_dir={out}", "pairs.per_row=1", "rl_fraction=0",
                 "model.name=smollm2-135m-instruct", *overrides])  # fmt: skip
    stats = json.loads((out / "stats.json").read_text())
    assert code == 0 and stats["counts_add_up"] and stats["rows_in"] == len(TOPICS), stats
    return stats


def train(stage: str, model_dir, data: Path, out: Path, *overrides: str) -> dict:
    settings = [f"model.name={model_dir}", "model.dtype=float32", f"train_data={data}", f"output_dir={out}",
                "wandb.mode=disabled", "scaling.num_workers=1", "train.micro_batch_size=1", "train.grad_accum=1",
                "train.max_steps=1", "train.gradient_checkpointing=false", "train.seq_len=2048", "eval_fraction=0",
                "eval.generations=0", "eval.render=false", "checkpoint.every=100"]  # fmt: skip
    assert main([stage, *settings, *overrides]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["total_steps"] == 1 and (out / "final" / "adapter_config.json").is_file()
    return summary


def test_chat_rows_without_optional_columns_are_scored_paired_and_trained_on(ray_cluster, tiny_model_dir, tmp_path):
    """The crash users met first: chat `messages` without checklist or system stopped in browser scoring."""
    stats = data_stage(write(tmp_path / "mine.jsonl", records("messages", optional=False)), tmp_path / "data")
    sft = table(tmp_path / "data" / "sft")
    assert stats["outputs"]["sft"] == sft.num_rows == len(TOPICS) and stats["outputs"]["dpo"] >= 1
    assert sft.schema.field("system").type == pa.string() and sft.column("system").null_count == len(TOPICS)
    assert sft.schema.field("checklist").type == pa.string() and sft.column("checklist").null_count == len(TOPICS)
    assert all(0 < s <= 1 for s in sft.column("score").to_pylist())
    dpo = table(tmp_path / "data" / "dpo")
    assert set(dpo.column("pair_source").to_pylist()) == {"perturbation"} and dpo.column("system").null_count == len(
        dpo
    )

    # SFT on what the stage wrote; its held-out set is a raw question/response parquet file with every column
    held = write(tmp_path / "held.parquet", records("question_response", optional=True))
    summary = train("sft", tiny_model_dir, tmp_path / "data" / "sft", tmp_path / "sft", f"eval_data={held}")
    assert summary["lengths"]["train"] == {"rows": len(TOPICS), "too_long": 0, "policy": "drop"}
    assert summary["lengths"]["eval"]["rows"] == len(TOPICS)


def test_preference_rows_alone_pass_through_and_train_dpo(ray_cluster, tiny_model_dir, tmp_path):
    """Pairs only (nothing to score) stopped in pairing; now they pass through to dpo/ and train DPO, and a raw
    pair file is read as DPO data as it is."""
    stats = data_stage(write(tmp_path / "pairs.parquet", records("preference", optional=False)), tmp_path / "data")
    dpo = table(tmp_path / "data" / "dpo")
    assert stats["outputs"] == {**dict.fromkeys(stats["outputs"], 0), "dpo": len(TOPICS)}
    assert set(dpo.column("pair_source").to_pylist()) == {"input"} and dpo.column("chosen_score").null_count == 4
    raw = write(tmp_path / "raw.jsonl", records("preference", optional=True))
    summary = train("dpo", tiny_model_dir, tmp_path / "data" / "dpo", tmp_path / "dpo", f"eval_data={raw}")
    assert summary["lengths"]["train"]["rows"] == summary["lengths"]["eval"]["rows"] == len(TOPICS)


def test_rl_prompts_alone_become_the_rl_set(ray_cluster, tmp_path):
    stats = data_stage(write(tmp_path / "prompts.jsonl", records("rl_prompt", optional=False)), tmp_path / "data")
    rl = table(tmp_path / "data" / "rl")
    assert stats["outputs"] == {**dict.fromkeys(stats["outputs"], 0), "rl": len(TOPICS)}
    assert sorted(rl.column("prompt").to_pylist()) == sorted(t[0] for t in TOPICS)
    assert rl.column("checklist").null_count == rl.column("reference").null_count == len(TOPICS)


def test_text_documents_alone_feed_continued_pretraining(ray_cluster, tiny_model_dir, tmp_path):
    stats = data_stage(write(tmp_path / "code.parquet", records("text", optional=True)), tmp_path / "data")
    text = table(tmp_path / "data" / "text")
    assert stats["outputs"]["text"] == text.num_rows == len(TOPICS) and text.schema.names == ["id", "text", "source"]
    summary = train("sft", tiny_model_dir, tmp_path / "data" / "text", tmp_path / "cpt", "mode=text")
    assert summary["lengths"]["train"]["rows"] == len(TOPICS)
