"""`uiray serve`'s config (pydantic; no Ray or torch import), built from the shared sections of uiray/config.py."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from uiray.config import (
    UI_SYSTEM_PROMPT,
    EngineConfig,
    ModelConfig,
    RayConfig,
    RewardConfig,
    SamplingConfig,
    Strict,
)
from uiray.labels.config import LabelsConfig

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""Served model and adapter names: what clients put in `model` (an adapter is `<model>:<adapter>`)."""


class ReplicaConfig(Strict):
    """How many copies of the engine run (Ray Serve autoscaling on ongoing requests per replica)."""

    min_replicas: int = Field(1, ge=0, le=1024)
    """Replicas kept even when idle (0 scales to zero; the first request then waits for an engine to load)."""
    max_replicas: int = Field(1, ge=1, le=1024)
    """Most replicas autoscaling starts; each one is a whole engine (on a GPU cluster, a GPU each)."""
    target_ongoing_requests: int = Field(8, ge=1, le=4096)
    """Autoscaling adds a replica when requests in flight per replica stay above this."""
    max_ongoing_requests: int = Field(64, ge=1, le=4096)
    """Requests one replica takes at once (vLLM batches them); more queue at the router."""


class PreviewConfig(Strict):
    """`POST /v1/preview`: render a page (given, or generated from a prompt) and score it."""

    workers: int = Field(1, ge=1, le=256)
    """Browser replicas; each takes one unit of the `render` resource (never placed on training workers)."""
    reward: RewardConfig = RewardConfig()
    """How a preview is rendered and scored (the same reward as the data stage and GRPO)."""
    max_html_chars: int = Field(400_000, ge=1000, le=10_000_000)
    """Largest page a preview accepts; a longer one gets 413."""
    screenshots_kept: int = Field(256, ge=1, le=100_000)
    """Screenshots held for `GET /v1/preview/<id>.png` (oldest dropped first)."""
    sampling: SamplingConfig = SamplingConfig(temperature=0.7, max_tokens=1536)
    """Sampling when a preview (or the playground) generates the page from a prompt."""


class ServeConfig(Strict):
    """`uiray serve`: the model behind an OpenAI-compatible endpoint, plus /v1/preview and a playground at /."""

    model: ModelConfig = ModelConfig()
    """A known name, a checkpoint, a peft adapter (served on its base), or a run directory (its final/)."""
    model_id: str | None = None
    """Name clients use for the base model; None: the known name or the checkpoint directory's name."""
    adapters: dict[str, str] = {}
    """LoRA adapters on the same base, name -> adapter or run directory; requested as `<model_id>:<name>`."""
    system_prompt: str | None = UI_SYSTEM_PROMPT
    """System turn the playground and /v1/preview add (OpenAI clients send their own messages)."""
    engine: EngineConfig = EngineConfig(max_model_len=2048, in_process=False, kv_cache_gib=1.0)
    """vLLM engine of each replica (in_process is ignored: Serve runs the engine its own way)."""
    device: Literal["auto", "cpu", "gpu"] = "auto"
    """Where engines run; auto: a GPU each when the cluster has GPUs, else CPU."""
    replicas: ReplicaConfig = ReplicaConfig()
    """Engine replicas and autoscaling."""
    preview: PreviewConfig = PreviewConfig()
    """Render-and-score endpoint."""
    host: str = "127.0.0.1"
    """Address the HTTP proxy listens on (0.0.0.0 to serve other machines: set an API key first)."""
    port: int = Field(8000, ge=0, le=65535)
    """HTTP port (0: a free one, printed at start)."""
    api_key_env: str = "UIRAY_API_KEY"
    """Environment variable holding the API key; when it is set, every endpoint but /healthz, /readyz and the
    playground page wants `Authorization: Bearer <key>`. The key itself never goes in a config file."""
    max_concurrent: int = Field(64, ge=1, le=100_000)
    """Requests in flight at the ingress; one more gets 429 with Retry-After instead of waiting in a pile."""
    max_body_bytes: int = Field(2_000_000, ge=1024, le=1_000_000_000)
    """Largest request body; a larger one gets 413."""
    request_timeout_s: float = Field(300.0, gt=0, le=86400)
    """Bound on one HTTP request end to end (Serve answers 408 past it)."""
    labels: LabelsConfig | None = None
    """The ranking page at /labels/ next to the playground (labels.db: its SQLite file, on the ingress's machine);
    None: off. Labelers and the admin use their own tokens there (`uiray labels`), not the API key."""
    ray: RayConfig = RayConfig()
    """Cluster to join, or the local one `uiray serve` starts."""

    @field_validator("model_id")
    @classmethod
    def _served_name(cls, value: str | None) -> str | None:
        if value is not None and not NAME.fullmatch(value):
            raise ValueError(f"{value!r}: use letters, digits, '_', '.', '-' (no ':', which separates adapters)")
        return value

    @field_validator("adapters")
    @classmethod
    def _adapter_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not NAME.fullmatch(name):
                raise ValueError(f"adapter name {name!r}: use letters, digits, '_', '.', '-'")
        return value

    @model_validator(mode="after")
    def _fits(self) -> ServeConfig:
        if self.preview.sampling.max_tokens >= self.engine.max_model_len:
            raise ValueError(
                f"preview.sampling.max_tokens={self.preview.sampling.max_tokens} leaves no room for the prompt in "
                f"engine.max_model_len={self.engine.max_model_len}: lower the one or raise the other"
            )
        if self.replicas.min_replicas > self.replicas.max_replicas:
            raise ValueError(f"replicas.min_replicas={self.replicas.min_replicas} is over max_replicas")
        return self
