"""Structural similarity of a page to a reference page (FrontCoder's S_sim).

    S_sim = 0.5 * LCS(tags(page), tags(reference)) + 0.5 * landmark match

LCS similarity = length of the longest common subsequence of the two start-tag sequences divided by the
longer sequence's length. Both sequences empty gives 1.0: two pages with no elements have the same
(empty) structure, and this agrees with the landmark term, which is 1.0 for two pages without landmarks.

Landmark match = fraction of the five landmarks (header, nav, main, footer, aside) whose presence
agrees between the two pages; an element with the equivalent ARIA role (banner, navigation, main,
contentinfo, complementary) counts as the landmark. Per ARIA a <header> inside <article>/<section> is
not a banner; we count it anyway - the term asks whether the page has the region, not the a11y tree.

Tag sequences are capped (2000 tags by default) because the LCS is O(n*m): 2000 x 2000 is 4M cell
updates, about half a second in pure Python, which is as much as one reward call should cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from html.parser import HTMLParser

LANDMARK_ROLES = {
    "header": "banner",
    "nav": "navigation",
    "main": "main",
    "footer": "contentinfo",
    "aside": "complementary",
}
_ROLE_TO_LANDMARK = {role: tag for tag, role in LANDMARK_ROLES.items()}


class _Structure(HTMLParser):
    """Start tags in document order (up to `limit`) and the landmarks present anywhere in the page."""

    def __init__(self, limit: int | None) -> None:
        super().__init__(convert_charrefs=True)
        self.limit = limit
        self.tags: list[str] = []
        self.landmarks: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # handle_startendtag (`<path/>`) calls this too, so self-closed elements are counted once.
        if self.limit is None or len(self.tags) < self.limit:
            self.tags.append(tag)  # html.parser lowercases tag names
        if tag in LANDMARK_ROLES:
            self.landmarks.add(tag)
        for name, value in attrs:
            if name == "role" and value:
                # role is a space-separated token list; the first recognised token wins in ARIA, but
                # any landmark token is enough to say the page has the region.
                self.landmarks.update(_ROLE_TO_LANDMARK[r] for r in value.lower().split() if r in _ROLE_TO_LANDMARK)


def _parse(html: str, limit: int | None) -> _Structure:
    parser = _Structure(limit)
    # No close(): it would reparse an unfinished tail (an unclosed `<!--`, a `<` that starts no tag) as
    # text one `<` at a time, which is quadratic (seconds on 100 KB of `<!-- a `) and finds tags that a
    # browser would not - it too lets an unclosed comment swallow the rest of the page.
    parser.feed(html)
    return parser


def tag_sequence(html: str, limit: int = 2000) -> list[str]:
    """Start tags in document order, lowercased, at most `limit` of them."""
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return _parse(html, limit).tags


def landmarks(html: str) -> frozenset[str]:
    """The landmark elements (header, nav, main, footer, aside) present as a tag or an ARIA role."""
    return frozenset(_parse(html, 0).landmarks)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence; O(len(a) * len(b)) time, O(len(b)) memory."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            current[j] = previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1])
        previous = current
    return previous[-1]


def lcs_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """LCS length / the longer length; 1.0 when both are empty (see the module docstring)."""
    longer = max(len(a), len(b))
    return lcs_length(a, b) / longer if longer else 1.0


def landmark_match(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """Fraction of the five landmarks that both pages have or both lack."""
    return sum((tag in a) == (tag in b) for tag in LANDMARK_ROLES) / len(LANDMARK_ROLES)


def dom_similarity(html: str, reference: str, limit: int = 2000) -> float:
    """FrontCoder's S_sim in [0, 1]: 0.5 * LCS similarity of tag sequences + 0.5 * landmark match."""
    page, ref = _parse(html, limit), _parse(reference, limit)
    return 0.5 * lcs_similarity(page.tags, ref.tags) + 0.5 * landmark_match(page.landmarks, ref.landmarks)
