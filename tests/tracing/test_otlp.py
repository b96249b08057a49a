"""OTLP/JSON: our traces out and back, and the conventions of other tracers read in."""

from __future__ import annotations

import base64
import json

import pytest

import jurist
from jurist.entities import Span, Trace
from jurist.errors import ConfigError
from jurist.tracing import capture, from_otlp_json, to_otlp_json
from jurist.tracing._otlp import decode_value, encode_value

TRACE_ID = "5b8efff798038103d269b633813fc60c"


def recorded() -> Trace:
    @jurist.trace(span_type="AGENT")
    def agent(q: str) -> str:
        with jurist.start_span("search", span_type="RETRIEVER", attributes={"k": 3, "ok": True}) as s:
            s.set_inputs({"query": q})
            s.set_outputs([{"page_content": "30 days", "score": 0.5}])
            s.set_attribute("filters", {"lang": ["en", "fr"]})
        try:
            with jurist.start_span("tool", span_type="TOOL"):
                raise TimeoutError("slow tool")
        except TimeoutError:
            pass
        return "30 days"

    with capture() as cap:
        agent("refund?")
    assert cap.trace is not None
    return cap.trace


def test_round_trip_keeps_everything() -> None:
    t = recorded()
    t.tags["env"] = "test"
    payload = to_otlp_json(t)
    text = json.dumps(payload)  # plain JSON all the way down
    (back,) = from_otlp_json(text)
    assert back.trace_id == t.trace_id and back.tags == {"env": "test"}
    assert [s.to_dict() for s in back.spans] == [s.to_dict() for s in t.spans]


def test_wire_shape_follows_otlp_json() -> None:
    t = recorded()
    rs = to_otlp_json(t, resource_attributes={"service.name": "shop-bot"})["resourceSpans"][0]
    assert rs["resource"]["attributes"] == [{"key": "service.name", "value": {"stringValue": "shop-bot"}}]
    scope = rs["scopeSpans"][0]
    assert scope["scope"]["name"] == "jurist"
    root, search, tool = scope["spans"]
    assert root["traceId"] == t.trace_id and len(root["spanId"]) == 16 and "parentSpanId" not in root
    assert search["parentSpanId"] == root["spanId"] and root["kind"] == 1
    assert isinstance(root["startTimeUnixNano"], str) and int(root["endTimeUnixNano"]) >= int(root["startTimeUnixNano"])
    attrs = {a["key"]: a["value"] for a in search["attributes"]}
    assert attrs["jurist.span_type"] == {"stringValue": "RETRIEVER"}
    assert json.loads(attrs["jurist.inputs"]["stringValue"]) == {"query": "refund?"}
    assert attrs["k"] == {"intValue": "3"} and attrs["ok"] == {"boolValue": True}
    assert attrs["filters"] == {"kvlistValue": {"values": [
        {"key": "lang", "value": {"arrayValue": {"values": [{"stringValue": "en"}, {"stringValue": "fr"}]}}}]}}
    assert tool["status"] == {"code": 2, "message": "TimeoutError: slow tool"}
    assert root["status"] == {"code": 1}
    event = tool["events"][0]
    assert event["name"] == "exception" and int(event["timeUnixNano"]) > 0
    assert {"key": "exception.type", "value": {"stringValue": "TimeoutError"}} in event["attributes"]


def test_the_payload_parses_as_the_real_protobuf_message() -> None:
    json_format = pytest.importorskip("google.protobuf.json_format")
    trace_service = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    payload = to_otlp_json(recorded())
    # Protobuf's own JSON mapping wants ids in base64; OTLP/JSON writes them in hex.
    for span in payload["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    msg = json_format.ParseDict(payload, trace_service.ExportTraceServiceRequest())
    spans = msg.resource_spans[0].scope_spans[0].spans
    assert [s.name for s in spans] == ["agent", "search", "tool"] and spans[2].status.code == 2
    # And protobuf's own JSON output (base64 ids, snake_case on request) reads back.
    again = json_format.MessageToDict(msg, preserving_proto_field_name=True)
    (back,) = from_otlp_json(again)
    assert [s.name for s in back.spans] == ["agent", "search", "tool"]
    assert back.trace_id == spans[0].trace_id.hex() and back.spans[1].parent_id == back.spans[0].span_id


def test_foreign_conventions_are_read() -> None:
    payload = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": TRACE_ID, "spanId": "eee19b7ec3c1b174", "name": "mlflow root",
         "startTimeUnixNano": 1000, "endTimeUnixNano": "2000", "status": {"code": "STATUS_CODE_OK"},
         "attributes": [
             {"key": "mlflow.spanType", "value": {"stringValue": '"CHAIN"'}},
             {"key": "mlflow.spanInputs", "value": {"stringValue": '{"question": "hi"}'}},
             {"key": "mlflow.spanOutputs", "value": {"stringValue": '"hello"'}}]},
        {"traceId": TRACE_ID, "spanId": "eee19b7ec3c1b175", "parentSpanId": "eee19b7ec3c1b174", "name": "llm",
         "startTimeUnixNano": "1100", "attributes": [
             {"key": "openinference.span.kind", "value": {"stringValue": "llm"}},
             {"key": "input.value", "value": {"stringValue": "plain text prompt"}},
             {"key": "input.mime_type", "value": {"stringValue": "text/plain"}},
             {"key": "llm.token_count.prompt", "value": {"intValue": 12}}]},
        {"traceId": TRACE_ID, "spanId": "eee19b7ec3c1b176", "parentSpanId": "eee19b7ec3c1b174", "name": "tool",
         "startTimeUnixNano": "1200", "status": {"code": 2, "message": "failed"},
         "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}}]},
    ]}]}]}
    (t,) = from_otlp_json(payload)
    root, llm, tool = t.spans
    assert (root.span_type, root.inputs, root.outputs, root.status) == ("CHAIN", {"question": "hi"}, "hello", "OK")
    assert root.start_time_ns == 1000 and root.end_time_ns == 2000 and root.attributes == {}
    assert llm.span_type == "LLM" and llm.inputs == "plain text prompt"
    assert llm.attributes == {"input.mime_type": "text/plain", "llm.token_count.prompt": 12}
    assert tool.span_type == "TOOL" and tool.status == "ERROR"
    assert tool.attributes["otel.status_description"] == "failed"
    assert t.root_span is root and t.inputs == {"question": "hi"}


def test_payloads_with_several_traces_and_base64_ids() -> None:
    other = "0af7651916cd43dd8448eb211c80319c"
    b64 = base64.b64encode(bytes.fromhex(other)).decode()
    payload = {"resourceSpans": [
        {"scopeSpans": [{"spans": [{"traceId": TRACE_ID, "spanId": "00f067aa0ba902b7", "name": "a"}]}]},
        {"scopeSpans": [{"spans": [{"traceId": b64, "spanId": base64.b64encode(b"\x01" * 8).decode(), "name": "b"}]}]},
    ]}
    traces = from_otlp_json(json.dumps(payload).encode())
    assert [(t.trace_id, t.spans[0].name) for t in traces] == [(TRACE_ID, "a"), (other, "b")]
    assert traces[1].spans[0].span_id == "01" * 8


def test_ids_that_are_not_hex_travel_beside_derived_hex_ids() -> None:
    t = Trace.from_dict({"trace_id": "t-42", "spans": [
        {"name": "root", "span_id": "root"}, {"name": "kid", "span_id": "kid", "parent_id": "root"}]})
    payload = to_otlp_json(t)
    spans = payload["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert len(spans[0]["traceId"]) == 32 and spans[1]["parentSpanId"] == spans[0]["spanId"]
    (back,) = from_otlp_json(payload)
    assert back.trace_id == "t-42" and [(s.span_id, s.parent_id) for s in back.spans] == [("root", None), ("kid", "root")]


def test_mlflow_trace_ids_map_to_their_hex() -> None:
    t = Trace(trace_id=f"tr-{TRACE_ID}", spans=[Span(name="s", span_id="00f067aa0ba902b7")])
    span = to_otlp_json(t)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["traceId"] == TRACE_ID
    assert from_otlp_json(to_otlp_json(t))[0].trace_id == f"tr-{TRACE_ID}"


@pytest.mark.parametrize("value", [None, "s", True, 7, 2.5, [1, "a", [False]], {"k": {"n": [1.5]}}])
def test_any_value_round_trip(value: object) -> None:
    assert decode_value(encode_value(value)) == value


def test_not_a_payload_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="resourceSpans"):
        from_otlp_json({"spans": []})


def test_otlp_import_keeps_the_span_kind_and_every_resource_attribute() -> None:
    from jurist.tracing import from_otlp_json, to_otlp_json

    payload = {"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "rag-app"}},
            {"key": "service.version", "value": {"stringValue": "1.4.2"}},
            {"key": "deployment.environment", "value": {"stringValue": "prod"}},
            {"key": "process.pid", "value": {"intValue": "4242"}}]},
        "scopeSpans": [{"spans": [
            {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "http", "kind": 2},
            {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "c7ad6b7169203332", "name": "call",
             "kind": "SPAN_KIND_CLIENT"},
            {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "d7ad6b7169203333", "name": "plain"}]}]}]}
    (trace,) = from_otlp_json(payload)
    assert trace.tags == {"service.name": "rag-app", "service.version": "1.4.2", "deployment.environment": "prod",
                          "process.pid": "4242"}
    kinds = {s.name: s.attributes.get("otel.span.kind") for s in trace.spans}
    assert kinds == {"http": "SERVER", "call": "CLIENT", "plain": None}
    # And back out: the kind goes where OTLP keeps it, not among the attributes.
    spans = to_otlp_json(trace)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert [s["kind"] for s in spans] == [2, 3, 1]
    assert all(a["key"] != "otel.span.kind" for s in spans for a in s["attributes"])
