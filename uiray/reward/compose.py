"""Combine reward components into one scalar: gates that multiply, weights that sum.

    R = prod(gates) * sum_i w_i * c_i          every gate and component in [0, 1]

FrontCoder's reward is the preset "frontcoder":

    R = I_rep * I_render * (0.6 * S_chk + 0.3 * S_sim + 0.1 * S_len)

FrontCoder's own code applies I_render inconsistently: a page that fails to render still scores
0.6 * S_chk + 0.1 * S_len. Here the gates multiply the whole sum, always, so a page that does not render
(or loops) gets 0 whatever the other components say; otherwise RL can be paid for text that never
becomes a page.

A weighted component that is not available (None or absent: no checklist judge configured, no
reference page for the prompt) is left out and the remaining weights are scaled up to the preset's total,
so rewards stay on the same scale across prompts with and without a reference. The breakdown records
which ones were missing. A missing gate is an error: rendering and repetition can always be computed,
so a missing one is a bug upstream, and treating it as 1.0 would pass broken pages.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypedDict


class RewardBreakdown(TypedDict):
    total: float
    """The reward: prod(gates) * sum(weights[name] * components[name])."""
    components: dict[str, float]
    """Every component value that was given (including names the preset does not use)."""
    gates: dict[str, float]
    """The indicator components that multiplied the sum."""
    weights: dict[str, float]
    """The weights actually used, after renormalising over the available components."""
    preset: str
    missing: list[str]
    """Weighted components of the preset that were not available, in preset order."""


@dataclass(frozen=True)
class RewardPreset:
    name: str
    gates: tuple[str, ...]
    """Components that multiply the weighted sum (0/1 indicators, or any value in [0, 1])."""
    weights: Mapping[str, float]
    """Weighted components and their weights (each > 0); their sum is the preset's total weight."""

    def __post_init__(self) -> None:
        if not self.weights:
            raise ValueError(f"preset {self.name!r}: needs at least one weighted component")
        bad = {name: w for name, w in self.weights.items() if not (w > 0 and math.isfinite(w))}
        if bad:
            raise ValueError(f"preset {self.name!r}: weights must be finite and > 0, got {bad}")
        both = set(self.gates) & set(self.weights)
        if both:
            raise ValueError(f"preset {self.name!r}: {sorted(both)} cannot be both gate and weighted")
        # A read-only copy: presets are shared module-level values and must not change under a caller.
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        object.__setattr__(self, "gates", tuple(self.gates))

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())


PRESETS: dict[str, RewardPreset] = {
    "frontcoder": RewardPreset(
        "frontcoder",
        gates=("repetition", "render"),
        weights={"checklist": 0.6, "similarity": 0.3, "length": 0.1},
    ),
    # A React GRPO run's reward: is the page finished (completeness) and does clicking do something
    # (interactivity), with validity as the render gate: it loads with no error, or it scores 0.
    "react": RewardPreset(
        "react",
        gates=("repetition", "render"),
        weights={"completeness": 0.5, "interactivity": 0.5},
    ),
    # For runs without a checklist judge or reference pages: most weight on what the browser measures
    # (does clicking change the page, is the page finished, is it accessible and visually sound); the
    # judge and the reference keep a little weight so they count when they are configured. Length stays
    # small: it only matters near the token limit, and the repetition gate already stops padding loops.
    "default": RewardPreset(
        "default",
        gates=("repetition", "render"),
        weights={
            "interactivity": 0.3,
            "completeness": 0.2,
            "accessibility": 0.15,
            "visual": 0.15,
            "checklist": 0.1,
            "similarity": 0.05,
            "length": 0.05,
        },
    ),
}


def _checked(components: Mapping[str, float | None]) -> dict[str, float]:
    """The available values as floats; raises ValueError naming a value outside [0, 1]."""
    values = {}
    for name, value in components.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
            raise ValueError(f"component {name!r} must be a number in [0, 1], got {value!r}")
        values[name] = float(value)
    return values


def compose(components: Mapping[str, float | None], preset: str | RewardPreset = "default") -> RewardBreakdown:
    """Combine component values with a preset (a name in PRESETS or a RewardPreset) into a reward."""
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ValueError(f"unknown reward preset {preset!r}; known: {sorted(PRESETS)}")
        preset = PRESETS[preset]
    values = _checked(components)

    absent_gates = [name for name in preset.gates if name not in values]
    if absent_gates:
        raise ValueError(f"preset {preset.name!r}: gate component(s) {absent_gates} missing")
    gates = {name: values[name] for name in preset.gates}

    available = {name: w for name, w in preset.weights.items() if name in values}
    missing = [name for name in preset.weights if name not in values]
    if not available:
        raise ValueError(f"preset {preset.name!r}: all weighted components missing ({missing})")
    scale = preset.total_weight / sum(available.values())
    weights = {name: w * scale for name, w in available.items()}

    total = math.prod(gates.values()) * sum(w * values[name] for name, w in weights.items())
    return RewardBreakdown(
        total=total, components=values, gates=gates, weights=weights, preset=preset.name, missing=missing
    )
