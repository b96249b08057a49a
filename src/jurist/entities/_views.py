"""MLflow's read-only views of a trace (``trace.info``, ``trace.data``), and ``Document``.

jurist's :class:`~jurist.Trace` keeps spans and one key/value map of tags; MLflow splits a trace into
``info`` (id, experiment, times, state, metadata, tags, assessments) and ``data`` (spans, request,
response). These views read the same trace in MLflow's names, so code written against MLflow's
``trace.info.trace_id`` or ``trace.data.spans`` runs unchanged. They copy nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jurist.entities._trace import Span, Trace


class SpanType:
    """The span types jurist knows (MLflow's names). Any other string is kept as given, upper-cased."""

    LLM = "LLM"
    CHAT_MODEL = "CHAT_MODEL"
    RETRIEVER = "RETRIEVER"
    TOOL = "TOOL"
    AGENT = "AGENT"
    CHAIN = "CHAIN"
    EMBEDDING = "EMBEDDING"
    RERANKER = "RERANKER"
    PARSER = "PARSER"
    UNKNOWN = "UNKNOWN"


@dataclass
class Document:
    """A retrieved document, as a RETRIEVER span returns it: its text, metadata and an optional id.

    Retrieval judges read ``page_content`` from a retriever span's outputs.

    Example:
        >>> Document(page_content="Refunds within 30 days.", metadata={"doc_uri": "faq.md"}).to_dict()
        {'page_content': 'Refunds within 30 days.', 'metadata': {'doc_uri': 'faq.md'}, 'id': None}
    """

    page_content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"page_content": self.page_content, "metadata": dict(self.metadata), "id": self.id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        return cls(page_content=d.get("page_content", ""), metadata=dict(d.get("metadata") or {}), id=d.get("id"))


class TraceInfo:
    """``trace.info``: a trace's id, experiment, timing, state, metadata, tags and assessments."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace

    @property
    def trace_id(self) -> str:
        return self._trace.trace_id

    #: MLflow 2's name for the trace id.
    request_id = trace_id

    @property
    def experiment_id(self) -> str | None:
        return getattr(self._trace, "experiment_id", None)

    @property
    def request_time(self) -> int | None:
        """When the trace started, in milliseconds since the epoch."""
        ts = getattr(self._trace, "timestamp_ms", None)
        if ts is not None:
            return int(ts)
        root = self._trace.root_span
        return root.start_time_ns // 1_000_000 if root is not None and root.start_time_ns else None

    timestamp_ms = request_time

    @property
    def execution_duration(self) -> int | None:
        """How long the trace took, in milliseconds."""
        ms = getattr(self._trace, "execution_time_ms", None)
        if ms is not None:
            return int(ms)
        root = self._trace.root_span
        if root is None or root.start_time_ns is None or root.end_time_ns is None:
            return None
        return (root.end_time_ns - root.start_time_ns) // 1_000_000

    execution_time_ms = execution_duration

    @property
    def state(self) -> str:
        status = getattr(self._trace, "status", None)
        if status is None:
            root = self._trace.root_span
            status = root.status if root is not None else "OK"
        return str(status).upper()

    status = state

    @property
    def trace_metadata(self) -> dict[str, str]:
        """The trace's metadata; jurist keeps metadata and tags in one map, so this is ``tags``."""
        return self._trace.tags

    request_metadata = trace_metadata

    @property
    def tags(self) -> dict[str, str]:
        return self._trace.tags

    @property
    def assessments(self) -> list[Any]:
        """The trace's feedback and expectations. A trace read from the store carries them; for one recorded
        in this process they are read from the tracking store, where the trace was written when it ended."""
        held = getattr(self._trace, "assessments", None)
        if held is not None:
            return list(held)
        from jurist.tracking import NotFoundError
        from jurist.tracking import get_trace as stored_trace

        try:
            return list(stored_trace(self._trace.trace_id).assessments)
        except NotFoundError:
            return []

    @property
    def token_usage(self) -> dict[str, int] | None:
        """Tokens the trace's LLM calls used, summed over its spans (MLflow 3's ``info.token_usage``):
        ``input_tokens``, ``output_tokens``, ``total_tokens``; None when no span recorded usage."""
        found = False
        totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
        for span in self._trace.spans:
            attrs = span.attributes or {}
            usage = attrs.get("mlflow.chat.tokenUsage") or attrs.get("usage")
            if not isinstance(usage, dict):
                continue
            tin = usage.get("input_tokens", usage.get("prompt_tokens"))
            tout = usage.get("output_tokens", usage.get("completion_tokens"))
            if not isinstance(tin, int) and not isinstance(tout, int):
                continue
            found = True
            tin, tout = int(tin or 0), int(tout or 0)
            totals["input_tokens"] += tin
            totals["output_tokens"] += tout
            total = usage.get("total_tokens")
            totals["total_tokens"] += int(total) if isinstance(total, int) else tin + tout
        return totals if found else None

    @property
    def request_preview(self) -> str | None:
        return _preview(self._trace.inputs)

    @property
    def response_preview(self) -> str | None:
        return _preview(self._trace.outputs)

    def __repr__(self) -> str:
        return f"TraceInfo(trace_id={self.trace_id!r}, state={self.state!r})"


class TraceData:
    """``trace.data``: the spans, and the root span's request and response."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace

    @property
    def spans(self) -> list[Span]:
        return self._trace.spans

    @property
    def request(self) -> Any:
        return self._trace.inputs

    @property
    def response(self) -> Any:
        return self._trace.outputs

    def __repr__(self) -> str:
        return f"TraceData(spans={len(self.spans)})"


def _preview(value: Any, limit: int = 1000) -> str | None:
    if value is None:
        return None
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:limit]


class RunInfo:
    """``run.info``: MLflow's names for a run's id, experiment, name, status and times."""

    def __init__(self, run: Any) -> None:
        self._run = run

    run_id = property(lambda self: self._run.run_id)
    experiment_id = property(lambda self: self._run.experiment_id)
    run_name = property(lambda self: self._run.name)
    status = property(lambda self: str(self._run.status))
    start_time = property(lambda self: self._run.start_time_ms)
    end_time = property(lambda self: self._run.end_time_ms)

    def __repr__(self) -> str:
        return f"RunInfo(run_id={self.run_id!r}, status={self.status!r})"


class RunData:
    """``run.data``: a run's metrics, parameters and tags."""

    def __init__(self, run: Any) -> None:
        self._run = run

    metrics = property(lambda self: dict(self._run.metrics))
    params = property(lambda self: {k: str(v) for k, v in self._run.params.items()})
    tags = property(lambda self: dict(self._run.tags))


class SpanStatusCode:
    """A span's status codes (MLflow's names): ``span.set_status(SpanStatusCode.ERROR)``."""

    OK = "OK"
    ERROR = "ERROR"
    UNSET = "UNSET"


@dataclass
class SpanStatus:
    """A span status with its description: ``span.set_status(SpanStatus(SpanStatusCode.ERROR, "timeout"))``."""

    status_code: str
    description: str = ""


@dataclass
class SpanEvent:
    """Something that happened during a span: ``span.add_event(SpanEvent("retry", attributes={"n": 2}))``.

    ``timestamp`` is in nanoseconds (None: when it is added).
    """

    name: str
    timestamp: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_exception(cls, exc: BaseException) -> SpanEvent:
        import traceback

        return cls("exception", attributes={
            "exception.type": type(exc).__name__, "exception.message": str(exc),
            "exception.stacktrace": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))})
