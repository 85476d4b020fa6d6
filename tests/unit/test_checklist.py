"""Checklist format, S_chk arithmetic and judge-answer parsing (no browser, no endpoint)."""

import json

import pytest

from uiray.page.checklist import ChecklistError, executable_checks, load_checklist, parse_check
from uiray.reward.checklist import checklist_score, judge_prompt, parse_scores

COUNTER_CHECKLIST = [
    "The page has a clear title",
    {"id": "button", "text": "There is a +1 button", "check": {"selector": "button", "min_count": 1}},
    {"text": "The count starts at 0", "check": {"selector": "#n", "text": "0", "exact": True}},
    {
        "id": "inc",
        "text": "Clicking +1 increases the count",
        "weight": 2,
        "check": {"click": "#inc", "expect": {"selector": "#n", "text": "1", "exact": True}},
    },
    {"text": "The design looks polished"},
]


def test_items_load_from_a_list_an_items_object_a_file_and_json_text(tmp_path):
    items = load_checklist(COUNTER_CHECKLIST)
    assert [item.text for item in items][:2] == ["The page has a clear title", "There is a +1 button"]
    assert items[0].check is None and items[0].weight == 1.0
    assert items[3].id == "inc" and items[3].weight == 2.0
    path = tmp_path / "checklist.json"
    path.write_text(json.dumps({"items": COUNTER_CHECKLIST}))
    assert load_checklist(path) == items
    assert load_checklist(str(path)) == items
    assert load_checklist(json.dumps(COUNTER_CHECKLIST)) == items
    assert load_checklist(items) == items  # already loaded


def test_short_forms_become_steps_and_expectations():
    condition = parse_check({"selector": "nav a", "min_count": 3})
    assert condition.steps == [] and condition.expect[0].selector == "nav a"
    assert condition.expect[0].bounds() == (3, None)
    one_step = parse_check({"press": "#q", "expect": {"text": "found"}})
    assert one_step.steps[0].action == "press" and one_step.steps[0].value is None
    many = parse_check(
        {"steps": [{"fill": "#q", "value": "milk"}, {"wait_ms": 100}], "expect": [{"text": "milk"}, {"text": "1"}]}
    )
    assert [s.action for s in many.steps] == ["fill", "wait_ms"] and len(many.expect) == 2
    assert parse_check({"selector": "li", "count": 2}).expect[0].bounds() == (2, 2)


def test_executable_checks_keep_the_item_index_and_round_trip():
    items = load_checklist(COUNTER_CHECKLIST)
    checks = executable_checks(items)
    assert [c["index"] for c in checks] == [1, 2, 3]
    assert checks[2]["steps"] == [{"click": "#inc"}]
    for check in checks:
        assert parse_check({k: v for k, v in check.items() if k != "index"}) == items[check["index"]].check


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (["ok", {"text": "x", "chek": {}}], "checklist item 1: chek: unknown field"),
        ([{"text": ""}], "checklist item 0: text: String should have at least 1 character"),
        ([{"check": {"selector": "a"}}], "checklist item 0: text: Field required"),
        ([{"text": "x", "weight": 0}], "checklist item 0: weight: Input should be greater than 0"),
        (["a", "b", {"id": "n", "text": "x", "check": {"selector": "a", "min_count": -1}}], "item 2 ('n'): check"),
        ([{"text": "x", "check": {"selector": "a", "min_count": -1}}], "check.expect.0.min_count: Input should be"),
        ([{"text": "x", "check": {"visible": True}}], "check.expect.0: a condition needs a selector or a text"),
        ([{"text": "x", "check": {"selector": "a", "count": 1, "min_count": 1}}], "give count, or min_count"),
        ([{"text": "x", "check": {"selector": "a", "min_count": 3, "max_count": 1}}], "min_count 3 > max_count 1"),
        ([{"text": "x", "check": {"text": "a", "attribute": "href"}}], "attribute needs a selector"),
        ([{"text": "x", "check": {"click": "#b"}}], "check.expect: Field required"),
        ([{"text": "x", "check": {"fill": "#b", "expect": {"text": "a"}}}], "check.steps.0: fill needs a value"),
        ([{"text": "x", "check": {"steps": [{"click": "a", "press": "b"}], "expect": {"text": "a"}}}], "exactly one"),
        ([{"text": "x", "check": {"steps": [{"wait_ms": 60000}], "expect": {"text": "a"}}}], "wait_ms: Input should"),
        ([{"text": "x", "check": {"click": "a", "steps": [], "expect": {"text": "a"}}}], "not both"),
        ([3], "checklist item 0: must be a string or an object, got int"),
        ({"things": []}, 'must be {"items": [...]}'),
        ("[1, 2", "not valid JSON"),
    ],
)
def test_bad_items_name_the_index_and_field(raw, message):
    with pytest.raises(ChecklistError) as info:
        load_checklist(raw)
    assert message in str(info.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ChecklistError, match="not found"):
        load_checklist(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(ChecklistError, match="bad.json: not valid JSON"):
        load_checklist(tmp_path / "bad.json")


def test_score_mixes_checks_and_judge_by_hand():
    items = load_checklist(COUNTER_CHECKLIST)
    checks = [
        {"index": 1, "passed": True, "detail": "ok"},
        {"index": 2, "passed": False, "detail": "failed: 0 of 1"},
        {"index": 3, "passed": True, "detail": "ok"},
    ]
    # The judge's 1.0 for item 3 is ignored: an executable item is scored by its check.
    score, detail = checklist_score(items, checks, [3.0, None, None, 1.0, 4.0])
    # weights 1, 1, 1, 2, 1 and scores 3, 5, 0, 5, 4: (3 + 5 + 0 + 10 + 4) / (5 * 6) = 22 / 30
    assert score == pytest.approx(22 / 30)
    assert [d["source"] for d in detail] == ["judge", "check", "check", "check", "judge"]
    assert [d["score"] for d in detail] == [3.0, 5.0, 0.0, 5.0, 4.0]
    assert detail[2]["detail"] == "failed: 0 of 1" and detail[3]["id"] == "inc"


def test_judge_off_leaves_judge_items_out():
    items = load_checklist(COUNTER_CHECKLIST)
    checks = [{"index": i, "passed": i != 2, "detail": ""} for i in (1, 2, 3)]
    score, detail = checklist_score(items, checks, None)
    assert score == pytest.approx((5 + 0 + 10) / (5 * 4))  # items 1, 2, 3 with weights 1, 1, 2
    assert detail[0]["source"] is None and detail[0]["score"] is None
    assert "not judged" in detail[4]["detail"]


def test_nothing_scored_is_none():
    items = load_checklist(COUNTER_CHECKLIST)
    score, detail = checklist_score(items, None, None)  # render failed, judge off
    assert score is None and all(d["score"] is None for d in detail)
    assert checklist_score(items, None, [None] * 5)[0] is None  # the judge gave up
    assert checklist_score([], [], None) == (None, [])


def test_frontcoder_twenty_items_by_hand():
    items = load_checklist([f"item {i}" for i in range(20)])
    judged = [5.0] * 10 + [3.0] * 5 + [0.0] * 5  # 50 + 15 + 0 = 65 of 100
    assert checklist_score(items, None, judged)[0] == pytest.approx(0.65)


def test_score_rejects_misaligned_or_out_of_range_judge_scores():
    items = load_checklist(["a", "b"])
    with pytest.raises(ValueError, match="1 judge scores for 2"):
        checklist_score(items, None, [3.0])
    with pytest.raises(ValueError, match="outside"):
        checklist_score(items, None, [3.0, 7.0])


@pytest.mark.parametrize(
    "answer",
    [
        '{"scores": [4, 0, 2.5]}',
        'Here you go:\n```json\n{"scores": [4, 0, 2.5]}\n```',
        "[4, 0, 2.5]",
        '{"1": 4, "2": 0, "3": 2.5}',
        '{"item 1": {"score": 4}, "item 2": {"score": 0}, "item 3": {"score": "2.5"}}',
        '[{"item": 3, "score": 2.5}, {"item": 1, "score": 4}, {"item": 2, "score": 0}]',
        '<think>maybe {"scores": [5, 5, 5]}? no.</think>{"scores": [4, 0, 2.5]}',
        '{"Scores": ["4", "0/5", "2.5/5"], "total": 6.5}',
        "1. The page has a title: 4/5\n2. Counter works - score: 0\n3. Polished: 2.5",
        "Item 1: the header is fine. Score: 4\nItem 2 - 0\nItem 3) 2.5 / 5",
        "1. title\n2. counter\n3. polish\n\nScores:\n1: 4\n2: 0\n3: 2.5",
    ],
)
def test_judge_answers_parse(answer):
    assert parse_scores(answer, 3) == [4.0, 0.0, 2.5]


@pytest.mark.parametrize(
    "answer",
    [
        '{"scores": [4, 0]}',  # too few
        '{"scores": [4, 0, 2, 1]}',  # too many
        '{"scores": [4, 0, 9]}',  # out of range
        '{"scores": [4, true, 2]}',  # not a number
        "The page is great, well done.",
        "1. ok: 4\n3. ok: 2",  # item 2 missing
    ],
)
def test_judge_answers_that_do_not_parse(answer):
    with pytest.raises(ValueError, match="no 3 scores"):
        parse_scores(answer, 3)


def test_judge_prompt_numbers_items_and_cuts_long_code():
    text = judge_prompt("a counter", "x" * 1500, ["has a title", "counts"], max_code_chars=1000, with_image=False)
    assert "## Task given to the developer\na counter" in text
    assert "1. has a title\n2. counts" in text
    assert "x" * 1000 + "\n<!-- [cut: 500 more characters] -->" in text and "x" * 1001 not in text
    assert "exactly 2 numbers" in text and "screenshot" not in text
    assert "screenshot" in judge_prompt("p", "<p>", ["a"], 1000, with_image=True)
