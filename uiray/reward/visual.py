"""Visual sanity of a rendered page: is anything on screen, is it styled, does it fit the viewport's width?

    issue         what                                                           cost
    blank         < 0.05% of the first screen differs visibly from its           1.0
                  background colour (nothing drawn, or white on white)
    near_blank    < 0.5% differs visibly (a lone heading on an empty page)       0.5
    overflow      the document is wider than the viewport (horizontal scroll)    0.5
    unstyled      no CSS rule and no style attribute: the browser's default      0.5
                  look (a page whose stylesheet or Tailwind script is missing)

    score = max(0, 1 - sum of costs)

Overflow and unstyled cost half the component: either one is a page a user would call broken, and with the
default preset's visual weight (0.15) that is a reward drop of 0.075, clear of the data stage's preference
pair margin (0.05) so that layout- and style-breaking perturbations become pairs.

Only the first screen (the viewport) is measured: it is what a user sees first, and a long page whose
top is empty is as broken as a blank one. Pixels are compared after downscaling to 160x100, which makes
anti-aliasing and JPEG-like noise irrelevant and keeps this a few milliseconds per page.
"""

from __future__ import annotations

import io
from typing import NamedTuple

BLANK, NEAR_BLANK = 0.0005, 0.005
VISIBLE = 24
"""A pixel is visible when a channel differs from the background colour by more than this (of 255)."""
COSTS = {"blank": 1.0, "near_blank": 0.5, "overflow": 0.5, "unstyled": 0.5}


class Visual(NamedTuple):
    score: float
    issues: list[str]
    visible_share: float
    """Fraction of the first screen's (downscaled) pixels that differ visibly from the background."""


def visual_sanity(
    png: bytes, page_width: int, viewport_width: int, viewport_height: int, styles: int | None = None
) -> Visual:
    """Score a full-page PNG (its top viewport_height pixels), the page's scrollWidth and its count of CSS
    rules + style attributes (DomStats.styles; None: not measured, no unstyled check)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    top = image.crop((0, 0, min(image.width, viewport_width), min(image.height, viewport_height)))
    small = top.resize((160, 100), Image.Resampling.BOX)
    counts = sorted(small.getcolors(160 * 100), reverse=True)
    background = counts[0][1]  # the most common colour
    visible = sum(n for n, colour in counts if _distance(colour, background) > VISIBLE) / (160 * 100)
    issues = []
    if visible < BLANK:
        issues.append("blank")
    elif visible < NEAR_BLANK:
        issues.append("near_blank")
    if page_width > viewport_width + 1:
        issues.append("overflow")
    if styles == 0:
        issues.append("unstyled")
    return Visual(max(0.0, 1.0 - sum(COSTS[i] for i in issues)), issues, round(visible, 4))


def _distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))
