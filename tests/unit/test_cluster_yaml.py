"""cluster.yaml is a valid Ray autoscaler config, checked against the schema Ray itself validates with."""

import json
from pathlib import Path

import jsonschema
import pytest
import ray
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(ray.__file__).parent / "autoscaler" / "ray-schema.json").read_text())


def test_cluster_yaml_follows_rays_autoscaler_schema():
    config = yaml.safe_load((ROOT / "cluster.yaml").read_text())
    jsonschema.validate(config, SCHEMA)
    types = config["available_node_types"]
    assert types[config["head_node_type"]]["resources"] == {"CPU": 0}  # drivers and dashboard only
    assert any(t["resources"].get("render") for t in types.values())  # where the browsers go
    assert "--dashboard-host=127.0.0.1" in " ".join(config["head_start_ray_commands"])  # reached by port-forward


def test_the_schema_check_catches_a_broken_config():
    config = yaml.safe_load((ROOT / "cluster.yaml").read_text())
    config["available_node_types"]["render_worker"]["min_workers"] = "none"
    with pytest.raises(jsonschema.ValidationError, match="min_workers|'none'"):
        jsonschema.validate(config, SCHEMA)
