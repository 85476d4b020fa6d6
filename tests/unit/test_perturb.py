import random
import re

import pytest

from uiray.data.perturb import (
    PERTURBATIONS,
    Perturbed,
    break_handler,
    break_layout,
    clash_palette,
    drop_css,
    inject_js_error,
    perturb,
    remove_handler,
    todo_skeleton,
    truncate,
)
from uiray.page.heuristics import completeness

# One page per way of wiring a handler; each has exactly one, so "the handler is gone" is checkable.
ATTR_COUNTER = """<!DOCTYPE html>
<html><head><title>Counter</title></head>
<body>
  <h1 id="n">0</h1>
  <button onclick="n.textContent = +n.textContent + 1">+1</button>
  <script>
    function format(value) {
      const digits = String(value).padStart(3, '0');
      return digits;
    }
  </script>
</body>
</html>
"""
LISTENER_COUNTER = """<!DOCTYPE html>
<html><head><title>Counter</title></head>
<body>
  <h1 id="n">0</h1>
  <button id="plus">+1</button>
  <script>
    const n = document.getElementById('n');
    let count = 0;
    // Braces in strings, regexes and templates must not confuse the scanner: } { ) (
    document.getElementById('plus').addEventListener('click', (event) => {
      count += 1;
      const label = '}' + `${count > 9 ? '{' : ')'}` + /[}(]/.source;
      n.textContent = count;
    });
    console.log('ready');
  </script>
</body>
</html>
"""
PROPERTY_COUNTER = """<!DOCTYPE html>
<html><head><title>Counter</title></head>
<body>
  <h1 id="n">0</h1>
  <button id="plus">+1</button>
  <script>
    const n = document.getElementById('n');
    document.getElementById('plus').onclick = () => n.textContent = +n.textContent + 1
    console.log('wired')
  </script>
</body>
</html>
"""
STYLED = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <script src="https://cdn.tailwindcss.com"></script>
  <script>tailwind.config = { theme: { extend: { colors: { brand: '#1d4ed8' } } } };</script>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/theme/theme.css">
  <style>
    :root { --accent: #3b82f6; }
    #fab, .card { border: 1px solid hsl(220, 13%, 91%); background-color: white; }
    @media (min-width: 640px) { .card { color: rgba(15, 23, 42, 0.9); } }
  </style>
</head>
<body class="bg-slate-50 text-gray-900">
  <main class="mx-auto max-w-xl p-6">
    <section id="fab" class="card rounded-lg p-4" style="color: navy; margin: 4px">
      <h1 class="text-2xl font-bold text-blue-600">Pricing</h1>
      <ul><li>Free</li><li>Pro</li></ul>
      <a class="bg-blue-600 hover:bg-blue-700 text-white px-4 py-2" href="#buy">Buy</a>
    </section>
  </main>
</body>
</html>
"""
PLAIN = "<p>Hello, plain world.</p>"
PAGES = [ATTR_COUNTER, LISTENER_COUNTER, PROPERTY_COUNTER, STYLED]


def script_of(html):
    return re.search(r"<script>(.*?)</script>", html, re.S).group(1)


def test_registry_names_and_severities():
    assert set(PERTURBATIONS) == {"remove_handler", "break_handler", "drop_css", "truncate", "break_layout",
                                  "clash_palette", "inject_js_error", "todo_skeleton"}  # fmt: skip
    assert all(p.severity in (1, 2, 3) for p in PERTURBATIONS.values())
    assert PERTURBATIONS["clash_palette"].severity < PERTURBATIONS["truncate"].severity
    results = perturb(LISTENER_COUNTER, rng=0)
    assert all(isinstance(r, Perturbed) and r.severity == PERTURBATIONS[r.name].severity for r in results)
    assert all(r.html != LISTENER_COUNTER for r in results)
    with pytest.raises(ValueError, match="nonsense"):
        perturb(PLAIN, ["nonsense"])


def test_not_applicable_ones_are_left_out():
    names = {r.name for r in perturb(PLAIN, rng=0)}
    assert names == {"truncate", "break_layout"}  # nothing to unwire, unstyle, recolour or gut
    assert {r.name for r in perturb(STYLED, rng=0)} == set(PERTURBATIONS) - {
        "remove_handler", "break_handler", "inject_js_error"}  # fmt: skip


@pytest.mark.parametrize("page", PAGES)
def test_deterministic_for_a_seed_and_independent_of_the_selection(page):
    assert perturb(page, rng=7) == perturb(page, rng=7) == perturb(page, rng=random.Random(7))
    assert perturb(page) == perturb(page)  # no rng: seeded from the page
    alone = {name: perturb(page, [name], rng=7) for name in PERTURBATIONS}
    assert [r for r in perturb(page, rng=7)] == [r for name in PERTURBATIONS for r in alone[name]]
    assert len({perturb(page, ["truncate"], rng=seed)[0].html for seed in range(10)}) > 1


def test_remove_handler_empties_an_inline_attribute():
    out = remove_handler(ATTR_COUNTER, random.Random(0))
    assert 'onclick=""' in out and "n.textContent = +n.textContent" not in out
    assert any(issue.startswith("empty_handler") for issue in completeness(out).issues)


def test_remove_handler_empties_an_event_listener_and_keeps_the_rest():
    out = remove_handler(LISTENER_COUNTER, random.Random(0))
    assert "addEventListener('click', () => {});" in out
    assert "count += 1" not in out
    assert "console.log('ready');" in out and "let count = 0;" in out
    assert any(issue.startswith("empty_handler") for issue in completeness(out).issues)


def test_remove_handler_empties_an_onclick_property_without_semicolons():
    out = remove_handler(PROPERTY_COUNTER, random.Random(0))
    assert ".onclick = () => {}\n    console.log('wired')" in out


def test_remove_handler_reaches_jsx_and_alpine_and_at_least_half():
    jsx = '<script type="text/babel">const B = () => <button onClick={() => setN(n + 1)}>+</button>;</script>'
    assert "onClick={() => {}}" in remove_handler(jsx, random.Random(0))
    alpine = '<button @click="open = !open">menu</button>'
    assert remove_handler(alpine, random.Random(0)) == '<button @click="">menu</button>'
    many = "".join(f'<button onclick="go({i})">{i}</button>' for i in range(10))
    for seed in range(5):
        assert remove_handler(many, random.Random(seed)).count('onclick=""') >= 5


def test_commented_out_code_is_not_edited():
    page = LISTENER_COUNTER.replace(
        "    console.log('ready');",
        "    // old.addEventListener('click', () => {\n    // function old() { return 'unused code'; }",
    )
    for perturbation in (remove_handler, break_handler, todo_skeleton):
        for seed in range(4):
            out = perturbation(page, random.Random(seed))
            assert "// old.addEventListener('click', () => {\n" in out
            assert "// function old() { return 'unused code'; }" in out


def test_handler_perturbations_skip_pages_without_user_event_handlers():
    load_only = "<script>window.addEventListener('load', () => { start(); });</script><p>x</p>"
    for page in (STYLED, PLAIN, load_only):
        assert remove_handler(page, random.Random(0)) is None
        assert break_handler(page, random.Random(0)) is None


def test_break_handler_calls_a_name_the_page_never_defines():
    for page in (ATTR_COUNTER, LISTENER_COUNTER, PROPERTY_COUNTER):
        out = break_handler(page, random.Random(1))
        called = set(re.findall(r"([A-Za-z_$][\w$]*)\(\)", out)) - set(re.findall(r"([A-Za-z_$][\w$]*)\(\)", page))
        assert len(called) == 1 and called.pop() not in page
    assert 'onclick="' in break_handler(ATTR_COUNTER, random.Random(0))
    out = break_handler(LISTENER_COUNTER, random.Random(0))
    assert re.search(r"\(event\) => \{ \w+\(\);\n      count \+= 1;", out)
    out = break_handler(PROPERTY_COUNTER, random.Random(0))
    assert re.search(r"\.onclick = \(\) => \{ \w+\(\); n\.textContent = \+n\.textContent \+ 1 \}\n", out)


def test_drop_css_removes_style_blocks_attributes_links_and_tailwind():
    out = drop_css(STYLED, random.Random(0))
    for gone in ("<style", "style=", "tailwindcss", "tailwind.config", "stylesheet"):
        assert gone not in out
    assert 'class="card rounded-lg p-4"' in out and "<h1" in out and "Pricing" in out
    assert "\n  \n" not in out  # removed blocks take their lines with them
    assert drop_css(ATTR_COUNTER, random.Random(0)) is None


def test_truncate_cuts_in_the_second_half_and_loses_the_closing_tags():
    for page in PAGES:
        for seed in range(5):
            out = truncate(page, random.Random(seed))
            assert page.startswith(out) and len(page) // 2 <= len(out) < len(page)
            assert "</html>" not in out and "</body>" not in out
            assert completeness(out).score == 0.0
    assert truncate("", random.Random(0)) is None


def test_break_layout_forces_a_wide_page():
    out = break_layout(STYLED, random.Random(0))
    assert out.count("<style") == 1  # appended to the page's own stylesheet
    widths = [int(w) for w in re.findall(r"width: (\d+)px !important", out)]
    assert widths and min(widths) > 1280
    out = break_layout(PLAIN, random.Random(0))
    assert out.startswith("<style>") and out.endswith(PLAIN)
    out = break_layout(ATTR_COUNTER, random.Random(0))
    assert out.startswith("<!DOCTYPE html>") and re.search(r"<style>[^<]*</style></head>", out)
    assert break_layout("just text", random.Random(0)) is None


def test_clash_palette_replaces_every_colour_but_not_selectors():
    out = clash_palette(STYLED, random.Random(0))
    for colour in ("#3b82f6", "hsl(220", "white;", "rgba(15", "navy", "bg-slate-50", "text-gray-900",
                   "text-blue-600", "bg-blue-600", "bg-blue-700", "text-white"):  # fmt: skip
        assert colour not in out
    assert "#fab, .card {" in out and 'href="#buy"' in out  # hex-like id selectors and links untouched
    assert "text-2xl" in out and "hover:bg-" in out
    style = re.search(r"<style>(.*?)</style>", out, re.S).group(1)
    new = set(re.findall(r"#[0-9a-f]{6}", style))
    assert len(new) >= 3  # distinct colours map to distinct palette colours
    assert clash_palette(ATTR_COUNTER, random.Random(0)) is None


def test_inject_js_error_adds_one_throwing_statement_early_in_the_script():
    for seed in range(6):
        out = inject_js_error(LISTENER_COUNTER, random.Random(seed))
        script, original = script_of(out), script_of(LISTENER_COUNTER)
        added = [line.strip() for line in script.splitlines() if line not in original.splitlines()]
        assert len(added) == 1  # on a line of its own, indented like the code around it
        assert [line for line in script.splitlines() if line.strip() != added[0]] == original.splitlines()
        assert script.index(added[0]) < len(script) // 2 + len(added[0])
        assert re.match(r"[\w$]+\(\);|document\.getElementById\('[\w-]+'\)\.classList|[\w$]+\.init\(\);", added[0])
    assert inject_js_error(STYLED, random.Random(0)) is None  # only the Tailwind config: no app script
    assert inject_js_error(PLAIN, random.Random(0)) is None


def test_todo_skeleton_guts_functions_and_shows_a_todo():
    out = todo_skeleton(LISTENER_COUNTER, random.Random(0))
    assert "// TODO: implement" in script_of(out) and "count += 1" not in out
    assert re.search(r"<p>TODO: [^<]+</p>", out.split("</script>")[1])
    assert completeness(out).score < 1.0
    out = todo_skeleton(STYLED, random.Random(0))  # no functions: a list loses its items instead
    assert "<li>" not in out and re.search(r"<ul>\s*<p>TODO: [^<]+</p>\s*</ul>", out)
    assert completeness(out).score < 1.0
    assert todo_skeleton(PLAIN, random.Random(0)) is None


HOSTILE_UNITS = ["<script>", "<style>{", 'onclick="', "'", "`${", "/*", "/[(", "(", "{", "function f(",
                 ".addEventListener('click',", "#fff rgb(", ' style="', "<ul>", "\n", "\\", "</a>"]  # fmt: skip


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_hostile_200kb_pages_return(name):
    """Patterns are length-capped and scans move forward, so these finish (fast; the time is not asserted)."""
    rng = random.Random(0)
    mixed = "".join(rng.choice(HOSTILE_UNITS) for _ in range(40_000))[:200_000]
    pages = [
        mixed,
        "<script>" + mixed + "</script>",
        "<script>x" + "(/[(" * 50_000 + "</script>",
        "<script>x" + "\n" * 200_000 + "</script>",
        "<p>x" + "</a>" * 50_000,
        "<p>\ud800</p>" * 1000,  # a lone surrogate
    ]
    for page in pages:
        out = PERTURBATIONS[name].apply(page, random.Random(1))
        assert out is None or isinstance(out, str)
