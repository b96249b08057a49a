"""Streaming: server-sent events relayed from OpenAI-compatible targets, replayed for the others."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.fakes.openai import server_error
from tests.gateway.conftest import Harness, admin, new_client, target, usage_rows


def events(r: httpx.Response) -> list[Any]:
    out: list[Any] = []
    for line in r.text.splitlines():
        if line.startswith("data: "):
            data = line[len("data: "):]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


def text_of(evs: list[Any]) -> str:
    return "".join((e["choices"][0]["delta"].get("content") or "") for e in evs
                   if isinstance(e, dict) and e.get("choices"))


def stream(c: httpx.Client, endpoint: str, **extra: Any) -> httpx.Response:
    return c.post("/v1/chat/completions", json={"model": endpoint, "stream": True,
                                                "messages": [{"role": "user", "content": "hi"}], **extra})


def test_a_stream_is_relayed_chunk_by_chunk(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    fake["a"].responder = lambda body: "The answer is four."
    with new_client(gw) as c:
        r = stream(c, "judge")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    evs = events(r)
    assert evs[-1] == "[DONE]"
    assert text_of(evs) == "The answer is four."
    # The gateway asked for usage to count it, and kept the usage chunk from a client that did not ask.
    assert fake["a"].requests[0].body["stream_options"] == {"include_usage": True}
    assert not any(isinstance(e, dict) and "usage" in e and e["usage"] for e in evs)
    row = usage_rows(gw)[-1]
    assert (row["stream"], row["status"], row["input_tokens"], row["output_tokens"]) == (True, 200, 42, 17)
    assert row["cost_usd"] > 0


def test_a_stream_carries_usage_when_asked(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    with new_client(gw) as c:
        evs = events(stream(c, "judge", stream_options={"include_usage": True}))
    usage = [e["usage"] for e in evs if isinstance(e, dict) and e.get("usage")]
    assert usage == [{"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59}]


def test_a_stream_falls_back_before_its_first_byte(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    fake["a"].enqueue(server_error(500))
    fake["b"].responder = lambda body: "from b"
    with new_client(gw) as c:
        r = stream(c, "judge")
    assert r.status_code == 200
    assert text_of(events(r)) == "from b"


def test_a_stream_that_breaks_off_ends_with_an_error_event(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    fake["a"].break_stream = True
    with new_client(gw) as c:
        evs = events(stream(c, "judge"))
    assert evs[-1] == "[DONE]"
    errors = [e for e in evs if isinstance(e, dict) and "error" in e]
    assert errors and errors[0]["error"]["code"] == "stream_interrupted"
    row = usage_rows(gw)[-1]
    assert row["error_code"] == "stream_interrupted"
    assert row["status"] == 502  # counted as the failure it was, though the client saw 200 when it opened
    with admin(gw) as a:
        (group,) = a.get("/admin/usage").json()["groups"]
    assert (group["requests"], group["errors"]) == (1, 1)


def test_a_target_that_cannot_stream_is_replayed_as_a_stream(harness: Harness, fake: dict[str, Any],
                                                             anthropic: Any) -> None:
    ep = {"name": "claude", "targets": [{"model": "anthropic:/claude-3-5-haiku", "base_url": anthropic.base_url,
                                         "key": "env:FAKE_ANTHROPIC_KEY"}]}
    gw = harness.start({"endpoints": [ep]})
    anthropic.responder = lambda body: "Bonjour."
    with new_client(gw) as c:
        r = stream(c, "claude", max_tokens=10, stream_options={"include_usage": True})
    evs = events(r)
    assert text_of(evs) == "Bonjour."
    assert evs[-1] == "[DONE]"
    finish = [e["choices"][0]["finish_reason"] for e in evs if isinstance(e, dict) and e.get("choices")]
    assert finish[-1] == "stop"
    assert [e["usage"]["prompt_tokens"] for e in evs if isinstance(e, dict) and e.get("usage")] == [42]


def test_the_openai_sdk_streams_through_the_gateway(harness: Harness, fake: dict[str, Any]) -> None:
    """The OpenAI Python SDK, pointed at the gateway, reads its stream (skipped where it is not installed)."""
    import pytest

    openai = pytest.importorskip("openai")
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    fake["a"].responder = lambda body: "streamed"
    with new_client(gw) as c:
        token = c.headers["Authorization"].split()[1]
    sdk = openai.OpenAI(base_url=f"{gw.url}/v1", api_key=token, max_retries=0)
    chunks = sdk.chat.completions.create(model="judge", messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == "streamed"
    whole = sdk.chat.completions.create(model="judge", messages=[{"role": "user", "content": "hi"}])
    assert whole.choices[0].message.content == "streamed"


def test_a_stream_that_stops_short_without_an_error_is_still_a_failure(harness: Harness,
                                                                       fake: dict[str, Any]) -> None:
    """The target closes the stream cleanly, but before any finish_reason or [DONE]: the answer is cut."""
    import json

    from tests.fakes._server import Reply

    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o-mini",
             "choices": [{"index": 0, "delta": {"content": "The answer is"}, "finish_reason": None}]}
    fake["a"].enqueue(Reply(status=200, raw=f"data: {json.dumps(chunk)}\n\n".encode(),
                            headers={"Content-Type": "text/event-stream"}))
    with new_client(gw) as c:
        evs = events(stream(c, "judge"))
    assert evs[-1] == "[DONE]"
    assert any(isinstance(e, dict) and (e.get("error") or {}).get("code") == "stream_interrupted" for e in evs)
    assert usage_rows(gw)[-1]["status"] == 502
