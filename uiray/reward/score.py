"""Score one model reply: extract the page, render and probe it, compute every component, compose.

    reply --extract--> page (HTML, or a React component mounted into a page)
          --render (sandbox)--> screenshot, DOM, load errors, axe violations, checklist checks, probe
          --components--> repetition, render, length, completeness, similarity, interactivity,
                          accessibility, visual, checklist
          --compose(preset)--> RewardBreakdown

The render gate: a page scores render = 1 only when the sandbox loaded it (no crash, timeout or
navigation away) and no uncaught error was thrown while it loaded; a page whose script dies at load
usually shows a shell with nothing working, and letting it through pays RL for text that looks like an
app. Errors thrown later, by clicking, lower interactivity instead.

Length is measured in reply tokens when the caller knows them (rollouts do); otherwise estimated at
3.5 characters per token, which is close for HTML/JS with the BPE tokenizers of current code models.
"""

from __future__ import annotations

import time
from typing import TypedDict

from uiray.config import RewardConfig
from uiray.page.extract import extract_html
from uiray.page.heuristics import completeness, length_score, repetition_indicator
from uiray.reward.accessibility import accessibility_score
from uiray.reward.compose import RewardBreakdown, compose
from uiray.reward.similarity import dom_similarity
from uiray.reward.visual import visual_sanity

CHARS_PER_TOKEN = 3.5


class RewardRequest(TypedDict, total=False):
    """One reply to score. Only `response` is required."""

    prompt: str
    response: str
    """The model's reply: markdown with a fenced page, a bare document, or a React component."""
    reference: str | None
    """A reference page for DOM similarity."""
    checklist: list | None
    """Checklist items (see uiray/reward/checklist.py): executable ones run in the page."""
    num_tokens: int | None
    """Reply length in tokens, when known."""
    keep_screenshot: bool
    """Return the page's PNG in the outcome (eval's report); off by default: rollouts do not need the bytes."""


class RewardOutcome(TypedDict):
    reward: float
    breakdown: RewardBreakdown
    page_source: str | None
    """Where the page came from: fence, doctype, html, svg, body, react; None when there was none."""
    render: dict | None
    """The RenderResult without screenshot bytes (None when there was no page)."""
    checklist: list[dict] | None
    """Per-item checklist detail."""
    issues: list[str]
    """Human-readable reasons for lost reward (completeness, visual, render errors)."""
    error: str | None
    """Set when scoring itself failed (timeout, crashed worker); reward is then 0."""
    seconds: float
    screenshot: bytes | None
    """The full-page PNG, when the request asked for it (keep_screenshot) and the page rendered."""


def find_page(response: str) -> tuple[str | None, str | None]:
    """(page HTML, source) from a reply; React components are transpiled and mounted into a page."""
    found = extract_html(response)
    if found is not None:
        return found.html, found.source
    from uiray.render.jsx import JsxError, component_page, extract_component

    component = extract_component(response)
    if component is None:
        return None, None
    try:
        return component_page(component), "react"
    except JsxError:
        return None, "react"  # a component that does not compile is no page


async def score_reply(pool, request: RewardRequest, cfg: RewardConfig) -> RewardOutcome:
    """Score `request` with a started RenderPool. Never raises for anything the reply or page does."""
    started = time.perf_counter()
    response = request["response"]
    tokens = request.get("num_tokens") or round(len(response) / CHARS_PER_TOKEN)
    components: dict[str, float | None] = {
        "repetition": float(repetition_indicator(response)),
        "length": length_score(tokens, cfg.length_full_tokens, cfg.length_zero_tokens),
    }
    html, source = find_page(response)
    if html is None:
        components["render"] = 0.0
        issue = "no page in the reply" if source is None else "React component does not compile"
        return _outcome(components, cfg, source, None, None, [issue], started)

    items = _checklist_items(request.get("checklist"))
    executable = _executable(items)
    render = await pool.render(
        html,
        screenshot=True,
        probe=cfg.probe,
        accessibility=cfg.accessibility,
        checks=executable or None,
    )
    screenshot = render.pop("screenshot")
    issues = [f"render failed: {render['error']}"] if not render["ok"] else []
    if render["load_errors"]:
        issues.append(f"uncaught error at load: {render['page_errors'][0][:200]}")
    components["render"] = float(render["ok"] and render["load_errors"] == 0)

    done = completeness(html)
    components["completeness"] = done.score
    issues += done.issues
    if request.get("reference"):
        components["similarity"] = dom_similarity(html, request["reference"])
    if render["ok"]:
        components.update(_browser_components(render, screenshot, cfg, issues))
    checklist = None
    if items:
        score, checklist = await _score_checklist(request, items, render, html, screenshot, cfg)
        components["checklist"] = score
    outcome = _outcome(components, cfg, source, render, checklist, issues, started)
    if request.get("keep_screenshot"):
        outcome["screenshot"] = screenshot
    return outcome


def _browser_components(render: dict, screenshot: bytes | None, cfg: RewardConfig, issues: list[str]) -> dict:
    values: dict[str, float | None] = {}
    if render["probe"] is not None:
        values["interactivity"] = render["probe"]["interactivity"]  # None: no controls, weight moves on
    axe = render["accessibility"]
    if axe is not None and axe["error"] is None:
        values["accessibility"] = accessibility_score(axe["violations"])
        issues += [f"a11y {v['impact']}: {v['id']}" for v in axe["violations"]]
    if screenshot is not None:
        view = cfg.render
        dom = render["dom"]
        visual = visual_sanity(screenshot, dom["width"], view.viewport_width, view.viewport_height, dom.get("styles"))
        values["visual"] = visual.score
        issues += [f"visual: {issue}" for issue in visual.issues]
    return values


def _checklist_items(raw) -> list:
    if not raw:
        return []
    from uiray.page.checklist import load_checklist

    return load_checklist(raw)  # raises ChecklistError naming the bad item


def _executable(items: list) -> list[dict]:
    if not items:
        return []
    from uiray.page.checklist import executable_checks

    return executable_checks(items)


async def _score_checklist(request, items, render, html, screenshot, cfg: RewardConfig):
    from uiray.reward.checklist import checklist_score, judge_checklist

    judged = None
    if cfg.judge.enabled and any(item.check is None for item in items):
        shot = screenshot if cfg.judge.vision else None
        answer = await judge_checklist(request.get("prompt", ""), html, items, cfg.judge, screenshot=shot)
        judged = answer["scores"]
    score, details = checklist_score(items, render["checks"], judged)
    details = [dict(d) for d in details]
    if judged is not None and answer["error"]:
        for d in details:
            if d["source"] is None:
                d["detail"] = f"judge failed after {answer['attempts']} attempt(s): {answer['error']}"
    return score, details


def _outcome(components, cfg, source, render, checklist, issues, started) -> RewardOutcome:
    breakdown = compose(components, cfg.preset)
    return RewardOutcome(
        reward=breakdown["total"],
        breakdown=breakdown,
        page_source=source,
        render=render,
        checklist=checklist,
        issues=issues,
        error=None,
        seconds=round(time.perf_counter() - started, 3),
        screenshot=None,
    )


def score_one(request: RewardRequest, cfg: RewardConfig | None = None) -> RewardOutcome:
    """Score one reply in a throwaway browser (for the CLI and scripts; loops keep a RenderPool or actors)."""
    import asyncio

    from uiray.render.sandbox import RenderPool

    cfg = cfg or RewardConfig()

    async def run() -> RewardOutcome:
        async with RenderPool(cfg.render.model_copy(update={"pages": 1})) as pool:
            return await score_reply(pool, request, cfg)

    return asyncio.run(run())


def failed_outcome(error: str, seconds: float) -> RewardOutcome:
    """The result for an item that could not be scored (timeout, crashed worker): reward 0, reason kept."""
    breakdown = RewardBreakdown(total=0.0, components={}, gates={}, weights={}, preset="", missing=[])
    return RewardOutcome(
        reward=0.0,
        breakdown=breakdown,
        page_source=None,
        render=None,
        checklist=None,
        issues=[error],
        error=error,
        seconds=round(seconds, 3),
        screenshot=None,
    )
