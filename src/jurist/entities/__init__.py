"""Data shapes shared by every part of jurist: assessments and traces."""

from jurist.entities._assessment import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
    FeedbackValue,
)
from jurist.entities._trace import SPAN_TYPES, Span, Trace
from jurist.entities._views import (
    Document,
    SpanEvent,
    SpanStatus,
    SpanStatusCode,
    SpanType,
    TraceData,
    TraceInfo,
)

__all__ = [
    "SPAN_TYPES",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "Document",
    "Expectation",
    "Feedback",
    "FeedbackValue",
    "Span",
    "SpanEvent",
    "SpanStatus",
    "SpanStatusCode",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
]
