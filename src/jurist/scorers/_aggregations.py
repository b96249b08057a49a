"""Aggregations of a scorer's values over a run: mean, min, max, median, variance, p90, p99, or a callable."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Union

from jurist.errors import ConfigError

Aggregation = Union[str, Callable[[list[float]], float]]
NAMES = ("mean", "min", "max", "median", "variance", "p90", "p99")


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


_FUNCS: dict[str, Callable[[list[float]], float]] = {
    "mean": statistics.fmean,
    "min": min,
    "max": max,
    "median": statistics.median,
    "variance": lambda v: statistics.pvariance(v) if len(v) > 1 else 0.0,
    "p90": lambda v: _percentile(v, 0.90),
    "p99": lambda v: _percentile(v, 0.99),
}


def check_aggregations(aggs: Sequence[Aggregation] | None) -> list[Aggregation] | None:
    if aggs is None:
        return None
    out: list[Aggregation] = []
    for a in aggs:
        if isinstance(a, str):
            if a not in _FUNCS:
                raise ConfigError(f"Unknown aggregation {a!r}; use one of {', '.join(NAMES)} or a callable.")
        elif not callable(a):
            raise ConfigError(f"aggregations must be names ({', '.join(NAMES)}) or callables, got {a!r}")
        out.append(a)
    return out


def aggregate(values: list[float], aggs: Sequence[Aggregation]) -> dict[str, float]:
    """``{name: value}`` for each aggregation; empty when there are no values."""
    if not values:
        return {}
    out: dict[str, float] = {}
    for a in aggs:
        if isinstance(a, str):
            out[a] = float(_FUNCS[a](values))
        else:
            out[getattr(a, "__name__", "custom")] = float(a(values))
    return out
