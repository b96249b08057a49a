"""jurist's own OpenTelemetry tracer: a private TracerProvider whose one span processor hands finished
spans to the trace store.

Imported only when the first span starts, so ``import jurist`` never loads OpenTelemetry. The provider
is private: the application's global TracerProvider, its exporters and its active spans are left alone,
and jurist's spans never become children of the application's (each jurist root span starts from an
empty context). Sampling and attribute-size limits are set here rather than read from ``OTEL_*``
variables meant for the application's own tracing: jurist records every span, and its JSON attributes
must never be cut mid-text.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, Sampler, SamplingResult

from jurist._runtime import RUNTIME
from jurist.entities import Span
from jurist.tracing import _keys
from jurist.tracing._store import TraceStore


class _ToStore(SpanProcessor):
    """Turns each finished OpenTelemetry span into a jurist Span and gives it to the store."""

    def __init__(self, store: TraceStore) -> None:
        self.store = store

    def on_end(self, span: ReadableSpan) -> None:
        self.store.add(to_jurist_span(span))

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _Switch(Sampler):
    """Records every span while on (``jurist.tracing.enable()``), none while off (``disable()``)."""

    def __init__(self) -> None:
        self.on = True

    def should_sample(self, parent_context: Any, trace_id: int, name: str, kind: Any = None,
                      attributes: Any = None, links: Any = None, trace_state: Any = None) -> SamplingResult:
        if self.on:
            return ALWAYS_ON.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)
        return SamplingResult(Decision.DROP)

    def get_description(self) -> str:
        return "jurist.tracing switch"


class _Tracing:
    """The tracing layer's part of the runtime: jurist's private TracerProvider, its tracer, the trace buffer."""

    def __init__(self) -> None:
        from jurist import __version__

        self.store = TraceStore(RUNTIME.settings.trace_buffer_size)
        limits = SpanLimits(max_span_attribute_length=SpanLimits.UNSET, max_attribute_length=SpanLimits.UNSET,
                            max_span_attributes=1000, max_events=1000)
        self.switch = _Switch()
        self.provider = TracerProvider(sampler=self.switch, resource=Resource({"service.name": "jurist"}),
                                       span_limits=limits, shutdown_on_exit=False)
        self.provider.add_span_processor(_ToStore(self.store))
        self.tracer = self.provider.get_tracer("jurist", __version__)

    def close(self) -> None:
        self.provider.shutdown()


def _state() -> _Tracing:
    return RUNTIME.part("tracing", _Tracing)


def set_recording(on: bool) -> None:
    """Turn recording spans on or off for this process (``jurist.tracing.enable()``/``disable()``)."""
    _state().switch.on = bool(on)


def recording() -> bool:
    return _state().switch.on


def started() -> _Tracing | None:
    """The tracing state if a span was ever started since the last reset (never makes it)."""
    found = RUNTIME.peek("tracing")
    return found if isinstance(found, _Tracing) else None


def tracer() -> otel_trace.Tracer:
    return _state().tracer


def store() -> TraceStore:
    return _state().store


def start(name: str, parent: otel_trace.Span | None, attributes: dict[str, Any]) -> otel_trace.Span:
    """Start a span under ``parent`` (one of jurist's), or a new trace from an empty context."""
    ctx = otel_trace.set_span_in_context(parent, Context()) if parent is not None else Context()
    return tracer().start_span(name, context=ctx, attributes=attributes, record_exception=False,
                               set_status_on_exception=False)


def set_error(span: otel_trace.Span, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(otel_trace.Status(otel_trace.StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def set_status(span: otel_trace.Span, code: str, description: str | None = None) -> None:
    status = otel_trace.StatusCode[code]
    span.set_status(otel_trace.Status(status, description if status is otel_trace.StatusCode.ERROR else None))


def ids(span: otel_trace.Span) -> tuple[str, str]:
    ctx = span.get_span_context()
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def to_jurist_span(rs: ReadableSpan) -> Span:
    attrs = {k: _plain(v) for k, v in (rs.attributes or {}).items()}
    span_type = str(attrs.pop(_keys.SPAN_TYPE, "UNKNOWN"))
    inputs = _loads(attrs.pop(_keys.INPUTS, None))
    outputs = _loads(attrs.pop(_keys.OUTPUTS, None))
    for key in attrs.pop(_keys.JSON_ATTRIBUTES, None) or ():
        if isinstance(attrs.get(key), str):
            attrs[key] = _loads(attrs[key])
    status = rs.status
    if status.description:
        attrs[_keys.STATUS_DESCRIPTION] = status.description
    ctx = rs.context
    assert ctx is not None
    return Span(
        name=rs.name,
        span_id=f"{ctx.span_id:016x}",
        trace_id=f"{ctx.trace_id:032x}",
        parent_id=f"{rs.parent.span_id:016x}" if rs.parent is not None else None,
        span_type=span_type,
        inputs=inputs,
        outputs=outputs,
        attributes=attrs,
        events=[
            {"name": e.name, "time_ns": e.timestamp, "attributes": {k: _plain(v) for k, v in (e.attributes or {}).items()}}
            for e in rs.events
        ],
        status=status.status_code.name,
        start_time_ns=rs.start_time,
        end_time_ns=rs.end_time,
    )


def _loads(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
