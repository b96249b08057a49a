"""Settings of the local judge that judges read, apart from the engine's own (:class:`EngineSettings`)."""

from __future__ import annotations

from jurist._runtime import RUNTIME
from jurist._settings import DEFAULT_LOCAL_RATIONALE

__all__ = ["DEFAULT_LOCAL_RATIONALE", "local_rationale"]


def local_rationale() -> str:
    """``JURIST_LOCAL_RATIONALE`` (full, short or none), else :data:`DEFAULT_LOCAL_RATIONALE` (chosen from
    benchmarks/local_judge.py, docs/local.md)."""
    return RUNTIME.settings.local_rationale
