"""Fixtures for integration tests that drive a real Chromium."""

import asyncio

import pytest

from uiray.config import RenderConfig
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
