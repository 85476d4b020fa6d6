"""Sampled generations at eval time: does the model being trained write pages that parse, render, and use
more than one colour? (Loss can fall while the pages get worse; these catch that.)

Every rank generates the same prompts greedily: with ZeRO-3 and FSDP2 the weights are sharded, so a forward
needs all ranks (synced_gpus keeps them stepping together even when one finishes early). Rank 0 scores; the
pages are rendered by a RenderWorker actor where the `render` resource is, never in a training worker
(cluster.yaml keeps browsers off GPU nodes).
"""

from __future__ import annotations

import logging
import statistics

import torch

from uiray.train.metrics import colour_entropy, html_validity

log = logging.getLogger("uiray.train")


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
    rendered = _renders(replies) if eval_cfg.render else None
    if rendered is not None:
        metrics["eval/render_ok"] = sum(rendered) / len(replies)
    for i, reply in enumerate(replies[:2]):
        metrics[f"eval/sample_{i}"] = reply[:2000]
    return metrics


_RENDERER: list = []
"""This worker's RenderWorker actor, started at the first eval (it dies with the worker that owns it)."""


def _renders(replies: list[str], wait_s: float = 300.0) -> list[bool] | None:
    """Whether each reply's page loads in the sandbox without an uncaught error (the reward's render gate);
    None, with a warning, when no `render` node answers within wait_s."""
    import ray

    from uiray.page.extract import extract_html
    from uiray.reward.actors import start_render_workers

    pages = [extract_html(reply) for reply in replies]
    if not _RENDERER and any(pages):  # no CPU of its own: the training workers hold them, and a render is short
        _RENDERER.extend(start_render_workers(1, num_cpus=0))
    calls = [_RENDERER[0].render.remote(page.html) if page else None for page in pages]
    try:
        results = [ray.get(call, timeout=wait_s) if call else None for call in calls]
    except ray.exceptions.GetTimeoutError:
        log.warning(f"no render worker answered in {wait_s:g} s (is there a node with the `render` resource?): "
                    "eval/render_ok is left out")  # fmt: skip
        return None
    return [bool(r and r["ok"] and r["load_errors"] == 0) for r in results]
