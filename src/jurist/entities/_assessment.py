"""Assessments: what a judge, a person or a piece of code says about an output."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Union

#: The value kinds a Feedback may carry; lists and dicts hold JSON-compatible values.
FeedbackValue = Union[bool, int, float, str, list[Any], dict[str, Any], None]


class AssessmentSourceType(str, Enum):
    """Who made an assessment."""

    HUMAN = "HUMAN"
    LLM_JUDGE = "LLM_JUDGE"
    CODE = "CODE"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class AssessmentSource:
    """Who made an assessment: ``source_type`` and an id (a model URI, a function name, a user).

    Example:
        >>> AssessmentSource(source_type="LLM_JUDGE", source_id="openai:/gpt-4o-mini").source_type
        <AssessmentSourceType.LLM_JUDGE: 'LLM_JUDGE'>
    """

    source_type: AssessmentSourceType
    source_id: str

    def __init__(self, source_type: AssessmentSourceType | str = AssessmentSourceType.CODE,
                 source_id: str = "default") -> None:
        # A written-out __init__ so callers may pass the type as text ("human", "LLM_JUDGE"), as MLflow's do.
        st = source_type
        if not isinstance(st, AssessmentSourceType):
            try:
                st = AssessmentSourceType(str(st).upper())
            except ValueError:
                allowed = ", ".join(t.value for t in AssessmentSourceType)
                raise ValueError(f"source_type must be one of {allowed}, got {source_type!r}") from None
        object.__setattr__(self, "source_type", st)
        object.__setattr__(self, "source_id", source_id)

    def to_dict(self) -> dict[str, Any]:
        return {"source_type": self.source_type.value, "source_id": self.source_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AssessmentSource:
        return cls(source_type=d.get("source_type", "CODE"), source_id=d.get("source_id", "default"))


@dataclass(frozen=True)
class AssessmentError:
    """Why an assessment has no value: a stable code (``PARSE_ERROR``, ``RATE_LIMITED`` …) and a message."""

    error_code: str
    error_message: str | None = None

    @property
    def code(self) -> str:
        return self.error_code

    @property
    def message(self) -> str | None:
        return self.error_message

    def to_dict(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "error_message": self.error_message}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AssessmentError:
        return cls(error_code=d["error_code"], error_message=d.get("error_message"))

    @classmethod
    def from_exception(cls, exc: BaseException) -> AssessmentError:
        code = getattr(exc, "code", None) or type(exc).__name__
        return cls(error_code=str(code), error_message=str(exc) or type(exc).__name__)


def _now_ms() -> int:
    return int(time.time() * 1000)


class _DefaultName(str):
    """The name of a Feedback made without one. It reads as ``"feedback"`` (MLflow's default), and a
    scorer that returns such a Feedback gives it its own name instead."""

    __slots__ = ()


#: What ``Feedback(value=...)`` is named when no name is given.
DEFAULT_FEEDBACK_NAME = _DefaultName("feedback")


def is_default_name(name: str) -> bool:
    """True for the name of a Feedback made without one."""
    return type(name) is _DefaultName


@dataclass
class _Assessment:
    name: str = DEFAULT_FEEDBACK_NAME
    value: FeedbackValue = None
    source: AssessmentSource = field(default_factory=AssessmentSource)
    metadata: dict[str, Any] = field(default_factory=dict)
    trace_id: str | None = None
    span_id: str | None = None
    create_time_ms: int = field(default_factory=_now_ms)
    #: The store's id for it, once stored (MLflow's ``assessment_id``); not part of equality.
    assessment_id: str | None = field(default=None, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if isinstance(self.source, dict):
            self.source = AssessmentSource.from_dict(self.source)

    def _base_dict(self) -> dict[str, Any]:
        return {
            "name": str(self.name),
            "value": self.value,
            "source": self.source.to_dict(),
            "metadata": dict(self.metadata),
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "create_time_ms": self.create_time_ms,
            **({"assessment_id": self.assessment_id} if self.assessment_id else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        return self._base_dict()


@dataclass
class Feedback(_Assessment):
    """A verdict on an output: ``value`` (bool/int/float/str/list/dict), ``rationale`` and where it came from.

    A failed judgment has ``value=None`` and an ``error``; jurist never invents a value.

    ``name`` may be left out inside a scorer: the feedback then takes the scorer's name. ``error`` takes
    an :class:`AssessmentError` or the exception itself.

    Example:
        >>> fb = Feedback(name="correctness", value="yes", rationale="Paris is the capital.")
        >>> Feedback.from_json(fb.to_json()) == fb
        True
    """

    rationale: str | None = None
    error: AssessmentError | None = None

    if TYPE_CHECKING:
        # The __init__ the dataclass generates, as callers may use it: ``error`` may be the exception.
        def __init__(self, name: str = ..., value: FeedbackValue = None, source: AssessmentSource = ...,
                     metadata: dict[str, Any] = ..., trace_id: str | None = None, span_id: str | None = None,
                     create_time_ms: int = ..., rationale: str | None = None,
                     error: AssessmentError | BaseException | None = None, *,
                     assessment_id: str | None = None) -> None: ...

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.error, dict):
            self.error = AssessmentError.from_dict(self.error)
        elif isinstance(self.error, BaseException):
            self.error = AssessmentError.from_exception(self.error)

    @property
    def ok(self) -> bool:
        """True when the feedback carries a value and no error."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        d = self._base_dict()
        d["rationale"] = self.rationale
        d["error"] = self.error.to_dict() if self.error else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Feedback:
        return cls(
            name=d["name"],
            value=d.get("value"),
            rationale=d.get("rationale"),
            source=AssessmentSource.from_dict(d.get("source") or {}),
            error=AssessmentError.from_dict(d["error"]) if d.get("error") else None,
            metadata=dict(d.get("metadata") or {}),
            trace_id=d.get("trace_id"),
            span_id=d.get("span_id"),
            create_time_ms=d.get("create_time_ms") or _now_ms(),
            assessment_id=d.get("assessment_id"),
        )

    @classmethod
    def from_json(cls, s: str) -> Feedback:
        return cls.from_dict(json.loads(s))


@dataclass
class Expectation(_Assessment):
    """A ground-truth label for an input (an expected answer, facts, guidelines), usually from a person.

    Example:
        >>> Expectation(name="expected_response", value="Paris").value
        'Paris'
    """

    source: AssessmentSource = field(
        default_factory=lambda: AssessmentSource(AssessmentSourceType.HUMAN, "default")
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if is_default_name(self.name):
            raise TypeError("an Expectation needs a name, e.g. Expectation(name='expected_response', value=...)")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Expectation:
        return cls(
            name=d["name"],
            value=d.get("value"),
            source=AssessmentSource.from_dict(d.get("source") or {"source_type": "HUMAN"}),
            metadata=dict(d.get("metadata") or {}),
            trace_id=d.get("trace_id"),
            span_id=d.get("span_id"),
            create_time_ms=d.get("create_time_ms") or _now_ms(),
            assessment_id=d.get("assessment_id"),
        )

    @classmethod
    def from_json(cls, s: str) -> Expectation:
        return cls.from_dict(json.loads(s))
