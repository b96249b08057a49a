"""Settings of the local judge that judges read, apart from the engine's own (:class:`EngineSettings`)."""

from __future__ import annotations

import os

from jurist.errors import ConfigError

#: How much a judge on the local model writes before its verdict, unless the judge says
#: (``inference_params={"rationale": ...}``). Chosen from benchmarks/local_judge.py (docs/local.md).
DEFAULT_LOCAL_RATIONALE = "short"
_MODES = ("full", "short", "none")


def local_rationale() -> str:
    """``JURIST_LOCAL_RATIONALE`` (full, short or none), else :data:`DEFAULT_LOCAL_RATIONALE`."""
    raw = os.environ.get("JURIST_LOCAL_RATIONALE", "").strip().lower()
    if not raw:
        return DEFAULT_LOCAL_RATIONALE
    if raw not in _MODES:
        raise ConfigError(f"JURIST_LOCAL_RATIONALE must be one of {', '.join(_MODES)}, got {raw!r}")
    return raw
