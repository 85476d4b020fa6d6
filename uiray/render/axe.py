"""Accessibility audit: run axe-core (from the local CDN cache) inside a rendered page.

axe is evaluated into the page after load rather than added as an init script, so pages that are not
audited pay nothing, and as an evaluated source rather than a <script> tag, so the page's DOM (which the
interaction probe hashes) does not grow by half a megabyte. Only the WCAG 2.0/2.1 A and AA rules run:
axe's "best-practice" rules (every element inside a landmark, exactly one <main>, ...) are advice about
site structure and would dominate the score of single-widget pages.

A page can tamper with what axe sees (it runs in the page's own world); that can only flatter its own
accessibility score, which is one bounded component of the reward.
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path
from typing import TypedDict

from uiray.render.cdn import CdnShim

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact || 'minor', nodes: v.nodes.length,
                                       help: v.help.slice(0, 200)}));
}"""


class AxeViolation(TypedDict):
    id: str
    """axe rule id, e.g. 'color-contrast', 'button-name'."""
    impact: str
    """'critical', 'serious', 'moderate' or 'minor'."""
    nodes: int
    help: str


class AxeResult(TypedDict):
    violations: list[AxeViolation]
    error: str | None
    """Why the audit did not run (axe missing from the cache, page hung); violations is then empty."""


@cache
def _axe_source(modules: Path) -> str | None:
    file = modules / "axe-core" / "axe.min.js"
    return file.read_text() if file.is_file() else None


async def run_axe(page, cdn: CdnShim, timeout_s: float) -> AxeResult:
    """Audit the loaded `page`; failures come back in `error`, never as exceptions."""
    source = _axe_source(cdn.modules)
    if source is None:
        return AxeResult(violations=[], error="axe-core not in the CDN cache (run python -m uiray.render.cdn)")
    try:
        await asyncio.wait_for(page.evaluate("src => { (0, eval)(src); }", source), timeout_s)
        violations = await asyncio.wait_for(page.evaluate(_RUN, AXE_TAGS), timeout_s)
    except Exception as e:  # a hung or hostile page: no audit, the render itself goes on
        return AxeResult(violations=[], error=f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    return AxeResult(violations=violations, error=None)
