"""jurist: LLM-as-a-Judge that is fast, cheap, and agrees with people.

The public API, re-exported lazily: ``import jurist`` loads nothing heavy; each name is imported on
first use.

Example:
    >>> from jurist import evaluate, make_judge, scorer, Feedback
    >>> from jurist.judges import Correctness
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Feedback": "jurist.entities",
    "Expectation": "jurist.entities",
    "AssessmentSource": "jurist.entities",
    "AssessmentSourceType": "jurist.entities",
    "AssessmentError": "jurist.entities",
    "Trace": "jurist.entities",
    "Span": "jurist.entities",
    "Scorer": "jurist.scorers",
    "scorer": "jurist.scorers",
    "make_judge": "jurist.judges",
    "evaluate": "jurist.evaluation",
    "EvaluationResult": "jurist.evaluation",
    "JuristError": "jurist.errors",
    "ConfigError": "jurist.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jurist' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:
    from jurist.entities import (
        AssessmentError,
        AssessmentSource,
        AssessmentSourceType,
        Expectation,
        Feedback,
        Span,
        Trace,
    )
    from jurist.errors import ConfigError, JuristError
    from jurist.evaluation import EvaluationResult, evaluate
    from jurist.judges import make_judge
    from jurist.scorers import Scorer, scorer

__all__ = [
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "ConfigError",
    "EvaluationResult",
    "Expectation",
    "Feedback",
    "JuristError",
    "Scorer",
    "Span",
    "Trace",
    "__version__",
    "evaluate",
    "make_judge",
    "scorer",
]
