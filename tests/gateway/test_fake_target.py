"""An in-process target (``fake:/``) behind the gateway: answered through the one send path, scripted
errors falling back to the next target, streams replayed from the whole answer."""

from __future__ import annotations

import json
from typing import Any

from jurist.errors import ServerError
from jurist.models import FakeModel
from tests.gateway.conftest import Harness, chat, new_client, target


def streamed_text(lines: list[str]) -> str:
    chunks = [json.loads(line[5:]) for line in lines if line.startswith("data:") and line != "data: [DONE]"]
    return "".join(ch["choices"][0]["delta"].get("content") or "" for ch in chunks if ch.get("choices"))



def test_a_fake_target_answers_and_its_request_is_recorded(harness: Harness) -> None:
    fake = FakeModel(["Paris."], name="gw")
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [{"model": "fake:/gw"}]}]})
    with new_client(gw) as c:
        r = chat(c, "judge", "Capital of France?")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["choices"][0]["message"]["content"] == "Paris."
    assert body["usage"]["prompt_tokens"] > 0 and body["usage"]["completion_tokens"] == 2
    assert fake.requests[0].messages[-1].content == "Capital of France?"


def test_fake_default_fills_the_clients_schema(harness: Harness) -> None:
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [{"model": "fake:/"}]}]})
    schema = {"type": "object", "properties": {"result": {"enum": ["pass", "fail"]}}, "required": ["result"]}
    with new_client(gw) as c:
        r = chat(c, "judge", response_format={"type": "json_schema", "json_schema": {"name": "v", "schema": schema}})
    assert r.status_code == 200, r.text
    assert json.loads(r.json()["choices"][0]["message"]["content"]) == {"result": "pass"}


def test_a_failing_fake_target_falls_back_in_answers_and_streams(harness: Harness, fake: dict[str, Any]) -> None:
    down = FakeModel([ServerError("down", provider="fake", status=503)] * 8, name="down")
    ep = {"name": "judge", "retries": 0, "targets": [{"model": "fake:/down"}],
          "fallbacks": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    fake["a"].responder = lambda body: "from a"
    with new_client(gw) as c:
        r = chat(c, "judge")
        with c.stream("POST", "/v1/chat/completions", json={
                "model": "judge", "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as s:
            events = [line for line in s.iter_lines() if line.startswith("data:")]
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "from a"
    assert events[-1] == "data: [DONE]" and "from a" in streamed_text(events)
    assert down.calls == 2 and fake["a"].calls == 2


def test_a_fake_target_streams_its_whole_answer(harness: Harness) -> None:
    FakeModel(["Hello there."], name="streamer")
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [{"model": "fake:/streamer"}]}]})
    with new_client(gw) as c, c.stream("POST", "/v1/chat/completions", json={
            "model": "judge", "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as s:
        assert streamed_text(list(s.iter_lines())) == "Hello there."
