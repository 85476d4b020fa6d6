"""Render/reward actors on a real local Ray cluster: scoring, crash recovery, Ray Data batches."""

import psutil
import pytest

from tests.waiting import wait_until
from uiray.config import RenderConfig, RewardConfig
from uiray.reward.actors import (
    ACTOR_OPTIONS_FOR_DATA,
    RewardScorer,
    start_render_workers,
    start_reward_workers,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Counter</title></head><body><main><h1>Counter</h1>
<p id="n">0</p><button onclick="n.textContent = +n.textContent + 1">Add one</button></main></body></html>"""
GOOD = f"```html\n{PAGE}\n```"
BROKEN = GOOD.replace("</main>", "<script>missing()</script></main>")


def test_reward_worker_scores_a_batch(ray_cluster):
    ray = ray_cluster
    [worker] = start_reward_workers(1, RewardConfig(render=RenderConfig(pages=2)))
    good, broken, empty = ray.get(worker.score.remote([{"response": GOOD}, {"response": BROKEN}, {"response": "?"}]))
    assert good["reward"] > 0.5 and good["breakdown"]["components"]["interactivity"] == 1.0
    assert broken["reward"] == 0.0 and broken["breakdown"]["gates"]["render"] == 0.0
    assert empty["reward"] == 0.0 and empty["issues"] == ["no page in the reply"]
    ray.kill(worker)


def test_a_killed_worker_restarts_and_redoes_the_call(ray_cluster):
    ray = ray_cluster
    [worker] = start_reward_workers(1, RewardConfig(render=RenderConfig(pages=2)))
    first_pid = ray.get(worker.stats.remote())["pid"]
    in_flight = worker.score.remote([{"response": GOOD}] * 6)
    # in flight once the worker has launched its browser for it (it starts the browser on its first call)
    assert wait_until(lambda: any("chrom" in p.name() for p in psutil.Process(first_pid).children(recursive=True)))
    ray.kill(worker, no_restart=False)  # as if the process died: Ray restarts it and retries the call
    outcomes = ray.get(in_flight, timeout=120)
    assert len(outcomes) == 6 and all(o["error"] is None and o["reward"] > 0.5 for o in outcomes)
    assert ray.get(worker.stats.remote())["pid"] != first_pid
    ray.kill(worker)


def test_render_worker_renders(ray_cluster):
    ray = ray_cluster
    [worker] = start_render_workers(1, RenderConfig(pages=1))
    result = ray.get(worker.render.remote(PAGE, probe=True))
    assert result["ok"] and result["probe"]["interactivity"] == 1.0 and result["screenshot"][:4] == b"\x89PNG"
    ray.kill(worker)


def test_reward_scorer_adds_columns_in_ray_data(ray_cluster):
    ray = ray_cluster
    rows = [{"prompt": "a counter", "response": reply} for reply in (GOOD, BROKEN, GOOD, "no page")]
    scored = (
        ray.data.from_items(rows)
        .map_batches(
            RewardScorer,
            fn_constructor_kwargs={"cfg": RewardConfig(render=RenderConfig(pages=2)).model_dump()},
            batch_size=2,
            compute=ray.data.ActorPoolStrategy(size=1),
            **ACTOR_OPTIONS_FOR_DATA,
        )
        .take_all()
    )
    by_reply = [(row["response"], row["reward"], row["reward_error"]) for row in scored]
    assert sorted(r > 0.5 for _, r, _ in by_reply) == [False, False, True, True]
    assert all(error == "" for _, _, error in by_reply)
    assert all(row["reward_components"].startswith("{") for row in scored)


def test_eval_renders_go_to_a_render_actor_not_the_calling_process(ray_cluster):
    """A training worker's eval renders (uiray/train/samples.py) run in a RenderWorker actor: no Chromium is
    started under the calling process, and the actor renders a good page, a broken one and a reply with none."""
    from uiray.train import samples

    mine = psutil.Process()
    before = {p.pid for p in mine.children()}  # this process's own (the session's Ray cluster among them)
    assert samples._renders([GOOD, BROKEN, "Sorry, no page today."]) == [True, False, False]
    assert len(samples._RENDERER) == 1
    assert [p for p in mine.children() if p.pid not in before] == []  # no Playwright driver, no browser here
    pid = ray_cluster.get(samples._RENDERER[0].stats.remote())["pid"]
    assert pid != mine.pid and any("chrom" in p.name().lower() for p in psutil.Process(pid).children(recursive=True))
    ray_cluster.kill(samples._RENDERER.pop())
