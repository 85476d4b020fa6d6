"""`uiray serve` and `jobs/serve.py`: deploy the app on Ray Serve, wait until it answers, and say where.

On a local cluster (this process started it) the command stays up until Ctrl-C or SIGTERM and then takes the
app and the cluster down. Joined to a running cluster (RAY_ADDRESS, `ray job submit`), it deploys and returns:
Serve applications belong to the cluster, not to the driver that deployed them (`serve shutdown` or
`serve delete uiray` removes it).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import urllib.request

from uiray.cluster import free_port, init_ray
from uiray.serving.config import ServeConfig

log = logging.getLogger("uiray.serve")

APP_NAME = "uiray"


def serve_app(cfg: ServeConfig, block: bool | None = None) -> dict:
    """Deploy; returns {url, models, ready_s}. `block` None: stay up only when the cluster is this process's own."""
    from ray import serve

    from uiray.serving.app import build

    started = time.time()
    # A cluster this process starts (no address, none in RAY_ADDRESS, Ray not yet up here) dies with it.
    local = init_ray(cfg.ray) is not None and not (cfg.ray.address or os.environ.get("RAY_ADDRESS"))
    port = cfg.port or free_port(cfg.host)
    serve.start(http_options={"host": cfg.host, "port": port, "request_timeout_s": cfg.request_timeout_s})
    log.info("starting the engine and the browser replicas (a minute on CPU; progress in the Ray dashboard)")
    serve.run(build(cfg.model_dump()), name=APP_NAME, route_prefix="/", blocking=False)
    url = _serve_url(cfg, port)
    models = _wait_ready(url, cfg)
    info = {"url": url, "playground": f"{url}/", "openai_base_url": f"{url}/v1", "models": models,
            "ready_s": round(time.time() - started, 1)}  # fmt: skip
    print(json.dumps(info), flush=True)
    if block if block is not None else local:
        _wait_for_stop()
        if local:
            import ray

            ray.shutdown()  # the cluster is ours: Serve, its replicas and their engines go with it
        else:
            serve.delete(APP_NAME)  # leave the rest of someone's cluster as it was
    return info


def _serve_url(cfg: ServeConfig, port: int) -> str:
    """Where the app answers. On a cluster where Serve already runs, its proxy keeps the host and port it was
    started with (serve.start ignores new http_options), so ask it rather than trust cfg."""
    from ray.serve.context import _get_global_client  # noqa: PLC2701 (Serve has no public getter for this)

    http = _get_global_client().http_config
    if (http.host, http.port) != (cfg.host, port):
        log.warning(f"Serve already runs on this cluster with its proxy on {http.host}:{http.port}; the app is "
                    f"served there, not on {cfg.host}:{port}")  # fmt: skip
    host = "127.0.0.1" if http.host in ("0.0.0.0", "::") else http.host
    return f"http://{host}:{http.port}"


def _wait_ready(url: str, cfg: ServeConfig, timeout_s: float = 1800) -> list[str]:
    """Poll /readyz until the engines answer, then list the models (with the key, when one is set)."""
    key = os.environ.get(cfg.api_key_env)
    deadline = time.time() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=10) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            raise TimeoutError(f"{url} not ready after {timeout_s:.0f} s: see `serve status` and the Ray dashboard")
        time.sleep(1)
    request = urllib.request.Request(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"} if key else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return [m["id"] for m in json.load(answer)["data"]]


def _wait_for_stop() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("serving; Ctrl-C stops")
    stop.wait()
