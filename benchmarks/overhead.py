"""How much does jurist itself cost per judgment, and how close does it get to the I/O limit?

Runs 1,000 rows through ``Correctness`` against a loopback fake OpenAI server that runs in separate
processes (``benchmarks/_fake_server.py``, so its CPU is not counted), at 0 ms and 200 ms of simulated
provider latency, and prints, side by side: CPU ms per judgment, judgments/s, the I/O limit
(concurrency / latency) and the share of it reached; plus ``import jurist`` time and peak RSS of a
1,000-row run.

    python benchmarks/overhead.py            # all of it
    python benchmarks/overhead.py --rows 300 # quicker

A third case runs the 0 ms one with the tracking store on (SQLite, as ``evaluate()`` logs by default)
to show what logging every row, trace and feedback costs; a fourth judges with the in-process
``fake:/`` model (no HTTP at all), to show jurist's own CPU apart from the HTTP client's.

Targets: ≤ 1.5 ms CPU per judgment; ≥ 94 % of the I/O limit at 200 ms with 64 in flight;
``import jurist`` ≤ 0.15 s; ≤ 100 MB peak RSS for 1,000 rows; the store adds ≤ 0.5 ms CPU per judgment.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._fake_server import FakeProcess  # noqa: E402


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"inputs": {"question": f"What is {i} + {i}?"}, "outputs": f"It is {2 * i}.",
             "expectations": {"expected_response": str(2 * i)}} for i in range(n)]


def raw_client_rate(base_url: str, rows: int, concurrency: int) -> float:
    """Judgments/s of a bare aiohttp loop posting the same request: the limit of this setup."""
    import asyncio

    import aiohttp

    from jurist.judges import Correctness
    from jurist.models.providers.openai import to_wire

    judge = Correctness(model="openai:/gpt-4o-mini")
    row = _rows(1)[0]
    (unit,) = judge.units(inputs=row["inputs"], outputs=row["outputs"], expectations=row["expectations"])
    body = json.dumps(to_wire(judge.request(unit), "gpt-4o-mini", {"temperature": 0})).encode()
    headers = {"Authorization": "Bearer test-key", "Content-Type": "application/json"}

    async def go() -> float:
        todo = iter(range(rows))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            async def worker() -> None:
                for _ in todo:
                    async with s.post(f"{base_url}/chat/completions", data=body, headers=headers) as r:
                        json.loads(await r.read())
            t = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return rows / (time.perf_counter() - t)

    return asyncio.run(go())


def run_case(rows: int, latency: float, concurrency: int, store: bool = False, in_process: bool = False) -> dict[str, Any]:
    """One measured run; ``store=True`` logs every judgment to a SQLite tracking store, as evaluate() does
    by default (the other cases measure the judging alone, ``log=False``). ``in_process=True`` judges with
    the in-process ``fake:/`` model instead of the HTTP fake: jurist's own cost, with no HTTP at all."""
    tmp = tempfile.mkdtemp(prefix="jurist-bench-")
    os.environ.update(JURIST_CACHE_DIR=tmp, JURIST_TRACKING_URI=f"sqlite:///{tmp}/jurist.db")
    fake = None
    if not in_process:
        fake = FakeProcess(latency)
        os.environ.update(OPENAI_API_KEY="test-key", OPENAI_BASE_URL=fake.base_url)
    import jurist
    from jurist import evaluate

    jurist.reset()  # settings are read once: this case's cache dir and store (and no fake model left over)
    from jurist.models import FakeModel

    model = FakeModel(name="bench", latency=latency, record=False) if in_process else None
    uri = model.uri if model is not None else "openai:/gpt-4o-mini"
    from jurist.judges import Correctness

    data = _rows(rows)
    judges = [Correctness(model=uri)]
    evaluate(data[:50], judges, concurrency=concurrency, cache=False, progress=False, log=store)  # warm up
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = evaluate(data, judges, concurrency=concurrency, cache=False, progress=False, log=store)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if fake is not None:
        raw = raw_client_rate(fake.base_url, rows, concurrency)
        calls = fake.stop()
    else:
        assert model is not None
        raw, calls = None, model.calls - 50
    assert result.metrics["correctness/error_count"] == 0, result.metrics
    limit = concurrency / latency if latency else None
    return {
        "latency_ms": latency * 1000, "concurrency": concurrency, "rows": rows, "calls": calls, "store": store,
        "transport": "in-process" if in_process else "http",
        "cpu_ms_per_judgment": cpu * 1000 / rows, "judgments_per_s": rows / wall,
        "io_limit_per_s": limit, "share_of_limit": (rows / wall) / limit if limit else None,
        "bare_client_per_s": raw, "share_of_bare_client": (rows / wall) / raw if raw else None,
    }


def import_time(repeat: int = 7) -> float:
    def best(code: str) -> float:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - t)
        return min(times)

    return best("import jurist") - best("pass")


def peak_rss_mb(rows: int) -> float:
    code = (
        "import json, resource, sys; sys.path.insert(0, sys.argv[2]);"
        "from benchmarks.overhead import run_case; run_case(int(sys.argv[1]), 0.0, 64);"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(rows), str(ROOT)], check=True, capture_output=True,
                         text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args()
    cases = [run_case(args.rows, 0.0, 64), run_case(args.rows, 0.2, 64), run_case(args.rows, 0.0, 64, store=True),
             run_case(args.rows, 0.0, 64, in_process=True)]
    extra = {"import_jurist_s": import_time(), "peak_rss_mb": peak_rss_mb(args.rows)}
    if args.json:
        print(json.dumps({"cases": cases, **extra}, indent=2))
        return
    print(f"{'model':>10} {'latency':>8} {'in flight':>9} {'store':>6} {'CPU ms/judgment':>16} {'judgments/s':>12} "
          f"{'I/O limit/s':>12} {'share':>7} {'bare aiohttp/s':>15} {'share':>7}")
    for c in cases:
        lim = f"{c['io_limit_per_s']:.0f}" if c["io_limit_per_s"] else "-"
        share = f"{c['share_of_limit'] * 100:.1f}%" if c["share_of_limit"] else "-"
        bare = f"{c['bare_client_per_s']:>15.1f} {c['share_of_bare_client'] * 100:>6.1f}%" if c["bare_client_per_s"] \
            else f"{'-':>15} {'-':>7}"
        model = "fake:/" if c["transport"] == "in-process" else "HTTP fake"
        print(f"{model:>10} {c['latency_ms']:>6.0f}ms {c['concurrency']:>9} {'on' if c['store'] else 'off':>6} "
              f"{c['cpu_ms_per_judgment']:>16.3f} {c['judgments_per_s']:>12.1f} {lim:>12} {share:>7} {bare}")
    delta = cases[2]["cpu_ms_per_judgment"] - cases[0]["cpu_ms_per_judgment"]
    print(f"store on (SQLite, every row, trace and feedback logged): {delta:+.3f} ms CPU per judgment at 0 ms")
    http = cases[0]["cpu_ms_per_judgment"] - cases[3]["cpu_ms_per_judgment"]
    print(f"fake:/ = the in-process fake model, no HTTP: jurist's own CPU; the HTTP client adds {http:+.3f} ms")
    print("I/O limit = in flight / latency; bare aiohttp = the same requests posted by a minimal client to the"
          " same fake, the ceiling of this machine and fake server")
    print(f"import jurist: {extra['import_jurist_s'] * 1000:.0f} ms   peak RSS ({args.rows} rows): "
          f"{extra['peak_rss_mb']:.0f} MB")
    print("targets: CPU ≤ 1.5 ms/judgment; ≥ 94 % of the I/O limit at 200 ms; import ≤ 150 ms; RSS ≤ 100 MB; "
          "store on ≤ +0.5 ms/judgment")


if __name__ == "__main__":
    main()
