"""Scale: many rows at a provider's latency, through the local executor and through Ray, on this machine.

Writes N rows to a JSON Lines file and judges them with ``Correctness`` against the loopback fake OpenAI
server (``benchmarks/_fake_server.py``, in processes of its own) at 200 ms of simulated latency, logging
every judgment to a SQLite tracking store as ``evaluate()`` does by default. Each case runs in a fresh
driver process, so that its peak RSS is its own. The Ray cases join a head this script starts (two worker
CPUs on 127.0.0.1, in a process group of its own, stopped at the end) or the one given.

Reported per case: judgments/s against the aggregate I/O limit (judgments in flight / latency) and
against a bare aiohttp client posting the same requests at the same concurrency to the same fake (the
ceiling of this machine as it is loaded), the driver's CPU per judgment and peak RSS, and the store's
write rate (judgments stored per second of run).

    python benchmarks/scale.py                              # 10,000 and 100,000 rows, both executors
    python benchmarks/scale.py --rows 2000,10000            # quicker
    python benchmarks/scale.py --ray-address 10.0.0.5:6379  # a cluster of your own

Goals: ≥ 80 % of the aggregate I/O limit; the driver's peak RSS at 100,000 rows within 10 % of its RSS at
10,000.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._fake_server import FakeProcess  # noqa: E402
from benchmarks.overhead import raw_client_rate  # noqa: E402


def write_rows(path: Path, n: int) -> None:
    with path.open("w") as f:
        for i in range(n):
            f.write(json.dumps({"inputs": {"question": f"What is {i} + {i}?"}, "outputs": f"It is {2 * i}.",
                                "expectations": {"expected_response": str(2 * i)}}) + "\n")


def _memory() -> dict[str, float]:
    """This process's resident memory now, in MB, by kind: its own (anonymous: the Python heap), shared
    memory it has mapped (Ray's object store: the pages of it this process has touched) and files."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssShmem", "RssFile"):
            out[key] = int(value.split()[0]) / 1024
    return out


class _PeakMemory(threading.Thread):
    """Samples :func:`_memory` four times a second and keeps the largest of each kind."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            for k, v in _memory().items():
                self.peak[k] = max(v, self.peak.get(k, 0.0))


def child(args: argparse.Namespace) -> None:
    """One measured run in this process: print its figures as JSON."""
    import jurist
    from jurist.judges import Correctness

    sampler = _PeakMemory()
    sampler.start()

    jurist.reset()
    executor: Any = None
    if args.executor == "ray":
        from jurist.evaluation._ray import RayExecutor

        executor = RayExecutor(args.ray_address)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = jurist.evaluate(args.data, [Correctness(model="openai:/gpt-4o-mini")], concurrency=args.concurrency,
                             cache=False, progress=False, executor=executor)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    assert result.run_id is not None, "the run was not logged"
    stored = jurist.get_run(result.run_id)
    errors = result.metrics.get("correctness/error_count", 0)
    print(json.dumps({
        "rows": len(result.rows), "errors": errors, "wall_s": wall, "cpu_s": cpu, "stored": stored.row_count,
        "status": str(stored.status), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_anon_mb": sampler.peak.get("RssAnon"), "peak_shmem_mb": sampler.peak.get("RssShmem"),
    }))


def run_case(executor: str, data: Path, rows: int, args: argparse.Namespace, base_url: str,
             ray_address: str | None) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="jurist-scale-")
    env = {**os.environ, "JURIST_CACHE_DIR": tmp, "JURIST_TRACKING_URI": f"sqlite:///{tmp}/jurist.db",
           "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": base_url,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, __file__, "--child", "--executor", executor, "--data", str(data),
           "--concurrency", str(args.concurrency)]
    if ray_address:
        cmd += ["--ray-address", ray_address]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the store of a 100,000-row run is large
    if out.returncode != 0:
        raise RuntimeError(f"{executor} at {rows} rows failed:\n{out.stderr[-3000:]}")
    m = json.loads(out.stdout.strip().splitlines()[-1])
    limit = args.concurrency / args.latency
    rate = m["rows"] / m["wall_s"]
    return {"executor": executor, **m, "judgments_per_s": rate, "io_limit_per_s": limit,
            "share_of_limit": rate / limit, "driver_cpu_ms_per_judgment": m["cpu_s"] * 1000 / m["rows"],
            "store_writes_per_s": m["stored"] / m["wall_s"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_ray_head(cpus: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``ray start --head --block`` in a process group of its own; returns it, its address, its temp dir."""
    temp = Path(f"/tmp/jrs-{os.getpid()}")
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--node-ip-address",
           "127.0.0.1", "--num-cpus", str(cpus), "--port", str(port), "--dashboard-port", str(_free_port()),
           "--dashboard-agent-listen-port", str(_free_port()), "--include-dashboard", "false",
           "--temp-dir", str(temp), "--disable-usage-stats"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(2)  # the raylet registers after the GCS listens
                return proc, f"127.0.0.1:{port}", temp
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError("the Ray head did not start")


def stop_ray_head(proc: subprocess.Popen[bytes]) -> None:
    # The workers lead process groups of their own, children of the head's raylet: end them first.
    workers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if os.getpgid(ppid) == proc.pid and os.getpgid(int(entry.name)) == int(entry.name):
                    workers.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    for pid in [proc.pid, *workers]:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="10000,100000", help="comma-separated sizes")
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=256, help="judgments in flight, the whole cluster's")
    ap.add_argument("--executors", default="local,ray")
    ap.add_argument("--ray-address", default=None)
    ap.add_argument("--ray-cpus", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--executor", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    sizes = [int(s) for s in args.rows.split(",")]
    executors = args.executors.split(",")
    fake = FakeProcess(args.latency, workers=2)
    head = None
    address = args.ray_address
    if "ray" in executors and address is None:
        head, address, temp = start_ray_head(args.ray_cpus)
    cases = []
    bare = raw_client_rate(fake.base_url, min(max(sizes), 20_000), args.concurrency)
    print(f"  bare aiohttp client: {bare:.0f}/s", file=sys.stderr, flush=True)
    data_dir = Path(tempfile.mkdtemp(prefix="jurist-scale-data-"))
    try:
        for n in sizes:
            data = data_dir / f"rows-{n}.jsonl"
            write_rows(data, n)
            for ex in executors:
                cases.append(run_case(ex, data, n, args, fake.base_url, address if ex == "ray" else None))
                c = cases[-1]
                c["bare_client_per_s"] = bare
                c["share_of_bare_client"] = c["judgments_per_s"] / bare
                print(f"  {ex:>5} {n:>7} rows: {c['judgments_per_s']:.0f}/s ({c['share_of_limit']:.1%} of "
                      f"{c['io_limit_per_s']:.0f}/s), RSS {c['peak_rss_mb']:.0f} MB (heap {c['peak_anon_mb']:.0f}, "
                      f"shared {c['peak_shmem_mb']:.0f})", file=sys.stderr, flush=True)
            data.unlink()
    finally:
        fake.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        if head is not None:
            stop_ray_head(head)
            subprocess.run(["rm", "-rf", str(temp)], check=False)
    if args.json:
        print(json.dumps(cases, indent=2))
        return
    print(f"{'executor':>8} {'rows':>8} {'judgments/s':>12} {'I/O limit/s':>12} {'share':>7} {'of bare':>8} "
          f"{'driver CPU ms':>14} {'driver RSS MB':>14} {'store writes/s':>15} {'errors':>7}")
    for c in cases:
        print(f"{c['executor']:>8} {c['rows']:>8} {c['judgments_per_s']:>12.0f} {c['io_limit_per_s']:>12.0f} "
              f"{c['share_of_limit']:>7.1%} {c['share_of_bare_client']:>8.1%} "
              f"{c['driver_cpu_ms_per_judgment']:>14.3f} {c['peak_rss_mb']:>14.0f} "
              f"{c['store_writes_per_s']:>15.0f} {c['errors']:>7}")
    print(f"bare = a minimal aiohttp client, same requests, {args.concurrency} in flight, same fake: {bare:.0f}/s")
    for ex in executors:
        by = {c["rows"]: c["peak_rss_mb"] for c in cases if c["executor"] == ex}
        if len(by) >= 2:
            small, big = min(by), max(by)
            print(f"{ex}: driver RSS at {big} rows is {by[big] / by[small]:.2f}× its RSS at {small} rows "
                  "(goal ≤ 1.10×)")
    print(f"goal: ≥ 80 % of the I/O limit ({args.concurrency} in flight / {args.latency * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
