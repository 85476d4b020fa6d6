import pytest

from uiray.reward.similarity import (
    dom_similarity,
    landmark_match,
    landmarks,
    lcs_length,
    lcs_similarity,
    tag_sequence,
)

PAGE = """<!DOCTYPE html>
<html><head><title>Shop</title></head>
<body>
  <header><nav><a href="/">Home</a></nav></header>
  <main><section><h1>Deals</h1><img src="a.png"><p>Cheap</p></section></main>
  <footer><p>(c) 2025</p></footer>
</body></html>"""


def test_tag_sequence_lists_start_tags_in_order_lowercased():
    html = '<DIV><P>a</P><br><svg><path d="M0"/></svg><script>x = "<span>";</script></DIV>'
    # Void (<br>) and self-closed (<path/>) elements are start tags too; markup in <script> is not.
    assert tag_sequence(html) == ["div", "p", "br", "svg", "path", "script"]
    assert tag_sequence(html, limit=2) == ["div", "p"]
    assert tag_sequence("", limit=5) == []
    with pytest.raises(ValueError, match="limit"):
        tag_sequence(html, limit=-1)


def test_lcs_length_and_similarity_by_hand():
    a = ["html", "body", "header", "div", "p"]
    b = ["html", "body", "div", "p", "p", "footer"]
    # Longest common subsequence: html, body, div, p -> 4; longer sequence has 6 -> 4/6.
    assert lcs_length(a, b) == 4
    assert lcs_length(b, a) == 4
    assert lcs_similarity(a, b) == pytest.approx(4 / 6)
    # Order matters: a reversed sequence shares only one element in order.
    assert lcs_length(["a", "b", "c"], ["c", "b", "a"]) == 1
    assert lcs_similarity([], []) == 1.0  # two empty structures are the same structure
    assert lcs_similarity(["div"], []) == 0.0


def test_landmarks_count_tags_and_aria_roles():
    assert landmarks(PAGE) == {"header", "nav", "main", "footer"}
    roles = (
        '<div role="banner"></div><div role="navigation menu"></div><div ROLE="Main"></div>'
        '<div role="contentinfo"></div><div role="complementary"></div><div role="button"></div>'
    )
    assert landmarks(roles) == {"header", "nav", "main", "footer", "aside"}
    assert landmarks("<div><p>no regions</p></div>") == frozenset()


def test_landmark_match_is_agreement_over_five_landmarks():
    # Agree on nav (both), main (both), aside (neither); disagree on header and footer -> 3/5.
    assert landmark_match({"header", "nav", "main"}, {"nav", "main", "footer"}) == pytest.approx(0.6)
    assert landmark_match(set(), set()) == 1.0


def test_identical_pages_are_fully_similar():
    assert dom_similarity(PAGE, PAGE) == 1.0
    assert dom_similarity("", "") == 1.0


def test_landmark_only_difference():
    page = "<body><div><ul><li>a</li></ul></div><p>x</p></body>"
    reference = '<body><div role="navigation"><ul><li>a</li></ul></div><p>x</p></body>'
    # Same tag sequence (LCS 1.0); landmarks agree on 4 of 5 (nav differs): 0.5 * 1 + 0.5 * 0.8 = 0.9.
    assert dom_similarity(page, reference) == pytest.approx(0.9)
    assert dom_similarity(reference, page) == pytest.approx(0.9)


def test_dom_similarity_hand_computed():
    page = "<html><body><header></header><div><p>x</p></div></body></html>"
    reference = "<html><body><div><p>x</p><p>y</p></div><footer></footer></body></html>"
    # Tags: [html, body, header, div, p] vs [html, body, div, p, p, footer]: LCS 4 / 6.
    # Landmarks: {header} vs {footer}: agree on nav, main, aside -> 3/5.
    # 0.5 * 4/6 + 0.5 * 3/5 = 1/3 + 0.3 = 0.6333...
    assert dom_similarity(page, reference) == pytest.approx(0.5 * 4 / 6 + 0.5 * 0.6)
    # An empty page against a page with no landmarks: LCS 0, landmarks agree on all 5 -> 0.5.
    assert dom_similarity("", "<div></div>") == pytest.approx(0.5)


def test_limit_caps_the_compared_sequences():
    long_page = "<div></div>" * 50 + "<span></span>" * 50
    only_divs = "<div></div>" * 50
    # With the cap at 50 both sequences are 50 divs: LCS 1.0, no landmarks either side -> 1.0.
    assert dom_similarity(long_page, only_divs, limit=50) == 1.0
    # Uncapped: LCS 50 / 100 -> 0.5 * 0.5 + 0.5 * 1.0 = 0.75.
    assert dom_similarity(long_page, only_divs) == pytest.approx(0.75)
