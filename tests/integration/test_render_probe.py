"""The interaction probe on pages whose behaviour we know."""

import pytest

from tests.render_pool import running_pool
from uiray.config import RenderConfig

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNTER = """<!DOCTYPE html><html><body><h1 id="n">0</h1>
<button onclick="n.textContent = +n.textContent + 1">+1</button>
<button onclick="n.textContent = 0">reset</button></body></html>"""
FREEZING = """<!DOCTYPE html><html><body><h1 id="n">0</h1>
<button onclick="n.textContent = +n.textContent + 1">+1</button>
<button onclick="while (true) {}">freeze</button></body></html>"""
THROWING = """<!DOCTYPE html><html><body><h1 id="n">0</h1>
<button onclick="n.textContent = +n.textContent + 1">+1</button>
<button onclick="undefinedFunction()">broken</button></body></html>"""


def probe(pool, html):
    result = pool.run(pool.render(html, probe=True, screenshot=False))
    assert result["ok"], result["error"]
    return result["probe"]


@pytest.fixture(scope="module")
def one_page_pool():
    """One slot (the next render reuses whatever the last one left) and a probe budget far below the render
    timeout: when a probe ends before the render does, the probe's own budget ended it."""
    yield from running_pool(
        RenderConfig(pages=1, load_timeout_s=3, step_timeout_s=1, probe_budget_s=2, render_timeout_s=30)
    )


def test_working_counter_scores_one(pool):
    result = probe(pool, COUNTER)
    assert result["interactivity"] == 1.0
    assert [c["text"] for c in result["controls"]] == ["+1", "reset"]
    assert all(c["changed_dom"] and not c["threw"] for c in result["controls"])


def test_throwing_handler_scores_less(pool):
    result = probe(pool, THROWING)
    assert result["interactivity"] == 0.5
    broken = result["controls"][1]
    assert broken["threw"] and not broken["changed_dom"]


def test_inert_buttons_score_zero_and_pages_without_controls_have_no_score(pool):
    assert probe(pool, "<button>a</button><button>b</button>")["interactivity"] == 0.0
    assert probe(pool, "<h1>static</h1><a href='https://example.com'>away</a>")["interactivity"] is None


def test_scripted_elements_inputs_selects_and_css_only_changes_count(pool):
    html = """<div id="card" style="width:80px;height:40px;background:#ccc"></div><p id="out"></p>
    <canvas id="cv" width="60" height="60"></canvas>
    <input id="name"><select><option>a</option><option>b</option></select>
    <style>.dark { background: #000 }</style>
    <button onclick="document.body.classList.toggle('dark')">theme</button>
    <script>
      card.addEventListener('click', () => out.textContent = 'clicked');
      cv.addEventListener('click', () => cv.getContext('2d').fillRect(0, 0, 30, 30));
    </script>"""
    result = probe(pool, html)
    kinds = [(c["tag"], c["action"]) for c in result["controls"]]
    assert kinds == [
        ("div", "click"),
        ("canvas", "click"),
        ("input", "type"),
        ("select", "select"),
        ("button", "click"),
    ]
    assert result["interactivity"] == 1.0


def test_pixel_only_and_hash_changes_count_but_inert_controls_do_not(pool):
    # A popover opened by plain HTML changes no markup, only pixels (found by the second use); an in-page
    # link changes the URL hash (in the signature); scrolling the inert button into view to click it is no change.
    html = """<button popovertarget="tip">tip</button><div id="tip" popover>Saved!</div>
    <a href="#end">to the end</a><button>inert</button>
    <div style="height: 3000px"></div><p id="end">end</p>"""
    controls = probe(pool, html)["controls"]
    assert [(c["text"], c["changed_dom"], c["changed_pixels"]) for c in controls] == [
        ("tip", False, True),
        ("to the end", True, False),
        ("inert", False, False),
    ]


def test_a_handler_that_never_returns_is_cut_at_the_probe_budget(one_page_pool):
    pool = one_page_pool
    result = pool.run(pool.render(FREEZING, probe=True, screenshot=False))
    # The budget ran out inside the frozen handler and the page no longer answers: the render fails as such
    # (not as 'timeout: probe', which would be the render timeout), and the hung slot is replaced ...
    assert not result["ok"] and result["error"] == "timeout: probe budget", result["error"]
    # ... so the same single slot serves the next page, probe included.
    assert probe(pool, COUNTER)["interactivity"] == 1.0


def test_render_command_writes_png_and_json_without_bytes(tmp_path):
    import json
    import subprocess
    import sys

    page = tmp_path / "counter.html"
    page.write_text(COUNTER)
    cmd = [sys.executable, "-m", "uiray.cli", "render", str(page), "--out", str(tmp_path / "shot.png"), "--json"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] and "screenshot" not in data
    assert data["probe"]["interactivity"] == 1.0
    assert (tmp_path / "shot.png").read_bytes().startswith(b"\x89PNG")
