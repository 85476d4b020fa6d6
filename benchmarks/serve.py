"""Serving overhead: `uiray serve` through HTTP vs the same vLLM engine called in-process, on the same prompts.

    python benchmarks/serve.py                       # SmolLM2, 32 requests per level, 64 tokens each
    python benchmarks/serve.py --requests 64 --max-tokens 128 --model outputs/sft

For concurrency 1, 4 and 16 it measures output tokens/s and per-request latency p50/p95:
  in-process   vllm.LLM built with the engine arguments the server's replicas get (uiray.serving.app.llm_config),
               c prompts handed to it at a time (the best an in-process caller can batch);
  HTTP         c client threads, each sending chat completions one after another to the server's endpoint.
Every request generates exactly --max-tokens tokens (ignore_eos), so both sides produce the same work. The
ratio printed is HTTP tokens/s over in-process tokens/s (the issue's goal: at least 0.85 at concurrency 16).
Then preview latency: small pages through POST /v1/preview, one at a time and 4 at a time.

The two sides run one after the other (this machine has 2 cores): the in-process engine is freed first.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PROMPTS = ["a pomodoro timer", "a todo list with filters", "a pricing table with three plans", "a login form",
           "a weather card", "a kanban board", "an image gallery", "a calculator"]  # fmt: skip
LEVELS = (1, 4, 16)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_process(args, cfg) -> dict[int, dict]:
    from vllm import LLM, SamplingParams

    from uiray.serving.app import llm_config
    from uiray.serving.models import resolve_served

    served = resolve_served(cfg)
    config = llm_config(cfg, served, gpu=False)
    os.environ.update(config.runtime_env["env_vars"])  # the replicas' environment too (OpenMP thread binding)
    llm = LLM(model=served.base_path, **config.engine_kwargs)
    params = SamplingParams(max_tokens=args.max_tokens, ignore_eos=True, temperature=0.7, seed=0)
    chats = [[{"role": "system", "content": cfg.system_prompt}, {"role": "user", "content": p}] for p in PROMPTS]
    llm.chat(chats[:2], params, use_tqdm=False)  # warm up
    results = {}
    for level in LEVELS:
        latencies, tokens, started = [], 0, time.perf_counter()
        for first in range(0, args.requests, level):
            batch = [chats[i % len(chats)] for i in range(first, min(first + level, args.requests))]
            t0 = time.perf_counter()
            outputs = llm.chat(batch, params, use_tqdm=False)
            latencies += [time.perf_counter() - t0] * len(batch)
            tokens += sum(len(o.outputs[0].token_ids) for o in outputs)
        results[level] = summary(tokens, time.perf_counter() - started, latencies)
    del llm
    gc.collect()
    return results


def over_http(args, cfg, url: str) -> dict[int, dict]:
    def one(i: int) -> tuple[float, int]:
        body = {"model": args.model_id, "max_tokens": args.max_tokens, "temperature": 0.7, "seed": i,
                "ignore_eos": True, "messages": [{"role": "system", "content": cfg.system_prompt},
                                                 {"role": "user", "content": PROMPTS[i % len(PROMPTS)]}]}  # fmt: skip
        t0 = time.perf_counter()
        answer = post(f"{url}/v1/chat/completions", body)
        return time.perf_counter() - t0, answer["usage"]["completion_tokens"]

    for i in range(2):  # warm up
        one(i)
    results = {}
    for level in LEVELS:
        started = time.perf_counter()
        with ThreadPoolExecutor(level) as pool:
            done = list(pool.map(one, range(args.requests)))
        results[level] = summary(sum(t for _, t in done), time.perf_counter() - started, [s for s, _ in done])
    return results


def preview_latency(url: str, n: int = 16) -> dict[int, dict]:
    pages = [f'<!DOCTYPE html><html lang="en"><head><title>p{i}</title></head><body><h1>Page {i}</h1>'
             f'<button onclick="this.textContent++">0</button></body></html>' for i in range(n)]  # fmt: skip

    def one(page: str) -> float:
        t0 = time.perf_counter()
        post(f"{url}/v1/preview", {"html": page})
        return time.perf_counter() - t0

    one(pages[0])  # warm up: the first call starts Chromium
    results = {}
    for level in (1, 4):
        with ThreadPoolExecutor(level) as pool:
            latencies = list(pool.map(one, pages))
        results[level] = {
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(percentile(latencies, 0.95), 3),
        }
    return results


def summary(tokens: int, seconds: float, latencies: list[float]) -> dict:
    return {"tokens_per_s": round(tokens / seconds, 1), "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(percentile(latencies, 0.95), 3), "tokens": tokens}  # fmt: skip


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as answer:
        return json.load(answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--requests", type=int, default=32, help="requests per concurrency level")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens each request generates")
    args = parser.parse_args()

    from uiray.serving.config import ServeConfig
    from uiray.serving.models import resolve_served

    cfg = ServeConfig(model={"name": args.model}, port=0, ray={"num_cpus": 2, "render_slots": 1})
    args.model_id = resolve_served(cfg).model_id
    local = in_process(args, cfg)
    print(json.dumps({"in_process": local}), flush=True)

    from uiray.serving.run import serve_app

    info = serve_app(cfg, block=False)
    http = over_http(args, cfg, info["url"])
    previews = preview_latency(info["url"])
    ratios = {level: round(http[level]["tokens_per_s"] / local[level]["tokens_per_s"], 3) for level in LEVELS}
    print(json.dumps({"http": http, "preview": previews}))
    print(json.dumps({"ratio_http_over_in_process": ratios, "goal_at_16": 0.85}))


if __name__ == "__main__":
    main()
