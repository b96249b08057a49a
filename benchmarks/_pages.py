"""Timing UI pages over HTTP, shared by the UI benchmarks."""

from __future__ import annotations

import statistics
import time
from typing import Any


def timed(client: Any, path: str, repeat: int) -> tuple[float, list[float]]:
    """The first fetch (before anything is kept for the next one), then ``repeat`` fetches after warming up,
    in milliseconds."""
    first = 0.0
    for n in range(3):
        start = time.perf_counter()
        r = client.get(path)
        if n == 0:
            first = (time.perf_counter() - start) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{path} answered {r.status_code}: {r.text[:300]}")
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return first, out


def summary(ms: list[float]) -> dict[str, float]:
    """p50, p95 and max of a page's fetch times."""
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 1),
            "max_ms": round(ms[-1], 1)}
