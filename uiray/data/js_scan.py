"""A small JS scanner for perturbations: find brackets, statement starts and expression ends outside
string, comment, regex and template literals.

Not a parser: enough to find where a handler's body or a statement ends in arbitrary model output.
Every pattern is length-capped and every scan moves forward only, so hostile pages stay linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SCAN_LIMIT = 20_000  # chars scanned for one handler or function body; longer ones are left alone

_CODE_STOP = re.compile(r"[\"'`/(){}\[\],;]|\n\s*")
_TEMPLATE_STOP = re.compile(r"[`\\]|\$\{")
_STRING = {q: re.compile(rf"{q}(?:[^{q}\\\n]|\\.)*{q}?", re.S) for q in "'\""}
# Length caps keep a run of unterminated `/[(` from costing a rescan of the line per slash.
_REGEX_LITERAL = re.compile(r"/(?![*/])(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.){0,100}\]){1,300}/[a-z]*")
_REGEX_AFTER = frozenset("(,=:[!&|?{};+-*%<>~^")
_KEYWORD_END = re.compile(r"(?<![\w$])(?:return|typeof|case|do|else|in|of|void|yield|await|throw|delete)\Z")


def _js_structure(text: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    """Yield (index, char) for the brackets, commas, semicolons and line breaks of the JS in text[start:end].

    Strings, comments, regex literals and template literals (with the code of their ${...}) are skipped,
    so the brace in "a { b" or /[{]/ is not yielded; a run of blank lines is one line break. Every step
    moves forward: linear in the span.
    """
    templates: list[str | int] = []  # "`" inside template text, an int (brace depth) inside its ${...}
    i = start
    while i < end:
        if templates and templates[-1] == "`":
            m = _TEMPLATE_STOP.search(text, i, end)
            if m is None:
                return
            token = m.group()
            if token == "`":
                templates.pop()
            elif token == "${":
                templates.append(0)
            i = m.end() + (token == "\\")
            continue
        m = _CODE_STOP.search(text, i, end)
        if m is None:
            return
        i, c = m.start(), m.group()[0]
        if c in "\"'":
            i = _STRING[c].match(text, i, end).end()
        elif c == "`":
            templates.append("`")
            i += 1
        elif c == "/":
            i = _skip_slash(text, start, i, end)
        elif templates:  # code inside a template's ${...}: only its braces matter
            if c == "{":
                templates[-1] += 1
            elif c == "}":
                templates[-1] -= 1
                if templates[-1] < 0:
                    templates.pop()
            i = m.end()
        else:
            yield i, c
            i = m.end()


def _skip_slash(text: str, start: int, i: int, end: int) -> int:
    """Index after the comment or regex literal starting at text[i] == '/', or i + 1 for a division."""
    following = text[i + 1 : i + 2]
    if following == "/":
        newline = text.find("\n", i, end)
        return end if newline < 0 else newline
    if following == "*":
        close = text.find("*/", i + 2, end)
        return end if close < 0 else close + 2
    j = _prev_index(text, start, i)
    # A regex starts an operand: after an operator, an opening bracket, or a keyword such as `return`.
    if j < start or text[j] in _REGEX_AFTER or _KEYWORD_END.search(text, max(start, j - 10), j + 1):
        m = _REGEX_LITERAL.match(text, i, end)
        if m:
            return m.end()
    return i + 1


def _prev_index(text: str, start: int, i: int) -> int:
    """Index of the last non-space character before text[i], or start - 1 if there is none from `start`."""
    j = i - 1
    while j >= start and text[j] in " \t\r\n":
        j -= 1
    return j


def matching_close(text: str, open_at: int, end: int) -> int | None:
    """Index of the bracket closing the one at text[open_at], or None if it does not close before `end`."""
    depth = 0
    for i, c in _js_structure(text, open_at, min(end, open_at + _SCAN_LIMIT)):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return None


def expression_end(text: str, start: int, end: int, newline: bool = False) -> int | None:
    """Where the JS expression starting at `start` ends: at the first `,` or `;` outside brackets, a closing
    bracket it did not open, `end` itself, or (newline=True) a line break after a complete expression.
    None when the scan limit comes first."""
    depth, stop = 0, min(end, start + _SCAN_LIMIT)
    for i, c in _js_structure(text, start, stop):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and (c in ",;" or (newline and c == "\n" and _ends_statement(text, start, i, stop))):
            return i
    return end if stop == end and depth == 0 else None


_CONTINUES = re.compile(r"\s*[.?:+\-*/%&|=,)\]}>]")


def _ends_statement(text: str, start: int, i: int, end: int) -> bool:
    """A line break ends a statement when the line before ends a value (`x`, `)`, `]`, `}`, a quote) and the
    next line does not continue it (`.then(`, `+ 1`, `? a : b`)."""
    j = _prev_index(text, start, i)
    ends_value = j >= start and (text[j].isalnum() or text[j] in "_$)]}'\"`")
    return ends_value and not _CONTINUES.match(text, i, end)


_STATEMENT_START = re.compile(r"(?!(?:else|catch|finally|while)\b)[A-Za-z_$/]")
_BLANK = re.compile(r"\s*")


def statement_starts(text: str, start: int, end: int) -> list[int]:
    """Where a new top-level statement may be inserted: the first code of the script, and each line that
    follows a `;` or `}` outside brackets and does not continue the statement before (`else`, `.then`)."""
    first = _BLANK.match(text, start, end).end()
    starts, depth = ([first] if first < end else []), 0
    for i, c in _js_structure(text, start, end):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c == "\n" and depth == 0:
            after = _BLANK.match(text, i, end).end()
            j = _prev_index(text, start, i)
            if j >= start and text[j] in ";}" and _STATEMENT_START.match(text, after, end):
                starts.append(after)
    return starts


_LINE_COMMENT = re.compile(r"(?<![:\w\"'\\/])//")  # not the // of a URL


def commented_out(html: str, floor: int, pos: int) -> bool:
    """Whether pos is in a `//` comment: commented-out code must not be edited as if it ran."""
    line_start = html.rfind("\n", max(floor, pos - 2000), pos) + 1 or max(floor, pos - 2000)
    return _LINE_COMMENT.search(html, line_start, pos) is not None


def indent_at(html: str, floor: int, pos: int) -> str:
    line_start = html.rfind("\n", floor, pos) + 1 or floor
    return re.match(r"[ \t]*", html[line_start : line_start + 200]).group()
