"""Monitors on the server: POST/GET/DELETE /api/monitors, and traces arriving at the server judged there."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

import jurist
from jurist.server._serve import ServerThread
from jurist.tracking import SqlStore
from tests.fakes.openai import FakeOpenAI
from tests.server.conftest import TOKEN, Http

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _wait(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def _setup(c: Http, headers: dict[str, str] | None = None) -> str:
    judge = jurist.make_judge(name="tone", instructions="Is {{ outputs }} polite?", feedback_value_type=bool,
                              model="openai:/gpt-4o-mini")
    assert c.request("POST", "/api/judges", {"definition": judge.to_dict()}, headers).status == 201
    r = c.request("PUT", "/api/experiments/by-name/prod", headers=headers)
    assert r.status == 200
    return str(r.json["experiment_id"])


def _rest_trace(c: Http, exp_id: str, tid: str, headers: dict[str, str] | None = None) -> None:
    body = {"experiment_id": exp_id, "traces": [{"trace_id": tid, "spans": [
        {"name": "app", "span_id": "root", "inputs": {"q": tid}, "outputs": f"answer {tid}"}]}]}
    assert c.request("POST", "/api/traces", body, headers).status == 200


def _otlp_trace(c: Http, trace_hex: str) -> None:
    t0 = time.time_ns()
    payload = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": trace_hex, "spanId": "eee19b7ec3c1b174", "name": "answer.workflow", "kind": 1,
         "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + 9_000_000),
         "attributes": [{"key": "traceloop.span.kind", "value": {"stringValue": "workflow"}},
                        {"key": "traceloop.entity.input", "value": {"stringValue": '{"q": "hi"}'}},
                        {"key": "traceloop.entity.output", "value": {"stringValue": '"hello there"'}}],
         "status": {"code": 1}}]}]}]}
    r = c.request("POST", "/v1/traces", json.dumps(payload).encode(),
                  {"Content-Type": "application/json", "x-jurist-experiment": "prod"})
    assert r.status == 200


def _tone(backend: SqlStore, exp_id: str) -> dict[str, int]:
    return {t.trace_id: len(t.search_assessments("tone")) for t in backend.search_traces([exp_id])
            if t.search_assessments("tone")}


def test_a_monitor_judges_traces_sent_over_rest_and_otlp(client: Http, backend: SqlStore, fake_openai: FakeOpenAI) -> None:
    exp_id = _setup(client)
    _rest_trace(client, exp_id, "before")
    r = client.request("POST", "/api/monitors", {"judge": "tone", "experiment": "prod", "sample_rate": 1,
                                                 "poll_interval": 0.05})
    assert r.status == 201, r.body
    mid = r.json["monitor_id"]
    assert r.json["judge"] == "tone" and r.json["version"] == 1 and r.json["experiment_id"] == exp_id
    assert r.json["running"] is True
    _rest_trace(client, exp_id, "rest1")
    hex_id = uuid.uuid4().hex
    _otlp_trace(client, hex_id)
    _wait(lambda: len(_tone(backend, exp_id)) == 2)
    judged = _tone(backend, exp_id)
    assert "before" not in judged and judged["rest1"] == 1 and len(judged) == 2
    (listed,) = client.request("GET", "/api/monitors").json
    assert listed["monitor_id"] == mid and listed["stats"]["judged"] == 2 and listed["stats"]["errors"] == 0
    fb = backend.get_trace("rest1").search_assessments("tone")[0]
    assert fb.source.source_type.value == "LLM_JUDGE"

    r = client.request("DELETE", f"/api/monitors/{mid}")
    assert r.status == 200 and r.json["running"] is False
    assert client.request("GET", "/api/monitors").json == []
    calls = fake_openai.calls
    _rest_trace(client, exp_id, "after")
    time.sleep(0.3)  # several poll intervals
    assert "after" not in _tone(backend, exp_id) and fake_openai.calls == calls
    r = client.request("DELETE", f"/api/monitors/{mid}")
    assert r.status == 404 and r.json["error_code"] == "NOT_FOUND"


def test_bad_requests_are_400_and_404(client: Http) -> None:
    _setup(client)
    r = client.request("POST", "/api/monitors", {"judge": "tone", "experiment": "prod", "sample_rate": 2})
    assert r.status == 400 and r.json["error_code"] == "BAD_REQUEST" and "sample_rate" in r.json["message"]
    r = client.request("POST", "/api/monitors", {"judge": "nope", "experiment": "prod"})
    assert r.status == 400 and "there is no judge named 'nope'" in r.json["message"]
    r = client.request("POST", "/api/monitors", {"judge": "tone", "experiment": "missing"})
    assert r.status == 404 and r.json["error_code"] == "NOT_FOUND"
    assert client.request("GET", "/api/monitors").json == []


def test_monitors_need_the_token_and_stop_with_the_server(store_path: str, fake_openai: FakeOpenAI) -> None:
    with ServerThread(store_path, token=TOKEN) as server:
        c = Http(server.port)
        _setup(c, AUTH)
        assert c.request("GET", "/api/monitors").status == 401
        assert c.request("POST", "/api/monitors", {"judge": "tone", "experiment": "prod"}).status == 401
        r = c.request("POST", "/api/monitors", {"judge": "tone", "experiment": "prod", "poll_interval": 0.05}, AUTH)
        assert r.status == 201
        assert c.request("DELETE", f"/api/monitors/{r.json['monitor_id']}").status == 401
        assert [m["monitor_id"] for m in c.request("GET", "/api/monitors", headers=AUTH).json] == [r.json["monitor_id"]]
        (monitor,) = server.app.state.monitors.values()
    assert not monitor.running and server.app.state.monitors == {}
