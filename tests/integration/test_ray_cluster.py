"""Local Ray: the embedded cluster helper, and `ray start` + `ray job submit` as the README gives them."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from uiray.cluster import init_ray
from uiray.config import RayConfig

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def status_without_token(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code


def test_embedded_cluster_is_sized_capped_local_and_authenticated():
    import ray

    context = init_ray(RayConfig(object_store_gib=1.0))
    try:
        assert ray.cluster_resources()["CPU"] == os.cpu_count()
        assert ray.cluster_resources()["object_store_memory"] == pytest.approx(1024**3, rel=0.01)
        assert context.dashboard_url.startswith("127.0.0.1:")
        assert ray.get(ray.remote(lambda x: x * 2).remote(21)) == 42
        assert status_without_token(f"http://{context.dashboard_url}/api/jobs/") == 401
        assert init_ray() is None  # joining twice is a no-op
    finally:
        ray.shutdown()


def test_ray_job_submit_works_with_auth_on(tmp_path):
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    env.pop("RAY_ADDRESS", None)
    ports = ["--port", "6391", "--dashboard-port", "8275", "--dashboard-host", "127.0.0.1", "--num-cpus", "1"]
    subprocess.run(["ray", "start", "--head", *ports], check=True, capture_output=True, env=env, timeout=120)
    try:
        assert status_without_token("http://127.0.0.1:8275/api/jobs/") == 401
        submit = ["ray", "job", "submit", "--address", "http://127.0.0.1:8275", "--working-dir", "."]
        for entrypoint, expected in [
            (["jobs/generate.py", "--help"], "what the page should be"),
            # doctor's driver joins the cluster through init_ray (token auth) and runs a task on it
            (["jobs/doctor.py"], "joined"),
        ]:
            job = subprocess.run(
                [*submit, "--", "python", *entrypoint],
                cwd=REPO,
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-2000:]
            assert "succeeded" in job.stdout + job.stderr
            assert expected in job.stdout
    finally:
        subprocess.run(["ray", "stop", "--force"], capture_output=True, env=env, timeout=120)


@pytest.mark.browser
def test_doctor_passes_on_a_set_up_machine():
    result = subprocess.run([sys.executable, "-m", "uiray.cli", "doctor"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "all required checks passed" in result.stdout
