"""Local Ray: the embedded cluster helper, and `ray start` + `ray job submit` as the README gives them."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.ray_head import start_head

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def status_without_token(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code


EMBEDDED = """
import json, os, urllib.error, urllib.request
import ray
from uiray.cluster import init_ray
from uiray.config import RayConfig

def status_without_token(url):
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code

context = init_ray(RayConfig(object_store_gib=1.0))
try:
    print(json.dumps({
        "cpus": ray.cluster_resources()["CPU"], "machine_cpus": os.cpu_count(),
        "object_store": ray.cluster_resources()["object_store_memory"], "dashboard": context.dashboard_url,
        "answer": ray.get(ray.remote(lambda x: x * 2).remote(21)),
        "jobs_without_token": status_without_token(f"http://{context.dashboard_url}/api/jobs/"),
        "joined_again": init_ray(),
    }))
finally:
    ray.shutdown()
"""


def test_embedded_cluster_is_sized_capped_local_and_authenticated():
    # its own process: this one has the session's cluster (tests/integration/conftest.py), and joins it
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    run = subprocess.run([sys.executable, "-c", EMBEDDED], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["cpus"] == found["machine_cpus"]
    assert found["object_store"] == pytest.approx(1024**3, rel=0.01)
    assert found["dashboard"].startswith("127.0.0.1:")
    assert found["answer"] == 42
    assert found["jobs_without_token"] == 401
    assert found["joined_again"] is None  # joining twice is a no-op


def test_ray_job_submit_works_with_auth_on():
    head = start_head(num_cpus=1)
    try:
        assert status_without_token(f"{head.dashboard}/api/jobs/") == 401
        # one job, two commands (a job costs ~15 s to start here): a jobs/ script from the uploaded working
        # dir, and doctor, whose driver joins the cluster through init_ray (token auth), runs a task on it and
        # checks this machine (browser, model, ...): all its required checks must pass
        job = subprocess.run(
            ["ray", "job", "submit", "--address", head.dashboard, "--working-dir", ".", "--",
             "bash", "-c", "python jobs/generate.py --help && python jobs/doctor.py"],
            cwd=REPO, capture_output=True, text=True, env=head.env, timeout=300,
        )  # fmt: skip
        assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-2000:]
        assert "succeeded" in job.stdout + job.stderr
        assert "what the page should be" in job.stdout and "joined" in job.stdout
        assert "all required checks passed" in job.stdout
    finally:
        head.stop()
    assert head.processes() == []


def test_a_cluster_started_before_the_tests_is_still_alive(bystander_cluster):
    # tests/conftest.py starts this cluster before the first test and moves this test to the end of the
    # session, so every test that starts or stops a cluster (`ray stop` ends them all) has run by now.
    assert bystander_cluster.answers(), "a test stopped a Ray cluster it did not start"
    assert bystander_cluster.processes()
