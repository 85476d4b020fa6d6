import pytest

from tests.tiny_model import build_tokenizer
from uiray.train.tokenize import IGNORE, TemplateError, encode_chat, encode_pair, encode_text

REPLY = '```html\n<!DOCTYPE html>\n<html lang="en"><body><button id="inc">+1</button></body></html>\n```'


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def _labelled(tokenizer, encoded) -> str:
    return tokenizer.decode(
        [t for t, label in zip(encoded["input_ids"], encoded["labels"], strict=True) if label != IGNORE]
    )


def _first_labelled(labels) -> int:
    return next(i for i, label in enumerate(labels) if label != IGNORE)


def test_only_the_reply_and_its_stop_token_are_labelled(tokenizer):
    encoded = encode_chat(tokenizer, "Be brief.", "a counter button", REPLY, max_len=4096)
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "a counter button"},
        {"role": "assistant", "content": REPLY},
    ]
    # The ids are the template's rendering, token for token ...
    assert tokenizer.decode(encoded["input_ids"]) == tokenizer.apply_chat_template(messages, tokenize=False)
    # ... and the loss sees the reply and <|im_end|>, not the newline the template writes after it.
    assert _labelled(tokenizer, encoded) == REPLY + "<|im_end|>"
    labels = encoded["labels"]
    first = _first_labelled(labels)
    assert all(label == IGNORE for label in labels[:first])
    assert labels[first:-1] == encoded["input_ids"][first:-1]
    assert labels[-1] == IGNORE


def test_context_is_tokenized_as_inference_sees_it(tokenizer):
    """The prompt part must equal the tokens of the generation prompt, which is what vLLM feeds the model."""
    encoded = encode_chat(tokenizer, None, "a timer", REPLY, max_len=4096)
    context = tokenizer.apply_chat_template(
        [{"role": "user", "content": "a timer"}], add_generation_prompt=True, tokenize=False
    )
    context_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
    assert encoded["input_ids"][: len(context_ids)] == context_ids
    assert encoded["labels"][: len(context_ids)] == [IGNORE] * len(context_ids)
    assert encoded["labels"][len(context_ids)] != IGNORE
    assert "system" not in tokenizer.decode(encoded["input_ids"])  # no system turn when there is none


def test_a_long_reply_is_cut_from_the_right_and_loses_its_stop_token(tokenizer):
    full = encode_chat(tokenizer, None, "a counter button", REPLY, max_len=4096)
    cut = encode_chat(tokenizer, None, "a counter button", REPLY, max_len=len(full["input_ids"]) - 5)
    assert cut["input_ids"] == full["input_ids"][:-5]  # the prompt is whole, the reply's end is gone
    assert tokenizer.eos_token_id not in [
        t for t, label in zip(cut["input_ids"], cut["labels"], strict=True) if label != IGNORE
    ]


def test_a_long_prompt_is_cut_from_the_left_so_the_reply_keeps_half(tokenizer):
    prompt = "a counter button " * 50
    encoded = encode_chat(tokenizer, None, prompt, REPLY, max_len=40)
    assert len(encoded["input_ids"]) == 40
    assert sum(label != IGNORE for label in encoded["labels"]) == 20
    text = tokenizer.decode(encoded["input_ids"])
    assert "<|im_start|>assistant\n```html" in text  # the prompt's end stays next to the reply
    assert not text.startswith("<|im_start|>user")


def test_template_that_rewrites_the_context_is_a_clear_error():
    tokenizer = build_tokenizer()
    # The generation prompt says "assistant\n", the rendered turn says "assistant:\n": no common prefix.
    tokenizer.chat_template = (
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + (':' if m['role'] == 'assistant' else '') + '\n'"
        " + m['content'] + '<|im_end|>\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    )
    with pytest.raises(TemplateError, match="prefix of the whole conversation"):
        encode_chat(tokenizer, None, "a counter", REPLY, max_len=512)


def test_template_text_before_the_reply_is_labelled():
    """Qwen3-style templates write an empty think block before the content; the model must generate it too."""
    tokenizer = build_tokenizer()
    tokenizer.chat_template = (
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' }}"
        "{% if m['role'] == 'assistant' %}{{ '<think></think>' }}{% endif %}"
        "{{ m['content'] + '<|im_end|>\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    )
    encoded = encode_chat(tokenizer, None, "a counter", REPLY, max_len=512)
    assert _labelled(tokenizer, encoded) == "<think></think>" + REPLY + "<|im_end|>"


def test_empty_completion_is_rejected(tokenizer):
    with pytest.raises(ValueError, match="empty"):
        encode_chat(tokenizer, None, "a counter", "  \n", max_len=512)


def test_text_mode_labels_every_token_and_ends_with_eos(tokenizer):
    code = "body { margin: 0; }\n<button>+1</button>"
    encoded = encode_text(tokenizer, code, max_len=4096)
    assert encoded["labels"] == encoded["input_ids"]
    assert encoded["input_ids"][-1] == tokenizer.eos_token_id
    assert tokenizer.decode(encoded["input_ids"][:-1]) == code
    assert len(encode_text(tokenizer, code, max_len=5)["input_ids"]) == 5


def test_pair_shares_one_prompt_cut_against_the_longer_reply(tokenizer):
    rejected = "```html\n<body></body>\n```"
    prompt = "a counter button " * 30
    pair = encode_pair(tokenizer, "sys", prompt, REPLY, rejected, max_len=60)
    chosen_ctx, rejected_ctx = _first_labelled(pair["chosen_labels"]), _first_labelled(pair["rejected_labels"])
    assert chosen_ctx == rejected_ctx
    assert pair["chosen_input_ids"][:chosen_ctx] == pair["rejected_input_ids"][:rejected_ctx]
    assert len(pair["chosen_input_ids"]) == 60
    assert _labelled(tokenizer, {"input_ids": pair["rejected_input_ids"], "labels": pair["rejected_labels"]}) == (
        rejected + "<|im_end|>"
    )
    # Without truncation each side is exactly what encode_chat makes.
    whole = encode_pair(tokenizer, "sys", "a counter", REPLY, rejected, max_len=4096)
    alone = encode_chat(tokenizer, "sys", "a counter", REPLY, max_len=4096)
    assert (whole["chosen_input_ids"], whole["chosen_labels"]) == (alone["input_ids"], alone["labels"])


def test_pair_differing_past_the_window_slides_to_keep_the_difference(tokenizer):
    """A pair that differs only near its end must not become two identical (margin 0) sequences."""
    body = "<p>same paragraph of the page</p>\n" * 40
    chosen = f'```html\n<body>{body}<button onclick="go()">Go</button></body>\n```'
    rejected = f"```html\n<body>{body}<button>Go</button></body>\n```"
    pair = encode_pair(tokenizer, "sys", "a page", chosen, rejected, max_len=80)
    c, r = pair["chosen_input_ids"], pair["rejected_input_ids"]
    assert len(c) <= 80 and len(r) <= 80 and c != r
    first = next(i for i, (a, b) in enumerate(zip(c, r, strict=False)) if a != b)
    assert c[:first] == r[:first] and first >= 80 // 2 - 1  # shared context, then the differing tails
    assert tokenizer.decode(c[first:]).startswith(" onclick") or "onclick" in tokenizer.decode(c[first - 1 :])
    assert pair["chosen_labels"][first:] != [IGNORE] * len(c[first:])  # the differing tokens are labelled
