"""Template filters: times, durations, values shown as text (never as markup)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any


def when(ms: int | None) -> str:
    """A timestamp in milliseconds as UTC date and time."""
    if not ms:
        return "–"
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(ms: float | int | None) -> str:
    if ms is None:
        return "–"
    if ms < 1000:
        return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"
    return f"{ms / 1000:.2f} s"


def pretty(value: Any) -> str:
    """A value as indented JSON text (strings as they are)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def short(value: Any, limit: int = 120) -> str:
    """A one-line preview of a value, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else pretty(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cost(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:.6f}" if value < 0.01 else f"${value:.4f}"


def typename(value: object) -> str:
    """A stored feedback type as a person reads it: ``Literal['yes', 'no']``, not ``typing.Literal[...]``."""
    return str(value or "").replace("typing.", "")


FILTERS: dict[str, Callable[..., Any]] = {"when": when, "duration": duration, "pretty": pretty, "short": short,
                                          "cost": cost,
                                          "typename": typename}
