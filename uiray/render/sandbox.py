"""A pool of sandboxed Chromium pages that renders untrusted generated HTML.

Generated pages are hostile until proven otherwise. Each render is a real navigation to a fake origin
(http://render.uiray.invalid) whose response we fulfil from memory, so every page gets a fresh window
and an HTTP Content-Security-Policy header it cannot strip. Four walls keep it in:

  1. CSP: no connections, frames, objects, form posts or remote scripts (bar the local CDN shim);
  2. a route on every request: only the page itself and CDN-shim files are answered, the rest is
     aborted and reported as blocked;
  3. a black-hole proxy for the whole browser (loopback included), for whatever slips past 1 and 2
     (sendBeacon, prefetch, WebSockets, navigations): nothing can reach this machine's services;
  4. bounds: every step has a timeout, the V8 heap is capped, and a watchdog kills renderer processes
     above a memory limit. A page that times out or crashes is reported as failed and its context is
     thrown away; the pool replaces it and carries on.

Each slot is its own browser context (own renderer process), reused across renders; a new context
costs ~150 ms, a navigation in a warm one a few ms.

    async with RenderPool(RenderConfig()) as pool:
        result = await pool.render("<!DOCTYPE html><h1>hi</h1>")
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import shutil
import time
from dataclasses import dataclass, field
from typing import TypedDict

from uiray.config import RenderConfig
from uiray.render.axe import AxeResult, run_axe
from uiray.render.cdn import CdnShim
from uiray.render.probe import ProbeResult, probe_page

ORIGIN = "http://render.uiray.invalid"
CDN_HOSTS = ("https://cdn.tailwindcss.com", "https://unpkg.com", "https://cdn.jsdelivr.net",
             "https://cdnjs.cloudflare.com")  # fmt: skip
# A file: URL in Chromium's console messages: "Not allowed to load local resource: URL", "... 'URL' violates ...".
_FILE_URL = re.compile(r"Not allowed to load local resource: (file:\S+)|'(file:[^']+)'")
BLACK_HOLE_PROXY = "http://127.0.0.1:9"  # the discard port: connections are refused at once
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in containers; isolation comes from the walls above
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--block-new-web-contents",
    "--dns-prefetch-disable",
    f"--proxy-server={BLACK_HOLE_PROXY}",
    "--proxy-bypass-list=<-loopback>",  # do NOT bypass the proxy for loopback
]
_CDN = " ".join(CDN_HOSTS)
CSP = "; ".join([
    "default-src 'none'",
    f"script-src 'unsafe-inline' 'unsafe-eval' blob: {_CDN}",
    f"style-src 'unsafe-inline' {_CDN}",
    f"font-src data: {_CDN}",
    "img-src data: blob:",
    "media-src data: blob:",
    "connect-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
])  # fmt: skip

# Runs before any page script in every document: dialogs and popups become no-ops (a modal alert
# would stall the page), and CSP violations are recorded so blocked requests can be reported.
_INIT_SCRIPT = """(() => {
  const blocked = [];
  Object.defineProperty(window, '__uirayBlocked', {value: blocked});
  document.addEventListener('securitypolicyviolation', e => {
    const uri = String(e.blockedURI || e.violatedDirective);
    if (uri !== 'file') blocked.push(uri.slice(0, 300));  // a file: URL is listed whole from the console
  }, true);
  window.alert = () => {}; window.confirm = () => false; window.prompt = () => null;
  window.print = () => {}; window.open = () => null;
  // Remember which elements scripts made interactive, for the interaction probe. An element that
  // listens to dozens of event types is a framework's delegation root (React, Preact), not a control.
  const listened = new WeakMap();
  const kinds = new Set(['click', 'mousedown', 'mouseup', 'pointerdown', 'pointerup', 'touchstart',
                         'keydown', 'keyup', 'input', 'change', 'dblclick']);
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, ...rest) {
    if (this instanceof Element) {
      const types = listened.get(this) || new Set();
      types.add(String(type)); listened.set(this, types);
    }
    return add.call(this, type, ...rest);
  };
  Object.defineProperty(window, '__uirayHasListener', {value: el => {
    const types = listened.get(el);
    return !!types && types.size < 16 && [...types].some(t => kinds.has(t));
  }});
})();"""

_DOM_STATS = """() => {
  const root = document.documentElement;
  const all = document.getElementsByTagName('*');
  let depth = 0;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
  for (let n = walker.currentNode, seen = 0; n && seen < 50000; n = walker.nextNode(), seen++) {
    let d = 0; for (let p = n; p && d < 1000; p = p.parentElement) d++;
    if (d > depth) depth = d;
  }
  return {
    elements: all.length,
    max_depth: depth,
    text_chars: (document.body ? document.body.textContent : '').trim().length,
    interactive: document.querySelectorAll(
      'button, a[href], input, select, textarea, [onclick], [role=button], canvas').length,
    images: document.images.length,
    scripts: document.scripts.length,
    width: root ? root.scrollWidth : 0,
    height: root ? root.scrollHeight : 0,
    styles: [...document.styleSheets].reduce((n, sheet) => {
      try { return n + sheet.cssRules.length; } catch (e) { return n + 1; }  // unreadable: it exists
    }, 0) + document.querySelectorAll('[style]').length,
    title: document.title.slice(0, 200),
    blocked: (window.__uirayBlocked || []).slice(0, 100),
  };
}"""


class DomStats(TypedDict):
    elements: int
    max_depth: int
    text_chars: int
    interactive: int
    images: int
    scripts: int
    width: int
    height: int
    styles: int
    """CSS rules in the page's stylesheets plus elements with a style attribute: 0 is the browser's default look."""
    title: str


class RenderResult(TypedDict):
    ok: bool
    error: str | None
    """Why the render failed: 'timeout: load', 'crashed during load' (also a renderer the memory watchdog killed),
    'timeout: probe budget' (a control's handler hung the page), ... (None when ok)."""
    screenshot: bytes | None
    """Full-page PNG, cut at max_page_height."""
    console_errors: list[str]
    page_errors: list[str]
    """Uncaught exceptions thrown by the page."""
    blocked_requests: list[str]
    """URLs the page tried to reach (CSP violations and aborted requests)."""
    load_errors: int
    """How many of page_errors were thrown while loading (the rest came from probing)."""
    dom: DomStats | None
    accessibility: AxeResult | None
    """axe-core violations when asked for (render(..., accessibility=True))."""
    checks: list[dict] | None
    """Executable checklist results when asked for (render(..., checks=[...]))."""
    probe: ProbeResult | None
    """Interaction probe results when asked for (render(..., probe=True))."""
    timings: dict[str, float]
    """Milliseconds per step: load, settle, dom, screenshot, total."""


@dataclass
class _Slot:
    context: object
    page: object = None
    cdp: object = None
    html: str = ""
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    crashed: bool = False
    step: str = "render"
    """The step in progress, named in the failure reason."""

    def reset(self, html: str) -> None:
        self.html, self.crashed, self.step = html, False, "render"
        self.console_errors, self.page_errors, self.blocked = [], [], []


class RenderPool:
    """Long-lived Chromium with `cfg.pages` sandboxed page slots. Use from one asyncio loop."""

    def __init__(self, cfg: RenderConfig | None = None, cdn: CdnShim | None = None):
        self.cfg = cfg or RenderConfig()
        self.cdn = cdn or CdnShim()  # CDN URLs answered from the local npm cache (setup.sh builds it)
        self.replaced = 0  # slots thrown away after a failed render
        self.killed = 0  # renderers killed by the memory watchdog
        self._pw = self._browser = self._watchdog = None
        self._slots: asyncio.Queue[_Slot] = asyncio.Queue()
        self._browser_lock = asyncio.Lock()
        self._navigations = 0

    async def __aenter__(self) -> RenderPool:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def start(self) -> None:
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        await self._launch()
        for _ in range(self.cfg.pages):
            self._slots.put_nowait(await self._new_slot())
        self._watchdog = asyncio.create_task(self._watch_memory())

    async def close(self) -> None:
        if self._watchdog:
            self._watchdog.cancel()
        if self._browser:
            await self._browser.close()
        if self._pw:
            await self._pw.stop()
        self._pw = self._browser = self._watchdog = None

    async def render(
        self,
        html: str,
        screenshot: bool | None = None,
        probe: bool = False,
        accessibility: bool = False,
        checks: list[dict] | None = None,
    ) -> RenderResult:
        """Render `html`; optionally run axe-core, executable checklist items and the interaction probe
        (in that order: the later ones click and type). Never raises for anything the page does, never
        takes longer than render_timeout_s."""
        slot = await self._slots.get()
        started = time.perf_counter()
        timings: dict[str, float] = {}
        screenshot = self.cfg.screenshot if screenshot is None else screenshot
        found: dict = {}
        try:
            steps = self._render(slot, html, screenshot, probe, accessibility, checks, timings, found)
            await asyncio.wait_for(steps, self.cfg.render_timeout_s)
            error = "crashed" if slot.crashed else None
        except Exception as e:  # timeouts, crashes, killed renderers: the page failed, not the pool
            found, error = {}, _reason(e, slot)
        except asyncio.CancelledError:  # the caller gave up (per-item timeout): recycle the slot, then go
            asyncio.ensure_future(self._recycle(slot))
            raise
        if error is not None:
            slot = await self._replace(slot)
        self._slots.put_nowait(slot)
        timings["total"] = round((time.perf_counter() - started) * 1000, 1)
        return RenderResult(
            ok=error is None,
            error=error,
            screenshot=found.get("screenshot"),
            console_errors=slot.console_errors[:50],
            page_errors=slot.page_errors[:50],
            load_errors=found.get("load_errors", len(slot.page_errors)),
            blocked_requests=slot.blocked[:100],
            dom=found.get("dom"),
            accessibility=found.get("accessibility"),
            checks=found.get("checks"),
            probe=found.get("probe"),
            timings=timings,
        )

    async def _render(self, slot: _Slot, html: str, screenshot: bool, probe: bool, accessibility: bool,
                      checks: list[dict] | None, timings: dict[str, float], found: dict) -> None:  # fmt: skip
        cfg, page = self.cfg, slot.page
        slot.reset(html)
        self._navigations += 1
        mark = time.perf_counter()
        slot.step = "load"
        await page.goto(f"{ORIGIN}/page/{self._navigations}", wait_until="load", timeout=cfg.load_timeout_s * 1e3)
        mark = _lap(timings, "load", mark)
        if cfg.settle_ms:
            await asyncio.sleep(cfg.settle_ms / 1000)
        mark = _lap(timings, "settle", mark)
        slot.step = "settle"
        if not page.url.startswith(f"{ORIGIN}/page/"):
            # The page navigated itself away (location = ...); the navigation was blocked, and what
            # is on screen now is Chromium's error page, not the generated UI.
            raise RuntimeError(f"navigated away to {page.url[:200]}")
        found["load_errors"] = len(slot.page_errors)
        slot.step = "dom"
        found["dom"] = dom = await asyncio.wait_for(page.evaluate(_DOM_STATS), cfg.step_timeout_s)
        slot.blocked += dom.pop("blocked")
        mark = _lap(timings, "dom", mark)
        if screenshot:
            slot.step = "screenshot"
            found["screenshot"] = await asyncio.wait_for(self._screenshot(slot, dom["height"]), cfg.step_timeout_s)
            mark = _lap(timings, "screenshot", mark)
        if accessibility:
            slot.step = "accessibility"
            found["accessibility"] = await run_axe(page, self.cdn, cfg.step_timeout_s)
            mark = _lap(timings, "accessibility", mark)
        if checks:
            from uiray.render.checks import run_checks

            slot.step = "checks"
            found["checks"] = await run_checks(page, checks, cfg)
            mark = _lap(timings, "checks", mark)
        if probe:
            slot.step = "probe"
            found["probe"] = await probe_page(page, slot.page_errors, cfg)
            _lap(timings, "probe", mark)
            if found["probe"]["cut"]:
                # Out of budget: a control's handler may still be running (`while (true) {}`). A page that
                # no longer answers fails the render, and its slot, hung with it, is replaced.
                slot.step = "probe budget"
                await asyncio.wait_for(page.evaluate("1"), cfg.step_timeout_s)

    async def _screenshot(self, slot: _Slot, page_height: int) -> bytes:
        """Full-page PNG (cut at max_page_height) straight from CDP: Playwright's page.screenshot adds
        style injections and frame waits, and Chromium's fast PNG encoder (optimizeForSpeed: larger files,
        same pixels) halves the encode; together ~20% of a small page's render."""
        cfg = self.cfg
        height = max(cfg.viewport_height, min(page_height, cfg.max_page_height))
        clip = {"x": 0, "y": 0, "width": cfg.viewport_width, "height": height, "scale": 1}
        params = {"format": "png", "optimizeForSpeed": True, "clip": clip,
                  "captureBeyondViewport": height > cfg.viewport_height}  # fmt: skip
        return base64.b64decode((await slot.cdp.send("Page.captureScreenshot", params))["data"])

    async def _route(self, slot: _Slot, route) -> None:
        url = route.request.url
        if url.startswith(f"{ORIGIN}/page/"):
            headers = {"content-type": "text/html; charset=utf-8", "content-security-policy": CSP,
                       "cache-control": "no-store"}  # fmt: skip
            await route.fulfill(status=200, headers=headers, body=slot.html)
            return
        found = self.cdn.lookup(url)
        if found is not None:
            content_type, body = found
            await route.fulfill(status=200, headers={"content-type": content_type}, body=body)
            return
        slot.blocked.append(url[:300])
        await route.abort("blockedbyclient")

    async def _new_slot(self) -> _Slot:
        await self._ensure_browser()
        cfg = self.cfg
        context = await self._browser.new_context(
            viewport={"width": cfg.viewport_width, "height": cfg.viewport_height},
            accept_downloads=False,
            service_workers="block",
        )
        slot = _Slot(context)
        await context.add_init_script(_INIT_SCRIPT)
        await context.route("**/*", lambda route: self._route(slot, route))
        await context.route_web_socket("**/*", lambda ws: _block_socket(slot, ws))
        page = await context.new_page()
        slot.cdp = await context.new_cdp_session(page)
        page.on("console", lambda m: m.type == "error" and _console_error(slot, m.text))
        page.on("pageerror", lambda e: slot.page_errors.append(str(e)[:500]))
        page.on("crash", lambda _: setattr(slot, "crashed", True))
        page.on("popup", lambda p: asyncio.ensure_future(p.close()))
        slot.page = page
        return slot

    async def _replace(self, slot: _Slot) -> _Slot:
        """Throw a failed slot away (its renderer may be hung) and make a fresh one."""
        self.replaced += 1
        # A context that will not close dies with its browser if it comes to that (_ensure_browser).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(slot.context.close(), self.cfg.step_timeout_s)
        fresh = await self._new_slot()
        # The failed render's evidence (errors, blocked URLs) is reported from the fresh slot.
        fresh.console_errors, fresh.page_errors, fresh.blocked = (
            slot.console_errors,
            slot.page_errors,
            slot.blocked,
        )
        return fresh

    async def _recycle(self, slot: _Slot) -> None:
        self._slots.put_nowait(await self._replace(slot))

    async def _launch(self) -> None:
        executable = shutil.which("chromium") or "/usr/bin/chromium"
        args = [*CHROMIUM_ARGS, f"--js-flags=--max-old-space-size={self.cfg.js_heap_mb}"]
        self._browser = await self._pw.chromium.launch(executable_path=executable, args=args)

    async def _ensure_browser(self) -> None:
        async with self._browser_lock:
            if self._browser is None or not self._browser.is_connected():
                await self._launch()

    async def _watch_memory(self) -> None:
        """Kill renderer processes above renderer_memory_mb; their page then fails as 'crashed'."""
        import psutil

        me, limit, renderers = psutil.Process(), self.cfg.renderer_memory_mb * 1024**2, {}
        while True:
            await asyncio.sleep(0.2)
            for proc in me.children(recursive=True):
                try:
                    if proc.pid not in renderers:
                        renderers[proc.pid] = "--type=renderer" in proc.cmdline()
                    if renderers[proc.pid] and proc.memory_info().rss > limit:
                        proc.kill()
                        self.killed += 1
                except psutil.Error:
                    renderers.pop(proc.pid, None)


def _console_error(slot: _Slot, text: str) -> None:
    """Record a console error; a file: URL that Chromium refused is also a blocked request. Chromium refuses those
    itself, before any route sees them ("Not allowed to load local resource: file:///..."), and strips them to
    "file" in CSP violation events; only its console message names the URL."""
    slot.console_errors.append(text[:500])
    for match in _FILE_URL.finditer(text):
        url = (match.group(1) or match.group(2))[:300]
        if url not in slot.blocked:
            slot.blocked.append(url)


async def _block_socket(slot: _Slot, ws) -> None:
    slot.blocked.append(ws.url[:300])
    await ws.close()


def _lap(timings: dict[str, float], name: str, mark: float) -> float:
    now = time.perf_counter()
    timings[name] = round((now - mark) * 1000, 1)
    return now


def _reason(error: Exception, slot: _Slot) -> str:
    step = slot.step
    if slot.crashed or "crash" in str(error).lower():
        return f"crashed during {step}"
    if isinstance(error, TimeoutError) or "Timeout" in type(error).__name__ or "timeout" in str(error).lower():
        return f"timeout: {step}"
    return f"{step} failed: {type(error).__name__}: {str(error).splitlines()[0][:200]}"


def render_html(html: str, cfg: RenderConfig | None = None, **options) -> RenderResult:
    """Render one page in a throwaway pool (for scripts and the CLI; long-lived users keep a RenderPool).
    `options` are RenderPool.render's: probe, accessibility, checks, screenshot."""

    async def run() -> RenderResult:
        async with RenderPool((cfg or RenderConfig()).model_copy(update={"pages": 1})) as pool:
            return await pool.render(html, **options)

    return asyncio.run(run())
