"""Types the MLflow-shaped tests share with their fixtures."""

from __future__ import annotations

from typing import Any, Protocol


class JudgeSays(Protocol):
    """The ``judge_says`` fixture: ``judge_says(result)`` makes every unscripted judgment answer ``result``."""

    def __call__(self, result: Any, rationale: str = ...) -> None: ...
