"""`ray start --head` clusters for tests that harm nothing else on the machine.

`ray stop` ends every Ray process on the machine, a user's own cluster included, and Ray's default
ports collide with a cluster the user started; so a test cluster gets free ports, its own temp dir and
its own token, and `RayHead.stop` ends only its processes: those of the session `ray start` ran in
(Ray's daemons and workers stay in it) and any that carry its token (job drivers start sessions of their own).

    head = start_head(num_cpus=1)
    try:
        subprocess.run(["ray", "job", "submit", "--address", head.dashboard, ...], env=head.env)
    finally:
        head.stop()
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field

import psutil

# Every port `ray start --head` opens; left out, Ray takes fixed defaults (6379, 8265, 10001, 52365).
PORT_FLAGS = ["--port", "--dashboard-port", "--object-manager-port", "--node-manager-port", "--ray-client-server-port",
              "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port", "--runtime-env-agent-port",
              "--metrics-export-port"]  # fmt: skip


@dataclass
class RayHead:
    address: str
    """GCS address (ray.init, RAY_ADDRESS, ray health-check)."""
    dashboard: str
    """Dashboard URL (ray job submit --address)."""
    temp_dir: str
    env: dict[str, str] = field(repr=False)
    """Environment for clients of this cluster: its token, token auth on, no RAY_ADDRESS."""
    session: int
    """Session id of the processes `ray start` started (the pid of `ray start` itself)."""

    def processes(self) -> list[psutil.Process]:
        token = self.env["RAY_AUTH_TOKEN"]
        found = []
        for proc in psutil.process_iter():
            with contextlib.suppress(psutil.Error, OSError):
                if proc.pid != os.getpid() and (
                    os.getsid(proc.pid) == self.session or proc.environ().get("RAY_AUTH_TOKEN") == token
                ):
                    found.append(proc)
        return found

    def answers(self) -> bool:
        """The cluster's GCS answers a health check (with this cluster's token)."""
        check = ["ray", "health-check", "--address", self.address]
        try:
            return subprocess.run(check, env=self.env, capture_output=True, timeout=120).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def stop(self, grace_s: float = 15) -> None:
        """SIGTERM this cluster's processes, SIGKILL what is left after grace_s, remove the temp dir."""
        for _ in range(3):  # a worker may start while its raylet goes down: look again
            procs = self.processes()
            if not procs:
                break
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    proc.terminate()
            _, alive = psutil.wait_procs(procs, timeout=grace_s)
            for proc in alive:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            psutil.wait_procs(alive, timeout=grace_s)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def start_head(
    num_cpus: int = 1, resources: str | None = None, dashboard: bool = True, timeout_s: float = 180,
    ports: list[int] | None = None, args: tuple[str, ...] = (), env_vars: dict[str, str] | None = None,
) -> RayHead:  # fmt: skip
    """`ray start --head` on free ports with its own temp dir and token; raises with Ray's output if it fails.
    `ports` (one per PORT_FLAGS, the GCS's first) when the caller needs the address before the start; `args` and
    `env_vars` go to `ray start` as they are."""
    # Short and under /tmp: Ray's Unix sockets live below it and socket paths are limited to 107 bytes,
    # which pytest's tmp_path (/tmp/pytest-of-user/pytest-N/test_name0/) plus Ray's session dir exceeds.
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    ports = ports or free_ports(len(PORT_FLAGS))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32), **(env_vars or {})}
    env.pop("RAY_ADDRESS", None)
    command = ["ray", "start", "--head", "--temp-dir", temp_dir, "--dashboard-host", "127.0.0.1",
               "--num-cpus", str(num_cpus), "--disable-usage-stats", *args]  # fmt: skip
    for flag, port in zip(PORT_FLAGS, ports, strict=True):
        command += [flag, str(port)]
    if resources:
        command += ["--resources", resources]
    if not dashboard:
        command += ["--include-dashboard", "false"]
    start = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    head = RayHead(f"127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", temp_dir, env, session=start.pid)
    try:
        output, _ = start.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        start.kill()
        output = "ray start timed out"
    if start.returncode != 0:
        head.stop()
        raise RuntimeError(f"ray start failed:\n{output[-3000:]}")
    return head


def free_ports(n: int) -> list[int]:
    """n distinct ports that were free a moment ago (held together so that none repeats)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
