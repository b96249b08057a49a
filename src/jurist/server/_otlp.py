"""OTLP/HTTP trace intake: an ``ExportTraceServiceRequest`` in protobuf or JSON, checked whole, as traces.

Any OpenTelemetry exporter can send here (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://host:5000/v1/traces``),
so an application instrumented with OpenInference, OpenLLMetry or plain OpenTelemetry lands its traces in
the store. A request that cannot be read is refused whole with the reason (HTTP 400), before anything is
stored. Conversion to :class:`~jurist.Trace` is :func:`jurist.tracing.from_otlp_json`'s; this module adds
the strict checks, protobuf decoding, the resource's ``service.name`` as a trace tag, and OpenLLMetry's
``traceloop.*`` span kinds and inputs/outputs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

from jurist.entities import Trace
from jurist.errors import OtlpError as OtlpError  # its home before the error tree held it

PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf")
JSON_TYPES = ("application/json",)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_STATUS = {0, 1, 2, "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR", "UNSET", "OK", "ERROR"}
_TRACELOOP_KINDS = {"workflow": "CHAIN", "task": "CHAIN", "agent": "AGENT", "tool": "TOOL"}
_LLM_REQUEST_TYPES = {"chat": "CHAT_MODEL", "completion": "LLM", "embedding": "EMBEDDING", "rerank": "RERANKER"}


class Inflater:
    """Decompresses a body as it arrives, and stops at ``limit`` bytes of output (413): a small gzip
    bomb never becomes a large buffer. ``identity`` passes the bytes through, under the same limit."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        enc = (encoding or "identity").strip().lower()
        if enc not in ("identity", "", "gzip", "deflate"):
            raise OtlpError(f"unsupported Content-Encoding {encoding!r}; send gzip or none", status=415)
        self.encoding = enc if enc in ("gzip", "deflate") else "identity"
        self.limit = limit
        # gzip may hold several members one after another, as gzip.decompress reads them.
        self._wbits = 16 + zlib.MAX_WBITS if self.encoding == "gzip" else zlib.MAX_WBITS
        self._z: Any = zlib.decompressobj(self._wbits) if self.encoding != "identity" else None
        self._out = bytearray()
        self._fed = False

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._fed = True
        if self._z is None:
            self._take(data)
            return
        try:
            while data:
                if self._z.eof:  # the next gzip member
                    self._z = zlib.decompressobj(self._wbits)
                # Never more output than one byte past the limit, however much the input would make.
                self._take(self._z.decompress(data, self.limit + 1 - len(self._out)))
                data = self._z.unused_data if self._z.eof else self._z.unconsumed_tail
        except zlib.error as e:
            raise OtlpError(f"the body is not valid {self.encoding} ({e})") from None

    def _take(self, chunk: bytes) -> None:
        if len(self._out) + len(chunk) > self.limit:
            raise OtlpError(f"the request is larger than {self.limit} bytes once decompressed; send fewer spans "
                            "per request", status=413)
        self._out += chunk

    def finish(self) -> bytes:
        if self._z is not None and self._fed:
            try:
                self._take(self._z.flush())
            except zlib.error as e:
                raise OtlpError(f"the body is not valid {self.encoding} ({e})") from None
            if not self._z.eof:
                raise OtlpError(f"the body is not valid {self.encoding} (it ends before the compressed data does)")
        return bytes(self._out)


def decompress(body: bytes, encoding: str | None, limit: int = 64 * 1024 * 1024) -> bytes:
    """``body`` decompressed per ``encoding``, at most ``limit`` bytes of it (else a 413 OtlpError)."""
    inflater = Inflater(encoding, limit)
    inflater.feed(body)
    return inflater.finish()


def decode(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The request as OTLP/JSON-shaped data, from protobuf or JSON."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in PROTOBUF_TYPES:
        try:
            from google.protobuf.json_format import MessageToDict
            from google.protobuf.message import DecodeError
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
        except ImportError:  # pragma: no cover - the server extra brings it
            raise OtlpError("this server cannot read OTLP protobuf: install 'jurist[server]'", status=415) from None
        try:
            msg = ExportTraceServiceRequest.FromString(body)
        except (DecodeError, ValueError) as e:
            raise OtlpError(f"the body is not a protobuf ExportTraceServiceRequest ({e})") from None
        parsed: dict[str, Any] = MessageToDict(msg)
        return parsed
    if ctype in JSON_TYPES:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:  # RecursionError: nested too deeply
            raise OtlpError(f"the body is not valid JSON ({e})") from None
        if not isinstance(payload, dict):
            raise OtlpError(f"the body must be a JSON object {{'resourceSpans': [...]}}, got {type(payload).__name__}")
        return payload
    raise OtlpError(f"unsupported Content-Type {content_type!r}; send application/x-protobuf or application/json",
                    status=415)


def _get(d: Mapping[str, Any], camel: str, snake: str) -> Any:
    return d[camel] if camel in d else d.get(snake)


def _id_bytes(value: Any) -> bytes | None:
    """An OTLP id's bytes (hex as OTLP/JSON writes it, or base64 as protobuf's JSON does), or None."""
    if not isinstance(value, str) or not value:
        return None
    if _HEX.match(value) and len(value) in (16, 32):
        return bytes.fromhex(value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _check_id(value: Any, nbytes: int, what: str, where: str) -> None:
    raw = _id_bytes(value)
    if raw is None or len(raw) != nbytes:
        raise OtlpError(f"{where}: {what} {value!r} is not a {nbytes}-byte id ({2 * nbytes} hex digits)")
    if not any(raw):
        raise OtlpError(f"{where}: {what} is all zeros, which OpenTelemetry calls invalid")


def _check_time(value: Any, what: str, where: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise OtlpError(f"{where}: {what} must be unix nanoseconds (a whole number), got {value!r}")


def _check_attributes(attrs: Any, where: str) -> None:
    if attrs is None:
        return
    if not isinstance(attrs, list):
        raise OtlpError(f"{where}: attributes must be a list of {{'key', 'value'}}, got {type(attrs).__name__}")
    for n, kv in enumerate(attrs):
        if not isinstance(kv, Mapping) or not isinstance(kv.get("key"), str) or not isinstance(
                kv.get("value", {}), Mapping):
            raise OtlpError(f"{where}.attributes[{n}] must be {{'key': str, 'value': AnyValue}}, got {kv!r}"[:300])


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise OtlpError(f"{what} must be a list, got {type(value).__name__}")
    return value


def validate(payload: Mapping[str, Any]) -> dict[str, str]:
    """Check every span of ``payload``; the ``service.name`` of each trace id's resource, if any."""
    if not any(k in payload for k in ("resourceSpans", "resource_spans")):
        raise OtlpError("the body must be an ExportTraceServiceRequest: {'resourceSpans': [...]}")
    services: dict[str, str] = {}
    for i, rs in enumerate(_list(_get(payload, "resourceSpans", "resource_spans"), "resourceSpans")):
        where_rs = f"resourceSpans[{i}]"
        if not isinstance(rs, Mapping):
            raise OtlpError(f"{where_rs} must be an object")
        resource = rs.get("resource") or {}
        if not isinstance(resource, Mapping):
            raise OtlpError(f"{where_rs}.resource must be an object")
        _check_attributes(resource.get("attributes"), f"{where_rs}.resource")
        service = next((((kv.get("value") or {}).get("stringValue") or (kv.get("value") or {}).get("string_value"))
                        for kv in resource.get("attributes") or [] if kv.get("key") == "service.name"), None)
        for j, ss in enumerate(_list(_get(rs, "scopeSpans", "scope_spans"), f"{where_rs}.scopeSpans")):
            where_ss = f"{where_rs}.scopeSpans[{j}]"
            if not isinstance(ss, Mapping):
                raise OtlpError(f"{where_ss} must be an object")
            for k, span in enumerate(_list(ss.get("spans"), f"{where_ss}.spans")):
                where = f"{where_ss}.spans[{k}]"
                if not isinstance(span, Mapping):
                    raise OtlpError(f"{where} must be an object")
                trace_id = _get(span, "traceId", "trace_id")
                _check_id(trace_id, 16, "traceId", where)
                _check_id(_get(span, "spanId", "span_id"), 8, "spanId", where)
                parent = _get(span, "parentSpanId", "parent_span_id")
                if parent:
                    _check_id(parent, 8, "parentSpanId", where)
                if not isinstance(span.get("name", ""), str):
                    raise OtlpError(f"{where}: name must be text")
                _check_time(_get(span, "startTimeUnixNano", "start_time_unix_nano"), "startTimeUnixNano", where)
                _check_time(_get(span, "endTimeUnixNano", "end_time_unix_nano"), "endTimeUnixNano", where)
                _check_attributes(span.get("attributes"), where)
                for n, ev in enumerate(_list(span.get("events"), f"{where}.events")):
                    if not isinstance(ev, Mapping):
                        raise OtlpError(f"{where}.events[{n}] must be an object")
                    _check_time(_get(ev, "timeUnixNano", "time_unix_nano"), "timeUnixNano", f"{where}.events[{n}]")
                    _check_attributes(ev.get("attributes"), f"{where}.events[{n}]")
                status = span.get("status")
                if status is not None and (not isinstance(status, Mapping) or status.get("code", 0) not in _STATUS):
                    raise OtlpError(f"{where}: status must be {{'code': 0|1|2, 'message': ...}}, got {status!r}"[:300])
                if service and isinstance(trace_id, str):
                    services.setdefault(trace_id, str(service))
    return services


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("{", "[", '"'):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _openllmetry(trace: Trace) -> None:
    for s in trace.spans:
        a = s.attributes
        if s.span_type == "UNKNOWN":
            kind = a.get("traceloop.span.kind")
            req = a.get("llm.request.type")
            if isinstance(kind, str) and kind in _TRACELOOP_KINDS:
                s.span_type = _TRACELOOP_KINDS[kind]
            elif isinstance(req, str) and req in _LLM_REQUEST_TYPES:
                s.span_type = _LLM_REQUEST_TYPES[req]
            elif "gen_ai.system" in a:
                s.span_type = "LLM"
        if s.inputs is None and "traceloop.entity.input" in a:
            s.inputs = _maybe_json(a.pop("traceloop.entity.input"))
        if s.outputs is None and "traceloop.entity.output" in a:
            s.outputs = _maybe_json(a.pop("traceloop.entity.output"))


def _hex(value: str) -> str:
    raw = _id_bytes(value)
    return raw.hex() if raw is not None else value


def read_traces(body: bytes, content_type: str | None, content_encoding: str | None = None) -> list[Trace]:
    """The traces of one OTLP/HTTP request (``body`` already decompressed when ``content_encoding`` is
    None); :class:`OtlpError` if any part of it cannot be read."""
    from jurist.tracing import from_otlp_json

    payload = decode(decompress(body, content_encoding) if content_encoding else body, content_type)
    services = {_hex(k): v for k, v in validate(payload).items()}
    try:
        traces = from_otlp_json(payload)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise OtlpError(f"the spans could not be read ({e})") from None
    for t in traces:
        if t.trace_id in services:
            t.tags.setdefault("service.name", services[t.trace_id])
        _openllmetry(t)
    return traces


def status_body(message: str, as_protobuf: bool, code: int = 3) -> bytes:
    """A ``google.rpc.Status`` (code 3 = INVALID_ARGUMENT) as OTLP asks for error replies."""
    if not as_protobuf:
        return json.dumps({"code": code, "message": message}).encode()
    raw = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(raw)) + raw


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)
