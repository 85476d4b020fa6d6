"""Render and reward on Ray: async actors for the GRPO loop, a batch UDF for Ray Data.

    RenderWorker   async actor, one Chromium (RenderPool): render(html, ...) -> RenderResult
    RewardWorker   async actor, one Chromium: score(requests) -> [RewardOutcome]
    RewardScorer   callable class for Dataset.map_batches: adds reward columns to a batch

Each browser actor asks for one unit of the custom resource `render`, so a cluster decides where
browsers live (cluster.yaml gives it to CPU nodes; a local cluster offers RayConfig.render_slots).
Actors restart when they die (a Chromium that takes its host process down, an OOM kill) and Ray
retries the call that was running on the restarted actor, so its work is redone rather than lost.
Within an actor every item has its own timeout: an item that runs past RewardConfig.item_timeout_s
gets a failure outcome (reward 0, reason kept) while the rest of the batch is scored normally.

    workers = start_reward_workers(2, RewardConfig())
    outcomes = ray.get(workers[0].score.remote([{"prompt": p, "response": reply}]))
    # inside an async loop (GRPO): outcomes = await workers[i].score.remote(batch)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from typing import Any

from uiray.config import RenderConfig, RewardConfig
from uiray.reward.score import RewardOutcome, RewardRequest, failed_outcome, score_reply

log = logging.getLogger("uiray.reward")

ACTOR_OPTIONS = {"resources": {"render": 1}, "num_cpus": 1, "max_restarts": -1, "max_task_retries": 2}
"""Ray options for the browser actors: one `render` unit, restart forever, redo the interrupted call."""


async def score_all(pool, requests: list[RewardRequest], cfg: RewardConfig) -> list[RewardOutcome]:
    """Score requests concurrently on `pool` (its slots bound the parallelism), each within its timeout."""

    async def one(request: RewardRequest) -> RewardOutcome:
        started = time.perf_counter()
        try:
            return await asyncio.wait_for(score_reply(pool, request, cfg), cfg.item_timeout_s)
        except TimeoutError:
            return failed_outcome(f"timeout: scoring took over {cfg.item_timeout_s:g} s", time.perf_counter() - started)
        except Exception as e:  # a bad request (say, a malformed checklist) fails alone, named
            return failed_outcome(f"{type(e).__name__}: {e}"[:500], time.perf_counter() - started)

    return list(await asyncio.gather(*(one(r) for r in requests)))


class _Browser:
    """A RenderPool started lazily inside the actor's own event loop (the first call's loop)."""

    def __init__(self, render_cfg: RenderConfig):
        self.render_cfg = render_cfg
        self._pool = None
        self._starting: asyncio.Lock | None = None

    async def pool(self):
        from uiray.render.sandbox import RenderPool

        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._pool is None:
                pool = RenderPool(self.render_cfg)
                await pool.start()
                self._pool = pool
        return self._pool

    def stats(self) -> dict[str, int]:
        """Slots replaced after failed renders, renderers killed for memory, and this process's pid."""
        pool = self._pool
        return {"replaced": pool.replaced if pool else 0, "killed": pool.killed if pool else 0, "pid": os.getpid()}


class RenderWorker:
    """Renders untrusted pages in a sandboxed Chromium. Create with `start_render_workers`."""

    def __init__(self, cfg: RenderConfig | dict | None = None):
        self.browser = _Browser(RenderConfig.model_validate(cfg or {}))

    async def render(self, html: str, **options: Any) -> dict:
        """RenderPool.render's result; options: screenshot, probe, accessibility, checks."""
        pool = await self.browser.pool()
        return await pool.render(html, **options)

    async def stats(self) -> dict[str, int]:
        return self.browser.stats()


class RewardWorker:
    """Scores model replies (render, probe, components, compose). Create with `start_reward_workers`."""

    def __init__(self, cfg: RewardConfig | dict | None = None):
        self.cfg = RewardConfig.model_validate(cfg or {})
        self.browser = _Browser(self.cfg.render)

    async def score(self, requests: list[RewardRequest]) -> list[RewardOutcome]:
        return await score_all(await self.browser.pool(), requests, self.cfg)

    async def stats(self) -> dict[str, int]:
        return self.browser.stats()


def start_render_workers(n: int, cfg: RenderConfig | None = None, **options: Any) -> list:
    """n RenderWorker actors (Ray must be initialised); `options` override ACTOR_OPTIONS."""
    import ray

    actor = ray.remote(RenderWorker).options(**{**ACTOR_OPTIONS, **options})
    return [actor.remote((cfg or RenderConfig()).model_dump()) for _ in range(n)]


def start_reward_workers(n: int, cfg: RewardConfig | None = None, **options: Any) -> list:
    """n RewardWorker actors (Ray must be initialised); `options` override ACTOR_OPTIONS."""
    import ray

    actor = ray.remote(RewardWorker).options(**{**ACTOR_OPTIONS, **options})
    return [actor.remote((cfg or RewardConfig()).model_dump()) for _ in range(n)]


ACTOR_OPTIONS_FOR_DATA = {"resources": {"render": 1}, "num_cpus": 1}
"""map_batches options for RewardScorer (Ray Data restarts and retries its own actors)."""


class RewardScorer:
    """Dataset.map_batches UDF: scores the `response` column (with optional prompt/reference/checklist
    columns) and adds `reward`, `reward_components` (JSON) and `reward_error` columns.

        ds.map_batches(RewardScorer, fn_constructor_kwargs={"cfg": cfg.model_dump()},
                       compute=ActorPoolStrategy(size=2), batch_size=16, **ACTOR_OPTIONS_FOR_DATA)

    Ray Data calls it synchronously; the browser lives on an event loop in a background thread. Every
    PROGRESS_EVERY replies it prints how many it scored and how fast (Ray Data's own progress counts blocks).
    """

    PROGRESS_EVERY = 64

    def __init__(self, cfg: dict | None = None, response_column: str = "response",
                 reference_column: str | None = "reference"):  # fmt: skip
        from uiray.logs import setup_logging

        setup_logging()  # a Ray Data actor: its progress lines need the handler here
        self.cfg = RewardConfig.model_validate(cfg or {})
        self.response_column, self.reference_column = response_column, reference_column
        self.browser = _Browser(self.cfg.render)
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="reward-loop", daemon=True).start()
        self._scored, self._started = 0, time.perf_counter()

    def __call__(self, batch):
        """A pyarrow table (batch_format="pyarrow": missing values stay None) or a dict of numpy columns."""
        arrow = hasattr(batch, "to_pylist")
        rows = (
            batch.to_pylist()
            if arrow
            else [dict(zip(batch, v, strict=True)) for v in zip(*batch.values(), strict=True)]
        )
        requests = [_request(row, self.response_column, self.reference_column) for row in rows]
        outcomes = asyncio.run_coroutine_threadsafe(self._score(requests), self._loop).result()
        self._progress(len(rows))
        columns = {
            "reward": [float(o["reward"]) for o in outcomes],
            "reward_components": [json.dumps(o["breakdown"]["components"], sort_keys=True) for o in outcomes],
            "reward_error": [o["error"] or "" for o in outcomes],
        }
        if not arrow:
            return {**batch, **columns}
        import pyarrow as pa

        batch = batch.drop_columns([name for name in columns if name in batch.column_names])
        for name, values in columns.items():
            batch = batch.append_column(name, pa.array(values))
        return batch

    async def _score(self, requests: list[RewardRequest]) -> list[RewardOutcome]:
        return await score_all(await self.browser.pool(), requests, self.cfg)

    def _progress(self, n: int) -> None:
        before, self._scored = self._scored, self._scored + n
        if before // self.PROGRESS_EVERY != self._scored // self.PROGRESS_EVERY:
            rate = self._scored / (time.perf_counter() - self._started)
            log.info(f"scorer {os.getpid()}: {self._scored} replies, {rate:.2f}/s")


def _request(row: dict, response_column: str, reference_column: str | None) -> RewardRequest:
    """One row -> a request. Text fields count only when they are text: Ray hands an all-missing column to
    numpy batches as NaN floats, which must read as missing, not as a checklist or a prompt."""
    request = RewardRequest(response=str(row[response_column]))
    if _text(row.get("prompt")):
        request["prompt"] = row["prompt"]
    if reference_column and _text(row.get(reference_column)):
        request["reference"] = row[reference_column]
    tokens = row.get("num_tokens")
    if tokens is not None and tokens == tokens:  # not NaN
        request["num_tokens"] = int(tokens)
    raw = row.get("checklist")
    if _text(raw):
        request["checklist"] = json.loads(raw)
    elif isinstance(raw, (list, tuple)) or hasattr(raw, "tolist"):  # items as objects (numpy array of dicts)
        request["checklist"] = list(raw)
    return request


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""
