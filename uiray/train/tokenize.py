"""Rows of the data stage -> token ids and labels for SFT, plain language modelling, and DPO.

Chat rows are rendered with the tokenizer's own chat template, and the loss sees only the assistant's
reply (labels are IGNORE elsewhere). The reply is found by rendering the conversation twice:

    context = template(system, user, add_generation_prompt=True)   "<|im_start|>user\\n...<|im_start|>assistant\\n"
    full    = template(system, user, assistant=completion)         context + "```html...<|im_end|>\\n"

`context` must be a prefix of `full` (TemplateError otherwise). The two parts are tokenized separately,
not `full` in one go, because that is what inference does: vLLM tokenizes the context and the model
generates from there, so a BPE merge across the boundary would teach a split the model never produces.
Inside the reply part, the template's own text before the completion (an empty <think></think> block
in Qwen3's template, say) and the completion are labelled, then the first token of the end-of-turn
suffix (<|im_end|>, <|eot_id|>, <end_of_turn>: the stop token); the rest of the suffix (the newline
after <|im_end|>) is context that the model never generates, so it stays unlabelled.

Whether a row that does not fit is cut or dropped is the caller's decision (`train.too_long`, counted and
reported by the driver); `length` says how long the row was before any cut. Truncation keeps the reply:
when prompt + reply exceed max_len, the prompt keeps at most
max_len - min(reply, max_len // 2) tokens, cut from the left (its end - the request and the assistant
header - stays next to the reply), and the reply is then cut from the right. A cut reply loses its stop
token, so the model is never taught to stop in the middle of a page.
"""

from __future__ import annotations

from typing import TypedDict

IGNORE = -100
"""Label of tokens the loss skips (PyTorch's cross_entropy ignore_index)."""


class Encoded(TypedDict):
    input_ids: list[int]
    labels: list[int]
    """IGNORE where the token is context, else the token id itself (the shift happens in the loss)."""
    length: int
    """Tokens of the whole sequence before any cut (more than len(input_ids) when it was cut)."""


class EncodedPair(TypedDict):
    chosen_input_ids: list[int]
    chosen_labels: list[int]
    rejected_input_ids: list[int]
    rejected_labels: list[int]
    length: int
    """Tokens of the longer whole sequence (prompt + reply) before any cut."""


class TemplateError(ValueError):
    """The chat template does not let us tell the reply's tokens from the prompt's."""


def encode_chat(tokenizer, system: str | None, prompt: str, completion: str, max_len: int) -> Encoded:
    """One SFT row -> input_ids and labels with loss on the assistant reply only (see module docstring).

    A system of None or '' sends no system turn (the template may still add its own default, as it does
    at inference).
    """
    _check_max_len(max_len)
    full_context, reply, reply_labels = _render(tokenizer, system, prompt, completion)
    context = _cut_context(full_context, len(reply), max_len)
    room = max_len - len(context)
    return Encoded(
        input_ids=context + reply[:room],
        labels=[IGNORE] * len(context) + reply_labels[:room],
        length=len(full_context) + len(reply),
    )


def encode_pair(tokenizer, system: str | None, prompt: str, chosen: str, rejected: str, max_len: int) -> EncodedPair:
    """One DPO row -> both sequences, each as encode_chat would make it, but cut to one shared prompt.

    The prompt is cut against the longer reply, so chosen and rejected are scored in the same context
    (a different context would move their log-probabilities for reasons that have nothing to do with
    the replies).

    Long pages: perturbed pairs often differ only late in the page (a broken handler in the closing
    script), past max_len. Cut as above, both sequences would be identical, the pair's margin exactly 0
    and the pair useless. The tokens the two replies share before they diverge have the same
    log-probabilities in both (same context), so they cancel in the DPO margin: when the divergence would
    fall outside the window, the window slides right instead - the shared part is cut from the left to
    leave half of max_len for the differing tails. The model then sees the pair mid-page, which is all
    the comparison needs.
    """
    _check_max_len(max_len)
    context, chosen_ids, chosen_labels = _render(tokenizer, system, prompt, chosen)
    _, rejected_ids, rejected_labels = _render(tokenizer, system, prompt, rejected)
    longest = max(len(chosen_ids), len(rejected_ids))
    cut = _cut_context(context, longest, max_len)
    diverge = next((i for i, (a, b) in enumerate(zip(chosen_ids, rejected_ids, strict=False)) if a != b),
                   min(len(chosen_ids), len(rejected_ids)))  # fmt: skip
    if len(cut) + diverge < max_len:  # the replies diverge inside the window: keep their starts
        prefix_ids, prefix_labels, start = cut, [IGNORE] * len(cut), 0
    else:  # slide: the shared part, cut from the left, then half the window for the differing tails
        keep = max_len - min(longest - diverge, max_len // 2)
        prefix_ids = (context + chosen_ids[:diverge])[-keep:]
        prefix_labels = ([IGNORE] * len(context) + chosen_labels[:diverge])[-keep:]
        start = diverge
    room = max_len - len(prefix_ids)
    return EncodedPair(
        chosen_input_ids=prefix_ids + chosen_ids[start:][:room],
        chosen_labels=prefix_labels + chosen_labels[start:][:room],
        rejected_input_ids=prefix_ids + rejected_ids[start:][:room],
        rejected_labels=prefix_labels + rejected_labels[start:][:room],
        length=len(context) + longest,
    )


def encode_text(tokenizer, text: str, max_len: int) -> Encoded:
    """Raw text (continued pre-training on front-end code) -> every token labelled.

    The tokenizer's own special tokens are added (BOS for Llama-style models, none for Qwen) and EOS is
    appended, so that in a packed row one document ends visibly before the next begins. Text past
    max_len is cut from the right; split long documents before encoding if their tails matter.
    """
    _check_max_len(max_len)
    ids = list(tokenizer(text, add_special_tokens=True)["input_ids"])
    eos = tokenizer.eos_token_id
    if eos is not None and (not ids or ids[-1] != eos):
        ids.append(eos)
    length = len(ids)
    ids = ids[:max_len]
    return Encoded(input_ids=ids, labels=list(ids), length=length)


def _render(tokenizer, system: str | None, prompt: str, completion: str) -> tuple[list[int], list[int], list[int]]:
    """(context ids, reply ids, reply labels) as described in the module docstring."""
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    context = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    full = tokenizer.apply_chat_template([*messages, {"role": "assistant", "content": completion}], tokenize=False)
    if not full.startswith(context):
        at = next((i for i, (a, b) in enumerate(zip(context, full, strict=False)) if a != b), len(full))
        raise TemplateError(
            f"the chat template of {getattr(tokenizer, 'name_or_path', 'this tokenizer')!r} does not render the "
            f"prompt (add_generation_prompt=True) as a prefix of the whole conversation, so the reply's tokens "
            f"cannot be told apart; they differ at character {at}: {context[at : at + 40]!r} vs "
            f"{full[at : at + 40]!r}. Use a template that renders earlier turns the same way in both cases."
        )
    if not completion.strip():
        raise ValueError("the completion is empty: there is nothing to train on")
    segment = full[len(context) :]
    text = completion if completion in segment else completion.strip()
    at = segment.find(text)
    if at < 0:
        raise TemplateError(
            f"the chat template of {getattr(tokenizer, 'name_or_path', 'this tokenizer')!r} rewrites the "
            f"assistant's reply (it is not found in the rendered turn {segment[:80]!r}...), so its tokens "
            f"cannot be labelled"
        )
    reply = _ids(tokenizer, segment[: at + len(text)])
    suffix = _ids(tokenizer, segment[at + len(text) :])
    labels = reply + suffix[:1] + [IGNORE] * len(suffix[1:])
    return _ids(tokenizer, context), reply + suffix, labels


def _ids(tokenizer, text: str) -> list[int]:
    # The template already wrote every special token it wants; add_special_tokens would add a second BOS.
    return list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []


def _cut_context(context: list[int], reply_len: int, max_len: int) -> list[int]:
    """Cut the prompt from the left so that the reply keeps min(reply_len, max_len // 2) tokens."""
    room = max_len - min(reply_len, max_len // 2)
    return context[-room:] if len(context) > room else context


def _check_max_len(max_len: int) -> None:
    if max_len < 2:
        raise ValueError(f"max_len must be >= 2, got {max_len}")
