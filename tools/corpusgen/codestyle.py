"""Coding-style variation for corpus pages: the same app written the way different people write it.

Two pages of one app type run the same logic, so without this their scripts and stylesheets would be
near-duplicates of each other (5-char shingle Jaccard ~0.75) and dedup would throw most of a category
away. Each page therefore gets its own habits, all behaviour-preserving:

  - local names from synonym sets (`statusLine` / `statusEl` / `message`), renamed only outside string
    literals, never where the name is also a property, an object key or a destructured field;
  - quotes ('single' or "double"); `function f() {}` or `const f = () => {}` for top-level functions (the
    scripts call them only after all are defined, and use neither `this` nor `arguments`); text set with
    textContent or innerText (reads stay textContent: innerText reads would see text-transform);
  - a `$` helper for getElementById, and sometimes the whole script in a DOMContentLoaded handler or an IIFE;
  - indentation of 2 or 4 spaces or tabs (dedup normalises whitespace, so this is for readers, not dedup);
  - CSS compact (one rule per line) or expanded, declarations in written or shuffled order (no rule of
    ours sets a shorthand and one of its longhands), colours as #hex or rgb().
"""

from __future__ import annotations

import random
import re

# Strings and comments (left alone) versus code (renamed). The scripts we generate use no template
# literals, and their regex literals hold no quotes, so this split is exact for them.
_LITERAL = re.compile(r"'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|//[^\n]*|/\*.*?\*/", re.S)

_SYNONYMS = {
    "button": ["btn", "control", "trigger"], "item": ["entry", "element", "node"], "input": ["field", "textBox"],
    "text": ["label", "content", "str"], "list": ["listEl", "container", "ul"], "value": ["val", "raw", "amount"],
    "note": ["memo", "doc", "page"], "items": ["entries", "elements", "nodes"], "statusLine": ["statusEl", "message",
    "info"], "current": ["active", "selected", "idx"], "cell": ["square", "tile", "slot"], "total": ["sum", "amount",
    "grand"], "title": ["heading", "caption"], "qty": ["quantity", "count"], "refresh": ["render", "update", "sync"],
    "rule": ["check", "validator"], "show": ["display", "goTo", "render"], "result": ["output", "resultEl", "answer"],
    "board": ["boardEl", "grid"], "place": ["put", "moveTo"], "grid": ["gridEl", "wall", "container"],
    "card": ["tile", "cardEl", "piece"], "timeEl": ["clock", "readout", "timeDisplay"], "format": ["fmt", "pretty",
    "toClock"], "draw": ["paint", "render", "redraw"], "row": ["tr", "line", "record"], "money": ["fmtMoney",
    "currency", "price"], "box": ["checkbox", "tick"], "label": ["span", "caption", "textEl"], "done": ["finished",
    "completed"], "habit": ["h", "routine"], "dot": ["pip", "bullet"], "thumb": ["tile", "preview"], "tab": ["t",
    "tabEl"], "form": ["formEl", "signup"], "rules": ["checks", "validators"], "liveCheck": ["live", "eager"],
    "validate": ["check", "verify", "test"], "failed": ["errors", "bad"], "ops": ["operators", "symbols"],
    "display": ["readout", "out"], "exprLine": ["expression", "exprEl"], "historyList": ["log", "historyEl"],
    "apply": ["compute", "calc", "operate"], "press": ["handle", "onKey", "input"], "units": ["table", "unitMap"],
    "kind": ["family", "category"], "valueInput": ["amountInput", "numberField"], "fromSelect": ["fromUnit", "src"],
    "toSelect": ["toUnit", "dst"], "fillUnits": ["populate", "loadUnits"], "convert": ["recalc", "compute"],
    "channels": ["sliders", "inputs"], "hexOut": ["hexLabel", "code"], "hexInput": ["hexField", "codeInput"],
    "hint": ["helper", "tip"], "toHex": ["hexOf", "rgbToHex"], "luminance": ["lum", "relLuminance"],
    "update": ["refresh", "paint", "sync"], "setHex": ["loadHex", "applyHex"], "chip": ["swatch", "preset"],
    "marks": ["symbols", "tokens"], "names": ["players", "labels"], "vsComputer": ["cpu", "solo"], "cells": ["squares",
    "tiles"], "lines": ["wins", "combos"], "winner": ["findWin", "checkWin"], "newRound": ["resetBoard", "restart"],
    "score": ["tally", "scoreEl"], "draws": ["ties", "drawEl"], "free": ["empty", "vacant"], "symbols": ["faces",
    "icons"], "faceUp": ["flipped", "showing"], "shuffle": ["mix", "scramble"], "flip": ["reveal", "turn"],
    "deal": ["setup", "newDeck"], "feedback": ["hintEl", "message"], "guesses": ["tries", "log"], "secret": ["target",
    "answer"], "newGame": ["reset", "startGame"], "guess": ["submitGuess", "check"], "questions": ["quiz", "deck"],
    "options": ["choices", "answers"], "verdict": ["result", "outcome"], "index": ["pos", "at"], "showQuestion":
    ["renderQuestion", "loadQuestion"], "modes": ["presets", "durations"], "startBtn": ["playBtn", "toggleBtn"],
    "stateEl": ["stateLine", "statusEl"], "mode": ["active", "preset"], "stop": ["halt", "pause"], "start": ["run",
    "go", "begin"], "selectMode": ["pickMode", "setMode"], "toggle": ["startStop", "toggleBtn"], "startedAt":
    ["t0", "since"], "laps": ["splits", "lapTimes"], "now": ["elapsedMs", "current"], "rows": ["trs", "lines"],
    "canvas": ["cv", "chart"], "ctx": ["g", "pen", "c2d"], "pad": ["margin", "inset"], "points": ["coords",
    "layout"], "pts": ["coords", "spots"], "nearest": ["hit", "closest"], "columns": ["lanes", "stages"],
    "counts": ["updateCounts", "tally"], "makeCard": ["createCard", "newCard"], "controls": ["actions", "tools"],
    "column": ["lane", "col"], "badge": ["counter", "pill"], "products": ["catalog", "goods"], "cart": ["basket",
    "bag"], "discount": ["promoOff", "percentOff"], "totals": ["recalc", "sumUp"], "subtotal": ["sub", "net"],
    "minus": ["less", "dec"], "plus": ["more", "inc"], "change": ["adjust", "bump"], "filter": ["view", "mode"],
    "left": ["remaining", "pending"], "addItem": ["addTodo", "append"], "clearButton": ["clearBtn", "purge"],
    "notes": ["docs", "pages"], "editor": ["textarea", "pad"], "escapeHtml": ["escape", "safe"], "inline": ["spans",
    "inlineMd"], "render": ["toHtml", "preview"], "words": ["wordCount", "n"], "addButton": ["addLink", "listNote"],
    "habits": ["routines", "tracked"], "tbody": ["body", "rowsEl"], "addRow": ["appendRow", "renderHabit"],
    "countCell": ["tallyCell", "doneCell"], "slides": ["panels", "pictures"], "dots": ["pips", "bullets"],
    "lightbox": ["viewer", "zoom"], "applyFilter": ["filterBy", "showTag"], "shown": ["visible", "count"],
    "openItem": ["enlarge", "preview"], "tabs": ["tabList", "tabButtons"], "select": ["activate", "choose"],
    "setOpen": ["toggleItem", "expandItem"], "expand": ["expandAll", "toggleAll"], "overlay": ["backdrop", "scrim"],
    "target": ["source", "pending"], "openModal": ["showDialog", "openDialog"], "closeModal": ["hideDialog",
    "dismiss"], "confirmAction": ["onConfirm", "accept"], "monthly": ["perMonth", "prices"], "yearlyBox":
    ["annual", "yearly"], "chosen": ["picked", "selection"], "price": ["cost", "amountFor"],
    "event": ["e", "evt", "ev"],
}  # fmt: skip


def vary_js(rng: random.Random, js: str) -> str:
    """Rename, requote, restyle and perhaps wrap a script; behaviour is unchanged."""
    js = _rename(rng, js)
    if rng.random() < 0.5:
        js = _requote(js)
    if rng.random() < 0.5:
        js = _arrow_functions(js)
    if rng.random() < 0.4:
        js = re.sub(r"\.textContent = (?!=)", ".innerText = ", js)
    if rng.random() < 0.4 and "$(" not in js:
        js = "const $ = (id) => document.getElementById(id);\n" + js.replace("document.getElementById(", "$(")
    wrap = rng.choice(["none", "none", "ready", "iife"])
    if wrap != "none":
        head = "document.addEventListener('DOMContentLoaded', () => {" if wrap == "ready" else "(() => {"
        tail = "});" if wrap == "ready" else "})();"
        js = f"{head}\n'use strict';\n" + re.sub(r"^(?=.)", "  ", js, flags=re.M) + f"\n{tail}"
    unit = rng.choice(["  ", "    ", "\t"])
    return re.sub(r"^((?:  )+)", lambda m: unit * (len(m[1]) // 2), js, flags=re.M)


def _arrow_functions(js: str) -> str:
    """Top-level `function f(a) {` ... `}` (closing brace alone at column 0) to `const f = (a) => {` ... `};`."""
    lines, out, inside = js.split("\n"), [], False
    for line in lines:
        match = re.match(r"function ([\w$]+)\(([^)]*)\) \{(.*)$", line)
        if match and not inside:
            name, args, rest = match.groups()
            line = f"const {name} = ({args}) => {{{rest}"
            if rest.rstrip().endswith("}"):  # a one-line function
                line += ";"
            else:
                inside = True
        elif inside and line == "}":
            line, inside = "};", False
        out.append(line)
    return "\n".join(out)


def vary_css(rng: random.Random, css: str) -> str:
    """Compact (as written) or expanded, declarations in order or shuffled, colours as hex or rgb()."""
    if rng.random() < 0.4:
        css = re.sub(r"#([0-9a-fA-F]{6})(?![0-9a-fA-F])", lambda m: _rgb(m[1]), css)
    shuffle = rng.random() < 0.5
    expanded, indent = rng.random() < 0.65, rng.choice(["  ", "    "])
    out, depth, pending = [], 0, []
    for token in re.split(r"([{}])", css):
        if token == "{":
            out.append(indent * depth + " ".join(pending[-1].split()) + " {")
            pending, depth = [], depth + 1
        elif token == "}":
            decls = [d.strip() for d in ";".join(pending).split(";") if d.strip()]
            if shuffle:
                rng.shuffle(decls)
            depth = max(depth - 1, 0)
            if expanded or not decls:  # a block of rules (@media, @keyframes) closes on its own line
                out += [f"{indent * (depth + 1)}{' '.join(d.split())};" for d in decls] + [indent * depth + "}"]
            else:
                out[-1] += "".join(f" {' '.join(d.split())};" for d in decls) + " }"
            pending = []
        elif token.strip():
            pending.append(token)
    return "\n".join(out)


def _rgb(hex6: str) -> str:
    r, g, b = (int(hex6[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def _split(js: str) -> list[tuple[bool, str]]:
    """(is code, text) pieces: code between string literals and comments."""
    pieces, at = [], 0
    for m in _LITERAL.finditer(js):
        pieces += [(True, js[at : m.start()]), (False, m.group())]
        at = m.end()
    return [*pieces, (True, js[at:])]


_WORD = re.compile(r"(?<![\w$.])[A-Za-z_$][\w$]*")


def _rename(rng: random.Random, js: str) -> str:
    pieces = _split(js)
    code = "\n".join(text for is_code, text in pieces if is_code)
    taken = set(re.findall(r"[A-Za-z_$][\w$]*", js))
    fixed = _fixed_names(code)
    renames = {}
    for name in sorted(taken & set(_SYNONYMS) - fixed):
        if rng.random() < 0.25:
            continue
        choices = [s for s in _SYNONYMS[name] if s not in taken]
        if choices:
            renames[name] = _pick_one(rng, choices)
            taken.add(renames[name])
    if not renames:
        return js
    return "".join(_WORD.sub(lambda m: renames.get(m[0], m[0]), text) if is_code else text for is_code, text in pieces)


def _fixed_names(code: str) -> set[str]:
    """Names that must keep their spelling: properties (`.name`), object keys and shorthands (`{name,`,
    `name: 1`, which also catches `a ? name : b`) and destructured fields."""
    names = set(re.findall(r"\.\s*([A-Za-z_$][\w$]*)", code))
    names |= set(re.findall(r"(?<![\w$])([A-Za-z_$][\w$]*)\s*:(?!:)", code))
    names |= set(re.findall(r"(?<=[{,])\s*([A-Za-z_$][\w$]*)\s*(?=[,}])", code))
    return names


def _requote(js: str) -> str:
    """'single' to "double" quotes where the string holds neither quote nor escape."""
    pieces = _split(js)
    return "".join(
        text if is_code or not re.fullmatch(r"'[^'\"\\]*'", text) else f'"{text[1:-1]}"' for is_code, text in pieces
    )


def _pick_one(rng: random.Random, items: list[str]) -> str:
    return items[rng.randrange(len(items))]
