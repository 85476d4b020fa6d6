"""Local Ray: the embedded cluster helper, and `ray start` + `ray job submit` as the README gives them."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.ray_head import start_head
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


def test_ray_job_submit_works_with_auth_on():
    head = start_head(num_cpus=1)
    try:
        assert status_without_token(f"{head.dashboard}/api/jobs/") == 401
        submit = ["ray", "job", "submit", "--address", head.dashboard, "--working-dir", "."]
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
                env=head.env,
                timeout=300,
            )
            assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-2000:]
            assert "succeeded" in job.stdout + job.stderr
            assert expected in job.stdout
    finally:
        head.stop()
    assert head.processes() == []


@pytest.mark.browser
def test_doctor_passes_on_a_set_up_machine():
    result = subprocess.run([sys.executable, "-m", "uiray.cli", "doctor"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "all required checks passed" in result.stdout


def test_a_cluster_started_before_the_tests_is_still_alive(bystander_cluster):
    # tests/conftest.py starts this cluster before the first test and moves this test to the end of the
    # session, so every test that starts or stops a cluster (`ray stop` ends them all) has run by now.
    assert bystander_cluster.answers(), "a test stopped a Ray cluster it did not start"
    assert bystander_cluster.processes()
