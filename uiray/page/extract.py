"""Pull the HTML page out of a model's reply.

Replies wrap the page in chatter, code fences, or nothing at all. We look for it in a fixed order,
most explicit first, so the same reply always yields the same page:

    1. a fenced code block (```html preferred, else the first fence that holds markup)
    2. <!DOCTYPE html> ... </html>
    3. <html> ... </html>
    4. a bare <svg> ... </svg>
    5. <body> ... </body>

A document cut off by the token limit has no closing tag; we keep it up to the end of the reply, so
that validity checks downstream (not extraction) decide whether a truncated page is acceptable.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

Source = Literal["fence", "doctype", "html", "svg", "body"]

# A fence opens with ``` (or more), an optional language tag, then a newline; it closes with the same
# run of backticks at line start or, if the reply was truncated, at the end of the text.
_FENCE = re.compile(
    r"^(?P<ticks>`{3,})[ \t]*(?P<lang>[\w+#.-]*)[^\n]*\n"  # opening fence and language tag
    r"(?P<body>.*?)"
    r"(?:^(?P=ticks)`*[ \t]*$|\Z)",  # closing fence, or the end of a truncated reply
    re.DOTALL | re.MULTILINE,
)
_HTML_LANGS = {"html", "htm", "xhtml", "svg", "xml"}
_MARKUP = re.compile(r"<\s*(!doctype|html|head|body|div|svg|main|section|script|style|canvas)\b", re.I)

# (source, opening pattern, closing pattern); the match runs from the opening to the last closing tag.
_DOCUMENT_PATTERNS: list[tuple[Source, re.Pattern[str], re.Pattern[str]]] = [
    ("doctype", re.compile(r"<!doctype\s+html", re.I), re.compile(r"</html\s*>", re.I)),
    ("html", re.compile(r"<html[\s>]", re.I), re.compile(r"</html\s*>", re.I)),
    ("svg", re.compile(r"<svg[\s>]", re.I), re.compile(r"</svg\s*>", re.I)),
    ("body", re.compile(r"<body[\s>]", re.I), re.compile(r"</body\s*>", re.I)),
]


class Extracted(NamedTuple):
    html: str
    source: Source


def extract_html(reply: str) -> Extracted | None:
    """Return the page in `reply` and where it was found, or None when the reply holds no page."""
    fenced = _from_fence(reply)
    if fenced is not None:
        return Extracted(fenced, "fence")
    for source, opening, closing in _DOCUMENT_PATTERNS:
        start = opening.search(reply)
        if start is None:
            continue
        ends = list(closing.finditer(reply, start.start()))
        end = ends[-1].end() if ends else len(reply)
        return Extracted(reply[start.start() : end].strip(), source)
    return None


def _from_fence(reply: str) -> str | None:
    candidates = [(m.group("lang").lower(), m.group("body").strip()) for m in _FENCE.finditer(reply)]
    for lang, body in candidates:
        if lang in _HTML_LANGS and body:
            return body
    for lang, body in candidates:
        if not lang and _MARKUP.search(body):
            return body
    return None
