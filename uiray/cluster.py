"""Connect to Ray: the cluster in RAY_ADDRESS (set for `ray job submit` drivers), else a local one.

The local cluster is sized for the machine, caps the object store (Ray's default takes 30% of RAM,
which starves training on a 24 GiB box), and binds the dashboard to 127.0.0.1 only. Ray 2.60 turns
token authentication on for clusters it starts (token in ~/.ray/auth_token); we keep it on: an open
dashboard/job API is remote code execution for anyone who can reach the port.

Ray Data shuffles (dedup's bands, pairing's groups, training's ordering) use the task-based sort
shuffle, not Ray 2.51's default hash shuffle: that one starts a pool of aggregator actors for every
groupby or sort (200 partitions unless told), which costs 5-10 s per shuffle on small data and is
built for terabyte shuffles this project does not do (see `use_task_shuffle`).
"""

from __future__ import annotations

import os
from typing import Any

from uiray.config import RayConfig

GIB = 1024**3


def init_ray(cfg: RayConfig | None = None, **init_kwargs: Any):
    """Start or join a Ray cluster once per process; returns ray.init's context (or None if joined before)."""
    cfg = cfg or RayConfig()
    address = cfg.address or os.environ.get("RAY_ADDRESS")
    if address:
        # A driver joining a `ray start` cluster must speak token auth (Ray's client side defaults to
        # off). Ray reads this when it is imported, so it is set before the import. A local cluster
        # started by ray.init below has auth on without it.
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    import ray

    use_task_shuffle()
    if ray.is_initialized():
        return None
    runtime_env = init_kwargs.pop("runtime_env", None) or {}
    if os.environ.get("UIRAY_LOG_LEVEL"):  # the driver's log level, for uiray's lines from workers and actors
        runtime_env["env_vars"] = {"UIRAY_LOG_LEVEL": os.environ["UIRAY_LOG_LEVEL"], **runtime_env.get("env_vars", {})}
    if address:
        return ray.init(address=address, log_to_driver=True, runtime_env=runtime_env or None, **init_kwargs)
    # Ray's state API (used inside Ray Train's PlacementGroupCleaner, among others) finds "its" cluster by
    # scanning this machine; with two local clusters (two runs on one laptop) it picks one or fails, and
    # the cleaner then tears down a live run's workers. Pinning the dashboard port and handing every
    # process of this job the API server address keeps each run talking to its own cluster. Not this
    # process's environment: `ray job submit` and friends started from here would follow it to a dead port.
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    runtime_env["env_vars"] = {"RAY_API_SERVER_ADDRESS": api, **runtime_env.get("env_vars", {})}
    return ray.init(
        address="local",  # a new cluster even when `ray start` runs one here (join that one with RAY_ADDRESS)
        num_cpus=cfg.num_cpus or os.cpu_count(),
        object_store_memory=int(cfg.object_store_gib * GIB),
        include_dashboard=True,
        dashboard_host="127.0.0.1",
        dashboard_port=port,
        resources={"render": cfg.render_slots, **init_kwargs.pop("resources", {})},
        runtime_env=runtime_env,
        **init_kwargs,
    )


def use_task_shuffle() -> None:
    """This process's Ray Data plans shuffle with tasks (sort, pull-based) rather than aggregator actors.

    Measured on 2 cores, 200 rows: a groupby or sort took 6-11 s with the hash shuffle every time, and
    0.1 s with this one once its worker processes were warm (the first took 3.6 s)."""
    from ray.data.context import DataContext, ShuffleStrategy

    DataContext.get_current().shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED


def free_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that was free a moment ago."""
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
