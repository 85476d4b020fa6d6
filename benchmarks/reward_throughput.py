"""Replies/s of reward scoring with the interaction probe and axe on: a warm RenderPool scoring
concurrently vs a baseline that starts a browser per reply (what a script calling a render function
per sample does), same run, same replies.

    python benchmarks/reward_throughput.py [--replies 60] [--slots 4]

Prints both rates, their ratio, and the mean milliseconds per render step in the pool.
"""

import argparse
import asyncio
import statistics
import time

from render_pool import varied_pages

from uiray.config import RenderConfig, RewardConfig
from uiray.render.sandbox import RenderPool
from uiray.reward.actors import score_all
from uiray.reward.score import score_one


def replies(n: int) -> list[dict]:
    return [{"prompt": "a small app", "response": f"Here it is:\n```html\n{page}\n```"} for page in varied_pages(n)]


async def pooled(requests: list[dict], cfg: RewardConfig) -> tuple[float, list[dict]]:
    async with RenderPool(cfg.render) as pool:
        await score_all(pool, requests[:1], cfg)  # warm-up
        started = time.perf_counter()
        outcomes = await score_all(pool, requests, cfg)
        elapsed = time.perf_counter() - started
    return len(requests) / elapsed, outcomes


def baseline(requests: list[dict], cfg: RewardConfig) -> float:
    started = time.perf_counter()
    for request in requests:
        score_one(request, cfg)
    return len(requests) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=60)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--baseline-replies", type=int, default=15)
    args = parser.parse_args()
    cfg = RewardConfig(render=RenderConfig(pages=args.slots))
    requests = replies(args.replies)
    base = baseline(requests[: args.baseline_replies], cfg)
    rate, outcomes = asyncio.run(pooled(requests, cfg))
    assert all(o["error"] is None for o in outcomes), [o["error"] for o in outcomes if o["error"]]
    steps = {k for o in outcomes for k in o["render"]["timings"]}
    means = {k: round(statistics.mean(o["render"]["timings"].get(k, 0) for o in outcomes)) for k in sorted(steps)}
    print(f"baseline (browser per reply): {base:.2f} replies/s")
    print(f"RenderPool ({args.slots} slots):       {rate:.2f} replies/s")
    print(f"ratio: {rate / base:.2f}x")
    print(f"mean reward {statistics.mean(o['reward'] for o in outcomes):.3f}; ms per step in the pool: {means}")


if __name__ == "__main__":
    main()
