"""A started RenderPool for tests, driven from its own event loop: tests call pool.run(coro)."""

import asyncio
from collections.abc import Iterator

from uiray.config import RenderConfig
from uiray.render.sandbox import RenderPool


def running_pool(cfg: RenderConfig) -> Iterator[RenderPool]:
    """Yields the started pool (with a `run` that runs a coroutine to completion); closes it afterwards."""
    loop = asyncio.new_event_loop()
    render_pool = RenderPool(cfg)
    loop.run_until_complete(render_pool.start())
    render_pool.run = loop.run_until_complete
    yield render_pool
    loop.run_until_complete(render_pool.close())
    loop.close()
