"""Tracing your application: ``@jurist.trace``, ``jurist.start_span``, and the traces they record.

Spans are recorded with OpenTelemetry's SDK on a private TracerProvider (the application's own
OpenTelemetry setup is left alone), assembled into :class:`~jurist.Trace` objects when their root span
ends, and kept in a bounded in-memory buffer. OpenTelemetry is imported when the first span starts, not
before.

Example:
    >>> import jurist
    >>> @jurist.trace(span_type="AGENT")
    ... def agent(question: str) -> str:
    ...     with jurist.start_span("search", span_type="RETRIEVER") as span:
    ...         span.set_inputs({"query": question})
    ...         span.set_outputs(["Refunds within 30 days."])
    ...     return "Within 30 days."
    >>> from jurist.tracing import capture
    >>> with capture() as cap:
    ...     _ = agent("How long do I have for a refund?")
    >>> [s.name for s in cap.trace.spans]
    ['agent', 'search']
"""

from jurist.tracing._decorator import trace
from jurist.tracing._otlp import from_otlp_json, to_otlp_json
from jurist.tracing._serialize import dumps_limited, to_jsonable
from jurist.tracing._span import (
    Capture,
    LiveSpan,
    SpanType,
    capture,
    get_current_active_span,
    get_last_active_trace,
    get_last_active_trace_id,
    get_trace,
    start_span,
)
from jurist.tracing._switch import disable, enable, is_enabled
from jurist.tracing._update import update_current_trace

__all__ = [
    "Capture",
    "LiveSpan",
    "SpanType",
    "capture",
    "disable",
    "dumps_limited",
    "enable",
    "from_otlp_json",
    "get_current_active_span",
    "get_last_active_trace",
    "get_last_active_trace_id",
    "get_trace",
    "is_enabled",
    "start_span",
    "to_jsonable",
    "to_otlp_json",
    "trace",
    "update_current_trace",
]
