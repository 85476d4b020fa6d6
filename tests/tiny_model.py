"""A deterministic tiny Qwen2 checkpoint for tests and benchmarks, built in seconds with no downloads.

It goes through every code path a real model does (tokenizer with chat template, safetensors,
transformers, peft, vLLM), only small: 2 layers, hidden 128, a 600-token byte-level BPE vocabulary
trained here on a built-in text. `teach` fits the model to a few conversations so that greedy
decoding returns known replies, which lets tests check generation end to end:

    path = build_tiny_model(tmp / "tiny", teach=[("a counter button", "```html\\n<!DOCTYPE html>...")])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Training text for the tokenizer: markup, CSS, JS and chat words, so pages tokenize compactly.
_TOKENIZER_TEXT = """
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Counter</title>
<style>body { font-family: sans-serif; margin: 0; padding: 1rem; color: #222; background: #fff; }
button { padding: 0.5rem 1rem; border-radius: 4px; } .card { display: flex; gap: 8px; }</style>
</head><body><header><nav><a href="#">Home</a></nav></header><main><section class="card">
<h1>Counter</h1><p id="count">0</p><button id="inc" onclick="increment()">+1</button>
<input type="text" placeholder="Name"><select><option>One</option></select><canvas></canvas>
</section></main><footer>Made with care</footer>
<script>let count = 0; function increment() { count += 1; document.getElementById('count').textContent
= count; } document.querySelector('button').addEventListener('click', () => console.log(count));</script>
</body></html>
```html ``` system user assistant You are a helpful assistant. Write a page: a counter button, a timer,
a todo list, a calculator, a form with validation, a dashboard with a chart, a gallery, a kanban board.
"""


def build_tokenizer(vocab_size: int = 600):
    """Byte-level BPE trained on _TOKENIZER_TEXT, wrapped as a fast tokenizer with a ChatML template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([_TOKENIZER_TEXT] * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        bos_token=None,
        chat_template=CHATML_TEMPLATE,
    )


def build_tiny_model(
    out: str | Path,
    teach: Sequence[tuple[str, str]] = (),
    system_prompt: str | None = None,
    seed: int = 0,
    steps: int = 150,
) -> Path:
    """Write a tiny Qwen2 checkpoint to `out` (float32, tied embeddings) and return its path.

    teach: (prompt, reply) pairs the model is fitted to (assistant tokens only), so that greedy
    decoding of those prompts, formatted with `system_prompt`, reproduces the replies.
    """
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    tokenizer = build_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        dtype="float32",
    )
    model = Qwen2ForCausalLM(config)
    if teach:
        _fit(model, tokenizer, teach, system_prompt, steps)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    (out / "uiray_tiny.json").write_text(json.dumps({"seed": seed, "taught": [p for p, _ in teach]}))
    return out


def _fit(model, tokenizer, teach, system_prompt, steps: int) -> None:
    """Overfit the model on the assistant turns of `teach` (full-batch AdamW; a few seconds)."""
    import torch

    rows, labels = [], []
    for prompt, reply in teach:
        system = [{"role": "system", "content": system_prompt}] if system_prompt else []
        messages = [*system, {"role": "user", "content": prompt}]
        context = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        context_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
        reply_ids = tokenizer(reply + "<|im_end|>", add_special_tokens=False)["input_ids"]
        rows.append(context_ids + reply_ids)
        labels.append([-100] * len(context_ids) + reply_ids)
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    label_ids = torch.tensor([la + [-100] * (width - len(la)) for la in labels])
    attention = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=input_ids, attention_mask=attention, labels=label_ids).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
