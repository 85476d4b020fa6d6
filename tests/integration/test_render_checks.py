"""Executable checklist items run in the real sandbox (RenderPool.render(..., checks=...)) on known pages."""

import pytest

from uiray.page.checklist import executable_checks, load_checklist
from uiray.reward.checklist import checklist_score

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNTER = """<!DOCTYPE html><html><head><title>Counter</title></head><body>
<nav><a href="#a">A</a><a href="#b">B</a></nav>
<h1 id="n">0</h1>
<button id="inc" onclick="n.textContent = +n.textContent + 1">+1</button>
<button id="broken" onclick="undefinedFunction()">broken</button>
<div id="secret" hidden>Total: 99</div>
<input id="who" placeholder="your name"><p id="hello"></p>
<select id="fruit"><option value="a">Apple</option><option value="b">Banana</option></select>
<script>
  who.addEventListener('keydown', e => { if (e.key === 'Enter') hello.textContent = 'Hello ' + who.value; });
  fruit.addEventListener('change', () => hello.textContent = 'You picked ' + fruit.value);
</script></body></html>"""


def run(pool, html, checks, **kwargs):
    result = pool.run(pool.render(html, screenshot=False, checks=checks, **kwargs))
    assert result["ok"], result["error"]
    return result["checks"]


def test_selector_and_text_conditions(pool):
    checks = [
        {"selector": "nav a", "min_count": 2},
        {"selector": "button", "count": 2},
        {"selector": "button", "max_count": 1},  # there are 2
        {"text": "  BROKEN "},  # case and whitespace do not matter
        {"selector": "#n", "text": "0", "exact": True},
        {"selector": "#secret"},  # in the DOM, but hidden
        {"text": "Total: 99"},  # hidden text is not visible text
        {"selector": "#secret", "visible": False, "text": "total"},  # innerText of a hidden element is its text
        {"selector": "#who", "attribute": "placeholder", "contains": "NAME"},
    ]
    results = run(pool, COUNTER, checks)
    assert [r["index"] for r in results] == list(range(len(checks)))
    assert [r["passed"] for r in results] == [True, True, False, True, True, False, False, True, True]
    assert results[2]["detail"] == "failed: 2 of 2 elements matching 'button', visible (need 1)"
    assert (
        results[6]["detail"] == "failed: 0 of 1 elements matching 'body', with text containing 'Total: 99' (need >= 1)"
    )


def test_interactions_each_start_from_the_loaded_page(pool):
    click_once = {"click": "#inc", "expect": {"selector": "#n", "text": "1", "exact": True}}
    checks = [
        click_once,
        click_once,  # passes again: the page was reloaded after the first one
        {"steps": [{"click": "#inc"}, {"click": "#inc"}], "expect": {"selector": "#n", "text": "2", "exact": True}},
        {"click": "#inc", "expect": {"selector": "#n", "text": "5", "exact": True}},
        {
            "steps": [{"fill": "#who", "value": "Ada"}, {"press": "#who"}],
            "expect": [
                {"selector": "#hello", "text": "hello ada"},
                {"selector": "#who", "attribute": "value", "equals": "Ada"},
            ],
        },
        {"select": "#fruit", "value": "Banana", "expect": {"text": "you picked b"}},
        {"steps": [{"wait_ms": 10}], "expect": {"selector": "#n", "text": "0", "exact": True}},
    ]
    results = run(pool, COUNTER, checks)
    assert [r["passed"] for r in results] == [True, True, True, False, True, True, True], results


def test_checklist_score_from_a_real_render(pool):
    items = load_checklist(
        [
            "The page looks polished",  # judge-only: left out with the judge off
            {"text": "has a +1 button", "check": {"selector": "#inc"}},
            {"text": "+1 counts", "weight": 2, "check": {"click": "#inc", "expect": {"selector": "#n", "text": "1"}}},
            {"text": "has a reset button", "check": {"selector": "#reset"}},
        ]
    )
    results = run(pool, COUNTER, executable_checks(items))
    score, detail = checklist_score(items, results, None)
    assert score == pytest.approx((5 + 10 + 0) / (5 * 4))
    assert [d["source"] for d in detail] == [None, "check", "check", "check"]


def test_hostile_items_fail_cleanly_with_a_detail(pool):
    checks = [
        {"selector": ".does-not-exist"},
        {"click": "#broken", "expect": {"selector": "#n", "text": "1", "exact": True}},
        {"selector": "div[[["},
        {"click": "div[[[", "expect": {"text": "x"}},
        {"click": "#nope", "expect": {"text": "x"}},
        {"select": "#fruit", "value": "Cherry", "expect": {"text": "cherry"}},
        {"fill": "#n", "value": "9", "expect": {"text": "9"}},
        {"selector": "a", "count": 1, "min_count": 1},  # malformed: the item fails, the others run
        "not a check",
        {"selector": "#inc"},  # still fine after all that
    ]
    results = run(pool, COUNTER, checks)
    assert [r["passed"] for r in results] == [False] * 9 + [True]
    details = [r["detail"] for r in results]
    assert "0 of 0 elements matching '.does-not-exist'" in details[0]
    assert "the page threw: " in details[1] and "undefinedFunction" in details[1]
    assert "invalid CSS selector" in details[2]
    assert "step 1 (click 'div[[[') failed" in details[3]
    assert "no visible element matches '#nope'" in details[4]
    assert "step 1 (select '#fruit' 'Cherry') failed: LookupError: '#fruit' has no option 'Cherry'" in details[5]
    assert "step 1 (fill '#n' '9') failed" in details[6]
    assert "give count, or min_count/max_count" in details[7]
    assert details[8] == "invalid check: not an object"


def test_a_page_cannot_fake_its_checks_by_patching_the_dom_api(pool):
    faker = """<body><h1>nothing here</h1><script>
      Document.prototype.querySelectorAll = function () { return [document.body, document.body, document.body]; };
      Object.defineProperty(HTMLElement.prototype, 'innerText', {get() { return 'Total 42 checkout'; }});
    </script></body>"""
    results = run(pool, faker, [{"selector": "button", "min_count": 3}, {"text": "checkout"}, {"text": "nothing"}])
    assert [r["passed"] for r in results] == [False, False, True]


def test_a_handler_that_loops_forever_is_stopped_and_the_checks_go_on(pool):
    looping = """<body><h1 id="n">0</h1><button id="inc" onclick="n.textContent = +n.textContent + 1">+1</button>
      <button id="loop" onclick="while (true) {}">hang</button></body>"""
    checks = [
        {"click": "#loop", "expect": {"text": "done"}},
        {"click": "#inc", "expect": {"selector": "#n", "text": "1", "exact": True}},
    ]
    results = run(pool, looping, checks)
    assert not results[0]["passed"] and "the page hung and its script was stopped" in results[0]["detail"]
    assert results[1]["passed"], results[1]
    # The slot is healthy afterwards: the next page renders and checks normally.
    assert run(pool, COUNTER, [{"selector": "#inc"}])[0]["passed"]
