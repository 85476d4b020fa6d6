"""cluster.yaml is a valid Ray autoscaler config, checked against the schema Ray itself validates with,
and keeps the promises docs/cluster.md makes about it. tests/integration/test_cluster_autoscale.py runs its
node types through Ray's fake autoscaler."""

import json
from pathlib import Path

import jsonschema
import pytest
import ray
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(ray.__file__).parent / "autoscaler" / "ray-schema.json").read_text())


@pytest.fixture
def config():
    return yaml.safe_load((ROOT / "cluster.yaml").read_text())


def test_cluster_yaml_follows_rays_autoscaler_schema(config):
    jsonschema.validate(config, SCHEMA)
    types = config["available_node_types"]
    assert types[config["head_node_type"]]["resources"] == {"CPU": 0}  # drivers and dashboard only
    assert any(t["resources"].get("render") for t in types.values())  # where the browsers go
    assert "--dashboard-host=127.0.0.1" in " ".join(config["head_start_ray_commands"])  # reached by port-forward
    for name, node_type in types.items():
        if name != config["head_node_type"]:
            assert 0 <= node_type["min_workers"] <= node_type["max_workers"], name


def test_gpu_workers_run_cuda_and_name_their_gpu(config):
    (gpu,) = [t for t in config["available_node_types"].values() if t["resources"].get("GPU")]
    assert "-cu" in gpu["docker"]["worker_image"]
    assert "-cu" not in config["docker"]["image"]  # head and render workers stay on the CPU image
    assert [r for r in gpu["resources"] if r.startswith("accelerator_type:")]  # what training asks for
    assert "UIRAY_EXTRA=gpu ./setup.sh" in " ".join(gpu["worker_setup_commands"])
    assert "UIRAY_EXTRA=cpu ./setup.sh" in " ".join(config["setup_commands"])


def test_every_node_starts_ray_with_token_auth_and_the_same_token(config):
    for command in config["head_start_ray_commands"] + config["worker_start_ray_commands"]:
        if "ray start" in command:
            assert command.startswith("RAY_AUTH_MODE=token "), command
    assert config["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"


def test_the_schema_check_catches_a_broken_config(config):
    config["available_node_types"]["render_worker"]["min_workers"] = "none"
    with pytest.raises(jsonschema.ValidationError, match="min_workers|'none'"):
        jsonschema.validate(config, SCHEMA)
