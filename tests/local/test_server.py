"""``serve()``: the local model as an OpenAI-compatible endpoint, called with jurist's own openai provider."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from jurist._runtime import RUNTIME
from jurist.judges._parsing import parse_verdict
from jurist.judges._values import YesNo
from jurist.local import ModelSpec
from jurist.local.server import serve
from jurist.models import ChatRequest, Message, ModelClient, ResponseSchema
from tests.local.helpers import JUDGE_A, SHORT_VERDICT

KEY = "local-test-key"


@pytest.fixture(scope="module")
def served(smoke_spec: ModelSpec) -> Iterator[str]:
    stop = threading.Event()
    ready: list[str] = []
    got = threading.Event()

    def on_ready(url: str) -> None:
        ready.append(url)
        got.set()

    t = threading.Thread(target=serve, args=("127.0.0.1", 0, "local:/smollm2"),
                         kwargs={"api_key": KEY, "on_ready": on_ready, "stop": stop}, daemon=True)
    t.start()
    assert got.wait(120), "serve() did not come up"
    yield ready[0]
    stop.set()
    t.join(timeout=30)
    assert not t.is_alive()


def _get(url: str, key: str | None = KEY) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _post(url: str, body: dict[str, Any]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_models_lists_the_served_model(served: str) -> None:
    status, body = _get(f"{served}/models")
    assert status == 200
    assert [m["id"] for m in body["data"]] == ["smollm2"]
    assert _get(f"{served}/models", key="wrong")[0] == 401


def test_jurist_openai_provider_judges_through_it(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    client = ModelClient("openai:/smollm2", base_url=served)
    request = ChatRequest(
        messages=(Message("system", JUDGE_A), Message("user", "<answer>Paris is the capital of France.</answer>")),
        response_schema=ResponseSchema("verdict", SHORT_VERDICT),
        params={"temperature": 0, "seed": 0, "max_tokens": 60},
    )
    resp = RUNTIME.run(client.chat(request, use_cache=False))
    value, _ = parse_verdict(resp.text, YesNo)
    assert value in ("yes", "no")
    assert resp.model == "smollm2" and resp.usage.input_tokens and resp.usage.output_tokens


def test_a_schema_llama_cpp_cannot_compile_falls_back_to_plain_json(served: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    status, body = _post(f"{served}/chat/completions", {
        "model": "smollm2", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {
            "type": "object", "properties": {"r": {"type": "string", "maxLength": 5000}}}}},
    })
    assert status == 400 and json.loads(body)["error"]["param"] == "response_format"

    client = ModelClient("openai:/smollm2", base_url=served)
    request = ChatRequest(messages=(Message("user", "Say yes."),),
                          response_schema=ResponseSchema("v", {"type": "object", "properties": {
                              "r": {"type": "string", "maxLength": 5000}}}),
                          params={"max_tokens": 4})
    assert isinstance(RUNTIME.run(client.chat(request, use_cache=False)).text, str)  # asked again, schema-less


def test_stream_and_bad_requests(served: str) -> None:
    status, raw = _post(f"{served}/chat/completions", {
        "model": "smollm2", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, "stream": True,
        "stream_options": {"include_usage": True},
    })
    events = [line[6:] for line in raw.decode().splitlines() if line.startswith("data: ")]
    assert status == 200 and events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["usage"]["completion_tokens"] >= 1

    assert _post(f"{served}/chat/completions", {"model": "smollm2", "messages": []})[0] == 400
    status, raw = _post(f"{served}/chat/completions", {"model": "smollm2", "n": 2,
                                                        "messages": [{"role": "user", "content": "hi"}]})
    assert status == 400 and json.loads(raw)["error"]["param"] == "n"


def test_requests_are_read_by_the_gateways_reader(served: str) -> None:
    status, raw = _post(f"{served}/chat/completions", {"model": "smollm2",
                                                        "messages": [{"role": "robot", "content": "hi"}]})
    assert status == 400
    assert json.loads(raw)["error"]["message"].startswith("messages[0].role must be one of")
    status, raw = _post(f"{served}/chat/completions", {"model": "smollm2", "messages": [{"role": "user", "content": "hi"}],
                                                        "response_format": {"type": "xml"}})
    assert status == 400 and json.loads(raw)["error"]["param"] == "response_format"


def test_serve_says_what_it_does_through_say_and_prints_nothing(served: str, capfd: pytest.CaptureFixture[str]) -> None:
    said: list[str] = []
    stop = threading.Event()
    up = threading.Event()
    t = threading.Thread(target=serve, args=("127.0.0.1", 0, "local:/smollm2"),
                         kwargs={"on_ready": lambda url: up.set(), "stop": stop, "say": said.append}, daemon=True)
    t.start()
    assert up.wait(120)
    stop.set()
    t.join(timeout=30)
    assert said[0].startswith("jurist serve-local: loading") and "Ctrl-C stops" in said[1]
    out, err = capfd.readouterr()
    assert "serve-local" not in out + err
