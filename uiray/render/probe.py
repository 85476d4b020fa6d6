"""Interaction probe: find a rendered page's controls, use each one, and see whether anything happens.

A generated UI that looks right but does nothing when clicked is the most common failure of small
models (Dojo's "skeleton" pages). After load we mark up to `probe_max_controls` visible controls
(buttons, inputs, selects, in-page links, and any element a script attached a click/key listener to —
the sandbox's init script records those), then for each one:

    signature before -> click / type + Enter / pick an option -> short wait -> signature after

The signature is a hash of the document's markup, form values, canvas pixels and URL hash (not the
scroll position: using a control scrolls it into view). When it is unchanged, the control may still
have changed only pixels (a popover, a CSS-only effect): then we take a viewport screenshot, use the
control once more and compare pixels. Working controls (nearly all controls of a working page) thus
cost no screenshot; an inert one costs two and a second try. An effect that happens on the first use
only and leaves no trace in the signature is missed. A control "works" when something changed and the
page threw no uncaught error while handling it. interactivity = working controls / controls.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import TypedDict

from uiray.config import RenderConfig

# Marks candidate controls with data-uiray-probe=<i> and describes them. Links that would navigate
# away are skipped (the sandbox blocks them, so they can never "work").
_MARK_CONTROLS = r"""(max) => {
  const standard = 'button, input, select, textarea, summary, [role=button], [onclick], a[href], canvas';
  const hasListener = window.__uirayHasListener || (() => false);
  const out = [];
  const all = document.body ? document.body.getElementsByTagName('*') : [];
  for (let i = 0; i < all.length && i < 5000 && out.length < max; i++) {
    const el = all[i];
    // React sets an empty onclick on its root container (an iOS Safari workaround): not a handler.
    const handler = typeof el.onclick === 'function' && !/\{\s*\}\s*$/.test(String(el.onclick));
    const scripted = hasListener(el) || handler;
    if (!scripted && !el.matches(standard)) continue;
    const tag = el.tagName.toLowerCase(), type = (el.getAttribute('type') || '').toLowerCase();
    if (tag === 'a' && !scripted && !/^(#|javascript:)/.test(el.getAttribute('href') || '')) continue;
    if (tag === 'canvas' && !scripted) continue;
    if (tag === 'input' && ['hidden', 'submit', 'file'].includes(type) && !scripted) continue;
    const r = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (r.width < 1 || r.height < 1 || style.visibility === 'hidden' || el.disabled) continue;
    el.setAttribute('data-uiray-probe', String(out.length));
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60);
    out.push({tag, type, text});
  }
  return out;
}"""

_SIGNATURE = """() => {
  let s = document.documentElement ? document.documentElement.outerHTML : '';
  s += '|' + location.hash;
  for (const el of document.querySelectorAll('input, textarea, select')) s += '|' + el.value + el.checked;
  for (const c of Array.from(document.querySelectorAll('canvas')).slice(0, 4)) {
    try { const d = c.toDataURL(); s += '|' + d.length + d.slice(-96); } catch (e) {}
  }
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  return (h >>> 0).toString(16) + ':' + s.length;
}"""

_TEXT_TYPES = {"", "text", "search", "email", "password", "tel", "url", "number", "date", "time", "color"}


class ControlResult(TypedDict):
    tag: str
    type: str
    text: str
    action: str
    changed_dom: bool
    changed_pixels: bool
    threw: bool
    error: str | None


class ProbeResult(TypedDict):
    controls: list[ControlResult]
    interactivity: float | None
    """Fraction of controls that changed the page without an uncaught error; None if there are none."""
    cut: bool
    """probe_budget_s ran out before every control was used (the control in use then counts as not working)."""
    seconds: float


async def probe_page(page, page_errors: list[str], cfg: RenderConfig) -> ProbeResult:
    """Exercise the controls of the loaded `page`; `page_errors` is the live list the page's errors go to.
    Ends when probe_budget_s is spent, also in the middle of a control: a handler that never returns
    (`while (true) {}`) would otherwise hold the probe for several step timeouts per use."""
    started = time.perf_counter()
    deadline = started + cfg.probe_budget_s
    step = cfg.step_timeout_s
    controls = await asyncio.wait_for(page.evaluate(_MARK_CONTROLS, cfg.probe_max_controls), step)
    results: list[ControlResult] = []
    cut = False
    for index, control in enumerate(controls):
        left = deadline - time.perf_counter()
        if left <= 0:
            cut = True
            break
        try:
            results.append(await asyncio.wait_for(_exercise(page, index, control, page_errors, cfg), left))
        except TimeoutError:  # this control used up the budget: it does not work
            results.append(_cut_short(control))
            cut = True
            break
    working = [r for r in results if (r["changed_dom"] or r["changed_pixels"]) and not r["threw"]]
    return ProbeResult(
        controls=results,
        interactivity=len(working) / len(results) if results else None,
        cut=cut,
        seconds=round(time.perf_counter() - started, 3),
    )


def _cut_short(control: dict) -> ControlResult:
    return ControlResult(
        tag=control["tag"],
        type=control["type"],
        text=control["text"],
        action=_action_for(control),
        changed_dom=False,
        changed_pixels=False,
        threw=False,
        error="probe budget ran out",
    )


async def _exercise(page, index: int, control: dict, page_errors: list[str], cfg: RenderConfig) -> ControlResult:
    step_ms = cfg.step_timeout_s * 1000
    locator = page.locator(f'[data-uiray-probe="{index}"]')
    errors_before = len(page_errors)
    action = _action_for(control)
    before = await _signature(page, cfg)
    error = await _use(page, locator, action, cfg)
    after = await _signature(page, cfg)
    changed_dom = before is not None and after is not None and before != after
    changed_pixels = False
    if not changed_dom and error is None:  # pixels only, if anything: picture, second use, picture
        shot = await _viewport_shot(page, step_ms)
        if shot is not None and await _use(page, locator, action, cfg) is None:
            changed_pixels = _pixels_changed(shot, await _viewport_shot(page, step_ms))
    return ControlResult(
        tag=control["tag"],
        type=control["type"],
        text=control["text"],
        action=action,
        changed_dom=changed_dom,
        changed_pixels=changed_pixels,
        threw=len(page_errors) > errors_before,
        error=error,
    )


async def _use(page, locator, action: str, cfg: RenderConfig) -> str | None:
    """Click, type into or pick an option of the control, then wait probe_wait_ms; the error, if any."""
    step_ms = cfg.step_timeout_s * 1000
    try:
        if action == "type":
            await locator.fill("uiray 42", timeout=step_ms)
            await locator.press("Enter", timeout=step_ms)
        elif action == "select":
            options = await locator.evaluate("el => Array.from(el.options).map(o => o.value)", timeout=step_ms)
            await locator.select_option(options[-1] if options else [], timeout=step_ms)
        else:
            await locator.click(timeout=step_ms, force=True)
        await asyncio.sleep(cfg.probe_wait_ms / 1000)
    except Exception as e:  # a control that cannot be used does not work; the probe goes on
        return f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
    return None


def _action_for(control: dict) -> str:
    if control["tag"] == "select":
        return "select"
    if control["tag"] == "textarea" or (control["tag"] == "input" and control["type"] in _TEXT_TYPES):
        return "type"
    return "click"


def _pixels_changed(before: bytes, after: bytes | None, min_pixels: int = 5) -> bool:
    """True when at least `min_pixels` pixels differ: single anti-aliasing specks are not a reaction."""
    if after is None or before == after:
        return False
    import io

    from PIL import Image, ImageChops

    a, b = (Image.open(io.BytesIO(x)).convert("RGB") for x in (before, after))
    if a.size != b.size:
        return True
    mask = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v else 0)
    return mask.histogram()[255] >= min_pixels


async def _signature(page, cfg: RenderConfig) -> str | None:
    try:
        return await asyncio.wait_for(page.evaluate(_SIGNATURE), cfg.step_timeout_s)
    except Exception:
        return None


async def _viewport_shot(page, step_ms: float) -> bytes | None:
    """Viewport pixels at half scale, with focus rings, carets and the pointer's hover effects out of the
    picture. Half scale through CDP's fast PNG encoder costs a fraction of a full screenshot (the probe
    takes two per inert-looking control); a change too small to survive it (a few pixels) is no reaction."""
    try:
        await page.mouse.move(0, 0)
        await page.evaluate("document.activeElement && document.activeElement.blur && document.activeElement.blur()")
        cdp = await page.context.new_cdp_session(page)
        try:
            size = page.viewport_size or {"width": 1280, "height": 800}
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 0.5}
            params = {"format": "png", "optimizeForSpeed": True, "clip": clip}
            shot = await asyncio.wait_for(cdp.send("Page.captureScreenshot", params), step_ms / 1000)
        finally:
            await cdp.detach()
        return base64.b64decode(shot["data"])
    except Exception:
        return None
