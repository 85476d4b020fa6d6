"""`uiray labels`: where labels live, who may do what, and when a labeler is trusted (pydantic only, no torch)."""

from __future__ import annotations

from pydantic import Field, field_validator

from uiray.config import GenerateConfig, SamplingConfig, Strict

CONTROL_PERTURBATIONS = ["remove_handler", "break_handler", "inject_js_error", "truncate", "todo_skeleton"]


class LabelsConfig(Strict):
    """`uiray labels serve|tasks|labeler|report|export`."""

    db: str = "outputs/labels/labels.sqlite"
    """SQLite file with the labelers, tasks and labels (WAL journal; put it on a disk that survives restarts)."""
    host: str = "127.0.0.1"
    """Address `uiray labels serve` listens on (0.0.0.0 to let other machines in; labelers need their token)."""
    port: int = Field(8300, ge=0, le=65535)
    """Port of `uiray labels serve` (0: any free one, printed at start)."""
    admin_token_env: str = "UIRAY_LABELS_ADMIN_TOKEN"
    """Environment variable holding the admin token (creates labelers and tasks, reads reports and exports over
    HTTP); unset: those routes answer 403, and only the command line can do them."""
    candidates: int = Field(3, ge=2, le=7)
    """Candidates per task, before its control."""
    control_rate: float = Field(0.5, ge=0, le=1)
    """Share of tasks that hide a control: a copy of one candidate broken by a perturbation, in the place of
    another candidate (a task shows as many pages with a control as without)."""
    control_perturbations: list[str] = CONTROL_PERTURBATIONS
    """Perturbations a control may get (uiray/data/perturb.py); ones an attentive person sees in the page."""
    min_agreement: float = Field(0.8, ge=0, le=1)
    """Share of controls a labeler must rank below their original to be trusted."""
    min_controls: int = Field(5, ge=1)
    """Controls a labeler must have seen before they can be trusted."""
    max_chance: float = Field(0.05, gt=0, le=1)
    """Largest chance that a labeler clicking at random ranks as many controls right, for a trusted labeler
    (5 of 5 right: 3 %; 7 of 8: 3.5 %; 4 of 4: 6 %, not enough)."""
    generation: GenerateConfig = GenerateConfig(sampling=SamplingConfig(temperature=0.8, n=3, max_tokens=2048))
    """Model sampling for `uiray labels tasks --model` (sampling.n: candidates sampled per prompt)."""
    seed: int = Field(0, ge=0)
    """Seed of control placement and perturbations."""

    @field_validator("control_perturbations")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        from uiray.data.perturb import PERTURBATIONS

        unknown = sorted(set(names) - set(PERTURBATIONS))
        if unknown or not names:
            raise ValueError(f"unknown perturbations {unknown}; known: {sorted(PERTURBATIONS)}")
        return names
