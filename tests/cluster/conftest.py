"""A real Ray head on 127.0.0.1 with two worker CPUs, started once for the session and stopped afterwards.

``ray start --head --block`` runs in a process group of its own, on free ports and a temporary directory,
so that stopping it ends exactly the processes it started (never another Ray on the machine). The tests
join it with ``ray.init(address=...)``. They are skipped only when Ray is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

try:
    import ray

    HAVE_RAY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_RAY = False


@dataclass
class RayHead:
    address: str
    #: ``ray://127.0.0.1:PORT`` when Ray Client is installed (``ray[client]``), else None.
    client_address: str | None
    process: subprocess.Popen[bytes]
    temp_dir: Path

    def processes(self, title: str = "") -> list[int]:
        """Pids of this head's processes whose title starts with ``title`` (``ray::<task name>``): those in
        its process group, and the workers they started (each worker is a group of its own)."""
        found = []
        for pid, ppid, cmd in _processes():
            ours = self.process.pid in (_group(pid), _group(ppid))
            if ours and cmd.startswith(title) and pid != self.process.pid:
                found.append(pid)
        return found


def _processes() -> list[tuple[int, int, str]]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        out.append((int(entry.name), ppid, cmd))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ray start exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the Ray head did not listen on {port} within {timeout} s")


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except (OSError, ProcessLookupError):
        return None


def _stop(head: RayHead) -> None:
    process = head.process
    workers = [pid for pid in head.processes() if _group(pid) == pid]  # the workers lead groups of their own
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
    # What the head started and outlived it (same group): end it too.
    for pid in [process.pid, *workers]:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture(scope="session")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayHead]:
    if not HAVE_RAY:
        pytest.skip("Ray is not installed: pip install 'jurist[ray]' to run the cluster tests")
    temp = Path(f"/tmp/jr-{os.getpid()}")  # short: Ray's socket paths must fit in 107 bytes
    port, agent, dash, client = _free_port(), _free_port(), _free_port(), _free_port()
    has_client = importlib.util.find_spec("grpc") is not None
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    ray_cli = str(Path(sys.executable).with_name("ray"))
    cmd = [ray_cli, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--num-cpus", "2",
           "--port", str(port), "--dashboard-agent-listen-port",
           str(agent), "--dashboard-port", str(dash), "--include-dashboard", "false", "--temp-dir", str(temp),
           "--disable-usage-stats"]
    if has_client:
        cmd += ["--ray-client-server-port", str(client)]
    log = (tmp_path_factory.mktemp("ray") / "head.log").open("wb")
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    head = RayHead(f"127.0.0.1:{port}", f"ray://127.0.0.1:{client}" if has_client else None, process, temp)
    try:
        _wait_for_port(port, process, timeout=120)
        yield head
    finally:
        if ray.is_initialized():
            ray.shutdown()
        _stop(head)
        log.close()
        subprocess.run(["rm", "-rf", str(temp)], check=False)


@pytest.fixture
def ray_address(ray_head: RayHead) -> str:
    """The session's head; this process joins it on first use (``ray.init``)."""
    return ray_head.address
