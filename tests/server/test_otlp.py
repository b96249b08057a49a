"""OTLP/HTTP intake at /v1/traces: protobuf and JSON, as OpenTelemetry exporters send them."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from jurist.server._serve import ServerThread
from jurist.tracking import SqlStore
from tests.server.conftest import TOKEN, Http

TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
ROOT, LLM, SEARCH = bytes.fromhex("b7ad6b7169203331"), bytes.fromhex("00f067aa0ba902b7"), bytes.fromhex("1111111111111111")
T0 = 1_700_000_000_000_000_000
PB = {"Content-Type": "application/x-protobuf"}


def kv(key: str, value: object) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def openinference_request() -> ExportTraceServiceRequest:
    """What an app instrumented with OpenInference exports: an agent span, a retriever and an LLM call."""
    spans = [
        Span(trace_id=TRACE, span_id=SEARCH, parent_span_id=ROOT, name="retrieve", kind=Span.SPAN_KIND_INTERNAL,
             start_time_unix_nano=T0 + 1_000_000, end_time_unix_nano=T0 + 5_000_000,
             attributes=[kv("openinference.span.kind", "RETRIEVER"), kv("input.value", "eiffel tower"),
                         kv("output.value", json.dumps([{"page_content": "Completed in 1889."}]))]),
        Span(trace_id=TRACE, span_id=LLM, parent_span_id=ROOT, name="ChatCompletion", kind=Span.SPAN_KIND_CLIENT,
             start_time_unix_nano=T0 + 6_000_000, end_time_unix_nano=T0 + 30_000_000,
             attributes=[kv("openinference.span.kind", "LLM"), kv("llm.model_name", "gpt-4o-mini"),
                         kv("llm.token_count.prompt", 42)],
             events=[Span.Event(time_unix_nano=T0 + 7_000_000, name="first_token")]),
        Span(trace_id=TRACE, span_id=ROOT, name="rag_app", kind=Span.SPAN_KIND_SERVER,
             start_time_unix_nano=T0, end_time_unix_nano=T0 + 40_000_000,
             attributes=[kv("openinference.span.kind", "AGENT"),
                         kv("input.value", json.dumps({"question": "When was the Eiffel Tower finished?"})),
                         kv("output.value", "In 1889.")],
             status=Status(code=Status.STATUS_CODE_OK)),
    ]
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=Resource(attributes=[kv("service.name", "rag-service")]),
        scope_spans=[ScopeSpans(spans=spans)])])


def test_protobuf_from_an_openinference_app_is_stored_as_a_trace(client: Http, backend: SqlStore) -> None:
    r = client.request("POST", "/v1/traces", openinference_request().SerializeToString(), PB)
    assert r.status == 200 and r.headers["content-type"] == "application/x-protobuf" and r.body == b""
    t = backend.get_trace(TRACE.hex())
    assert t.name == "rag_app" and t.status == "OK" and t.execution_time_ms == 40
    assert t.tags["service.name"] == "rag-service" and t.experiment_id == "0"
    assert [(s.name, s.span_type) for s in t.spans] == [("rag_app", "AGENT"), ("retrieve", "RETRIEVER"),
                                                         ("ChatCompletion", "LLM")]
    assert t.inputs == {"question": "When was the Eiffel Tower finished?"} and t.outputs == "In 1889."
    search = t.search_spans(span_type="RETRIEVER")[0]
    assert search.outputs == [{"page_content": "Completed in 1889."}] and search.parent_id == ROOT.hex()
    llm = t.get_span(LLM.hex())
    assert llm is not None and llm.attributes["llm.token_count.prompt"] == 42
    assert llm.events[0]["name"] == "first_token"
    # The same export sent again (an exporter's retry) changes nothing.
    assert client.request("POST", "/v1/traces", openinference_request().SerializeToString(), PB).status == 200
    assert len(backend.get_trace(TRACE.hex()).spans) == 3


def test_json_from_openllmetry_gzipped_into_a_named_experiment(client: Http, backend: SqlStore) -> None:
    payload = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "chatbot"}}]},
        "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.openai"}, "spans": [
            {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "answer.workflow",
             "kind": 1, "startTimeUnixNano": str(T0), "endTimeUnixNano": str(T0 + 9_000_000),
             "attributes": [{"key": "traceloop.span.kind", "value": {"stringValue": "workflow"}},
                            {"key": "traceloop.entity.input", "value": {"stringValue": '{"q": "hi"}'}},
                            {"key": "traceloop.entity.output", "value": {"stringValue": '"hello"'}}],
             "status": {"code": 1}},
            {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175",
             "parentSpanId": "eee19b7ec3c1b174", "name": "openai.chat", "kind": 3,
             "startTimeUnixNano": str(T0 + 1), "endTimeUnixNano": str(T0 + 8_000_000),
             "attributes": [{"key": "gen_ai.system", "value": {"stringValue": "openai"}},
                            {"key": "llm.request.type", "value": {"stringValue": "chat"}},
                            {"key": "gen_ai.usage.prompt_tokens", "value": {"intValue": "12"}}],
             "status": {"code": 2, "message": "rate limited"}},
        ]}]}]}
    r = client.request("POST", "/v1/traces", gzip.compress(json.dumps(payload).encode()),
                       {"Content-Type": "application/json", "Content-Encoding": "gzip",
                        "x-jurist-experiment": "chatbot-prod"})
    assert r.status == 200 and r.json == {}
    exp = backend.get_experiment_by_name("chatbot-prod")
    assert exp is not None
    (t,) = backend.search_traces([exp.experiment_id])
    assert t.tags["service.name"] == "chatbot"
    root, chat = t.spans
    assert (root.span_type, root.inputs, root.outputs) == ("CHAIN", {"q": "hi"}, "hello")
    assert chat.span_type == "CHAT_MODEL" and chat.status == "ERROR"
    assert chat.attributes["gen_ai.usage.prompt_tokens"] == 12


def rpc_status(body: bytes) -> tuple[int, str]:
    """A google.rpc.Status read by hand: field 1 (code, varint) and field 2 (message, bytes)."""
    def varint(i: int) -> tuple[int, int]:
        n = shift = 0
        while True:
            b = body[i]
            n |= (b & 0x7F) << shift
            i, shift = i + 1, shift + 7
            if not b & 0x80:
                return n, i

    code, message, i = 0, "", 0
    while i < len(body):
        tag, i = varint(i)
        if tag == 0x08:
            code, i = varint(i)
        elif tag == 0x12:
            size, i = varint(i)
            message, i = body[i:i + size].decode(), i + size
        else:
            raise AssertionError(f"unexpected field tag {tag}")
    return code, message


def _bad(field: str, value: object) -> dict[str, Any]:
    span: dict[str, object] = {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "x"}
    span[field] = value
    good = {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "fine"}
    return {"resourceSpans": [{"scopeSpans": [{"spans": [good, span]}]}]}


@pytest.mark.parametrize("body,reason", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (json.dumps({"spans": []}).encode(), "resourceSpans"),
    (json.dumps({"resourceSpans": {"a": 1}}).encode(), "resourceSpans must be a list"),
    (json.dumps(_bad("traceId", "abc")).encode(), "spans[1]: traceId 'abc' is not a 16-byte id"),
    (json.dumps(_bad("spanId", "0000000000000000")).encode(), "spanId is all zeros"),
    (json.dumps(_bad("startTimeUnixNano", "soon")).encode(), "startTimeUnixNano must be unix nanoseconds"),
    (json.dumps(_bad("attributes", {"k": "v"})).encode(), "attributes must be a list"),
    (json.dumps(_bad("status", {"code": 7})).encode(), "status must be"),
])
def test_malformed_json_is_refused_whole_with_the_reason(client: Http, backend: SqlStore, body: bytes,
                                                         reason: str) -> None:
    r = client.request("POST", "/v1/traces", body, {"Content-Type": "application/json"})
    assert r.status == 400, r.body
    assert r.json["code"] == 3 and reason in r.json["message"]
    assert backend.search_traces(None) == []  # nothing half-stored, not even the good span


def test_malformed_protobuf_is_refused_with_a_status_message(client: Http, backend: SqlStore) -> None:
    r = client.request("POST", "/v1/traces", b"\x0a\xff\xff\xff\xff", PB)
    assert r.status == 400 and r.headers["content-type"] == "application/x-protobuf"
    code, message = rpc_status(r.body)
    assert code == 3 and "not a protobuf ExportTraceServiceRequest" in message
    short_id = openinference_request()
    short_id.resource_spans[0].scope_spans[0].spans[1].span_id = b"\x01\x02"
    r = client.request("POST", "/v1/traces", short_id.SerializeToString(), PB)
    assert r.status == 400 and b"spans[1]: spanId" in r.body
    assert backend.search_traces(None) == []


def test_unsupported_content_type_and_encoding(client: Http) -> None:
    assert client.request("POST", "/v1/traces", b"x", {"Content-Type": "text/plain"}).status == 415
    r = client.request("POST", "/v1/traces", b"{}", {"Content-Type": "application/json", "Content-Encoding": "br"})
    assert r.status == 415
    r = client.request("POST", "/v1/traces", b"not gzip", {"Content-Type": "application/json",
                                                           "Content-Encoding": "gzip"})
    assert r.status == 400 and "not valid gzip" in r.json["message"]


def test_an_unknown_experiment_id_is_404_and_stores_nothing(client: Http, backend: SqlStore) -> None:
    r = client.request("POST", "/v1/traces", openinference_request().SerializeToString(),
                       {**PB, "x-jurist-experiment-id": "nope"})
    assert r.status == 404 and backend.search_traces(None) == []


def test_otlp_needs_the_token_when_the_server_has_one(secured: ServerThread, backend: SqlStore) -> None:
    client = Http(secured.port)
    body = openinference_request().SerializeToString()
    assert client.request("POST", "/v1/traces", body, PB).status == 401
    assert client.request("POST", "/v1/traces", body, {**PB, "Authorization": "Bearer wrong"}).status == 401
    assert client.request("POST", "/v1/traces", body, {**PB, "Authorization": f"Bearer {TOKEN}"}).status == 200
    assert len(backend.search_traces(None)) == 1


def _kvlist(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"stringValue": "bottom"}
    for _ in range(depth):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    return value


@pytest.mark.parametrize("body,reason", [
    (b'{"resourceSpans": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not valid JSON"),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "deep",
        "attributes": [{"key": "a", "value": _kvlist(200)}]}]}]}]}).encode(), "nested more than 64 levels"),
])
def test_json_nested_too_deeply_is_a_400_not_a_crash(client: Http, backend: SqlStore, body: bytes,
                                                     reason: str) -> None:
    r = client.request("POST", "/v1/traces", body, {"Content-Type": "application/json"})
    assert r.status == 400, r.body
    assert reason in r.json["message"]
    assert backend.search_traces(None) == []
