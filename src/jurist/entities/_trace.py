"""Traces and spans in OpenTelemetry's shape, as data.

A trace can be given to a judge as a :class:`Trace` or as its dict form. Three dict forms are read:
jurist's own (``{"trace_id", "spans": [...]}``), MLflow's (``{"info": ..., "data": {"spans": [...]}}``,
span type and I/O in ``mlflow.*`` attributes) and OpenInference attributes
(``openinference.span.kind``, ``input.value``, ``output.value``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jurist.entities._views import TraceData, TraceInfo

SPAN_TYPES = (
    "LLM", "CHAT_MODEL", "RETRIEVER", "TOOL", "AGENT", "CHAIN", "EMBEDDING", "RERANKER", "PARSER", "UNKNOWN",
)


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in ("{", "[", '"'):
            try:
                return json.loads(s)
            except ValueError:
                return value
    return value


@dataclass
class Span:
    """One step of a trace: an LLM call, a retrieval, a tool call…"""

    name: str
    span_id: str
    trace_id: str | None = None
    parent_id: str | None = None
    span_type: str = "UNKNOWN"
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    status: str = "OK"
    start_time_ns: int | None = None
    end_time_ns: int | None = None

    def get_attribute(self, key: str) -> Any:
        """One attribute's value, or None (MLflow's ``span.get_attribute``)."""
        return self.attributes.get(key)

    @property
    def request_id(self) -> str | None:
        return self.trace_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "span_id": self.span_id,
            "trace_id": self.trace_id,
            "parent_id": self.parent_id,
            "span_type": self.span_type,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "attributes": dict(self.attributes),
            "events": list(self.events),
            "status": self.status,
            "start_time_ns": self.start_time_ns,
            "end_time_ns": self.end_time_ns,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], trace_id: str | None = None) -> Span:
        attrs = dict(d.get("attributes") or {})
        span_type = (
            d.get("span_type")
            or _maybe_json(attrs.get("mlflow.spanType"))
            or attrs.get("openinference.span.kind")
            or "UNKNOWN"
        )
        inputs = d.get("inputs")
        if inputs is None:
            inputs = _maybe_json(attrs.get("mlflow.spanInputs", attrs.get("input.value")))
        outputs = d.get("outputs")
        if outputs is None:
            outputs = _maybe_json(attrs.get("mlflow.spanOutputs", attrs.get("output.value")))
        status = d.get("status", "OK")
        if isinstance(status, dict):
            status = status.get("status_code") or status.get("code") or "OK"
        parent = d.get("parent_id", d.get("parent_span_id"))
        return cls(
            name=d.get("name", ""),
            span_id=str(d.get("span_id") or d.get("context", {}).get("span_id") or ""),
            trace_id=d.get("trace_id") or trace_id,
            parent_id=parent or None,
            span_type=str(span_type).upper(),
            inputs=inputs,
            outputs=outputs,
            attributes=attrs,
            events=list(d.get("events") or []),
            status=str(status),
            start_time_ns=d.get("start_time_ns", d.get("start_time_unix_nano")),
            end_time_ns=d.get("end_time_ns", d.get("end_time_unix_nano")),
        )


@dataclass
class Trace:
    """A tree of spans recorded for one request to an application.

    Example:
        >>> t = Trace.from_dict({"trace_id": "t1", "spans": [
        ...     {"name": "search", "span_id": "s1", "span_type": "RETRIEVER", "outputs": [{"page_content": "x"}]}]})
        >>> [s.name for s in t.search_spans(span_type="RETRIEVER")]
        ['search']
    """

    trace_id: str
    spans: list[Span] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def root_span(self) -> Span | None:
        ids = {s.span_id for s in self.spans}
        for s in self.spans:
            if s.parent_id is None or s.parent_id not in ids:
                return s
        return None

    @property
    def inputs(self) -> Any:
        root = self.root_span
        return root.inputs if root else None

    @property
    def outputs(self) -> Any:
        root = self.root_span
        return root.outputs if root else None

    @property
    def info(self) -> TraceInfo:
        """MLflow's view of the trace's id, timing, state, metadata, tags and assessments."""
        from jurist.entities._views import TraceInfo

        return TraceInfo(self)

    @property
    def data(self) -> TraceData:
        """MLflow's view of the trace's spans, request and response."""
        from jurist.entities._views import TraceData

        return TraceData(self)

    def search_spans(self, span_type: str | None = None, name: str | None = None,
                     span_id: str | None = None) -> list[Span]:
        """Spans of a type (``RETRIEVER``, ``TOOL`` …), with a name and/or an id, in trace order."""
        st = str(span_type).upper() if span_type else None
        return [s for s in self.spans if (st is None or s.span_type == st) and (name is None or s.name == name)
                and (span_id is None or s.span_id == span_id)]

    def get_span(self, span_id: str) -> Span | None:
        return next((s for s in self.spans if s.span_id == span_id), None)

    def search_assessments(self, name: str | None = None, source_type: str | None = None, *,
                           span_id: str | None = None, type: str | None = None) -> list[Any]:
        """The trace's assessments (``info.assessments``) named ``name``, from a source type (``HUMAN``,
        ``LLM_JUDGE``, ``CODE``), on a span, or of a ``type`` (``"feedback"`` or ``"expectation"``)."""
        from jurist.entities._assessment import Expectation

        st = source_type.upper() if source_type else None
        kind = type.lower() if type else None
        return [a for a in self.info.assessments
                if (name is None or a.name == name) and (st is None or a.source.source_type.value == st)
                and (span_id is None or a.span_id == span_id)
                and (kind is None or (kind == "expectation") == isinstance(a, Expectation))]

    def __iter__(self) -> Iterator[Span]:
        return iter(self.spans)

    def to_dict(self) -> dict[str, Any]:
        return {"trace_id": self.trace_id, "spans": [s.to_dict() for s in self.spans], "tags": dict(self.tags)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trace:
        if "data" in d and isinstance(d["data"], dict):  # MLflow's form
            info = d.get("info") or {}
            trace_id = info.get("trace_id") or info.get("request_id") or d.get("trace_id") or ""
            spans = d["data"].get("spans") or []
            tags = dict(info.get("tags") or {})
        else:
            trace_id = d.get("trace_id") or ""
            spans = d.get("spans") or []
            tags = dict(d.get("tags") or {})
        return cls(trace_id=str(trace_id), spans=[Span.from_dict(s, str(trace_id)) for s in spans], tags=tags)

    @classmethod
    def from_json(cls, s: str) -> Trace:
        return cls.from_dict(json.loads(s))

    @classmethod
    def coerce(cls, value: Any) -> Trace:
        """Accept a Trace, its dict form or its JSON text; anything else is a ConfigError."""
        if isinstance(value, Trace):
            return value
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, dict):
            return cls.from_dict(value)
        from jurist.errors import ConfigError

        raise ConfigError(
            f"trace must be a jurist Trace or its dict form ({{'trace_id': ..., 'spans': [...]}}), got {type(value).__name__}"
        )
