"""Sampled generations at eval time: does the model being trained write pages that parse, render, and use
more than one colour? (Loss can fall while the pages get worse; these catch that.)

Every rank generates the same prompts greedily: with ZeRO-3 and FSDP2 the weights are sharded, so a forward
needs all ranks (synced_gpus keeps them stepping together even when one finishes early). Rank 0 scores.
"""

from __future__ import annotations

import statistics

import torch

from uiray.train.metrics import colour_entropy, html_validity


def generate(trainable, tokenizer, prompts: list[dict], max_new_tokens: int) -> list[str]:
    """Greedy replies to [{'system', 'prompt'}] from the model being trained (the adapter on)."""
    import ray.train.torch

    device = ray.train.torch.get_device()
    sharded = not isinstance(trainable.model, torch.nn.parallel.DistributedDataParallel)
    replies = []
    for item in prompts:
        messages = ([{"role": "system", "content": item["system"]}] if item.get("system") else []) + [
            {"role": "user", "content": item["prompt"]}
        ]
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids.to(device)
        out = trainable.inner.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens, do_sample=False,
            use_cache=True, synced_gpus=sharded, pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        )  # fmt: skip
        replies.append(tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))
    return replies


def score_samples(trainable, tokenizer, prompts: list[dict], eval_cfg, rank: int) -> dict:
    replies = generate(trainable, tokenizer, prompts, eval_cfg.max_new_tokens)
    if rank != 0:
        return {}
    metrics = {
        "eval/html_valid": sum(map(html_validity, replies)) / len(replies),
        "eval/colour_entropy": statistics.fmean(colour_entropy(r) for r in replies),
    }
    if eval_cfg.render:
        metrics["eval/render_ok"] = sum(map(_renders, replies)) / len(replies)
    for i, reply in enumerate(replies[:2]):
        metrics[f"eval/sample_{i}"] = reply[:2000]
    return metrics


def _renders(reply: str) -> bool:
    """The reply's page loads in the sandbox without an uncaught error (the reward's render gate)."""
    from uiray.page.extract import extract_html
    from uiray.render.sandbox import render_html

    extracted = extract_html(reply)
    if extracted is None:
        return False
    result = render_html(extracted.html)
    return result["ok"] and result["load_errors"] == 0
