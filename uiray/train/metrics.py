"""Training and eval metrics for UI models: token accuracy, critical-token accuracy, colour entropy, validity.

Accuracies return counts (correct, total), not rates, so that micro-batches and workers can be summed
before dividing; a rate averaged over batches of different sizes is a different number.

Critical tokens are the ones a page breaks on when they are wrong, found by character spans in the
decoded text (regexes below), then mapped to tokens through the offset mapping (a token is critical
when its characters overlap a span):

    HTML tag names          the name in <div, </section  (followed by space, / or >)
    CSS property names      the name before ':' at the start of a declaration, in <style> blocks (inside
                            braces, so selectors like a:hover are not properties) and style="..." attributes
    Tailwind-like classes   whole class tokens in class="..." / className="..." that look like utilities
                            (bg-blue-500, md:px-4, w-1/2, flex, hover:text-[#fff]); bespoke names such as
                            todo-item are not counted

Colour entropy measures the 'everything is blue/purple' collapse of small models. Every distinct colour a
page names (CSS hex, rgb(), hsl(), named colours in colour-bearing declarations and attributes, Tailwind
colour classes) goes into one of 12 hue buckets of 30 degrees (bucket 0 is red, 345-15 degrees); the
score is the Shannon entropy of the bucket shares in bits, from 0 (one hue) to log2(12) = 3.58. Neutral
colours (white, black, greys and near-white tints: chroma below 0.12, Tailwind's slate/gray/zinc/neutral/
stone) are left out, since every page has them and they say nothing about its palette; a page with no
chromatic colour scores 0, like a one-hue page. Colours are counted once however often they are used,
so the score reads the palette, not how often the code repeats a class.
"""

from __future__ import annotations

import colorsys
import math
import re
from collections import Counter
from typing import NamedTuple

import torch
from PIL import ImageColor

from uiray.page.extract import extract_html
from uiray.page.heuristics import completeness
from uiray.train.tokenize import IGNORE


class Counts(NamedTuple):
    correct: int
    total: int

    @property
    def rate(self) -> float:
        """correct / total; NaN when there was nothing to count (not 0: nothing is not all wrong)."""
        return self.correct / self.total if self.total else math.nan


# ---------------------------------------------------------------- accuracies


def token_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> Counts:
    """Greedy next-token accuracy over labelled tokens: argmax of position t's logits == label t + 1."""
    return _accuracy(logits, labels, labels != IGNORE)


def critical_token_accuracy(logits: torch.Tensor, labels: torch.Tensor, critical: torch.Tensor) -> Counts:
    """token_accuracy restricted to labelled tokens that `critical` (from critical_token_mask) marks."""
    return _accuracy(logits, labels, (labels != IGNORE) & critical.to(labels.device))


def _accuracy(logits: torch.Tensor, labels: torch.Tensor, keep: torch.Tensor) -> Counts:
    predicted = logits[:, :-1].argmax(-1)
    keep = keep[:, 1:]
    correct = (predicted == labels[:, 1:]) & keep
    return Counts(int(correct.sum()), int(keep.sum()))


# ---------------------------------------------------------------- critical tokens

_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)(?:</style|\Z)", re.I | re.S)
_DECLARATIONS = re.compile(r"\{([^{}]*)(?:\}|\Z)")
_STYLE_ATTR = re.compile(r"""\bstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_PROPERTY = re.compile(r"(?:^|;)\s*(-{0,2}[A-Za-z][\w-]*)\s*:")
_CLASS_ATTR = re.compile(r"""\bclass(?:Name)?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CLASS_TOKEN = re.compile(r"\S+")
# Utility roots that take a value (bg-red-500, px-4, grid-cols-3) and ones that also stand alone (flex, hidden).
_VALUED = (
    "bg|text|font|leading|tracking|p[xytblrse]?|-?m[xytblrse]?|w|h|size|min-w|max-w|min-h|max-h|gap|gap-[xy]"
    "|space-[xy]|rounded|border|shadow|ring|divide|items|justify|content|self|place-items|place-content"
    "|col|col-span|row|row-span|grid-cols|grid-rows|flex|basis|order|inset|inset-[xy]|-?top|-?right|-?bottom"
    "|-?left|z|opacity|from|via|to|duration|ease|delay|animate|scale|-?rotate|-?translate-[xy]|skew-[xy]|cursor"
    "|overflow|overflow-[xy]|object|aspect|list|decoration|underline-offset|whitespace|break|line-clamp|select"
    "|pointer-events|fill|stroke|backdrop|blur|brightness|outline|accent|caret|columns|float|clear|mix-blend"
    "|transition|grow|shrink|sr|line-through|not"
)
_ALONE = (
    "flex|grid|block|inline|inline-block|inline-flex|inline-grid|hidden|contents|table|relative|absolute|fixed"
    "|sticky|static|container|rounded|shadow|border|italic|underline|uppercase|lowercase|capitalize|truncate"
    "|transition|transform|grow|shrink|visible|invisible|antialiased|outline|ring|blur|isolate|sr-only|group|peer"
)
_TAILWIND = re.compile(rf"(?:[\w\[\]&-]+:)*!?(?:(?:{_VALUED})-[\w./%#\[\](),'-]+|(?:{_ALONE}))")


def critical_spans(text: str) -> list[tuple[int, int]]:
    """Character spans [start, end) of tag names, CSS property names and Tailwind-like classes in `text`."""
    spans = [m.span(1) for m in _TAG_NAME.finditer(text)]
    for block in _STYLE_BLOCK.finditer(text):
        for decl in _DECLARATIONS.finditer(text, block.start(1), block.end(1)):
            spans += _properties(text, *decl.span(1))
    for attr in _STYLE_ATTR.finditer(text):
        group = 1 if attr.group(1) is not None else 2
        spans += _properties(text, *attr.span(group))
    for attr in _CLASS_ATTR.finditer(text):
        group = 1 if attr.group(1) is not None else 2
        start = attr.start(group)
        for token in _CLASS_TOKEN.finditer(attr.group(group)):
            if _TAILWIND.fullmatch(token.group()):
                spans.append((start + token.start(), start + token.end()))
    return sorted(spans)


def _properties(text: str, start: int, end: int) -> list[tuple[int, int]]:
    # On the slice, so that ^ means the start of the declarations (finditer's pos does not move ^).
    return [(start + m.start(1), start + m.end(1)) for m in _PROPERTY.finditer(text[start:end])]


def critical_token_mask(tokenizer, input_ids: torch.Tensor) -> torch.Tensor:
    """(L,) or (B, L) token ids -> bool mask of the same shape: True where a token overlaps a critical span."""
    rows = input_ids.reshape(-1, input_ids.shape[-1]) if input_ids.dim() > 1 else input_ids[None]
    mask = torch.zeros(rows.shape, dtype=torch.bool)
    for b, row in enumerate(rows.tolist()):
        text, offsets = _decode_with_offsets(tokenizer, row)
        inside = [0] * (len(text) + 1)  # inside[i]: critical characters before i (prefix sums)
        flags = bytearray(len(text))
        for s, e in critical_spans(text):
            flags[s:e] = b"\x01" * (e - s)
        for i, flag in enumerate(flags):
            inside[i + 1] = inside[i] + flag
        mask[b] = torch.tensor([e > s and inside[e] > inside[s] for s, e in offsets], dtype=torch.bool)
    # Special tokens are never critical, even when they look like a tag (Llama's </s>, Gemma's <eos>).
    mask &= ~torch.isin(rows.cpu(), torch.tensor(tokenizer.all_special_ids, dtype=rows.dtype))
    return mask.reshape(input_ids.shape).to(input_ids.device)


def _decode_with_offsets(tokenizer, ids: list[int]) -> tuple[str, list[tuple[int, int]]]:
    """The text of `ids` and each token's character span in it.

    Fast path: re-encode the decoded text with the tokenizer's offset mapping, valid when re-encoding
    gives back the same ids (the usual case for model output). Otherwise (a non-canonical split, a slow
    tokenizer) each token's end is the length of the decoded prefix that ends with it: always right,
    quadratic in length, so only the fallback.
    """
    text = tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        if list(enc["input_ids"]) == ids:
            return text, [tuple(o) for o in enc["offset_mapping"]]
    offsets, start = [], 0
    for i in range(len(ids)):
        end = len(tokenizer.decode(ids[: i + 1], skip_special_tokens=False, clean_up_tokenization_spaces=False))
        offsets.append((start, end))
        start = end
    return text, offsets


# ---------------------------------------------------------------- colours

_HEX = re.compile(r"(?<![\w&#-])#([0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})(?![\w-])(?!\s*\{)")
_FUNCTION = re.compile(r"\b(rgba?|hsla?)\(\s*([^()]{1,80})\)", re.I)
# Named colours only where a colour is expected: prose says "red" too.
_COLOUR_VALUE = re.compile(
    r"""(?:colou?r|background|border|fill|stroke|outline|shadow)[\w-]*\s*[:=]\s*["']?([^;{}<>"'\n]{0,200})""", re.I
)
_WORD = re.compile(r"[a-z]+", re.I)
_TW_HUES = {
    "red": "#ef4444", "orange": "#f97316", "amber": "#f59e0b", "yellow": "#eab308", "lime": "#84cc16",
    "green": "#22c55e", "emerald": "#10b981", "teal": "#14b8a6", "cyan": "#06b6d4", "sky": "#0ea5e9",
    "blue": "#3b82f6", "indigo": "#6366f1", "violet": "#8b5cf6", "purple": "#a855f7", "fuchsia": "#d946ef",
    "pink": "#ec4899", "rose": "#f43f5e",
}  # fmt: skip
_TW_NEUTRAL = ("slate", "gray", "zinc", "neutral", "stone", "white", "black")
_TW_FAMILIES = "|".join([*_TW_HUES, *_TW_NEUTRAL])
_TW_COLOUR = re.compile(
    r"(?<![\w-])(?:bg|text|border(?:-[trblxyse])?|ring|divide|outline|fill|stroke|from|via|to|accent|caret"
    rf"|decoration|shadow|placeholder)-({_TW_FAMILIES})(?:-(50|[1-9]00|950))?(?:/\d+)?(?![\w-])"
)
_MIN_CHROMA = 0.12
_BUCKETS = 12


def colours(html: str) -> dict[str, float | None]:
    """Distinct colours named in `html` -> hue in degrees, or None for a neutral colour.

    Keys are '#rrggbb' for CSS colours and 'tw:family-shade' for Tailwind classes (shades of one family
    share the family's hue; text-blue-500 and bg-blue-500 are one colour).
    """
    found: dict[str, float | None] = {}
    for m in _HEX.finditer(html):
        _add(found, _hex_rgb(m.group(1)))
    for m in _FUNCTION.finditer(html):
        _add(found, _function_rgb(m.group(1).lower(), m.group(2)))
    for m in _COLOUR_VALUE.finditer(html):
        for word in _WORD.findall(m.group(1)):
            if word.lower() in ImageColor.colormap:
                _add(found, ImageColor.getrgb(word.lower())[:3])
    for m in _TW_COLOUR.finditer(html):
        family, shade = m.group(1), m.group(2) or ""
        hue = _hue(_hex_rgb(_TW_HUES[family][1:])) if family in _TW_HUES else None
        found[f"tw:{family}-{shade}".rstrip("-")] = hue
    return found


def colour_entropy(html: str) -> float:
    """Shannon entropy (bits) of the hue buckets of a page's distinct chromatic colours (module docstring)."""
    buckets = Counter(int(((hue + 15) % 360) // 30) for hue in colours(html).values() if hue is not None)
    total = sum(buckets.values())
    return -sum(n / total * math.log2(n / total) for n in buckets.values()) if total else 0.0


def _add(found: dict[str, float | None], rgb: tuple[int, int, int] | None) -> None:
    if rgb is not None:
        found["#{:02x}{:02x}{:02x}".format(*rgb)] = _hue(rgb)


def _hue(rgb: tuple[int, int, int]) -> float | None:
    r, g, b = (c / 255 for c in rgb)
    if max(r, g, b) - min(r, g, b) < _MIN_CHROMA:
        return None
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


def _hex_rgb(digits: str) -> tuple[int, int, int]:
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _function_rgb(name: str, args: str) -> tuple[int, int, int] | None:
    """rgb()/rgba()/hsl()/hsla() arguments (comma or space syntax, alpha ignored) -> RGB; None if unreadable."""
    parts = [p for p in re.split(r"[\s,/]+", args.strip()) if p][:3]
    if len(parts) < 3:
        return None
    try:
        if name.startswith("rgb"):
            return tuple(round(_channel(p) * 255) for p in parts)  # type: ignore[return-value]
        hue = _angle(parts[0])
        saturation, lightness = (float(p.rstrip("%")) / 100 for p in parts[1:])
    except ValueError:
        return None  # var(--x), calc(...) and friends
    r, g, b = colorsys.hls_to_rgb(hue / 360 % 1, min(max(lightness, 0), 1), min(max(saturation, 0), 1))
    return round(r * 255), round(g * 255), round(b * 255)


def _channel(part: str) -> float:
    value = float(part[:-1]) / 100 if part.endswith("%") else float(part) / 255
    return min(max(value, 0.0), 1.0)


def _angle(part: str) -> float:
    for unit, scale in (("deg", 1.0), ("turn", 360.0), ("grad", 0.9), ("rad", 180 / math.pi)):
        if part.endswith(unit):
            return float(part[: -len(unit)]) * scale
    return float(part)


# ---------------------------------------------------------------- validity


def html_validity(reply: str) -> bool:
    """The reply holds a page (extract_html) that is neither truncated nor badly unbalanced (completeness).

    Placeholders and empty handlers lower the completeness score but leave the page valid HTML, so they
    do not count here; the reward measures them.
    """
    extracted = extract_html(reply)
    if extracted is None:
        return False
    kinds = {issue.split(":", 1)[0] for issue in completeness(extracted.html).issues}
    return not kinds & {"imbalance", "truncated"}
