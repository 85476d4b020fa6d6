"""Perturbed pages are worse in a real browser: dead or throwing controls, a page wider than the viewport."""

import random

import pytest

from uiray.data.perturb import PERTURBATIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ATTR_COUNTER = """<!DOCTYPE html><html><body><h1 id="n">0</h1>
<button onclick="n.textContent = +n.textContent + 1">+1</button>
<button onclick="n.textContent = 0">reset</button></body></html>"""
# Setup first, wiring last: an error injected anywhere in the first half of the script stops the wiring.
LISTENER_COUNTER = """<!DOCTYPE html><html><body><h1 id="n">0</h1>
<button id="plus">+1</button><button id="reset">reset</button>
<script>
  const n = document.getElementById('n');
  const plus = document.getElementById('plus');
  const reset = document.getElementById('reset');
  let count = 0;
  function show() {
    n.textContent = String(count);
  }
  plus.addEventListener('click', () => { count += 1; show(); });
  reset.addEventListener('click', () => { count = 0; n.textContent = 'cleared'; });
</script></body></html>"""
PAGES = {"attr": ATTR_COUNTER, "listener": LISTENER_COUNTER}


def render(pool, html):
    result = pool.run(pool.render(html, probe=True, screenshot=False))
    assert result["ok"], result["error"]
    return result


@pytest.mark.parametrize("page", sorted(PAGES))
def test_originals_work(pool, page):
    result = render(pool, PAGES[page])
    assert result["probe"]["interactivity"] == 1.0 and not result["page_errors"]


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("name", ["remove_handler", "break_handler"])
def test_unwired_or_throwing_handlers_lower_interactivity(pool, name, page):
    perturbed = PERTURBATIONS[name].apply(PAGES[page], random.Random(0))
    result = render(pool, perturbed)
    assert result["probe"]["interactivity"] < 1.0
    assert bool(result["page_errors"]) == (name == "break_handler")


@pytest.mark.parametrize("seed", range(3))
def test_injected_error_stops_the_script(pool, seed):
    result = render(pool, PERTURBATIONS["inject_js_error"].apply(LISTENER_COUNTER, random.Random(seed)))
    assert result["page_errors"]
    assert result["probe"]["interactivity"] == 0.0  # the listeners were never attached


def test_injected_error_on_inline_handlers_is_still_an_error(pool):
    page = ATTR_COUNTER.replace("</body>", "<script>\n  const started = Date.now();\n</script></body>")
    result = render(pool, PERTURBATIONS["inject_js_error"].apply(page, random.Random(0)))
    assert result["page_errors"]


@pytest.mark.parametrize("seed", range(3))
def test_break_layout_overflows_the_viewport(pool, seed):
    for page in PAGES.values():
        assert render(pool, page)["dom"]["width"] <= 1280
        result = render(pool, PERTURBATIONS["break_layout"].apply(page, random.Random(seed)))
        assert result["dom"]["width"] > 1280


def test_drop_css_leaves_the_browser_default_look(pool):
    styled = ATTR_COUNTER.replace("<body>", "<head><style>h1 { color: #c2410c }</style></head><body>").replace(
        "<button", '<button style="padding: 8px"', 1
    )
    assert render(pool, styled)["dom"]["styles"] == 2  # one rule, one style attribute
    assert render(pool, PERTURBATIONS["drop_css"].apply(styled, random.Random(0)))["dom"]["styles"] == 0
