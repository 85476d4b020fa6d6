"""Fixtures for integration tests: a real Chromium pool, a real local Ray cluster, one real SFT run."""

import json
import subprocess

import pytest
from corpusgen import generate_corpus

from tests.render_pool import running_pool
from tests.stages import SFT_SETTINGS, job_env, stage_command
from uiray.cluster import init_ray
from uiray.config import RayConfig, RenderConfig


@pytest.fixture(scope="module")
def pool():
    """One pool for the module, driven from its own event loop (tests call pool.run(coro))."""
    yield from running_pool(
        RenderConfig(load_timeout_s=3, step_timeout_s=2, render_timeout_s=8, renderer_memory_mb=768)
    )


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster for the session (all CPUs, 2 `render` units for browser actors), Ray Data progress
    bars off. Starting one costs 8-10 s on 2 cores; tests that need a cluster of their own start it in a
    subprocess (`uiray <stage>` runs, tests/ray_head.py)."""
    import ray

    init_ray(RayConfig(render_slots=2, object_store_gib=1.0))
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def sft_run(tiny_model_dir, tmp_path_factory):
    """`jobs/sft.py` on the tiny model (12 steps, 2 workers): (output dir, the finished process). The SFT test
    checks the run; DPO and serve start from its adapter."""
    root = tmp_path_factory.mktemp("sft")
    data = root / "sft.jsonl"
    rows = generate_corpus(40, seed=11)
    data.write_text("".join(json.dumps({k: r[k] for k in ("id", "prompt", "completion")}) + "\n" for r in rows))
    out = root / "run"
    command = stage_command("sft", tiny_model_dir, out, data, *SFT_SETTINGS)
    return out, subprocess.run(command, env=job_env(), capture_output=True, text=True, timeout=600)
