"""jurist traces to and from OTLP/JSON (``ExportTraceServiceRequest``: ``{"resourceSpans": [...]}``).

Pure data conversion, without OpenTelemetry: the server reuses it for OTLP intake. The shape follows
the OTLP/JSON encoding: ids are hex strings (base64 ids, the plain protobuf JSON mapping, are accepted
too), times are unix nanoseconds as decimal strings (numbers accepted), attributes are lists of
``{"key", "value": AnyValue}``, enums are integers (their names accepted), and field names are
lowerCamelCase (snake_case accepted).

A span's type travels in the attribute ``jurist.span_type`` and its inputs and outputs as JSON text in
``jurist.inputs`` / ``jurist.outputs``. Reading, the conventions of other tracers are understood too:
``mlflow.spanType`` / ``mlflow.spanInputs`` / ``mlflow.spanOutputs``, OpenInference's
``openinference.span.kind`` / ``input.value`` / ``output.value``, and the GenAI semantic conventions'
``gen_ai.operation.name``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jurist.entities import Span, Trace
from jurist.tracing import _keys

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_STATUS_CODES = {"UNSET": 0, "OK": 1, "ERROR": 2}
_STATUS_NAMES = {0: "UNSET", 1: "OK", 2: "ERROR"}
_SPAN_KIND_INTERNAL = 1
_SPAN_KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
_SPAN_KIND_CODES = {v: k for k, v in _SPAN_KINDS.items()}
#: ``gen_ai.operation.name`` → span type.
_GEN_AI_TYPES = {
    "chat": "CHAT_MODEL", "text_completion": "LLM", "generate_content": "LLM", "embeddings": "EMBEDDING",
    "execute_tool": "TOOL", "invoke_agent": "AGENT", "create_agent": "AGENT",
}


# -- AnyValue ---------------------------------------------------------------------------------------------
def encode_value(value: Any) -> dict[str, Any]:
    """A Python value as an OTLP ``AnyValue``."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value if math.isfinite(value) else str(value)}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, (bytes, bytearray)):
        return {"bytesValue": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": encode_attributes(value)}}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [encode_value(v) for v in value]}}
    return {"stringValue": str(value)}


def encode_attributes(attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": encode_value(v)} for k, v in attrs.items()]


#: The deepest an attribute value may nest (arrays and key/value lists in one another).
MAX_VALUE_DEPTH = 64


def decode_value(value: Any, _depth: int = 0) -> Any:
    """An OTLP ``AnyValue`` as a Python value (bytes stay base64 text)."""
    if not isinstance(value, Mapping):
        return value
    if _depth > MAX_VALUE_DEPTH:
        from jurist.errors import ConfigError

        raise ConfigError(f"an attribute value is nested more than {MAX_VALUE_DEPTH} levels deep (arrays or "
                          "key/value lists inside one another); flatten it")
    for key in ("stringValue", "string_value"):
        if key in value:
            return value[key]
    for key in ("boolValue", "bool_value"):
        if key in value:
            return bool(value[key])
    for key in ("intValue", "int_value"):
        if key in value:
            try:
                return int(value[key])
            except (TypeError, ValueError):
                return value[key]
    for key in ("doubleValue", "double_value"):
        if key in value:
            try:
                return float(value[key])
            except (TypeError, ValueError):
                return value[key]
    for key in ("arrayValue", "array_value"):
        if key in value:
            return [decode_value(v, _depth + 1) for v in (value[key] or {}).get("values") or []]
    for key in ("kvlistValue", "kvlist_value"):
        if key in value:
            return decode_attributes((value[key] or {}).get("values") or [], _depth + 1)
    for key in ("bytesValue", "bytes_value"):
        if key in value:
            return value[key]
    return None


def decode_attributes(attrs: Any, _depth: int = 0) -> dict[str, Any]:
    if isinstance(attrs, Mapping):  # already a plain mapping
        return dict(attrs)
    out: dict[str, Any] = {}
    for kv in attrs or []:
        if isinstance(kv, Mapping) and "key" in kv:
            out[str(kv["key"])] = decode_value(kv.get("value"), _depth)
    return out


# -- ids --------------------------------------------------------------------------------------------------
def _hex_id(value: str | None, nbytes: int) -> tuple[str, bool]:
    """An id as ``2*nbytes`` lowercase hex, and whether it had to be derived (the original is not hex)."""
    text = (value or "").strip()
    if text.startswith("tr-"):  # MLflow's trace ids
        text = text[3:]
    if len(text) == 2 * nbytes and _HEX.match(text):
        return text.lower(), text != value
    return hashlib.sha256((value or "").encode()).hexdigest()[: 2 * nbytes], True


def _read_id(value: Any) -> str:
    """A wire id as lowercase hex: hex as OTLP/JSON says, or base64 as protobuf's JSON mapping does."""
    if value is None:
        return ""
    text = str(value).strip()
    if _HEX.match(text) and len(text) in (16, 32):
        return text.lower()
    if len(text) in (12, 24):
        try:
            return base64.b64decode(text, validate=True).hex()
        except (binascii.Error, ValueError):
            pass
    return text.lower() if _HEX.match(text) else text


def _nanos(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- Trace → OTLP -----------------------------------------------------------------------------------------
def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _span_to_otlp(span: Span, trace_hex: str, original_trace: str | None, is_root: bool,
                  tags: Mapping[str, str]) -> dict[str, Any]:
    span_hex, span_mapped = _hex_id(span.span_id, 8)
    attrs: dict[str, Any] = {k: v for k, v in span.attributes.items()
                             if k not in (_keys.STATUS_DESCRIPTION, _keys.SPAN_KIND)}
    attrs[_keys.SPAN_TYPE] = span.span_type
    if span.inputs is not None:
        attrs[_keys.INPUTS] = _json_text(span.inputs)
    if span.outputs is not None:
        attrs[_keys.OUTPUTS] = _json_text(span.outputs)
    if original_trace is not None:
        attrs[_keys.ORIGINAL_TRACE_ID] = original_trace
    if span_mapped:
        attrs[_keys.ORIGINAL_SPAN_ID] = span.span_id
    if is_root and tags:
        attrs[_keys.TRACE_TAGS] = _json_text(dict(tags))
    out: dict[str, Any] = {
        "traceId": trace_hex,
        "spanId": span_hex,
        "name": span.name,
        "kind": _SPAN_KIND_CODES.get(str(span.attributes.get(_keys.SPAN_KIND, "")).upper(), _SPAN_KIND_INTERNAL),
        "attributes": encode_attributes(attrs),
    }
    if span.parent_id:
        out["parentSpanId"] = _hex_id(span.parent_id, 8)[0]
    if span.start_time_ns is not None:
        out["startTimeUnixNano"] = str(span.start_time_ns)
    if span.end_time_ns is not None:
        out["endTimeUnixNano"] = str(span.end_time_ns)
    if span.events:
        out["events"] = [_event_to_otlp(e) for e in span.events]
    code = str(span.status).upper().removeprefix("STATUS_CODE_")
    status: dict[str, Any] = {"code": _STATUS_CODES.get(code, 0)}
    description = span.attributes.get(_keys.STATUS_DESCRIPTION)
    if description:
        status["message"] = str(description)
    out["status"] = status
    return out


def _event_to_otlp(event: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": str(event.get("name", ""))}
    t = event.get("time_ns", event.get("timestamp_ns", event.get("timestamp")))
    if t is not None:
        out["timeUnixNano"] = str(t)
    out["attributes"] = encode_attributes(dict(event.get("attributes") or {}))
    return out


def to_otlp_json(trace: Trace | Iterable[Trace], *, resource_attributes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One or more traces as an OTLP/JSON ``ExportTraceServiceRequest`` (``{"resourceSpans": [...]}``).

    Example:
        >>> from jurist import Trace
        >>> t = Trace.from_dict({"trace_id": "0af7651916cd43dd8448eb211c80319c", "spans": [
        ...     {"name": "answer", "span_id": "b7ad6b7169203331", "span_type": "CHAIN", "inputs": {"q": "hi"}}]})
        >>> span = to_otlp_json(t)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
        >>> span["traceId"], span["attributes"][0]
        ('0af7651916cd43dd8448eb211c80319c', {'key': 'jurist.span_type', 'value': {'stringValue': 'CHAIN'}})
    """
    from jurist import __version__

    traces = [trace] if isinstance(trace, Trace) else list(trace)
    spans: list[dict[str, Any]] = []
    for t in traces:
        trace_hex, mapped = _hex_id(t.trace_id, 16)
        root = t.root_span
        for s in t.spans:
            spans.append(_span_to_otlp(s, trace_hex, t.trace_id if mapped else None, s is root, t.tags))
    resource = {"service.name": "jurist", **dict(resource_attributes or {})}
    return {
        "resourceSpans": [{
            "resource": {"attributes": encode_attributes(resource)},
            "scopeSpans": [{"scope": {"name": "jurist", "version": __version__}, "spans": spans}],
        }]
    }


# -- OTLP → Trace -----------------------------------------------------------------------------------------
def _get(d: Mapping[str, Any], camel: str, snake: str) -> Any:
    return d[camel] if camel in d else d.get(snake)


def _maybe_json(value: Any) -> Any:
    """Text that holds a JSON object, array or string, decoded; other text as it is."""
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in ("{", "[", '"'):
            try:
                return json.loads(s)
            except (ValueError, RecursionError):  # not JSON, or nested too deeply to read: kept as text
                return value
    return value


def _json(value: Any) -> Any:
    """jurist's own JSON-text attributes, decoded strictly."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _span_type(attrs: dict[str, Any]) -> str:
    for key in (_keys.SPAN_TYPE, _keys.MLFLOW_SPAN_TYPE, _keys.OPENINFERENCE_KIND):
        if key in attrs:
            value = attrs.pop(key)
            value = _maybe_json(value) if key == _keys.MLFLOW_SPAN_TYPE else value
            if value:
                return str(value).upper()
    op = attrs.get(_keys.GEN_AI_OPERATION)
    if isinstance(op, str) and op in _GEN_AI_TYPES:
        return _GEN_AI_TYPES[op]
    return "UNKNOWN"


def _io(attrs: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in attrs:
            value = attrs.pop(key)
            return _json(value) if key in (_keys.INPUTS, _keys.OUTPUTS) else _maybe_json(value)
    return None


def _status(value: Any) -> tuple[str, str | None]:
    if not isinstance(value, Mapping):
        return "UNSET", None
    code = value.get("code", 0)
    if isinstance(code, str):
        name = code.upper().removeprefix("STATUS_CODE_")
        name = name if name in _STATUS_CODES else "UNSET"
    else:
        name = _STATUS_NAMES.get(int(code or 0), "UNSET")
    return name, value.get("message") or None


def _kind(value: Any) -> str | None:
    """A span kind (``2``, ``"SPAN_KIND_SERVER"``, ``"SERVER"``) by its name; None when unspecified or
    INTERNAL (the default, what jurist's own spans are written as)."""
    if isinstance(value, str) and not value.isdigit():
        name = value.upper().removeprefix("SPAN_KIND_")
    else:
        try:
            name = _SPAN_KINDS.get(int(value or 0), "UNSPECIFIED")
        except (TypeError, ValueError):
            return None
    return name if name in _SPAN_KIND_CODES and name not in ("UNSPECIFIED", "INTERNAL") else None


def _span_from_otlp(d: Mapping[str, Any]) -> Span:
    attrs = decode_attributes(d.get("attributes"))
    kind = _kind(d.get("kind"))
    if kind is not None:
        attrs.setdefault(_keys.SPAN_KIND, kind)
    span_type = _span_type(attrs)
    inputs = _io(attrs, (_keys.INPUTS, _keys.MLFLOW_INPUTS, _keys.OPENINFERENCE_INPUT))
    outputs = _io(attrs, (_keys.OUTPUTS, _keys.MLFLOW_OUTPUTS, _keys.OPENINFERENCE_OUTPUT))
    trace_id = attrs.pop(_keys.ORIGINAL_TRACE_ID, None) or _read_id(_get(d, "traceId", "trace_id"))
    span_id = attrs.pop(_keys.ORIGINAL_SPAN_ID, None) or _read_id(_get(d, "spanId", "span_id"))
    status, message = _status(d.get("status"))
    if message:
        attrs[_keys.STATUS_DESCRIPTION] = message
    events = []
    for e in d.get("events") or []:
        events.append({
            "name": e.get("name", ""),
            "time_ns": _nanos(_get(e, "timeUnixNano", "time_unix_nano")),
            "attributes": decode_attributes(e.get("attributes")),
        })
    return Span(
        name=str(d.get("name", "")),
        span_id=str(span_id),
        trace_id=str(trace_id),
        parent_id=_read_id(_get(d, "parentSpanId", "parent_span_id")) or None,
        span_type=span_type,
        inputs=inputs,
        outputs=outputs,
        attributes=attrs,
        events=events,
        status=status,
        start_time_ns=_nanos(_get(d, "startTimeUnixNano", "start_time_unix_nano")),
        end_time_ns=_nanos(_get(d, "endTimeUnixNano", "end_time_unix_nano")),
    )


def _resource_spans(payload: Any) -> list[Mapping[str, Any]]:
    if isinstance(payload, (bytes, bytearray)):
        payload = payload.decode("utf-8")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except RecursionError:
            from jurist.errors import ConfigError

            raise ConfigError("the OTLP/JSON payload is nested too deeply to read") from None
    if isinstance(payload, Mapping):
        if "resourceSpans" in payload or "resource_spans" in payload:
            return list(_get(payload, "resourceSpans", "resource_spans") or [])
        if "scopeSpans" in payload or "scope_spans" in payload:
            return [payload]
    if isinstance(payload, list):
        return [rs for rs in payload if isinstance(rs, Mapping)]
    from jurist.errors import ConfigError

    raise ConfigError("an OTLP/JSON payload is {'resourceSpans': [...]} (an ExportTraceServiceRequest) "
                      f"or a list of ResourceSpans; got {type(payload).__name__}")


def from_otlp_json(payload: Any) -> list[Trace]:
    """The traces in an OTLP/JSON payload (a dict, its JSON text or bytes), one per trace id, in order.

    A payload can hold part of a trace (exporters send spans in batches): each Trace holds the spans of
    this payload only, so a receiver merges batches by ``trace_id``.

    Example:
        >>> payload = {"resourceSpans": [{"scopeSpans": [{"spans": [{
        ...     "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "llm",
        ...     "attributes": [{"key": "openinference.span.kind", "value": {"stringValue": "LLM"}}]}]}]}]}
        >>> [(s.name, s.span_type) for s in from_otlp_json(payload)[0].spans]
        [('llm', 'LLM')]
    """
    traces: dict[str, Trace] = {}
    from_resource: dict[str, dict[str, str]] = {}
    for rs in _resource_spans(payload):
        resource = rs.get("resource")
        # The resource (service.name, service.version, deployment.environment …) describes every trace it
        # sent: its attributes become the trace's tags, unless the trace carries its own (jurist's export).
        resource_tags = {k: v if isinstance(v, str) else _json_text(v)
                         for k, v in decode_attributes(resource.get("attributes") if isinstance(resource, Mapping)
                                                       else None).items()}
        for ss in _get(rs, "scopeSpans", "scope_spans") or []:
            for d in ss.get("spans") or []:
                span = _span_from_otlp(d)
                tid = span.trace_id or ""
                trace = traces.get(tid)
                if trace is None:
                    trace = traces[tid] = Trace(trace_id=tid)
                trace.spans.append(span)
                for k, v in resource_tags.items():
                    from_resource.setdefault(tid, {}).setdefault(k, v)
    # Parents named by their hex ids point at the original ids kept beside them.
    for trace in traces.values():
        originals = {_hex_id(s.span_id, 8)[0]: s.span_id for s in trace.spans}
        own_tags = False
        for s in trace.spans:
            if s.parent_id is not None:
                s.parent_id = originals.get(s.parent_id, s.parent_id)
            tags = s.attributes.pop(_keys.TRACE_TAGS, None)
            if tags is not None:
                own_tags = True
                parsed = _json(tags)
                if isinstance(parsed, Mapping):
                    trace.tags.update({str(k): str(v) for k, v in parsed.items()})
        if not own_tags:
            trace.tags.update(from_resource.get(trace.trace_id or "", {}))
        trace.spans.sort(key=lambda s: s.start_time_ns or 0)
    return list(traces.values())
