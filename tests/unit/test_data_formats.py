"""Format recognition, normalisation and quarantine of corpus rows; answer validation rules."""

import json

import pytest

from uiray.data.formats import normalise_row, parse_line
from uiray.data.pairs import _spread
from uiray.data.perturb import Perturbed
from uiray.data.validate import check_answer

PAGE = "<!DOCTYPE html><html><body><h1>Hi</h1><button onclick='go()'>Go</button></body></html>"
REPLY = f"Here you go:\n```html\n{PAGE}\n```"


@pytest.mark.parametrize(
    ("record", "fmt", "kind", "prompt", "answer"),
    [
        ({"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"},
                       {"role": "assistant", "content": "A"}]}, "messages", "sft", "Q", "A"),
        ({"prompt": "Q", "completion": "A"}, "prompt_completion", "sft", "Q", "A"),
        ({"question": "Q", "response": "A"}, "question_response", "sft", "Q", "A"),
        ({"prompt": "Q", "checklist": [{"text": "t"}], "reference": "<p>r</p>"}, "rl_prompt", "rl", "Q", None),
        ({"messages": [{"role": "user", "content": "Q"}]}, "messages", "rl", "Q", None),
    ],
)  # fmt: skip
def test_formats_are_recognised(record, fmt, kind, prompt, answer):
    row = normalise_row(record, "f.jsonl:1")
    assert (row["format"], row["kind"], row["prompt"], row["completion"], row["quarantine"]) == (
        fmt, kind, prompt, answer, None)  # fmt: skip


def test_preference_rows_accept_text_or_messages_and_win_over_completion():
    row = normalise_row({"prompt": "Q", "completion": "x", "chosen": [{"role": "assistant", "content": "good"}],
                         "rejected": "bad"}, "s")  # fmt: skip
    assert (row["kind"], row["chosen"], row["rejected"]) == ("pref", "good", "bad")


def test_checklists_become_json_text_and_ids_are_stable_and_per_line():
    record = {"prompt": "Q", "completion": "A", "checklist": [{"text": "t"}]}
    a = normalise_row(record, "/data/a.jsonl:1")
    assert json.loads(a["checklist"]) == [{"text": "t"}]
    assert a["id"] == normalise_row(record, "/elsewhere/a.jsonl:1")["id"]  # the corpus moved: same ids
    assert a["id"] != normalise_row(record, "/data/a.jsonl:2")["id"]  # an identical row is still its own row
    assert normalise_row({"id": 7, "prompt": "Q", "completion": "A"}, "s")["id"] == "7"


@pytest.mark.parametrize(
    "record",
    [
        {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]},
        {"prompt": "Q", "completion": "A"},
        {"question": "Q", "response": "A"},
        {"prompt": "Q", "chosen": "A", "rejected": "B"},
        {"prompt": "Q"},
        {"text": "<div>doc</div>"},
    ],
)
def test_missing_optional_columns_stay_missing_in_arrow_blocks(record):
    from uiray.data.formats import rows_table

    row = normalise_row(record, "f.jsonl:1")
    assert row["quarantine"] is None and row["system"] is None and row["checklist"] is None
    table = rows_table([row])
    assert all(str(f.type) == "string" for f in table.schema)  # never a null-typed column (NaN in pandas)
    assert table.column("system").null_count == 1 and table.column("category").null_count == 1


def test_text_rows_and_optional_columns_of_every_format():
    doc = normalise_row({"text": "body { margin: 0 }", "id": "d1"}, "f.jsonl:1")
    assert (doc["format"], doc["kind"], doc["text"], doc["id"]) == ("text", "text", "body { margin: 0 }", "d1")
    full = {"system": "S", "checklist": [{"text": "t"}], "reference": "<p>r</p>", "category": "forms"}
    for record in (
        {"question": "Q", "response": "A"},
        {"prompt": "Q"},
        {"prompt": "Q", "chosen": "a", "rejected": "b"},
    ):
        row = normalise_row({**record, **full}, "f.jsonl:1")
        assert (row["system"], row["reference"], row["category"]) == ("S", "<p>r</p>", "forms"), record


@pytest.mark.parametrize(
    ("checklist", "reason"),
    [(5, "list of items"), ("check it", "list of items"), ([{"weight": 1}], "checklist item 0"),
     ([{"text": "t", "check": {"click": 3}}], "checklist item 0")],
)  # fmt: skip
def test_malformed_checklists_are_quarantined_with_the_problem(checklist, reason):
    row = normalise_row({"prompt": "Q", "completion": "A", "checklist": checklist}, "f.jsonl:4")
    assert row["quarantine"].startswith("prompt_completion: bad checklist") and reason in row["quarantine"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"prompt": "Q", "completion": "\xff\xfe"}', "not valid UTF-8"),
        (b'{"prompt": "Q", "completion": ', "not valid JSON"),
        (b'["a", "b"]', "not a JSON object"),
        (b'{"body": "raw"}', "no known format (keys: body)"),
        (b'{"prompt": "Q", "completion": "   "}', "prompt_completion: empty or non-text completion"),
        (b'{"prompt": "", "chosen": "a", "rejected": "b"}', "preference: empty or non-text prompt"),
    ],
)
def test_bad_rows_are_quarantined_with_their_reason(line, reason):
    row = parse_line(line, "in.jsonl:3")
    assert row["quarantine"].startswith(reason) and row["kind"] == "" and row["source"] == "in.jsonl:3"
    assert row["raw"]  # the original is kept for inspection


def test_answer_rules():
    assert check_answer(REPLY, 100, 64, 16384) == (PAGE, None, 1.0)
    assert check_answer("no page", 100, 64, 16384)[1] == "no page in the answer"
    assert check_answer(REPLY[: REPLY.index("</body>")], 100, 64, 16384)[1].startswith("truncated")
    todo = REPLY.replace("</body>", "<script>// TODO: implement go\n</script></body>")
    assert check_answer(todo, 100, 64, 16384)[1].startswith("placeholder")
    assert check_answer(REPLY, 10, 64, 16384)[1] == "too short (10 < 64 tokens)"
    assert check_answer(REPLY, 20000, 64, 16384)[1] == "too long (20000 > 16384 tokens)"


def test_pairs_spread_over_severities():
    variants = [Perturbed(f"p{s}{i}", s, "") for s in (1, 2, 3) for i in range(2)]
    assert [v.severity for v in _spread(variants, 4)] == [1, 2, 3, 1]
    assert [v.severity for v in _spread(variants, 2, start=2)] == [3, 1]
    assert _spread([], 2) == []
