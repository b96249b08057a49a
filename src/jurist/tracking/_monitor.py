"""The old home of production monitoring, now :mod:`jurist.evaluation._monitor` (monitors judge, and the
store layer imports no judges). Its names resolve there on first use."""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = ("Monitor", "MonitorStats", "in_sample", "start_monitor", "POLL_BATCH", "BASELINE_LIMIT")


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module("jurist.evaluation._monitor"), name)
    raise AttributeError(f"module 'jurist.tracking._monitor' has no attribute {name!r}")
