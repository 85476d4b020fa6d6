"""Fixtures for integration tests: a real Chromium pool, a real local Ray cluster."""

import asyncio

import pytest

from uiray.cluster import init_ray
from uiray.config import RayConfig, RenderConfig
from uiray.render.sandbox import RenderPool


@pytest.fixture(scope="module")
def pool():
    """One pool for the module, driven from its own event loop (tests call pool.run(coro))."""
    loop = asyncio.new_event_loop()
    cfg = RenderConfig(load_timeout_s=3, step_timeout_s=2, render_timeout_s=8, renderer_memory_mb=768)
    render_pool = RenderPool(cfg)
    loop.run_until_complete(render_pool.start())
    render_pool.run = loop.run_until_complete
    yield render_pool
    loop.run_until_complete(render_pool.close())
    loop.close()


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray cluster for the module (2 `render` units for browser actors), Ray Data progress bars off."""
    import ray

    init_ray(RayConfig(render_slots=2, object_store_gib=1.0))
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
