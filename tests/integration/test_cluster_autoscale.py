"""cluster.yaml's node types under Ray's fake multi-node autoscaler: local processes stand in for nodes.

Ray's helper for this, ray.cluster_utils.AutoscalingCluster, cannot be used: its start() and shutdown() run
`ray stop --force`, which ends every Ray cluster on the machine (the session's bystander, anyone's), and the
Ray 2.60 wheel lacks the fake_multi_node/example.yaml its constructor reads. So the test does what its start()
does (provider `fake_multinode`, RAY_FAKE_CLUSTER=1, a 1 s autoscaler loop) on a head of its own: free ports,
own temp dir and token, stopped by tests/ray_head.py's RayHead, which ends only this cluster's processes.

Node types, resources and min/max workers come from cluster.yaml; only CPU counts shrink (1 per worker) and
the idle timeout (6 s). GPUs are the fake provider's: it starts a worker with `--num-gpus` from the type's GPU
count, which Ray advertises without looking for a device.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.ray_head import PORT_FLAGS, RayHead, free_ports, start_head

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
MIB = 1024**2

DRIVER = """
import json, os, sys, time
import ray
from uiray.reward.actors import ACTOR_OPTIONS

def where():
    return ray.get_runtime_context().get_node_id(), os.environ.get("RAY_NODE_TYPE_NAME")

@ray.remote
class Browser:  # stands in for the reward actors: their options, no Chromium
    def where(self):
        return where()

@ray.remote
def train_step():
    return where()

def placed(ref, what):
    try:
        node, node_type = ray.get(ref, timeout=timeout_s)
    except ray.exceptions.GetTimeoutError:
        sys.exit(f"{what} did not start within {timeout_s:g} s: no node of its type came up")
    resources = next(n["Resources"] for n in ray.nodes() if n["NodeID"] == node)
    return {"type": node_type, "resources": resources, "on_head": node == head}

def alive_workers():
    return [n["NodeID"] for n in ray.nodes() if n["Alive"] and n["NodeID"] != head]

def wait_for(condition, timeout_s):
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(1)
    return condition()

address, accelerator, timeout_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
ray.init(address=address)
head = ray.get_runtime_context().get_node_id()  # a driver joins the head node
report = {"workers_at_start": len(alive_workers())}
browser = Browser.options(**ACTOR_OPTIONS).remote()
report["browser"] = placed(browser.where.remote(), "an actor with the reward actors' options")
gpu_task = train_step.options(num_gpus=1, accelerator_type=accelerator)
report["gpu_task"] = placed(gpu_task.remote(), f"a task asking for a GPU of type {accelerator}")
ray.kill(browser)
report["scaled_down"] = wait_for(lambda: not alive_workers(), timeout_s)
print(json.dumps(report))
"""


def fake_cluster_config(cluster: dict, gcs_address: str) -> dict:
    """cluster.yaml's node types for the fake provider; its head type must be called ray.head.default."""
    head = cluster["available_node_types"][cluster["head_node_type"]]
    types = {"ray.head.default": {"resources": head["resources"], "node_config": {}, "max_workers": 0}}
    for name, node_type in cluster["available_node_types"].items():
        if name != cluster["head_node_type"]:
            resources = {**node_type["resources"], "CPU": 1, "object_store_memory": 100 * MIB}
            limits = {k: node_type[k] for k in ("min_workers", "max_workers")}
            types[name] = {"resources": resources, "node_config": {}, **limits}
    return {
        "cluster_name": "uiray-fake",
        "max_workers": cluster["max_workers"],
        "provider": {
            "type": "fake_multinode",
            "gcs_address": gcs_address,  # else its nodes join whatever cluster listens on 6379
            "use_node_id_as_ip": True,
            "disable_node_updaters": True,
            "disable_launch_config_check": True,
        },
        "available_node_types": types,
        "head_node_type": "ray.head.default",
        "idle_timeout_minutes": 0.1,
        "upscaling_speed": 1.0,
        "auth": {},
        "docker": {},
        "file_mounts": {},
        "cluster_synced_files": [],
        "file_mounts_sync_continuously": False,
        "rsync_exclude": [],
        "rsync_filter": [],
        "initialization_commands": [],
        "setup_commands": [],
        "head_setup_commands": [],
        "worker_setup_commands": [],
        "head_start_ray_commands": [],
        "worker_start_ray_commands": [],
    }


def start_autoscaling_head(cluster: dict, config_dir: Path) -> RayHead:
    """`ray start --head` with the fake autoscaler (tests/ray_head.py: free ports, own temp dir and token)."""
    ports = free_ports(len(PORT_FLAGS))
    config = config_dir / "fake_cluster.yaml"
    config.write_text(yaml.safe_dump(fake_cluster_config(cluster, f"127.0.0.1:{ports[0]}")))
    head_cpus = cluster["available_node_types"][cluster["head_node_type"]]["resources"]["CPU"]
    return start_head(
        num_cpus=head_cpus, dashboard=False, ports=ports,
        args=(f"--autoscaling-config={config}", "--object-store-memory", str(100 * MIB)),
        env_vars={"RAY_FAKE_CLUSTER": "1", "AUTOSCALER_UPDATE_INTERVAL_S": "1"},  # as AutoscalingCluster.start
    )  # fmt: skip


def test_node_types_scale_up_from_zero_for_their_resources_and_back_down(tmp_path):
    cluster = yaml.safe_load((REPO / "cluster.yaml").read_text())
    types = cluster["available_node_types"]
    (render_type,) = [name for name, t in types.items() if t["resources"].get("render")]
    (gpu_type,) = [name for name, t in types.items() if t["resources"].get("GPU")]
    (accelerator,) = [r.split(":", 1)[1] for r in types[gpu_type]["resources"] if r.startswith("accelerator_type:")]
    head = start_autoscaling_head(cluster, tmp_path)
    try:
        # 180 s per wait: a fake node is a raylet and its workers starting on a box the rest of a suite keeps busy
        driver = [sys.executable, "-c", DRIVER, head.address, accelerator, "180"]
        run = subprocess.run(driver, cwd=REPO, env=head.env, capture_output=True, text=True, timeout=700)
    finally:
        head.stop()
    assert run.returncode == 0, run.stdout[-1000:] + run.stderr[-3000:]
    # the report is the driver's JSON line; Ray may print autoscaler events ("Resized to 0 CPUs.") after it
    report = json.loads(next(line for line in reversed(run.stdout.splitlines()) if line.startswith("{")))
    assert report["workers_at_start"] == 0  # min_workers 0: nothing runs until asked for
    assert report["browser"]["type"] == render_type and not report["browser"]["on_head"]
    assert report["browser"]["resources"]["render"] == types[render_type]["resources"]["render"]
    assert report["gpu_task"]["type"] == gpu_type
    assert report["gpu_task"]["resources"][f"accelerator_type:{accelerator}"] == 1
    assert report["scaled_down"]  # idle nodes went away once their actor was killed
