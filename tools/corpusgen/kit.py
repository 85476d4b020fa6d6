"""Building blocks of the embedded corpus: the `App` record, styles, palettes, copy and the page shell.

An app generator (boards, clocks, games, lists, shop, site, tools, widgets) returns an `App` (`make_app`): its own
markup, CSS and script (Jinja2 files under templates/<module>/, filled by `fill`) and checklist, with a title,
request noun, features and tagline drawn from its `Copy`. `render_page` wraps it in a document whose look comes
from a style (minimal, glass, brutalist, ...) and a palette, with jittered spacing, radii and fonts, one of three
layouts, generated copy, and the coding-style variation of codestyle.py, so that two pages of the same app type
share their logic but not their text.

Checklist items (`present`, `count`, `says`, `does`) use the executable format of
uiray/page/checklist.py, restricted to selector/min_count, text, and steps (click, fill, select, press)
followed by one expectation {selector, text}; the text is always the element's whole visible text.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from corpusgen.codestyle import vary_css, vary_js

TAILWIND = '<script src="https://cdn.tailwindcss.com"></script>'


@dataclass
class App:
    """One generated app before it is wrapped in the page shell."""

    category: str
    title: str
    noun: str
    """What the user asks for, with its article: "a pomodoro timer"."""
    body: str
    css: str
    js: str
    checklist: list[dict]
    features: list[str] = field(default_factory=list)
    """Phrases the prompt lists after "with": "a lap list", "keyboard shortcuts"."""
    tagline: str = ""
    """Line under the page title."""
    tips: list[str] = field(default_factory=list)
    """Bullet points for the side panel of the "aside" layout."""


@dataclass(frozen=True)
class Copy:
    """The words around an app, as str.format templates that `make_app` fills with the app's own values."""

    titles: list[str]
    nouns: list[str]
    features: list[str]
    taglines: list[str]
    tips: list[str]


def make_app(rng: random.Random, category: str, copy: Copy, page: tuple[str, str, str], checklist: list[dict],
             features: int = 2, **values: object) -> App:  # fmt: skip
    """An `App` from its (body, css, js), its checklist and a random choice of title, noun, features and
    tagline from `copy`, formatted with `values`."""

    def fmt(template: str) -> str:
        return template.format(**values)

    body, css, js = page
    return App(
        category,
        fmt(pick(rng, copy.titles)),
        fmt(pick(rng, copy.nouns)),
        body,
        css,
        js,
        checklist,
        [fmt(f) for f in pick(rng, copy.features, min(features, len(copy.features)))],
        tagline=fmt(pick(rng, copy.taglines)),
        tips=[fmt(t) for t in copy.tips],
    )


@dataclass
class Theme:
    style: str
    palette: str
    colors: dict[str, str]
    css: str
    layout: str
    tailwind: bool


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), undefined=jinja2.StrictUndefined
)
"""The page templates (templates/<module>/<part>.html|css|js). Not autoescaped: values are markup, JS literals
(`js_value`) or text the caller escaped (`esc`). Jinja drops the newline that ends each file."""


def fill(template: str, **values: object) -> str:
    """The template file `template` (a path under templates/) with its {{ name }} tokens filled from `values`;
    a token without a value is an error."""
    return TEMPLATES.get_template(template).render(**values)


def fill_text(text: str, **values: object) -> str:
    """A short template held in Python (a line of copy) filled like `fill`."""
    return TEMPLATES.from_string(text).render(**values)


def js_value(value: object) -> str:
    """A Python value as a JS literal (JSON is valid JS)."""
    return json.dumps(value, ensure_ascii=False)


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def pick(rng: random.Random, items, k: int | None = None):
    """One item, or k distinct items in random order."""
    items = list(items)
    return rng.choice(items) if k is None else rng.sample(items, k)


def present(text: str, selector: str, label: str | None = None) -> dict:
    """Checklist item: at least one element matches `selector`."""
    return {"text": label or text, "check": {"selector": selector, "min_count": 1}}


def count(text: str, selector: str, n: int) -> dict:
    return {"text": text, "check": {"selector": selector, "min_count": n}}


def says(text: str, words: str) -> dict:
    """Checklist item: the page's text contains `words`."""
    return {"text": text, "check": {"text": words}}


def does(text: str, steps: list[dict], selector: str, expect: str) -> dict:
    """Checklist item: after `steps` the element at `selector` shows `expect` (its whole text)."""
    return {"text": text, "check": {"steps": steps, "expect": {"selector": selector, "text": expect}}}


# name: (accent, accent2, light bg, light surface, light text, dark bg, dark surface, dark text)
PALETTES = {
    "ocean": ("#0e7490", "#f59e0b", "#f0f9ff", "#ffffff", "#0c2a3a", "#06141d", "#0f2a38", "#e0f2fe"),
    "sunset": ("#ea580c", "#db2777", "#fff7ed", "#ffffff", "#3b1d0f", "#1c0f0a", "#33180f", "#ffedd5"),
    "forest": ("#15803d", "#a16207", "#f0fdf4", "#fcfffd", "#14301f", "#07150d", "#11271a", "#dcfce7"),
    "grape": ("#7c3aed", "#14b8a6", "#f5f3ff", "#ffffff", "#2e1065", "#120a24", "#221640", "#ede9fe"),
    "slate": ("#334155", "#0ea5e9", "#f8fafc", "#ffffff", "#0f172a", "#0b1120", "#1e293b", "#e2e8f0"),
    "cherry": ("#be123c", "#0f766e", "#fff1f2", "#ffffff", "#4c0519", "#1a050b", "#2f0a15", "#ffe4e6"),
    "citrus": ("#65a30d", "#f97316", "#fefce8", "#ffffff", "#28330a", "#111505", "#222a0c", "#f7fee7"),
    "teal-coral": ("#0d9488", "#f43f5e", "#f0fdfa", "#ffffff", "#123b37", "#05201d", "#0d302c", "#ccfbf1"),
    "mono": ("#111111", "#6b7280", "#fafafa", "#ffffff", "#111111", "#0a0a0a", "#1a1a1a", "#f5f5f5"),
    "lavender": ("#8b5cf6", "#ec4899", "#faf5ff", "#fffdfd", "#3b0764", "#160b26", "#26153d", "#f3e8ff"),
    "sand": ("#b45309", "#0369a1", "#fdf8f0", "#fffdf8", "#3d2a12", "#17110a", "#2a1f12", "#fef3c7"),
    "neon": ("#22d3ee", "#e879f9", "#ecfeff", "#ffffff", "#083344", "#05060f", "#111325", "#e0fbff"),
    "royal": ("#1d4ed8", "#eab308", "#eff6ff", "#ffffff", "#172554", "#070d24", "#111c3d", "#dbeafe"),
    "mint": ("#10b981", "#6366f1", "#ecfdf5", "#ffffff", "#064e3b", "#04140f", "#0b261d", "#d1fae5"),
}
PALETTE_WORDS = {
    "ocean": "ocean blues", "sunset": "warm sunset oranges", "forest": "forest greens",
    "grape": "grape purple with a teal accent", "slate": "cool slate greys", "cherry": "cherry red",
    "citrus": "fresh citrus tones", "teal-coral": "teal and coral", "mono": "black and white",
    "lavender": "soft lavender", "sand": "sandy earth tones", "neon": "neon cyan and pink",
    "royal": "royal blue and gold", "mint": "mint green",
}  # fmt: skip

STYLES = ("minimal", "glass", "brutalist", "corporate", "dark", "playful", "retro", "neumorphic", "editorial")
STYLE_WORDS = {
    "minimal": ["a clean minimal look", "a minimalist design", "lots of white space and a minimal feel"],
    "glass": ["a glassmorphism look", "frosted-glass cards over a gradient", "a translucent glass style"],
    "brutalist": ["a brutalist style", "bold brutalist borders and hard shadows", "a raw neo-brutalist look"],
    "corporate": ["a professional corporate look", "a polished business style", "a clean SaaS-style design"],
    "dark": ["a dark theme", "a sleek dark mode design", "a moody dark interface"],
    "playful": ["a playful, rounded style", "a fun and friendly look", "bubbly rounded shapes"],
    "retro": ["a retro terminal vibe", "an 80s retro computer style", "a monospace retro look"],
    "neumorphic": ["a soft neumorphic style", "soft UI with extruded shadows", "a neumorphism look"],
    "editorial": ["an elegant editorial look", "a magazine-like serif style", "classy serif typography"],
}
DARK_STYLES = {"glass", "dark", "retro"}
FONTS = {
    "sans": ['system-ui, sans-serif', '"Segoe UI", Roboto, Helvetica, Arial, sans-serif',
             'Inter, "Helvetica Neue", Arial, sans-serif', 'Verdana, Geneva, sans-serif'],
    "mono": ['"Courier New", Courier, monospace', 'ui-monospace, Menlo, Consolas, monospace'],
    "serif": ['Georgia, "Times New Roman", serif', '"Palatino Linotype", Palatino, serif'],
    "round": ['"Trebuchet MS", "Comic Sans MS", sans-serif', '"Nunito", "Segoe UI", sans-serif'],
}  # fmt: skip


def make_theme(rng: random.Random, style: str, palette: str, tailwind: bool) -> Theme:
    """Colours of the palette (dark variants for dark styles), the base and style CSS, and a layout."""
    accent, accent2, lbg, lsurf, ltext, dbg, dsurf, dtext = PALETTES[palette]
    dark = style in DARK_STYLES
    colors = {
        "accent": accent,
        "accent2": accent2,
        "bg": dbg if dark else lbg,
        "surface": dsurf if dark else lsurf,
        "text": dtext if dark else ltext,
    }
    radius = {"brutalist": 0, "retro": 2, "playful": rng.randint(16, 26), "neumorphic": rng.randint(14, 22)}.get(
        style, rng.randint(4, 14)
    )
    family = {"retro": "mono", "brutalist": pick(rng, ["mono", "sans"]), "editorial": "serif", "playful": "round"}
    layout = pick(rng, ["stack", "hero", "aside"])
    values = dict(
        colors,
        radius=radius,
        pad=rng.randint(12, 24),
        gap=rng.randint(8, 16),
        font=pick(rng, FONTS[family.get(style, "sans")]),
        width=rng.choice([600, 640, 720, 760, 880]),
        size=rng.choice([15, 16, 17]),
    )
    if layout == "aside":
        values["width"] += 260  # room for the side panel next to the app
    css = fill("kit/base.css", **values) + fill(f"kit/style-{style}.css", **values)
    return Theme(style, palette, colors, css, layout, tailwind)


_SYLLABLES = ["ta", "lo", "mi", "ve", "ra", "no", "ki", "su", "zen", "bo", "fi", "qua", "lu", "pe", "dro", "sa"]
_SUFFIXES = ["ly", "io", "hub", "kit", "flow", "box", "lab", "ify", "wise", "deck", "nest", "spot"]
FOOTERS = [
    "Everything stays in this browser tab; nothing is sent anywhere.",
    "Built as a single HTML file with no dependencies.",
    "Works offline. Refreshing the page starts fresh.",
    "Made with plain HTML, CSS and a little JavaScript.",
    "Keyboard friendly: tab through the controls and press Enter.",
    "Tip: resize the window, the layout adapts to small screens.",
    "A tiny demo page. Feel free to copy and adapt it.",
    "No tracking, no cookies, no sign-up.",
]
_CLOSERS = ["Have fun!", "Enjoy.", "Questions? Ask the team.", "v{{major}}.{{minor}}", "© {{year}} {{brand}}"]


def brand(rng: random.Random) -> str:
    name = "".join(pick(rng, _SYLLABLES) for _ in range(rng.randint(1, 2)))
    return (name + pick(rng, _SUFFIXES)).capitalize()


def footer_text(rng: random.Random, brand_name: str) -> str:
    closer = fill_text(
        pick(rng, _CLOSERS),
        major=rng.randint(1, 4),
        minor=rng.randint(0, 9),
        year=rng.randint(2019, 2026),
        brand=brand_name,
    )
    return f"{pick(rng, FOOTERS)} {closer}"


def render_page(rng: random.Random, app: App, theme: Theme) -> str:
    """The complete document: theme and app CSS in <head>, the app inside the chosen layout, script last."""
    brand_name = brand(rng)
    head = [f"<title>{esc(app.title)} · {brand_name}</title>"]
    head.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    if theme.tailwind:
        head.append(TAILWIND)
    css = vary_css(rng, f"{theme.css.strip()}\n{app.css.strip()}")
    head.append(f"<style>\n{css}\n</style>")
    heading = f'<h1>{esc(app.title)}</h1>\n<p class="muted">{esc(app.tagline)}</p>'
    if theme.tailwind:
        heading = f'<div class="flex flex-col gap-1 py-4">\n{heading}\n</div>'
    footer = f'<footer class="muted"><small>{esc(footer_text(rng, brand_name))}</small></footer>'
    body = app.body.strip()
    if theme.layout == "hero":
        header = f'<header style="text-align:center;padding:{rng.randint(24, 56)}px 0">\n{heading}\n</header>'
        main = f"<main>\n{body}\n</main>"
    elif theme.layout == "aside":
        header = f"<header>\n{heading}\n</header>"
        main = _main_with_aside(rng, body, app.tips)
    else:
        header = f'<header class="row" style="justify-content:space-between">\n<div>\n{heading}\n</div>\n'
        header += f"<strong>{esc(brand_name)}</strong>\n</header>"
        main = f"<main>\n{body}\n</main>"
    script = f"<script>\n{vary_js(rng, app.js.strip())}\n</script>"
    return "\n".join(
        ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', *head, "</head>", "<body>"]
        + ['<div class="shell">', header, main, footer, "</div>", script, "</body>", "</html>", ""]
    )


def _main_with_aside(rng: random.Random, body: str, tips: list[str]) -> str:
    """The app next to a panel of tips, on either side. Columns are minmax(0, ...): a plain 1fr grows to the
    app's min-content width and slides under the aside, which then intercepts clicks meant for the app."""
    items = "\n".join(f"<li>{esc(tip)}</li>" for tip in tips)
    title = pick(rng, ["Tips", "How it works", "Good to know", "Notes"])
    aside = f'<aside class="panel"><h2>{title}</h2>\n<ul>\n{items}\n</ul>\n</aside>'
    section = f"<section>\n{body}\n</section>"
    gap = rng.randint(12, 28)
    if rng.random() < 0.3:
        columns, parts = "220px minmax(0, 1fr)", f"{aside}\n{section}"
    else:
        columns, parts = pick(rng, ["minmax(0, 1fr) 220px", "minmax(0, 3fr) minmax(0, 1fr)"]), f"{section}\n{aside}"
    return f'<main style="display:grid;grid-template-columns:{columns};gap:{gap}px">\n{parts}\n</main>'
