"""Pages/s of the RenderPool vs a FrontCoder-style baseline (a new browser context per page), same run.

    python benchmarks/render_pool.py [--pages 200]

Pages are 200 different apps from the embedded corpus. Both sides wait for load and take a full-page
screenshot of each page; the pool also routes, CSP-sandboxes and serves CDN files to every page (the
baseline has no network at all, so its Tailwind pages fail fast). Prints both rates and their ratio
(absolute numbers drift on a noisy 2-core machine).
"""

import argparse
import asyncio
import shutil
import time

from uiray.config import RenderConfig
from uiray.render.sandbox import CHROMIUM_ARGS, RenderPool


def varied_pages(n: int) -> list[str]:
    """n different pages from the embedded corpus (20 app kinds, 4-7 KB each, some on the Tailwind CDN)."""
    from uiray.data.embedded import load_embedded

    return [row["html"] for row in load_embedded() if row["dup_of"] is None][:n]


async def pool_rate(pages: list[str], slots: int) -> float:
    async with RenderPool(RenderConfig(pages=slots, settle_ms=0)) as pool:
        await pool.render(pages[0])  # warm-up
        started = time.perf_counter()
        results = await asyncio.gather(*(pool.render(p) for p in pages))
        elapsed = time.perf_counter() - started
    assert all(r["ok"] for r in results)
    return len(pages) / elapsed


async def baseline_rate(pages: list[str]) -> float:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        started = time.perf_counter()
        for html in pages:
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            page = await context.new_page()
            await page.set_content(html, wait_until="load")
            await page.screenshot(full_page=True)
            await context.close()
        elapsed = time.perf_counter() - started
        await browser.close()
    return len(pages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--slots", type=int, default=4)
    args = parser.parse_args()
    pages = varied_pages(args.pages)
    baseline = asyncio.run(baseline_rate(pages))
    pooled = asyncio.run(pool_rate(pages, args.slots))
    print(f"baseline (new context per page): {baseline:.1f} pages/s")
    print(f"RenderPool ({args.slots} slots):           {pooled:.1f} pages/s")
    print(f"ratio: {pooled / baseline:.2f}x")


if __name__ == "__main__":
    main()
