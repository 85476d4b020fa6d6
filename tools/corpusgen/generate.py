"""The embedded corpus's generator: a few thousand UI tasks from seeded random streams and Jinja2 page templates.

Every row is a user prompt and a complete, working single-file HTML answer, in 20 app categories
(forms, timers, games, canvas dashboards, kanban, calculators, galleries, ...) times 9 styles times
14 palettes, with varied titles, copy, data and layouts. Its output for seed 0 ships with uiray as
uiray/data/embedded_corpus.parquet (`python tools/build_corpus.py`); the row schema is documented in
uiray/data/embedded.py. `style` and `palette` come from STYLES and PALETTES in kit.py, and the checklist items
from kit's present/count/says/does.

Duplicates are planted so that dedup has work to do (3% exact, 8% near by default, each copying a random
original). "exact" copies have the original's prompt and a completion that is byte-identical (half of
them) or differs only in whitespace: trailing spaces, CRLF line ends, doubled blank lines. They are equal
after whitespace runs are collapsed (dedup's `normalise`), so planted_jaccard is 1.0. "near" copies are
edited (retitled, recoloured, nudged pixel sizes, a new tagline, footer, font, brand, CSS rule or script
comment) until the Jaccard falls to a target drawn from 0.84-0.95, never below 0.83: above the dedup
threshold (0.8), with the measured value recorded. Behaviour and checklist are untouched by the edits;
the prompt is a fresh phrasing of the same request. Unrelated pages of one category have a median
Jaccard of ~0.55 and almost never reach 0.8 (tests/unit/test_corpusgen.py measures it).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from corpusgen.boards import dashboard_app, kanban_app
from corpusgen.clocks import stopwatch_app, timer_app
from corpusgen.games import guess_app, memory_app, quiz_app, tictactoe_app
from corpusgen.kit import (
    FONTS,
    FOOTERS,
    PALETTE_WORDS,
    PALETTES,
    STYLE_WORDS,
    STYLES,
    App,
    Theme,
    brand,
    make_theme,
    pick,
    render_page,
)
from corpusgen.lists import habit_app, notes_app, todo_app
from corpusgen.shop import cart_app
from corpusgen.site import form_app, modal_app, pricing_app
from corpusgen.tools import calculator_app, color_app, converter_app
from corpusgen.widgets import gallery_app, tabs_app

APPS = {
    "form_validation": form_app,
    "timer": timer_app,
    "stopwatch": stopwatch_app,
    "tic_tac_toe": tictactoe_app,
    "memory_game": memory_app,
    "guess_number": guess_app,
    "quiz": quiz_app,
    "chart_dashboard": dashboard_app,
    "kanban_board": kanban_app,
    "calculator": calculator_app,
    "gallery": gallery_app,
    "todo_list": todo_app,
    "unit_converter": converter_app,
    "tabs_accordion": tabs_app,
    "modal_dialog": modal_app,
    "pricing_table": pricing_app,
    "color_picker": color_app,
    "markdown_notes": notes_app,
    "shopping_cart": cart_app,
    "habit_tracker": habit_app,
}
CATEGORIES = tuple(APPS)
SHINGLE_CHARS = 5  # the dedup default (configs/data.yaml dedup.shingle_chars)
TAILWIND_SHARE = 0.1  # pages that also load the Tailwind play CDN (served locally by the render sandbox)


def shingles(text: str, k: int = SHINGLE_CHARS) -> set[str]:
    """The k-character substrings of `text` with whitespace runs collapsed, as uiray.data.minhash shingles
    its normalised text (the text itself when shorter than k)."""
    text = " ".join(text.split())
    return {text[i : i + k] for i in range(max(len(text) - k + 1, 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    both = len(a & b)
    return both / (len(a) + len(b) - both) if a or b else 1.0


def generate_corpus(
    n: int = 3000, seed: int = 0, near_dup_fraction: float = 0.08, exact_dup_fraction: float = 0.03
) -> list[dict]:
    """`n` rows, the same for the same arguments; see the module docstring for the schema."""
    return list(iter_corpus(n, seed, near_dup_fraction, exact_dup_fraction))


def iter_corpus(
    n: int = 3000, seed: int = 0, near_dup_fraction: float = 0.08, exact_dup_fraction: float = 0.03
) -> Iterator[dict]:
    """The rows of `generate_corpus` one at a time. Each original page is generated from its own seeded
    random stream, so a copy regenerates its original instead of keeping every page in memory."""
    if n < 0 or not 0 <= near_dup_fraction + exact_dup_fraction < 1 or min(near_dup_fraction, exact_dup_fraction) < 0:
        raise ValueError(
            f"need n >= 0 and dup fractions >= 0 summing below 1, got {n}, {near_dup_fraction}, {exact_dup_fraction}"
        )
    plan = _plan(n, seed, near_dup_fraction, exact_dup_fraction)
    for index, (kind, base, category) in enumerate(plan):
        if kind is None:
            yield _original(seed, index, category)[0]
            continue
        original, app, theme = _original(seed, base, category)
        rng = random.Random(f"{seed}-copy-{index}")
        copy = _exact_copy(rng, original) if kind == "exact" else _near_copy(rng, original, app, theme)
        yield {**copy, "id": _row_id(seed, index), "dup_of": original["id"], "dup_kind": kind}


def write_corpus(path: str | Path, n: int = 3000, seed: int = 0) -> Counter:
    """Write the corpus as jsonl; returns the number of rows per category."""
    counts: Counter = Counter()
    with open(path, "w", encoding="utf-8") as out:
        for row in iter_corpus(n, seed):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            counts[row["category"]] += 1
    return counts


def _row_id(seed: int, index: int) -> str:
    return f"embedded-s{seed}-{index:05d}"


def _plan(n: int, seed: int, near: float, exact: float) -> list[tuple[str | None, int, str]]:
    """(dup kind or None, index of the original, category) per position. Categories go round-robin over
    the originals (balanced counts); copies point at a random original anywhere in the corpus. At least
    one row is an original."""
    rng = random.Random(f"{seed}-plan")
    n_dups = min(round(n * (near + exact)), max(n - 1, 0))
    n_exact = min(round(n * exact), n_dups)
    kinds = [None] * (n - n_dups) + ["exact"] * n_exact + ["near"] * (n_dups - n_exact)
    rng.shuffle(kinds)
    order = list(CATEGORIES)
    rng.shuffle(order)
    originals = [i for i, kind in enumerate(kinds) if kind is None]
    category = {i: order[rank % len(order)] for rank, i in enumerate(originals)}
    plan = []
    for i, kind in enumerate(kinds):
        base = i if kind is None else rng.choice(originals)
        plan.append((kind, base, category[base]))
    return plan


def _original(seed: int, index: int, category: str) -> tuple[dict, App, Theme]:
    rng = random.Random(f"{seed}-row-{index}")
    style, palette = pick(rng, STYLES), pick(rng, PALETTES)
    theme = make_theme(rng, style, palette, tailwind=rng.random() < TAILWIND_SHARE)
    app = APPS[category](rng, theme.colors)
    html = render_page(rng, app, theme)
    row = {
        "id": _row_id(seed, index),
        "prompt": make_prompt(rng, app, theme),
        "completion": _completion(rng, app, html),
        "html": html,
        "category": app.category,
        "style": style,
        "palette": palette,
        "checklist": app.checklist,
        "dup_of": None,
        "dup_kind": None,
        "planted_jaccard": None,
    }
    return row, app, theme


_OPENERS = ["Build {noun}", "Create {noun}", "Make me {noun}", "I need {noun}", "Can you write {noun}",
            "Please code {noun}", "Design {noun}", "Put together {noun}", "Write {noun}", "Could you make {noun}",
            "Generate {noun}", "I'd like {noun}"]  # fmt: skip
_LOOKS = ["Give it {style}.", "Go for {style} in {palette}.", "Style it with {style}, using {palette}.",
          "I'd like {style} and a palette of {palette}.", "Use {palette} and {style}.", "Look: {style}, {palette}.",
          "Colours: {palette}. Style: {style}."]  # fmt: skip
_ASKS = ["Single HTML file, no external libraries.", "Keep everything in one file with inline CSS and JS.",
         "Vanilla JavaScript only, please.", "It must work offline when opened from disk.", "No frameworks.",
         "Make sure every button actually works.", "Mobile friendly, please.", ""]  # fmt: skip


def make_prompt(rng: random.Random, app: App, theme: Theme) -> str:
    """A natural request: opener, what and its features, the look, sometimes a name and a constraint."""
    what = pick(rng, _OPENERS).format(noun=app.noun)
    if app.features:
        what += ", plus " if " with " in app.noun else " with "  # not "a list with filters with a counter"
        what += (", ".join(app.features[:-1]) + " and " if len(app.features) > 1 else "") + app.features[-1]
    look = pick(rng, _LOOKS).format(style=pick(rng, STYLE_WORDS[theme.style]), palette=PALETTE_WORDS[theme.palette])
    parts = [what + ("?" if what.startswith(("Can ", "Could ")) else "."), look]
    if rng.random() < 0.3:
        parts.append(f'Title it "{app.title}".')
    if theme.tailwind:
        parts.append("Use Tailwind from the CDN for utility classes.")
    parts.append(pick(rng, _ASKS))
    text = " ".join(p for p in parts if p)
    return text if rng.random() < 0.8 else text[0].lower() + text[1:]  # people do not always capitalise


_INTROS = ["Here is {noun} in a single self-contained HTML file.", "Below is a complete, working version of {noun}.",
           "Sure! This is {noun} with inline CSS and JavaScript.",
           "Here's {noun}; save it as an .html file and open it.",
           "This page implements {noun} with no dependencies.", "Done: {noun}, all in one file."]  # fmt: skip


def _completion(rng: random.Random, app: App, html: str) -> str:
    return f"{pick(rng, _INTROS).format(noun=app.noun)}\n\n```html\n{html}```\n"


def _exact_copy(rng: random.Random, original: dict) -> dict:
    """The original, byte-identical or with whitespace-only changes (see the module docstring)."""
    html = original["html"]
    how = rng.choice(["same", "same", "same", "trailing", "crlf", "blank"])
    if how == "trailing":
        html = "\n".join(
            line + " " * rng.randint(1, 3) if line and rng.random() < 0.3 else line for line in html.split("\n")
        )
    elif how == "crlf":
        html = html.replace("\n", "\r\n")
    elif how == "blank":
        html = re.sub(r"\n(?=<(?:section|main|footer|script|div class=\"panel)\b)", "\n\n", html)
    completion = original["completion"].replace(original["html"], html)
    jac = jaccard(shingles(original["html"]), shingles(html))
    return {**original, "html": html, "completion": completion, "planted_jaccard": jac}


def _near_copy(rng: random.Random, original: dict, app: App, theme: Theme) -> dict:
    """Edit the original's page until its shingle Jaccard with the original drops to a target in
    0.84-0.95. Edits leave behaviour and checklist alone; a step that lands more than 0.02 below the
    target (or below 0.83) is undone. Far from the target, two edits are measured at once."""
    base = shingles(original["html"])
    target = rng.uniform(0.84, 0.95)
    floor = max(target - 0.02, 0.83)
    html, jac = original["html"], 1.0
    edits = [_retitle, _retagline, _refooter, _recolour, _renumber, _refont, _add_rule, _rebrand, _add_comment]
    for attempt in range(30):
        if attempt % len(edits) == 0:
            rng.shuffle(edits)
        candidate = edits[attempt % len(edits)](rng, html, app, theme)
        if jac > target + 0.06:
            candidate = pick(rng, edits)(rng, candidate, app, theme)
        value = jaccard(base, shingles(candidate))
        if value < floor:
            continue
        html, jac = candidate, value
        if jac <= target:
            break
    return {
        **original,
        "prompt": make_prompt(rng, app, theme),
        "completion": _completion(rng, app, html),
        "html": html,
        "planted_jaccard": jac,
    }


_SUFFIXES = ["Lite", "Plus", "2.0", "Mini", "Classic", "Deluxe", "Express", "for Teams", "Pro", "Studio", "Daily"]
_TAGLINES = ["Fast, simple and free.", "Made for busy people.", "Works on every screen.", "A small tool done well.",
             "Nothing to install.", "Try it, then make it yours.", "Designed for focus.",
             "Crafted with care."]  # fmt: skip
_RULES = ["h2 { letter-spacing: .01em; }", "footer { margin-top: 28px; text-align: center; }",
          "button:focus-visible { outline: 3px solid #0ea5e9; outline-offset: 2px; }",
          "header p { margin-top: 0; font-size: .95rem; }", "main { animation: fade .3s ease-out; }\n"
          "@keyframes fade { from { opacity: 0; } }", "::selection { background: #fde68a; color: #111; }",
          "@media (max-width: 600px) { .shell { padding: 10px; } h1 { font-size: 1.6rem; } }"]  # fmt: skip


def _retitle(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    """Append a word to the title: the old title stays, so text checks that mention it still hold."""
    title = re.search(r"<h1>(.*?)</h1>", html).group(1)
    new = f"{title} {pick(rng, _SUFFIXES)}"
    return html.replace(f"<h1>{title}</h1>", f"<h1>{new}</h1>", 1).replace(f"<title>{title} ", f"<title>{new} ", 1)


def _retagline(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    return re.sub(r'(</h1>\n<p class="muted">).*?(</p>)', lambda m: m[1] + pick(rng, _TAGLINES) + m[2], html, count=1)


def _refooter(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    text = f"{pick(rng, FOOTERS)} {pick(rng, FOOTERS)}"
    return re.sub(r"(<footer[^>]*><small>).*?(</small>)", lambda m: m[1] + text + m[2], html, count=1)


def _recolour(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    """Shift one theme colour slightly everywhere it appears (CSS and canvas drawing code alike)."""
    old = theme.colors[pick(rng, theme.colors)]
    if old not in html:
        return html
    channels = [min(255, max(0, int(old[i : i + 2], 16) + rng.randint(-24, 24))) for i in (1, 3, 5)]
    return html.replace(old, "#" + "".join(f"{c:02x}" for c in channels))


def _renumber(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    """Nudge a few pixel sizes in the stylesheet."""
    head, sep, rest = html.partition("</style>")
    sizes = list(re.finditer(r"\b(\d+)px\b", head))
    for m in sorted(rng.sample(sizes, min(3, len(sizes))), key=lambda m: -m.start()):
        value = max(0, int(m[1]) + rng.choice([-3, -2, -1, 1, 2, 3]))
        head = head[: m.start()] + f"{value}px" + head[m.end() :]
    return head + sep + rest


def _refont(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    match = re.search(r"font-family: ([^;]+);", html)
    if not match:
        return html
    stacks = [f for family in FONTS.values() for f in family if f != match[1]]
    return html.replace(match[0], f"font-family: {pick(rng, stacks)};", 1)


def _add_rule(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    return html.replace("\n</style>", f"\n{pick(rng, _RULES)}\n</style>", 1)


def _add_comment(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    """A comment at the top of the script saying what the page is."""
    text = pick(
        rng,
        [
            f"{app.title}: {app.tagline}",
            f"Script for {app.noun}.",
            f"{app.title} ({theme.style} theme)",
            "Everything below runs in the browser; no server needed.",
        ],
    )
    return html.replace("<script>\n", f"<script>\n// {text}\n", 1)


def _rebrand(rng: random.Random, html: str, app: App, theme: Theme) -> str:
    match = re.search(r"<title>.*? · (\w+)</title>", html)
    return re.sub(rf"\b{match[1]}\b", brand(rng), html) if match else html
