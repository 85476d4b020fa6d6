"""Fixtures for integration tests: a real Chromium pool, a real local Ray cluster."""

import pytest

from tests.render_pool import running_pool
from uiray.cluster import init_ray
from uiray.config import RayConfig, RenderConfig


@pytest.fixture(scope="module")
def pool():
    """One pool for the module, driven from its own event loop (tests call pool.run(coro))."""
    yield from running_pool(
        RenderConfig(load_timeout_s=3, step_timeout_s=2, render_timeout_s=8, renderer_memory_mb=768)
    )


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster for the session (all CPUs, 2 `render` units for browser actors), Ray Data progress
    bars off. Starting one costs 8-10 s on 2 cores; tests that need a cluster of their own start it in a
    subprocess (`uiray <stage>` runs, tests/ray_head.py)."""
    import ray

    init_ray(RayConfig(render_slots=2, object_store_gib=1.0))
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
