"""Live spans, ``start_span``, the active span, and ``capture()``.

The active span is held in a :class:`contextvars.ContextVar`, so nesting follows the code as it runs:
an asyncio task started inside a span is its child (tasks copy the context), and so is work run in a
thread with the context copied (``contextvars.copy_context().run``, ``asyncio.to_thread``). A thread
started without the context begins traces of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from jurist.entities import Trace
from jurist.entities._views import SpanType as SpanType  # re-exported by jurist.tracing
from jurist.tracing import _keys
from jurist.tracing._serialize import dumps_limited

if TYPE_CHECKING:
    from opentelemetry.trace import Span as OtelSpan

    from jurist.tracing._store import TraceStore


_CURRENT: ContextVar[LiveSpan | None] = ContextVar("jurist_current_span", default=None)
_CAPTURES: ContextVar[tuple[Capture, ...]] = ContextVar("jurist_captures", default=())


def _is_primitive(value: Any) -> bool:
    if isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, (list, tuple)) and value:
        kinds = {type(v) for v in value}
        return len(kinds) == 1 and kinds <= {str, bool, int, float}
    return False


class LiveSpan:
    """A span being recorded. Got from ``with jurist.start_span(...) as span`` or
    :func:`get_current_active_span`.

    Example:
        >>> import jurist
        >>> with jurist.start_span("lookup", span_type="RETRIEVER") as span:   # doctest: +SKIP
        ...     span.set_inputs({"query": "refund policy"})
        ...     span.set_outputs([{"page_content": "30 days"}])
    """

    trace_id: str
    span_id: str

    def __init__(self, otel: OtelSpan, name: str, span_type: str, parent: LiveSpan | None,
                 captures: tuple[Capture, ...]) -> None:
        from jurist.tracing import _otel

        self._otel = otel
        self.name = name
        self.span_type = span_type
        self.parent_id = parent.span_id if parent is not None else None
        self.trace_id, self.span_id = _otel.ids(otel)
        self._captures = captures
        self._status_set = False
        self._json_keys: list[str] = []

    # -- recording ----------------------------------------------------------------------------------
    def set_inputs(self, inputs: Any) -> None:
        """The span's inputs: any value, kept as JSON (rich objects converted, long values cut)."""
        self._otel.set_attribute(_keys.INPUTS, dumps_limited(inputs))

    def set_outputs(self, outputs: Any) -> None:
        """The span's outputs, kept like the inputs."""
        self._otel.set_attribute(_keys.OUTPUTS, dumps_limited(outputs))

    def set_attribute(self, key: str, value: Any) -> None:
        """One attribute. Strings, numbers, booleans and lists of one of them are kept as they are;
        anything else as JSON."""
        if value is None:
            return
        if _is_primitive(value):
            self._otel.set_attribute(key, list(value) if isinstance(value, tuple) else value)
            return
        self._otel.set_attribute(key, dumps_limited(value, 20_000))
        if key not in self._json_keys:
            self._json_keys.append(key)
            self._otel.set_attribute(_keys.JSON_ATTRIBUTES, list(self._json_keys))

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        for k, v in attributes.items():
            self.set_attribute(k, v)

    def set_span_type(self, span_type: str) -> None:
        self.span_type = str(span_type).upper()
        self._otel.set_attribute(_keys.SPAN_TYPE, self.span_type)

    def set_status(self, status: Any, description: str | None = None) -> None:
        """``"OK"`` or ``"ERROR"`` (with a description), or MLflow's ``SpanStatusCode`` / ``SpanStatus``;
        spans that end without one are OK, or ERROR if an exception left them."""
        from jurist.tracing import _otel

        if hasattr(status, "status_code"):  # a SpanStatus
            status, description = status.status_code, description or getattr(status, "description", None) or None
        code = str(status).upper().removeprefix("STATUS_CODE_")
        if code not in ("OK", "ERROR", "UNSET"):
            raise ValueError(f"span status must be 'OK' or 'ERROR', got {status!r}")
        _otel.set_status(self._otel, code, description)
        self._status_set = True

    def add_event(self, name: Any, attributes: Mapping[str, Any] | None = None) -> None:
        """An event on the span: a name and attributes, or MLflow's ``SpanEvent``."""
        timestamp = None
        if not isinstance(name, str) and hasattr(name, "name"):  # a SpanEvent
            name, attributes, timestamp = name.name, attributes or name.attributes, name.timestamp
        attrs = {k: (v if _is_primitive(v) else dumps_limited(v, 20_000)) for k, v in (attributes or {}).items()
                 if v is not None}
        if timestamp is None:
            self._otel.add_event(name, attrs)
        else:
            self._otel.add_event(name, attrs, timestamp=int(timestamp))

    def record_exception(self, exc: BaseException) -> None:
        """An ``exception`` event (type, message, stack trace) and status ERROR."""
        from jurist.tracing import _otel

        _otel.set_error(self._otel, exc)
        self._status_set = True

    # -- lifecycle ----------------------------------------------------------------------------------
    def _end(self, exc: BaseException | None = None) -> None:
        if exc is not None:
            self.record_exception(exc)
        elif not self._status_set:
            self.set_status("OK")
        self._otel.end()

    def __repr__(self) -> str:
        return f"LiveSpan(name={self.name!r}, span_type={self.span_type!r}, span_id={self.span_id!r})"


def _begin(name: str, span_type: str, attributes: Mapping[str, Any] | None) -> LiveSpan:
    from jurist.tracing import _otel

    parent = _CURRENT.get()
    span_type = str(span_type or "UNKNOWN").upper()
    otel = _otel.start(str(name), parent._otel if parent is not None else None, {_keys.SPAN_TYPE: span_type})
    captures = _CAPTURES.get()
    live = LiveSpan(otel, str(name), span_type, parent, captures)
    if captures:
        # The span is a top span of every capture() entered since its parent started.
        for cap in captures:
            if parent is None or cap not in parent._captures:
                cap._note(live.trace_id, live.span_id)
    if attributes:
        live.set_attributes(attributes)
    return live


class _SpanContext:
    """What ``start_span`` returns: enter to start the span and make it active, exit to end it."""

    def __init__(self, name: str, span_type: str, attributes: Mapping[str, Any] | None) -> None:
        self._args = (name, span_type, attributes)
        self._span: LiveSpan | None = None
        self._token: Token[LiveSpan | None] | None = None

    def __enter__(self) -> LiveSpan:
        self._span = _begin(*self._args)
        self._token = _CURRENT.set(self._span)
        return self._span

    def __exit__(self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._span is not None and self._token is not None
        try:
            self._span._end(exc)
        finally:
            try:
                _CURRENT.reset(self._token)
            except ValueError:  # exited in another context than it was entered in; that context never saw it
                pass


def start_span(name: str = "span", span_type: str = "UNKNOWN",
               attributes: Mapping[str, Any] | None = None) -> _SpanContext:
    """A context manager that records a span, a child of the active span if there is one.

    Example:
        >>> import jurist
        >>> with jurist.start_span("answer", span_type="CHAIN") as span:   # doctest: +SKIP
        ...     span.set_inputs({"question": "hi"})
        ...     span.set_outputs("hello")
        >>> jurist.get_last_active_trace().root_span.outputs              # doctest: +SKIP
        'hello'
    """
    return _SpanContext(name, span_type, attributes)


def get_current_active_span() -> LiveSpan | None:
    """The span active in this context, or None."""
    return _CURRENT.get()


# -- reading finished traces ----------------------------------------------------------------------------
def _store() -> TraceStore:
    from jurist.tracing import _otel

    return _otel.store()


def get_trace(trace_id: str, *, search_store: bool = True) -> Trace | None:
    """A trace by id: one recorded in this process, else (``search_store``) the tracking store's copy with
    its assessments; None when neither has it. (``trace.info.assessments`` of a trace recorded here reads
    the store's assessments.)"""
    found = _store().get(trace_id)
    if found is not None or not search_store:
        return found
    from jurist.tracking import NotFoundError
    from jurist.tracking import get_trace as stored_trace

    try:
        return stored_trace(trace_id)
    except NotFoundError:
        return None


def get_last_active_trace_id(thread_local: bool = False) -> str | None:
    """The id of the trace that finished last in this process (or in this thread, with ``thread_local``)."""
    return _store().last_trace_id(thread_local)


def get_last_active_trace(thread_local: bool = False) -> Trace | None:
    """The trace that finished last in this process (or in this thread), or None.

    Example:
        >>> @jurist.trace                                           # doctest: +SKIP
        ... def answer(q): return "42"
        >>> answer("?"); jurist.get_last_active_trace().outputs    # doctest: +SKIP
        '42'
    """
    trace_id = get_last_active_trace_id(thread_local)
    return get_trace(trace_id) if trace_id else None


# -- capture() --------------------------------------------------------------------------------------------
class Capture:
    """The traces recorded inside one ``with capture()`` block.

    Its top spans are those started in the block whose parent was started outside it: normally one root
    span, whose whole trace is captured; when the block runs inside an active span, the sub-trees the
    block added to that span's trace.
    """

    def __init__(self) -> None:
        self._tops: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._token: Token[tuple[Capture, ...]] | None = None

    def _note(self, trace_id: str, span_id: str) -> None:
        with self._lock:
            self._tops.append((trace_id, span_id))

    def __enter__(self) -> Capture:
        self._token = _CAPTURES.set((*_CAPTURES.get(), self))
        return self

    def __exit__(self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._token is not None:
            try:
                _CAPTURES.reset(self._token)
            except ValueError:
                pass

    @property
    def trace_ids(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys(t for t, _ in self._tops))

    @property
    def traces(self) -> list[Trace]:
        """One Trace per trace touched by the block, in the order they started (spans finished so far)."""
        from jurist.tracing._store import subtree

        with self._lock:
            tops = list(self._tops)
        store = _store()
        out = []
        for trace_id in dict.fromkeys(t for t, _ in tops):
            wanted = {s for t, s in tops if t == trace_id}
            spans, done = store.spans(trace_id)
            if done is not None and done.root_span is not None and done.root_span.span_id in wanted:
                out.append(done)
                continue
            kept = subtree(spans, wanted)
            if kept:
                out.append(Trace(trace_id=trace_id, spans=kept))
        return out

    @property
    def trace(self) -> Trace | None:
        """The first trace recorded in the block (the one a traced ``predict_fn`` makes), or None."""
        traces = self.traces
        return traces[0] if traces else None


def capture() -> Capture:
    """A context manager that collects the traces recorded inside it, in this context and the tasks and
    context-copying threads it starts; concurrent blocks in other threads or tasks see only their own.

    Example:
        >>> from jurist.tracing import capture
        >>> with capture() as cap:                                 # doctest: +SKIP
        ...     my_traced_app("What is our refund policy?")
        >>> cap.trace.root_span.name                                # doctest: +SKIP
        'my_traced_app'
    """
    return Capture()
