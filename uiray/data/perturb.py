"""Controlled perturbations: graded worse versions of a good page, for preference pairs without humans.

Dojo's method: take a page that works, break it in one known way, and the pair (original, broken) is a
preference pair whose reason is known. Each perturbation is a pure function `(html, rng) -> html | None`
(None when the page has nothing it could break, e.g. no event handler) with a severity grade:

    name             severity  what it does
    clash_palette    1         CSS/Tailwind colours -> a clashing palette of near-equal luminance
    drop_css         2         <style>, style="", stylesheet links and the Tailwind CDN removed
    break_layout     2         fixed huge widths (+ overlap or no-wrap): the page overflows sideways
    remove_handler   2         bodies of click/input/... handlers emptied (attr, addEventListener,
                               .onclick =, JSX onClick={...})
    break_handler    2         handlers first call a function that does not exist, so they throw
    truncate         3         cut at a random point in the second half; the closing tags are lost
    inject_js_error  3         a top-level statement that throws, early in the main script
    todo_skeleton    3         function bodies -> `// TODO: implement`, plus a visible "TODO:" in markup

The reward decides whether a perturbed page really is worse; these functions only promise the edit.

Pages are arbitrary model or web output, so every pattern is length-capped and no scan rereads the page:
200 KB of hostile input (unclosed quotes, comments, brackets) stays fast. JS is read by a small scanner
(uiray/data/js_scan.py) that skips strings, comments, regex and template literals, enough to find where a
handler's body or a statement ends; it is not a parser, and a page it misreads gets a clumsier edit.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable
from typing import NamedTuple

from uiray.data.js_scan import (
    commented_out,
    expression_end,
    indent_at,
    matching_close,
    statement_starts,
)

_SCAN_LIMIT = 20_000  # chars scanned for one handler or function body; longer ones are left alone
_MAX_SITES = 64  # handlers/functions considered per page, so the work per page stays bounded


class Perturbation(NamedTuple):
    apply: Callable[[str, random.Random], str | None]
    severity: int
    """1 mild (cosmetic) .. 3 severe (the page is unfinished or does not run)."""


class Perturbed(NamedTuple):
    name: str
    severity: int
    html: str


# ---------------------------------------------------------------- page structure: scripts, styles, markup


class _Block(NamedTuple):
    kind: str  # "js" (inline script we may edit), "script" (src or non-JS type), "style"
    outer: int  # where the open tag starts
    start: int  # content start
    end: int  # content end
    close: int  # end of the close tag (== end when unclosed)
    attrs: str


_RAW_OPEN = re.compile(r"<(script|style)\b([^>]{0,500})>", re.I)
_RAW_CLOSE = {tag: re.compile(rf"</{tag}[\s/>]", re.I) for tag in ("script", "style")}
_JS_TYPES = {"", "text/javascript", "application/javascript", "module", "text/babel", "text/jsx"}
_TAILWIND_CONFIG = re.compile(r"\s*tailwind\.config\s*=")  # a script that only configures Tailwind
_TYPE_ATTR = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]*)""", re.I)


def _blocks(html: str) -> list[_Block]:
    """The <script> and <style> elements of the page, in order (an unclosed one runs to the end)."""
    blocks, pos = [], 0
    while (m := _RAW_OPEN.search(html, pos)) is not None:
        tag, attrs = m.group(1).lower(), m.group(2)
        close = _RAW_CLOSE[tag].search(html, m.end())
        end = close.start() if close else len(html)
        close_end = html.find(">", end) + 1 or len(html)
        kind = "style"
        if tag == "script":
            type_ = _TYPE_ATTR.search(attrs)
            js = not re.search(r"\bsrc\s*=", attrs, re.I) and (type_.group(1).lower() if type_ else "") in _JS_TYPES
            kind = "js" if js else "script"
        blocks.append(_Block(kind, m.start(), m.end(), end, close_end, attrs))
        pos = close_end
    return blocks


def _markup_spans(html: str, blocks: list[_Block]) -> list[tuple[int, int]]:
    """The page outside script and style contents (their tags included)."""
    spans, pos = [], 0
    for block in blocks:
        spans.append((pos, block.start))
        pos = block.end
    spans.append((pos, len(html)))
    return [(a, b) for a, b in spans if b > a]


def _find(pattern: re.Pattern, html: str, spans: list[tuple[int, int]]) -> list[re.Match]:
    return [m for a, b in spans for m in pattern.finditer(html, a, b)]


def _apply(html: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace html[start:end] by text for each edit; an edit overlapping an earlier one is dropped (the outer
    edit, e.g. a gutted function, already covers a nested one)."""
    out, last = [], 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], -e[1])):
        if start < last:
            continue
        out += [html[last:start], text]
        last = end
    out.append(html[last:])
    return "".join(out)


def _pick(rng: random.Random, items: list) -> list:
    """At least half of `items` (all when there are one or two): a graded page is clearly worse."""
    if not items:
        return []
    return rng.sample(items, rng.randint((len(items) + 1) // 2, len(items)))


def _absent_name(html: str, names: tuple[str, ...], rng: random.Random) -> str:
    """A plausible identifier that the page does not define or mention, so referencing it throws."""
    free = [name for name in names if name not in html]
    if free:
        return rng.choice(free)
    for _ in range(20):
        name = f"{rng.choice(names)}{rng.randint(2, 999)}"
        if name not in html:
            return name
    return "__uirayUndefined"


# ---------------------------------------------------------------- event handlers

_UI_EVENT = re.compile(
    r"click|dblclick|doubleclick|input|change|submit|reset|key(?:down|up|press)|contextmenu|wheel|drop"
    r"|(?:mouse|pointer)(?:down|up|move|over|out|enter|leave)|touch(?:start|end|move)"
    r"|drag(?:start|end|over|enter|leave)?|focus|blur|toggle",
    re.I,
)
# onclick="...", and Alpine/Vue's @click / x-on:click / v-on:click (with .prevent-style modifiers).
_INLINE_HANDLER = re.compile(
    r"(?<=[\s\"'/])(?:on|@|x-on:|v-on:)([a-z]{3,20})(?:\.[\w.-]{0,40})?\s*=\s*"
    r"(?:\"([^\"]{0,5000})\"|'([^']{0,5000})'|([^\s>\"'=`]{1,2000}))",
    re.I,
)
_LISTENER = re.compile(r"\.addEventListener\s*\(\s*([\"'`])([\w:-]{1,40})\1\s*,")
_HANDLER_PROPERTY = re.compile(r"\.on([a-z]{3,20})\s*=(?![=>])")
_JSX_HANDLER = re.compile(r"(?<![\w$.])on([A-Z][A-Za-z]{2,20})\s*=\s*\{")
_FUNCTION_HEAD = re.compile(
    r"\s*(?:async\s+)?(?:function\b[^{(]{0,100}\([^()]{0,300}\)\s*|(?:\([^()]{0,300}\)|[\w$]{1,60})\s*=>\s*)"
)
_MISSING_HELPERS = ("updateView", "refreshUI", "renderState", "syncState", "applyChanges", "updateDisplay",
                    "redrawAll", "saveState", "notifyChange", "trackClick")  # fmt: skip


class _Site(NamedTuple):
    start: int
    end: int
    kind: str  # "attr": a quoted attribute value, "bare": an unquoted one, "js": a JS function expression


def _handler_sites(html: str, blocks: list[_Block], rng: random.Random) -> list[_Site]:
    """The non-empty handlers of user events (click, input, keydown, ...): inline attributes, and in inline
    scripts addEventListener arguments, `.onclick =` right-hand sides and JSX onClick={...} values."""
    sites = []
    for m in _find(_INLINE_HANDLER, html, _markup_spans(html, blocks)):
        group = next(g for g in (2, 3, 4) if m.group(g) is not None)
        if _UI_EVENT.fullmatch(m.group(1)) and m.group(group).strip():
            sites.append(_Site(m.start(group), m.end(group), "bare" if group == 4 else "attr"))
    found = []  # (kind, position, script end): resolved below, after capping their number
    for block in (b for b in blocks if b.kind == "js"):
        for pattern, kind in ((_LISTENER, "arg"), (_HANDLER_PROPERTY, "property"), (_JSX_HANDLER, "jsx")):
            for m in pattern.finditer(html, block.start, block.end):
                if _UI_EVENT.fullmatch(m.group(m.lastindex)):
                    found.append((kind, m.end(), block.start, block.end))
    if len(found) > _MAX_SITES:
        found = sorted(rng.sample(found, _MAX_SITES))
    for kind, pos, floor, end in found:
        if commented_out(html, floor, pos):
            continue
        if kind == "jsx":  # onClick={...}: the value is what the braces hold
            close = matching_close(html, pos - 1, end)
        else:
            close = expression_end(html, pos, end, newline=kind == "property")
        if close is not None:
            start, stop = _strip_span(html, pos, close)
            if stop > start:
                sites.append(_Site(start, stop, "js"))
    return sites


def _strip_span(html: str, start: int, end: int) -> tuple[int, int]:
    while start < end and html[start].isspace():
        start += 1
    while end > start and html[end - 1].isspace():
        end -= 1
    return start, end


def _throwing(handler: str, call: str) -> str:
    """The JS function expression `handler`, changed to call the undefined `call` first (so it throws)."""
    head = _FUNCTION_HEAD.match(handler)
    if head and handler.startswith("{", head.end()):
        return f"{handler[: head.end() + 1]} {call};{handler[head.end() + 1 :]}"
    if head and "=>" in head.group():  # expression body: give it a block; a trailing `//` comment needs the \n
        body = handler[head.end() :]
        return f"{handler[: head.end()]}{{ {call}; {body}{chr(10) if '//' in body else ' '}}}"
    target = handler if re.fullmatch(r"[\w$.]{1,200}", handler) else f"({handler})"
    return f"(event) => {{ {call}; {target}(event); }}"


def remove_handler(html: str, rng: random.Random) -> str | None:
    """Empty at least half of the page's event handlers: controls stay on screen and do nothing."""
    sites = _pick(rng, _handler_sites(html, _blocks(html), rng))
    edits = [(s.start, s.end, {"attr": "", "bare": '""', "js": "() => {}"}[s.kind]) for s in sites]
    return _apply(html, edits) if edits else None


def break_handler(html: str, rng: random.Random) -> str | None:
    """Make at least half of the handlers call a helper that was never written, so a click throws."""
    sites = _pick(rng, _handler_sites(html, _blocks(html), rng))
    call = _absent_name(html, _MISSING_HELPERS, rng) + "()"
    edits = []
    for s in sites:
        if s.kind == "js":
            edits.append((s.start, s.end, _throwing(html[s.start : s.end], call)))
        else:
            edits.append((s.start, s.start, f"{call}; " if s.kind == "attr" else f"{call};"))
    return _apply(html, edits) if edits else None


# ---------------------------------------------------------------- scripts: top-level errors, skeletons

# Statements a model plausibly writes that throw when the name or element does not exist (a ReferenceError
# or a TypeError on null); the name is checked to be absent from the page.
_THROWING_STATEMENTS = (
    ("{}();", ("initApp", "setupUI", "loadSettings", "initTheme", "registerComponents", "mountApp")),
    ("document.getElementById('{}').classList.add('ready');",
     ("app-root", "main-panel", "toolbar-actions", "sidebar-nav", "modal-root", "settings-panel")),
    ("{}.init();", ("AppState", "Store", "Router", "UIKit", "Analytics", "ThemeManager")),
)  # fmt: skip


def inject_js_error(html: str, rng: random.Random) -> str | None:
    """Insert a top-level statement that throws early in an inline script (the longer, the likelier to be
    picked): everything after it in that script, e.g. the event wiring, never runs."""
    scripts = [
        b
        for b in _blocks(html)
        if b.kind == "js" and html[b.start : b.end].strip() and not _TAILWIND_CONFIG.match(html, b.start, b.end)
    ]
    if not scripts:
        return None
    script = rng.choices(scripts, weights=[b.end - b.start for b in scripts])[0]
    middle = (script.start + script.end) // 2
    starts = [p for p in statement_starts(html, script.start, script.end) if p <= middle] or [script.start]
    pos = rng.choice(starts)
    template, names = rng.choice(_THROWING_STATEMENTS)
    statement = template.format(_absent_name(html, names, rng))
    return _apply(html, [(pos, pos, f"{statement}\n{indent_at(html, script.start, pos)}")])


_FUNCTION_BODY = re.compile(
    r"\bfunction\b\s*\*?\s*[\w$]{0,60}\s*\([^()]{0,300}\)\s*\{|(?:\([^()]{0,300}\)|(?<![\w$.])[\w$]{1,60})\s*=>\s*\{"
)
_TODO_NOTES = ("TODO: finish this section", "TODO: add content here", "TODO: implement the remaining features")
_BLOCK_CLOSE = re.compile(r"</(?:main|section|article|aside|nav|header|footer|div|form|body)\s*>", re.I)
_CONTAINERS = ("ul", "ol", "table", "section", "article", "main", "aside", "form")
_CONTAINER = re.compile(rf"<({'|'.join(_CONTAINERS)})\b[^>]{{0,500}}>", re.I)
_CONTAINER_EDGE = {name: re.compile(rf"<(/?){name}\b", re.I) for name in _CONTAINERS}


def todo_skeleton(html: str, rng: random.Random) -> str | None:
    """Replace at least half of the function bodies by `// TODO: implement` and show a "TODO:" note in the
    page; a page without functions gets one section (list, table, form, ...) emptied to the note instead."""
    blocks = _blocks(html)
    note = f"<p>{rng.choice(_TODO_NOTES)}</p>"
    edits = []
    for start, close in _pick(rng, _function_bodies(html, blocks, rng)):
        indent = indent_at(html, 0, start)
        edits.append((start + 1, close, f"\n{indent}  // TODO: implement\n{indent}"))
    markup = _markup_spans(html, blocks)
    if edits:
        closers = _find(_BLOCK_CLOSE, html, markup)
        at = rng.choice(closers).start() if closers else len(html)
        return _apply(html, [*edits, (at, at, note)])
    containers = _find(_CONTAINER, html, markup)
    rng.shuffle(containers)
    for m in containers[:16]:
        edge = _CONTAINER_EDGE[m.group(1).lower()].search(html, m.end(), m.end() + 50_000)
        if edge is not None and edge.group(1) and html[m.end() : edge.start()].strip():  # innermost, not empty
            return _apply(html, [(m.end(), edge.start(), f"\n{note}\n")])
    return None


def _function_bodies(html: str, blocks: list[_Block], rng: random.Random) -> list[tuple[int, int]]:
    """(open brace, close brace) of the functions in inline scripts with a body worth gutting."""
    heads = [(m, b) for b in blocks if b.kind == "js" for m in _FUNCTION_BODY.finditer(html, b.start, b.end)]
    if len(heads) > _MAX_SITES:
        heads = rng.sample(heads, _MAX_SITES)
    bodies = []
    for m, block in heads:
        brace = m.end() - 1
        if commented_out(html, block.start, brace):
            continue
        close = matching_close(html, brace, block.end)
        if close is not None and len(html[brace + 1 : close].strip()) >= 10:
            bodies.append((brace, close))
    return sorted(bodies)


# ---------------------------------------------------------------- truncation

_TRAILING_CLOSE = re.compile(r"</[a-zA-Z][\w:-]{0,30}\s*>\Z")


def truncate(html: str, rng: random.Random) -> str | None:
    """Cut the page at a random point of its second half, before its trailing closing tags when it can:
    what a generation that hit its token limit looks like."""
    end = len(html)
    while True:  # step back over trailing whitespace and closing tags (`</main></body></html>`)
        while end > 0 and html[end - 1].isspace():
            end -= 1
        m = _TRAILING_CLOSE.search(html, max(0, end - 64), end)
        if m is None:
            break
        end = m.start()
    low = len(html) // 2
    high = end - 1 if end - 1 > low else len(html) - 1
    if high <= low:
        return None
    return html[: rng.randint(low, high)]


# ---------------------------------------------------------------- styling: CSS, layout, colours

_STYLE_ATTR = re.compile(r"(?<=\s)style\s*=\s*(?:\"[^\"]{0,20000}\"|'[^']{0,20000}'|[^\s>\"']{1,2000})", re.I)
_LINK = re.compile(r"<link\b[^>]{0,500}>", re.I)
_STYLESHEET = re.compile(r"\brel\s*=\s*[\"']?stylesheet", re.I)


def drop_css(html: str, rng: random.Random) -> str | None:
    """Remove every way the page styles itself: <style> blocks, style attributes, stylesheet links, and the
    Tailwind CDN script with its config (Tailwind classes stay, now inert)."""
    blocks = _blocks(html)
    edits = []
    for b in blocks:
        tailwind = (b.kind == "script" and "tailwindcss" in b.attrs.lower()) or (
            b.kind == "js" and _TAILWIND_CONFIG.match(html, b.start, b.end)
        )
        if b.kind == "style" or tailwind:
            edits.append((*_whole_lines(html, b.outer, b.close), ""))
    markup = _markup_spans(html, blocks)
    edits += [(m.start() - 1, m.end(), "") for m in _find(_STYLE_ATTR, html, markup)]
    links = [m for m in _find(_LINK, html, markup) if _STYLESHEET.search(m.group())]
    edits += [(*_whole_lines(html, m.start(), m.end()), "") for m in links]
    return _apply(html, edits) if edits else None


def _whole_lines(html: str, start: int, end: int) -> tuple[int, int]:
    """Widen html[start:end] to its whole lines when nothing else is on them, so no blank lines are left."""
    before = start
    while before > 0 and html[before - 1] in " \t":
        before -= 1
    after = end
    while after < len(html) and html[after] in " \t\r":
        after += 1
    if (before == 0 or html[before - 1] == "\n") and (after == len(html) or html[after] == "\n"):
        return before, min(after + 1, len(html))
    return start, end


_DOCTYPE = re.compile(r"\s*<!doctype[^>]{0,200}>", re.I)


def break_layout(html: str, rng: random.Random) -> str | None:
    """Give the page's top-level elements a fixed width of 1600-3200 px (so it scrolls sideways at 1280 px),
    and sometimes also stack their children on top of each other or stop text from wrapping."""
    if not re.search(r"<[a-zA-Z]", html):
        return None
    width = rng.randrange(1600, 3201, 100)
    rules = [f"body > * {{ width: {width}px !important; min-width: {width}px !important; }}"]
    extra = rng.choice((
        None,
        "body > * > * { position: absolute !important; top: 0; left: 0; }",
        "body * { white-space: nowrap !important; flex-wrap: nowrap !important; }",
    ))  # fmt: skip
    css = "\n".join(rules + ([extra] if extra else []))
    styles = [b for b in _blocks(html) if b.kind == "style"]
    if styles:  # append to the page's own stylesheet
        return _apply(html, [(styles[-1].end, styles[-1].end, f"\n{css}\n")])
    head_end = re.search(r"</head\s*>|<body\b", html, re.I)
    doctype = _DOCTYPE.match(html)
    at = head_end.start() if head_end else (doctype.end() if doctype else 0)
    return _apply(html, [(at, at, f"<style>\n{css}\n</style>")])


# The common named colours (not all 148): pages mostly use hex and rgb(), and a missed name only means one
# colour that keeps its tone.
_NAMED_COLOURS = (
    "white|black|red|green|blue|yellow|orange|purple|pink|gray|grey|silver|maroon|navy|teal|olive|lime|aqua|cyan"
    "|magenta|fuchsia|brown|gold|indigo|violet|coral|salmon|crimson|tomato|khaki|beige|ivory|lavender|turquoise"
    "|skyblue|steelblue|royalblue|dodgerblue|midnightblue|darkblue|lightblue|slategray|darkgray|lightgray"
    "|whitesmoke|gainsboro|darkgreen|forestgreen|seagreen|darkred|firebrick|chocolate|goldenrod|hotpink"
)
_COLOUR = re.compile(
    r"(?<![\w&])#(?:[0-9a-f]{8}|[0-9a-f]{6}|[0-9a-f]{3,4})(?![\w-])|(?:rgba?|hsla?)\([^()]{0,80}\)"
    rf"|(?<![\w-])(?:{_NAMED_COLOURS})(?![\w-])",
    re.I,
)
_DECLARATIONS = re.compile(r"\{([^{}]{0,20000})\}")  # innermost braces of CSS: declarations, not selectors
_COLOUR_ATTR = re.compile(
    r"(?<=\s)(?:style|fill|stroke|stop-color|bgcolor|color)\s*=\s*(?:\"([^\"]{0,20000})\"|'([^']{0,20000})')", re.I
)
_TAILWIND_COLOUR = re.compile(
    r"(?<![\w-])((?:bg|text|border|ring|divide|outline|fill|stroke|from|via|to|accent|caret|decoration|shadow)-)"
    r"((?:slate|gray|zinc|neutral|stone|red|orange|amber|yellow|lime|green|emerald|teal|cyan|sky|blue|indigo"
    r"|violet|purple|fuchsia|pink|rose)-(?:50|[1-9]00|950)|white|black)(?![\w-])"
)
# Colours of near-equal luminance (WCAG contrast between any two <= 1.4): text on any background is hard to
# read, and the hues clash. Each CSS palette comes with Tailwind classes of the same tone.
_PALETTES = (
    (("#ff00ff", "#ff3300", "#00a86b", "#3377ff", "#cc6600"),
     ("fuchsia-500", "red-500", "orange-500", "lime-600", "cyan-600")),
    (("#ffff00", "#00ffff", "#ccff00", "#66ff66", "#ffcc33"),
     ("yellow-300", "lime-300", "cyan-300", "pink-200", "green-300")),
)  # fmt: skip


def clash_palette(html: str, rng: random.Random) -> str | None:
    """Map each distinct colour of the page's CSS (hex, rgb(), hsl(), named; <style>, style/fill/stroke
    attributes) and of its Tailwind colour classes onto a clashing, low-contrast palette."""
    css_palette, tw_palette = (rng.sample(p, len(p)) for p in rng.choice(_PALETTES))
    css_map: dict[str, str] = {}
    tw_map: dict[str, str] = {}

    def swap(colour: str, palette: list[str], mapping: dict[str, str]) -> str:
        """Distinct colours get the palette's colours in turn, so neighbours (text, background) differ."""
        return mapping.setdefault(colour.lower(), palette[len(mapping) % len(palette)])

    def recolour(text: str) -> str:
        return _COLOUR.sub(lambda m: swap(m.group(), css_palette, css_map), text)

    blocks = _blocks(html)
    edits = []
    for b in (b for b in blocks if b.kind == "style"):
        edits += [(m.start(1), m.end(1), recolour(m.group(1))) for m in _DECLARATIONS.finditer(html, b.start, b.end)]
    for m in _find(_COLOUR_ATTR, html, _markup_spans(html, blocks)):
        group = 1 if m.group(1) is not None else 2
        edits.append((m.start(group), m.end(group), recolour(m.group(group))))
    not_css = _markup_spans(html, [b for b in blocks if b.kind == "style"])
    for m in _find(_TAILWIND_COLOUR, html, not_css):
        edits.append((m.start(2), m.end(2), swap(m.group(2), tw_palette, tw_map)))
    edits = [(start, end, text) for start, end, text in edits if text != html[start:end]]
    return _apply(html, edits) if edits else None


# ---------------------------------------------------------------- the registry

PERTURBATIONS: dict[str, Perturbation] = {
    "clash_palette": Perturbation(clash_palette, 1),
    "drop_css": Perturbation(drop_css, 2),
    "break_layout": Perturbation(break_layout, 2),
    "remove_handler": Perturbation(remove_handler, 2),
    "break_handler": Perturbation(break_handler, 2),
    "truncate": Perturbation(truncate, 3),
    "inject_js_error": Perturbation(inject_js_error, 3),
    "todo_skeleton": Perturbation(todo_skeleton, 3),
}


def perturb(html: str, names: list[str] | None = None, rng: random.Random | int | None = None) -> list[Perturbed]:
    """Apply each named perturbation (all by default) to `html`; those that do not apply are left out.

    Each perturbation draws from its own generator seeded from `rng` (a Random, a seed, or None for a seed
    taken from the page), so its result does not depend on which others were asked for.
    """
    names = list(PERTURBATIONS) if names is None else list(names)
    unknown = sorted(set(names) - set(PERTURBATIONS))
    if unknown:
        raise ValueError(f"unknown perturbations {unknown}; known: {sorted(PERTURBATIONS)}")
    if not isinstance(rng, random.Random):
        rng = random.Random(zlib.crc32(html.encode("utf-8", "surrogatepass")) if rng is None else rng)
    base = rng.getrandbits(64)
    out = []
    for name in names:
        perturbation = PERTURBATIONS[name]
        result = perturbation.apply(html, random.Random(f"{base}:{name}"))
        if result is not None and result != html:
            out.append(Perturbed(name, perturbation.severity, result))
    return out
