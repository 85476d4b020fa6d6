import pytest

from uiray.page.extract import extract_html

PAGE = "<!DOCTYPE html>\n<html><head></head><body><p>hi</p></body></html>"


def test_html_fence_is_preferred_over_other_fences_and_raw_markup():
    reply = f"Here:\n```css\nbody {{}}\n```\n```html\n{PAGE}\n```\nAnd <html>other</html>"
    assert extract_html(reply) == (PAGE, "fence")


def test_unlabelled_fence_with_markup_is_taken_but_code_fences_are_not():
    assert extract_html(f"```\n{PAGE}\n```") == (PAGE, "fence")
    # A python fence is not a page; the raw document after it is.
    reply = f"```python\nprint('<div>')\n```\n{PAGE}"
    assert extract_html(reply) == (PAGE, "doctype")


def test_truncated_fence_runs_to_the_end_of_the_reply():
    reply = "```html\n<!DOCTYPE html>\n<html><body><div>cut off"
    assert extract_html(reply) == ("<!DOCTYPE html>\n<html><body><div>cut off", "fence")


def test_longer_backtick_fences_close_only_on_their_own_length():
    reply = "````html\n<pre>```js\nx\n```</pre>\n````"
    assert extract_html(reply) == ("<pre>```js\nx\n```</pre>", "fence")


def test_doctype_document_without_fence_ignores_surrounding_chatter():
    reply = f"Sure! Here is the page.\n{PAGE}\nHope this helps </html> is the end tag."
    # The last closing tag wins, so nested documents (iframes' srcdoc) are not cut short.
    html, source = extract_html(reply)
    assert source == "doctype"
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("x <html lang='en'><body>a</body></html> y", ("<html lang='en'><body>a</body></html>", "html")),
        ('see <svg viewBox="0 0 1 1"><rect/></svg>!', ('<svg viewBox="0 0 1 1"><rect/></svg>', "svg")),
        ("<body class=a><h1>t</h1></body> trailing", ("<body class=a><h1>t</h1></body>", "body")),
        ("<HTML><BODY>caps</BODY></HTML>", ("<HTML><BODY>caps</BODY></HTML>", "html")),
    ],
)
def test_fallback_order_html_svg_body(reply, expected):
    assert extract_html(reply) == expected


def test_document_wins_over_svg_inside_it():
    reply = "<html><body><svg><circle/></svg></body></html>"
    assert extract_html(reply).source == "html"


@pytest.mark.parametrize("reply", ["", "Just some prose.", "```python\nprint(1)\n```", "<div>fragment</div>"])
def test_reply_without_a_page_gives_none(reply):
    assert extract_html(reply) is None
