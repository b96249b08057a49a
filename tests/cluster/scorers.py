"""Importable scorers and predict functions for the cluster tests: a worker imports them by name."""

from __future__ import annotations

import threading
from typing import Any

from jurist.scorers import Scorer, scorer


@scorer
def length(outputs: Any) -> int:
    return len(str(outputs))


def shout(question: str) -> str:
    return question.upper()


class Locked(Scorer):
    """A scorer holding a lock: it cannot travel to another process."""

    name = "locked"

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    async def ascore(self, **kwargs: Any) -> Any:
        with self.lock:
            return 1
