"""Text-level reward components: repetition gate, length score, completeness of a page.

All three read the page as text (no browser), so they are cheap enough to run on every rollout.

Repetition indicator (FrontCoder's I_rep). The text is cut into consecutive `window`-char windows; in
each window the n-char n-gram repetition ratio is

    repeat(w) = 1 - |unique n-grams of w| / |n-grams of w|

and the Jaccard similarity of two windows is |G(a) & G(b)| / |G(a) | G(b)| over their n-gram sets.
I_rep = 0 if some window has repeat >= 0.65 or some window and the next have Jaccard >= 0.85, else 1
(n = 8, window = 8000 in FrontCoder). It catches the degenerate loops RL finds when long pages pay.

Length score (FrontCoder's S_len): 1 up to 12K tokens, linear down to 0 at 16K, 0 beyond.

Completeness: the failure modes that FrontCoder filters out of its SFT data ("TODO", "FIXME", "...",
tag imbalance > 30%) and that Dojo's perturbed outputs are built from (skeletons, dead buttons):

    issue kind      what                                                       cost
    placeholder     TODO/FIXME (in a comment, or as "TODO:"), "implement ...    0.5
                    here", "your code here", "add your ... here" (in a comment),
                    an ellipsis standing for elided code (`// ...`, `{ ... }`,
                    a line of only `...`; not `...args` nor "Loading...")
    empty_handler   onclick="", function f() {}, () => {} (comments-only        0.25
                    bodies count as empty; `.catch(() => {})` does not)
    imbalance       tag imbalance > 0.3 (see `tag_imbalance`)                   1.0
    truncated       <html>/<!DOCTYPE> document with no </html>                  1.0

    score = max(0, 1 - sum of the costs of the issue kinds present)

A kind costs once however often it occurs: one TODO is as much a skeleton as ten, and a count would
make the penalty depend on how the model words a gap (one long comment or ten short ones). Imbalance
and truncation zero the score because such a document is broken, not merely unfinished.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import NamedTuple


def repetition_indicator(
    text: str, n: int = 8, window: int = 8000, max_repeat: float = 0.65, max_jaccard: float = 0.85
) -> int:
    """FrontCoder's I_rep: 0 when the text repeats itself within a window or across two windows, else 1.

    Edge cases: a text shorter than `window` is one window (only the within-window test applies); a
    window shorter than `n` (the empty text, or a short tail) has no n-grams, so its repetition ratio is
    0 and its Jaccard with a neighbour is 0 - there is no evidence of repetition in it.
    """
    if n < 1 or window < n:
        raise ValueError(f"need 1 <= n <= window, got n={n}, window={window}")
    previous: set[str] = set()
    for start in range(0, max(len(text), 1), window):
        chunk = text[start : start + window]
        grams = [chunk[i : i + n] for i in range(len(chunk) - n + 1)]
        unique = set(grams)
        if grams and 1 - len(unique) / len(grams) >= max_repeat:
            return 0
        if previous and unique and len(previous & unique) / len(previous | unique) >= max_jaccard:
            return 0
        previous = unique
    return 1


def length_score(num_tokens: int, full: int = 12000, zero: int = 16000) -> float:
    """FrontCoder's S_len: 1.0 up to `full` tokens, linear to 0.0 at `zero`, 0.0 beyond."""
    if not 0 <= full < zero:
        raise ValueError(f"need 0 <= full < zero, got full={full}, zero={zero}")
    if num_tokens < 0:
        raise ValueError(f"num_tokens must be >= 0, got {num_tokens}")
    if num_tokens <= full:
        return 1.0
    return max(0.0, (zero - num_tokens) / (zero - full))


class Completeness(NamedTuple):
    score: float
    """1.0 with no issues; see the module docstring for the deductions."""
    issues: list[str]
    """One "kind: detail" string per problem found, e.g. "placeholder: '// TODO: wire up'"."""


_COST = {"placeholder": 0.5, "empty_handler": 0.25, "imbalance": 1.0, "truncated": 1.0}
_MAX_IMBALANCE = 0.3  # FrontCoder drops documents whose tag imbalance exceeds 30%
_MAX_EXAMPLES = 5  # issues listed per kind; the cost does not depend on the count

# Comments of HTML, CSS/JS blocks and JS lines. A `//` right after ':' or a quote or a word character
# is a URL ("https://", "'//cdn...'"), not a comment. An unclosed block comment runs to the end of the
# text, as in a browser; it also keeps the scan linear (each unclosed opener would otherwise rescan).
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)|/\*.*?(?:\*/|\Z)|(?<![:\w\"'\\/])//[^\n]*", re.S)
# Placeholders that only mean "unfinished" inside a comment: a visible "Add your task here" is a fine
# input placeholder, and "TODO" is the title of half the todo apps. An ellipsis counts when it starts a
# word ("// ...", "/* ...existing styles */") but not after one ("// show Loading... first").
_COMMENT_PLACEHOLDER = re.compile(
    r"\b(?:TODO|FIXME)\b"
    r"|(?i:your code here|\bimplement\b.{0,40}?\bhere\b|\badd your\b.{0,40}?\bhere\b|rest of (?:the )?code)"
    r"|(?<!\w)(?:\.\.\.|…)",
    re.S,
)
# Placeholders anywhere: "TODO:"/"FIXME:" notes, "your code here", `{ ... }` as an elided body (the
# spread `{...props}` has a name after the dots), and a line that is nothing but an ellipsis.
_TEXT_PLACEHOLDER = re.compile(
    r"\b(?:TODO|FIXME)\s*:|(?i:your code here)|\{\s*(?:\.\.\.|…)\s*\}|^[ \t]*(?:\.\.\.|…)[ \t]*$", re.M
)
# A body with nothing but whitespace and comments in it. Parameter lists and comments are length-capped
# and a bare parameter must start a word, so that no pattern rescans long runs: the matchers stay linear
# on 100 KB pages with base64 images (an unbounded `[\w$]+\s*=>` took minutes on one).
_EMPTY_BODY = r"\{\s*(?:(?://[^\n]*|/\*.{0,500}?\*/)\s*)*\}"
_EMPTY_INLINE_HANDLER = re.compile(r"\bon[a-z]+\s*=\s*(?:\"\s*\"|'\s*')", re.I)
_EMPTY_FUNCTION = re.compile(r"\bfunction\b\s*[\w$]*\s*\([^()]{0,200}\)\s*" + _EMPTY_BODY, re.S)
# `promise.catch(() => {})` deliberately ignores an error (e.g. autoplay refused); it is not a dead UI.
_EMPTY_ARROW = re.compile(r"(?P<catch>\.catch\(\s*)?(?:\([^()]{0,200}\)|(?<![\w$])[\w$]+)\s*=>\s*" + _EMPTY_BODY, re.S)

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    | {"param", "keygen", "frame", "basefont"}  # obsolete, still void in parsers
)
# Elements whose end tag HTML lets an author leave out (`<li>a<li>b` is valid); missing ones say
# nothing about a broken page, so they are not counted. Truncation is checked separately via </html>.
_OPTIONAL_END = frozenset(
    {"html", "head", "body", "p", "li", "dt", "dd", "rt", "rp", "optgroup", "option", "colgroup", "caption"}
    | {"thead", "tbody", "tfoot", "tr", "td", "th"}
)


def completeness(html: str) -> Completeness:
    """Find placeholders, empty handlers, tag imbalance and truncation; score as in the module docstring."""
    issues = _placeholders(html) + _empty_handlers(html)
    imbalance = tag_imbalance(html)
    if imbalance > _MAX_IMBALANCE:
        issues.append(f"imbalance: {imbalance:.2f} of tags unmatched (max {_MAX_IMBALANCE})")
    if re.search(r"<!doctype\s+html|<html[\s>]", html, re.I) and not re.search(r"</html\s*>", html, re.I):
        issues.append("truncated: document opens <html>/<!DOCTYPE> but has no </html>")
    kinds = {issue.split(":", 1)[0] for issue in issues}
    score = max(0.0, 1.0 - sum(_COST[kind] for kind in kinds))
    return Completeness(score, issues)


# The reply, not the page, handing the work back to the user (Dojo's base-model failure): "add your logic here",
# "implement this yourself", "left as an exercise".
_HANDED_BACK = re.compile(
    r"(?i)\b(?:add|implement|write|insert|put)\s+(?:the\s+|your\s+)?(?:own\s+)?(?:logic|code|functionality"
    r"|implementation|features?)\s+(?:here|yourself)\b|\bimplement\s+(?:this|it|the\s+rest)\s+yourself\b"
    r"|\bleft\s+as\s+an\s+exercise\b"
)


def is_skeleton(reply: str, html: str | None) -> bool:
    """Whether a reply is a skeleton: its page has placeholders or empty handlers (see `completeness`), or its
    text hands the work back ("implement this yourself")."""
    if html is not None and any(i.startswith(("placeholder", "empty_handler")) for i in completeness(html).issues):
        return True
    return _HANDED_BACK.search(reply) is not None


def _placeholders(html: str) -> list[str]:
    # Report the whole comment (it says what was left out), the bare match elsewhere.
    found = [c.group() for c in _COMMENT.finditer(html) if _COMMENT_PLACEHOLDER.search(c.group())]
    # Text patterns run with comments blanked out so that "// TODO: x" is not reported twice.
    found += [m.group().strip() for m in _TEXT_PLACEHOLDER.finditer(_COMMENT.sub(" ", html))]
    return _issues("placeholder", found)


def _empty_handlers(html: str) -> list[str]:
    found = [m.group() for m in _EMPTY_INLINE_HANDLER.finditer(html)]
    found += [m.group() for m in _EMPTY_FUNCTION.finditer(html)]
    found += [m.group() for m in _EMPTY_ARROW.finditer(html) if not m.group("catch")]
    return _issues("empty_handler", found)


def _issues(kind: str, snippets: list[str]) -> list[str]:
    unique = list(dict.fromkeys(" ".join(s.split())[:60] for s in snippets))  # dedupe, keep order
    return [f"{kind}: {snippet!r}" for snippet in unique[:_MAX_EXAMPLES]]


class _TagCounter(HTMLParser):
    """Counts start and end tags per element name; html.parser skips markup inside <script>/<style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.opened: dict[str, int] = {}
        self.closed: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.opened[tag] = self.opened.get(tag, 0) + 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # `<path/>` (SVG) closes itself: balanced by construction

    def handle_endtag(self, tag: str) -> None:
        self.closed[tag] = self.closed.get(tag, 0) + 1


def tag_imbalance(html: str) -> float:
    """Unmatched start + end tags / all start + end tags, over elements that need an end tag.

    Tags are matched by name, not by nesting: per element name, min(opens, closes) pairs match and
    |opens - closes| tags are unmatched. Misnesting (`<b><i></b></i>`) is repaired by browsers and is
    not counted; a missing or stray tag is. 0.0 for a document with no counted tags.
    """
    counter = _TagCounter()
    # No close(): it reparses an unfinished tail (an unclosed `<!--`) one `<` at a time - quadratic, and it
    # finds tags a browser would not, since an unclosed comment swallows the rest of the page.
    counter.feed(html)
    names = (set(counter.opened) | set(counter.closed)) - _VOID - _OPTIONAL_END
    total = sum(counter.opened.get(name, 0) + counter.closed.get(name, 0) for name in names)
    unmatched = sum(abs(counter.opened.get(name, 0) - counter.closed.get(name, 0)) for name in names)
    return unmatched / total if total else 0.0
