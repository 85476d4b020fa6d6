"""Run a checklist's executable checks in a live page (item format: uiray/reward/checklist.py).

    results = await run_checks(page, executable_checks(items), render_cfg)   # [{"index", "passed", "detail"}]

The page under test is the one the policy wrote, and RL will find any way to be paid. So conditions are
evaluated in a CDP isolated world (the page's DOM, but our own globals and prototypes): a page that patches
querySelectorAll or innerText fools itself, not the check. Interactions go through Playwright locators,
which also resolve outside the page's world, and dispatch real input events.

Order: checks without steps run first, on the page as loaded. Then each interaction check runs and the page
is reloaded after it (when it has an http URL, as in the sandbox), so every interaction check - and the
interaction probe after us - starts from the freshly loaded page instead of whatever the last one left.

Every step and evaluation is bounded by step_timeout_s, and a missing element or option fails at once
rather than being waited for; an expectation is checked once, probe_wait_ms after the last step (use a
wait_ms step for slower effects). Nothing the page does raises: an invalid selector or a throwing handler
fails that item with a detail. A handler stuck in an endless loop is interrupted (CDP terminateExecution)
and the checks go on; if the page still does not answer, the remaining items fail as skipped at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TypedDict

from uiray.config import RenderConfig

MAX_ELEMENTS = 2000  # elements examined per condition; a hostile page may have millions

# Counts the elements matching a condition. Runs in the isolated world (see the module docstring).
_CONDITION = """(c) => {
  const norm = s => String(s == null ? '' : s).replace(/\\s+/g, ' ').trim().toLowerCase();
  const shown = el => {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) return false;
    return el.checkVisibility ? el.checkVisibility({visibilityProperty: true}) : true;
  };
  let els;
  try {
    els = c.selector ? document.querySelectorAll(c.selector) : [document.body || document.documentElement];
  } catch (e) {
    return {error: 'invalid CSS selector ' + JSON.stringify(c.selector)};
  }
  const want = c.text == null ? null : norm(c.text);
  let count = 0, seen = 0;
  for (const el of els) {
    if (!el || ++seen > c.limit) break;
    if (c.visible && c.selector && !shown(el)) continue;
    if (c.attribute != null) {
      const live = (c.attribute === 'value' || c.attribute === 'checked') && c.attribute in el;
      const v = live ? String(el[c.attribute]) : el.getAttribute(c.attribute);
      if (v == null) continue;
      if (c.equals != null && v !== c.equals) continue;
      if (c.contains != null && !v.toLowerCase().includes(c.contains.toLowerCase())) continue;
    }
    if (want != null) {
      const t = norm(el.innerText !== undefined ? el.innerText : el.textContent);
      if (c.exact ? t !== want : !t.includes(want)) continue;
    }
    count++;
  }
  return {count, matched: els.length};
}"""


class CheckResult(TypedDict):
    index: int
    """The checklist item's index (the check's "index", else its position in `checks`)."""
    passed: bool
    detail: str


class _PageStopped(Exception):
    """The page stopped answering (an endless loop in a handler); the remaining checks are skipped."""


class _IsolatedWorld:
    """Evaluates functions in a fresh CDP isolated world of the page's main frame."""

    def __init__(self, page):
        self.page, self.cdp, self.frame_id = page, None, None

    async def start(self) -> None:
        self.cdp = await self.page.context.new_cdp_session(self.page)
        self.frame_id = (await self.cdp.send("Page.getFrameTree"))["frameTree"]["frame"]["id"]

    async def evaluate(self, function: str, arg) -> object:
        if self.frame_id is None:
            await self.start()
        # A new world per call: a world dies with its document, and reloads or navigations replace it.
        world = await self.cdp.send("Page.createIsolatedWorld", {"frameId": self.frame_id, "worldName": "uiray"})
        reply = await self.cdp.send(
            "Runtime.evaluate",
            {
                "expression": f"({function})({json.dumps(arg)})",
                "contextId": world["executionContextId"],
                "returnByValue": True,
            },
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(reply["exceptionDetails"].get("exception", {}).get("description", "script error"))
        return reply["result"].get("value")

    async def responsive(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self.evaluate("() => 0", None), timeout_s)
            return True
        except Exception:
            return False

    async def stop_script(self, timeout_s: float) -> None:
        """Interrupt the JavaScript that is running now (an endless loop in a handler)."""
        if self.cdp is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.cdp.send("Runtime.terminateExecution"), timeout_s)

    async def close(self, timeout_s: float) -> None:
        if self.cdp is not None:  # detaching waits on the renderer, which may be stuck in a loop
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.cdp.detach(), timeout_s)


async def run_checks(page, checks: list[dict], cfg: RenderConfig) -> list[CheckResult]:
    """Run executable checks in `page` (a Playwright async Page); one result per check, in order."""
    from uiray.page.checklist import parse_check

    results: dict[int, CheckResult] = {}
    parsed = []
    for position, raw in enumerate(checks):
        if not isinstance(raw, dict):
            results[position] = CheckResult(index=position, passed=False, detail="invalid check: not an object")
            continue
        index = raw.get("index", position)
        try:
            parsed.append((position, index, parse_check({k: v for k, v in raw.items() if k != "index"})))
        except ValueError as e:  # ChecklistError, naming the field
            results[position] = CheckResult(index=index, passed=False, detail=f"invalid {str(e)[:300]}")
    world, page_errors, start_url = _IsolatedWorld(page), [], page.url
    with contextlib.suppress(Exception):  # if this fails, so does every check, each with its reason
        await asyncio.wait_for(world.start(), cfg.step_timeout_s)

    def on_error(error) -> None:
        page_errors.append(str(error)[:300])

    page.on("pageerror", on_error)
    stopped = None
    try:
        # sorted() is stable: conditions-only checks first, then interaction checks in checklist order.
        for position, index, check in sorted(parsed, key=lambda p: bool(p[2].steps)):
            if stopped is not None:
                results[position] = CheckResult(index=index, passed=False, detail=f"skipped: {stopped}")
                continue
            try:
                passed, detail = await _run_one(page, world, check, cfg, page_errors)
            except _PageStopped as e:
                passed, detail, stopped = False, str(e), f"the page stopped responding during item {index}"
            results[position] = CheckResult(index=index, passed=passed, detail=detail)
            if check.steps and stopped is None and start_url.startswith(("http://", "https://")):
                try:  # back to the page as loaded (goto, not reload: a click may have navigated away)
                    await page.goto(start_url, wait_until="load", timeout=cfg.load_timeout_s * 1000)
                    await asyncio.sleep(cfg.settle_ms / 1000)
                except Exception as e:
                    stopped = f"the page did not reload after item {index}: {_first_line(e)}"
    finally:
        page.remove_listener("pageerror", on_error)
        await world.close(cfg.step_timeout_s)
    return [results[position] for position in range(len(checks))]


async def _run_one(page, world: _IsolatedWorld, check, cfg: RenderConfig, page_errors: list[str]) -> tuple[bool, str]:
    errors_before = len(page_errors)
    for number, step in enumerate(check.steps, 1):
        try:
            await asyncio.wait_for(_do(page, step, cfg), cfg.step_timeout_s)
        except Exception as e:
            hung = await _recover(world, cfg, e, f"step {number} ({_describe_step(step)})")
            return False, f"step {number} ({_describe_step(step)}) failed: {_first_line(e)}" + hung + _threw(
                page_errors, errors_before
            )
        if step.action != "wait_ms":
            await asyncio.sleep(cfg.probe_wait_ms / 1000)
    details, passed = [], True
    for condition in check.expect:
        arg = {**condition.model_dump(), "limit": MAX_ELEMENTS}
        try:
            found = await asyncio.wait_for(world.evaluate(_CONDITION, arg), cfg.step_timeout_s)
        except Exception as e:
            hung = await _recover(world, cfg, e, "checking the page")
            return False, f"could not check the page: {_first_line(e)}{hung}"
        if "error" in found:
            return False, found["error"]
        least, most = condition.bounds()
        ok = least <= found["count"] and (most is None or found["count"] <= most)
        passed = passed and ok
        details.append(("ok: " if ok else "failed: ") + _describe_condition(condition, found))
    return passed, "; ".join(details) + _threw(page_errors, errors_before)


async def _do(page, step, cfg: RenderConfig) -> None:
    """Perform one step on the first visible element its selector matches."""
    if step.action == "wait_ms":
        await asyncio.sleep(step.wait_ms / 1000)
        return
    selector = getattr(step, step.action)
    target = page.locator(f"css={selector}").filter(visible=True)
    if await target.count() == 0:  # fail now rather than wait step_timeout_s for it to appear
        raise LookupError(f"no visible element matches {selector!r}")
    target, timeout = target.first, cfg.step_timeout_s * 900  # ms, a little under the outer bound
    if step.action == "click":
        await target.click(timeout=timeout, force=True)
    elif step.action == "fill":
        await target.fill(step.value, timeout=timeout, force=True)
    elif step.action == "select":
        # select_option waits for a missing option to appear until the timeout; a missing one fails now.
        has = "(el, v) => Array.from(el.options || []).some(o => o.value === v || o.label === v)"
        if not await target.evaluate(has, step.value, timeout=timeout):
            raise LookupError(f"{selector!r} has no option {step.value!r}")
        await target.select_option(step.value, timeout=timeout, force=True)
    else:
        await target.press(step.value or "Enter", timeout=timeout)


async def _recover(world: _IsolatedWorld, cfg: RenderConfig, error: Exception, what: str) -> str:
    """After a timeout, make sure the page still answers: stop a script stuck in a loop, or raise
    _PageStopped when even that does not help. Returns a note for the item's detail ('' if none)."""
    if not (isinstance(error, TimeoutError) or type(error).__name__ == "TimeoutError"):
        return ""
    ping_s = min(cfg.step_timeout_s, 1.0)  # a page that answers at all answers a constant in milliseconds
    if await world.responsive(ping_s):
        return ""
    for _ in range(2):  # twice: the script may end just before the stop request, which then hits our ping
        await world.stop_script(ping_s)
        if await world.responsive(ping_s):
            return "; the page hung and its script was stopped"
    raise _PageStopped(f"{what} timed out and the page stopped responding")


def _describe_step(step) -> str:
    if step.action == "wait_ms":
        return f"wait {step.wait_ms} ms"
    value = f" {step.value!r}" if step.value is not None else ""
    return f"{step.action} {getattr(step, step.action)!r}{value}"


def _describe_condition(condition, found: dict) -> str:
    least, most = condition.bounds()
    need = f"{least}" if most == least else f">= {least}" if most is None else f"{least}-{most}"
    what = [f"{found['count']} of {found['matched']} elements matching {condition.selector or 'body'!r}"]
    if condition.visible and condition.selector:
        what.append("visible")
    if condition.attribute is not None:
        value = f" == {condition.equals!r}" if condition.equals is not None else ""
        value += f" containing {condition.contains!r}" if condition.contains is not None else ""
        what.append(f"with {condition.attribute}{value}")
    if condition.text is not None:
        what.append(f"with text {'equal to' if condition.exact else 'containing'} {condition.text!r}")
    return ", ".join(what) + f" (need {need})"


def _threw(page_errors: list[str], before: int) -> str:
    thrown = page_errors[before:]
    return f"; the page threw: {thrown[0][:200]}" if thrown else ""


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200] if lines else ''}"
