"""What does the AI Gateway add to a request, and how many requests per second does it carry?

In one run, on one machine, in front of the same loopback fake OpenAI server (in processes of its
own), the same judge-sized request is sent:

- **direct** to the fake;
- through **jurist's gateway** (``jurist gateway``, one uvicorn process, a client token, usage
  recorded to SQLite, no limits);
- through **LiteLLM's proxy** (``litellm --config``, one worker, a master key), when its command is
  found (``--litellm PATH``; default ``/tmp/litellm-proxy-venv/bin/litellm``). Install it apart from
  jurist's environment: ``python -m venv /tmp/litellm-proxy-venv &&
  /tmp/litellm-proxy-venv/bin/pip install 'litellm[proxy]'``.

Measured for each: latency p50/p99 of requests sent one at a time (so "added" is the proxy's own
cost per request, not queueing), and requests/s with 8, 32 and 128 requests in flight for a few
seconds each, the highest kept as its sustained rate.

    python benchmarks/gateway.py              # the whole run (about two minutes on 2 cores)
    python benchmarks/gateway.py --quick      # fewer requests, shorter rates
    python benchmarks/gateway.py --json

Targets: the gateway adds ≤ 1 ms at p50, and carries more requests/s than LiteLLM's proxy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._fake_server import FakeProcess  # noqa: E402

ADMIN_TOKEN = "bench-admin-token"
LITELLM_MASTER_KEY = "sk-bench-master-key"


def judge_body(model: str) -> bytes:
    """A request the size and shape of a judgment (instructions, the row, a JSON schema)."""
    from jurist.judges import Correctness
    from jurist.models.providers.openai import to_wire

    judge = Correctness(model="openai:/gpt-4o-mini")
    (unit,) = judge.units(inputs={"question": "What is 21 + 21?"}, outputs="It is 42.",
                          expectations={"expected_response": "42"})
    return json.dumps(to_wire(judge.request(unit), model, {"temperature": 0})).encode()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def wait_up(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode} before it served")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not come up within {timeout:.0f} s")


@dataclass
class System:
    name: str
    url: str
    headers: dict[str, str]
    body: bytes
    proc: subprocess.Popen[bytes] | None = None
    results: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_gateway(fake_url: str, tmp: Path) -> System:
    import yaml

    port = free_port()
    cfg = tmp / "gateway.yaml"
    cfg.write_text(yaml.safe_dump({"endpoints": [{
        "name": "judge",
        "targets": [{"model": "openai:/gpt-4o-mini", "base_url": fake_url, "key": "env:BENCH_FAKE_KEY"}],
    }]}))
    env = {**os.environ, "BENCH_FAKE_KEY": "test-key", "JURIST_GATEWAY_DB": f"sqlite:///{tmp / 'gateway.db'}",
           "JURIST_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN}
    env.pop("JURIST_REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "jurist.cli", "gateway", "--config", str(cfg), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/health", proc, "jurist gateway")
    import urllib.request

    req = urllib.request.Request(f"{url}/admin/clients", data=json.dumps({"name": "bench"}).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        token = json.loads(r.read())["token"]
    return System("jurist gateway", f"{url}/v1/chat/completions",
                  {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, judge_body("judge"), proc)


def start_litellm(command: str, fake_url: str, tmp: Path) -> System:
    import yaml

    port = free_port()
    cfg = tmp / "litellm.yaml"
    cfg.write_text(yaml.safe_dump({
        "model_list": [{"model_name": "judge", "litellm_params": {
            "model": "openai/gpt-4o-mini", "api_base": fake_url, "api_key": "test-key"}}],
        "litellm_settings": {"drop_params": True, "telemetry": False},
        "general_settings": {"master_key": LITELLM_MASTER_KEY},
    }))
    env = {**os.environ, "LITELLM_LOG": "ERROR", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "TELEMETRY": "False"}
    for k in ("DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(k, None)
    proc = subprocess.Popen([command, "--config", str(cfg), "--port", str(port), "--host", "127.0.0.1",
                             "--num_workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=tmp)
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/health/liveliness", proc, "LiteLLM's proxy", timeout=180)
    return System("LiteLLM proxy", f"{url}/v1/chat/completions",
                  {"Authorization": f"Bearer {LITELLM_MASTER_KEY}", "Content-Type": "application/json"},
                  judge_body("judge"), proc)


async def _latencies(system: System, n: int) -> list[float]:
    import aiohttp

    out = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        for _ in range(n):
            t = time.perf_counter()
            async with s.post(system.url, data=system.body, headers=system.headers) as r:
                await r.read()
                if r.status != 200:
                    raise SystemExit(f"{system.name} answered {r.status}: {(await r.text())[:300]}")
            out.append((time.perf_counter() - t) * 1000)
    return out


async def _rate(system: System, concurrency: int, seconds: float) -> tuple[float, int]:
    import aiohttp

    ok = errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal ok, errors
            while time.perf_counter() < deadline:
                try:
                    async with s.post(system.url, data=system.body, headers=system.headers) as r:
                        await r.read()
                        if r.status == 200:
                            ok += 1
                        else:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return ok / (time.perf_counter() - t), errors


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def measure(system: System, n: int, levels: list[int], seconds: float) -> None:
    asyncio.run(_latencies(system, max(100, n // 10)))  # warm up
    lat = asyncio.run(_latencies(system, n))
    system.results = {"p50_ms": statistics.median(lat), "p99_ms": pct(lat, 99), "mean_ms": statistics.fmean(lat),
                      "rates": {}}
    for c in levels:
        rate, errors = asyncio.run(_rate(system, c, seconds))
        system.results["rates"][c] = {"rps": rate, "errors": errors}
    system.results["max_rps"] = max(r["rps"] for r in system.results["rates"].values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer requests and shorter rate runs")
    ap.add_argument("--litellm", default="/tmp/litellm-proxy-venv/bin/litellm",
                    help="LiteLLM proxy's command (skipped when not found)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args()
    n, seconds = (500, 3.0) if args.quick else (2000, 6.0)
    levels = [8, 32, 128]

    fake = FakeProcess(0.0, workers=2)
    tmp = Path(tempfile.mkdtemp(prefix="jurist-gw-bench-"))
    systems = [System("direct", f"{fake.base_url}/chat/completions",
                      {"Authorization": "Bearer test-key", "Content-Type": "application/json"},
                      judge_body("gpt-4o-mini"))]
    try:
        systems.append(start_gateway(fake.base_url, tmp))
        litellm = shutil.which(args.litellm) or (args.litellm if Path(args.litellm).exists() else None)
        if litellm:
            systems.append(start_litellm(litellm, fake.base_url, tmp))
        else:
            print(f"(LiteLLM's proxy not found at {args.litellm}; measured without it)", file=sys.stderr)
        for s in systems:
            measure(s, n, levels, seconds)
    finally:
        for s in systems:
            s.stop()
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    direct = systems[0].results
    for s in systems[1:]:
        s.results["added_p50_ms"] = s.results["p50_ms"] - direct["p50_ms"]
        s.results["added_p99_ms"] = s.results["p99_ms"] - direct["p99_ms"]
    if args.json:
        print(json.dumps({"requests": n, "seconds_per_rate": seconds, "cpus": os.cpu_count(),
                          "systems": {s.name: s.results for s in systems}}, indent=2))
        return
    print(f"{n} requests one at a time; rates over {seconds:g} s at {', '.join(map(str, levels))} in flight; "
          f"{os.cpu_count()} CPUs shared by the fake, the proxy and this client")
    print(f"{'':16} {'p50 ms':>8} {'p99 ms':>8} {'added p50':>10} {'added p99':>10} "
          + " ".join(f"{f'rps@{c}':>9}" for c in levels) + f" {'max rps':>9}")
    for s in systems:
        r = s.results
        added = (f"{r['added_p50_ms']:>+10.3f} {r['added_p99_ms']:>+10.3f}" if "added_p50_ms" in r
                 else f"{'-':>10} {'-':>10}")
        print(f"{s.name:16} {r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} {added} "
              + " ".join(f"{r['rates'][c]['rps']:>9.0f}" for c in levels) + f" {r['max_rps']:>9.0f}")
    errs = {s.name: sum(v["errors"] for v in s.results["rates"].values()) for s in systems}
    if any(errs.values()):
        print("non-200 answers during the rate runs:", errs)
    print("targets: the gateway adds <= 1 ms at p50; it carries more requests/s than LiteLLM's proxy")


if __name__ == "__main__":
    main()
