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

__all__ = [
    "SPAN_TYPES",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "Expectation",
    "Feedback",
    "FeedbackValue",
    "Span",
    "Trace",
]
