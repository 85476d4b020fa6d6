"""Visual sanity on synthetic screenshots and the axe impact-weighted accessibility score."""

import io

import pytest
from PIL import Image, ImageDraw

from uiray.reward.accessibility import accessibility_score
from uiray.reward.visual import visual_sanity


def png(draw=None, size=(1280, 800), background="white") -> bytes:
    image = Image.new("RGB", size, background)
    if draw:
        draw(ImageDraw.Draw(image))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_empty_and_one_colour_pages_are_blank():
    assert visual_sanity(png(), 1280, 1280, 800) == (0.0, ["blank"], 0.0)
    assert visual_sanity(png(background="#123456"), 1280, 1280, 800).issues == ["blank"]


def test_a_lone_word_is_near_blank_and_a_filled_page_is_fine():
    word = png(lambda d: d.rectangle((10, 10, 90, 40), fill="black"))  # 0.25% of the screen
    assert visual_sanity(word, 1280, 1280, 800).issues == ["near_blank"]
    assert visual_sanity(word, 1280, 1280, 800).score == 0.5
    page = png(lambda d: [d.rectangle((0, y, 1280, y + 30), fill="#334") for y in range(0, 800, 80)])
    assert visual_sanity(page, 1280, 1280, 800) == (1.0, [], pytest.approx(0.39, abs=0.02))  # 31 of every 80 rows


def test_only_the_first_screen_counts_and_overflow_costs():
    below_fold = png(lambda d: d.rectangle((0, 900, 1280, 1600), fill="black"), size=(1280, 1700))
    assert visual_sanity(below_fold, 1280, 1280, 800).issues == ["blank"]
    page = png(lambda d: d.rectangle((0, 0, 640, 400), fill="black"))
    assert visual_sanity(page, 3000, 1280, 800) == (0.5, ["overflow"], pytest.approx(0.25, abs=0.01))


def test_a_page_without_any_css_costs_half_and_unmeasured_styles_cost_nothing():
    page = png(lambda d: d.rectangle((0, 0, 640, 400), fill="black"))
    assert visual_sanity(page, 1280, 1280, 800, styles=0)[:2] == (0.5, ["unstyled"])
    assert visual_sanity(page, 1280, 1280, 800, styles=1)[:2] == (1.0, [])
    assert visual_sanity(page, 1280, 1280, 800, styles=None)[:2] == (1.0, [])
    assert visual_sanity(page, 3000, 1280, 800, styles=0)[:2] == (0.0, ["overflow", "unstyled"])


def test_accessibility_score_counts_rules_by_impact():
    assert accessibility_score([]) == 1.0
    assert accessibility_score([{"impact": "critical", "nodes": 40}]) == 0.5  # nodes do not multiply
    violations = [{"impact": "serious"}, {"impact": "moderate"}, {"impact": "minor"}, {"impact": None}]
    assert accessibility_score(violations) == pytest.approx(1 / (1 + 0.5 + 0.25 + 0.1 + 0.1))
