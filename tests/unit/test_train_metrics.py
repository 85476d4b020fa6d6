import math

import pytest
import torch

from tests.tiny_model import build_tokenizer
from uiray.train.metrics import (
    Counts,
    colour_entropy,
    colours,
    critical_spans,
    critical_token_accuracy,
    critical_token_mask,
    html_validity,
    token_accuracy,
)
from uiray.train.tokenize import IGNORE

PAGE = """<!DOCTYPE html>
<html lang="en"><head><style>
  .card:hover { color: #1d4ed8; margin-top: 4px }
  @media (max-width: 600px) { .card { padding: 2px; } }
</style></head>
<body><div class="flex md:px-4 todo-item hover:bg-[#fff] w-1/2">Hello world: a card</div>
<p style="font-size: 12px;color:red">x</p></body></html>"""


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def test_token_accuracy_counts_shifted_labelled_predictions():
    # Argmax per position: 1, 0, 1, 0. Targets (labels shifted by one): 1, 1, IGNORE.
    logits = torch.tensor([[[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]])
    labels = torch.tensor([[IGNORE, 1, 1, IGNORE]])
    assert token_accuracy(logits, labels) == Counts(correct=1, total=2)
    critical = torch.tensor([[False, True, False, False]])
    assert critical_token_accuracy(logits, labels, critical) == Counts(correct=1, total=1)
    assert math.isnan(critical_token_accuracy(logits, labels, torch.zeros_like(critical)).rate)


def test_critical_spans_find_tags_properties_and_utility_classes():
    found = [PAGE[s:e] for s, e in critical_spans(PAGE)]
    for expected in ("html", "head", "style", "body", "div", "p"):
        assert expected in found
    for expected in ("color", "margin-top", "padding", "font-size"):
        assert expected in found
    for expected in ("flex", "md:px-4", "hover:bg-[#fff]", "w-1/2"):
        assert expected in found
    # Selectors, values, prose and bespoke class names are not critical.
    for absent in ("card", "hover", "todo-item", "Hello", "world", "red", "12px", "max-width"):
        assert absent not in found


def test_critical_token_mask_marks_the_tokens_of_critical_spans(tokenizer):
    ids = torch.tensor(tokenizer(PAGE, add_special_tokens=False)["input_ids"])
    mask = critical_token_mask(tokenizer, ids)
    assert mask.shape == ids.shape
    marked = "".join(tokenizer.decode([t]) for t, m in zip(ids.tolist(), mask.tolist(), strict=True) if m)
    unmarked = "".join(tokenizer.decode([t]) for t, m in zip(ids.tolist(), mask.tolist(), strict=True) if not m)
    assert "margin-top" in marked and "font-size" in marked and "md:px-4" in marked
    assert "Hello world" in unmarked and "todo-item" in unmarked
    # Batched input gives the same rows.
    batch = torch.stack([ids, ids])
    assert torch.equal(critical_token_mask(tokenizer, batch), torch.stack([mask, mask]))


def test_critical_token_mask_falls_back_when_reencoding_differs(tokenizer):
    """A non-canonical split ('style' is one token; here it is spelled out) still maps to the right characters."""
    pieces = ["<", "s", "t", "y", "l", "e", ">", "a", "b"]
    ids = torch.tensor([tokenizer.convert_tokens_to_ids(p) for p in pieces])
    assert tokenizer(tokenizer.decode(ids), add_special_tokens=False)["input_ids"] != ids.tolist()
    assert critical_token_mask(tokenizer, ids).tolist() == [False, True, True, True, True, True, False, False, False]


def test_colour_entropy_is_zero_for_one_hue_and_counts_hues_in_bits():
    blue_only = '<div class="bg-blue-500 text-blue-700 border-sky-500" style="color:#3b82f6; background: #2563eb">'
    # blue (217 deg) and sky (199 deg) share the 195-225 bucket; whites and greys do not count.
    assert colour_entropy(blue_only + '<p class="text-white bg-gray-100" style="color:#fafafa">') == 0.0
    assert colour_entropy("<p>no colours at all</p>") == 0.0
    two = "<style>a { color: #ff0000 } b { color: rgb(0, 128, 255) }</style>"
    assert colour_entropy(two) == pytest.approx(1.0)
    four = '<style>a{color:red} b{color:hsl(120deg 80% 40%)} c{color:#00f}</style><i class="text-amber-500">'
    assert colour_entropy(four) == pytest.approx(2.0)


def test_colours_are_normalised_and_deduplicated():
    found = colours('<b style="color: #F00; border-color: rgb(255 0 0 / 50%); fill: red">')
    assert found == {"#ff0000": 0.0}
    assert colours('<i class="hover:text-rose-600 bg-slate-900">') == {
        "tw:rose-600": pytest.approx(349.7, abs=0.5),
        "tw:slate-900": None,
    }
    # An id selector that looks like hex (#add) is not a colour; neither is "red" in prose.
    assert colours("<style>#add { margin: 0 }</style><p>a red button</p>") == {}


def test_html_validity():
    assert html_validity("Here you go:\n```html\n" + PAGE + "\n```")
    assert not html_validity("Sorry, I cannot help with that.")
    assert not html_validity("```html\n<!DOCTYPE html>\n<html><body><div><p>cut off")
    # A placeholder makes a page incomplete, not invalid.
    assert html_validity("```html\n<html><body><script>// TODO: wire up</script></body></html>\n```")
