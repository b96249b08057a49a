"""Routing: the OpenAI-compatible API in front of fake providers, fallbacks in order, the split ratio."""

from __future__ import annotations

import concurrent.futures as cf
import math
from typing import Any

import pytest

from tests.fakes._server import Reply
from tests.fakes.openai import rate_limited, server_error
from tests.gateway.conftest import Harness, chat, free_port, new_client, target


def one_endpoint(fake: dict[str, Any], **endpoint: Any) -> dict[str, Any]:
    ep = {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")], **endpoint}
    return {"endpoints": [ep]}


def test_chat_completion_through_an_openai_target(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start(one_endpoint(fake))
    with new_client(gw) as c:
        r = chat(c, "judge", "What is 2 + 2?", temperature=0, max_tokens=20)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["usage"] == {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59}
    sent = fake["a"].requests[0]
    # The request went on as it came, with the target's model and the gateway's key for it.
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["messages"] == [{"role": "user", "content": "What is 2 + 2?"}]
    assert sent.body["max_tokens"] == 20
    assert sent.headers["Authorization"] == f"Bearer {fake['a'].api_key}"


def test_models_lists_the_endpoints_and_invocations_serve_them(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start(one_endpoint(fake))
    with new_client(gw) as c:
        models = c.get("/v1/models").json()
        inv = c.post("/judge/invocations", json={"messages": [{"role": "user", "content": "hi"}]})
        missing = chat(c, "nope")
    assert [m["id"] for m in models["data"]] == ["judge"]
    assert inv.status_code == 200 and inv.json()["choices"][0]["message"]["content"]
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found" and "judge" in missing.json()["error"]["message"]


def test_a_target_of_another_wire_format_is_translated(harness: Harness, fake: dict[str, Any],
                                                       anthropic: Any) -> None:
    ep = {"name": "claude", "targets": [{"model": "anthropic:/claude-3-5-haiku", "base_url": anthropic.base_url,
                                         "key": "env:FAKE_ANTHROPIC_KEY"}]}
    gw = harness.start({"endpoints": [ep]})
    anthropic.responder = lambda body: "Paris."
    with new_client(gw) as c:
        r = chat(c, "claude", "Capital of France?", max_tokens=50,
                 messages=[{"role": "system", "content": "Be brief."},
                           {"role": "user", "content": "Capital of France?"}])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "Paris."
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] == 42
    sent = anthropic.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.body["system"] == "Be brief."
    assert sent.headers["x-api-key"] == anthropic.api_key


def test_any_provider_uri_is_a_target(harness: Harness, fake: dict[str, Any],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A Gemini target: the request goes in Gemini's own format and comes back as a chat completion."""
    from tests.fakes.gemini import FakeGemini

    gemini = FakeGemini(api_key="gemini-key-0123456789").start()
    try:
        gemini.responder = lambda body: "Hallo."
        ep = {"name": "g", "targets": [{"model": "gemini:/gemini-2.0-flash", "base_url": gemini.base_url,
                                        "key": "env:GEMINI_FAKE_KEY"}]}
        monkeypatch.setenv("GEMINI_FAKE_KEY", gemini.api_key)
        gw = harness.start({"endpoints": [ep]})
        with new_client(gw) as c:
            r = chat(c, "g", "Say hello in German.", temperature=0.2, max_tokens=5)
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == "Hallo."
        sent = gemini.requests[0]
        assert sent.path == "/v1beta/models/gemini-2.0-flash:generateContent"
        assert sent.body["generationConfig"]["maxOutputTokens"] == 5
        assert sent.headers["x-goog-api-key"] == gemini.api_key
    finally:
        gemini.stop()


def test_a_translated_target_falls_back_too(harness: Harness, fake: dict[str, Any], anthropic: Any) -> None:
    from tests.fakes.anthropic import overloaded

    ep = {"name": "claude", "targets": [{"model": "anthropic:/claude-3-5-haiku", "base_url": anthropic.base_url,
                                         "key": "env:FAKE_ANTHROPIC_KEY"}],
          "fallbacks": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    anthropic.enqueue(overloaded())
    with new_client(gw) as c:
        r = chat(c, "claude", max_tokens=10)
    assert r.status_code == 200 and (anthropic.calls, fake["a"].calls) == (1, 1)


def test_a_rate_limited_target_is_passed_over_while_it_cools_off(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    fake["a"].enqueue(rate_limited(30))
    with new_client(gw) as c:
        assert [chat(c, "judge").status_code for _ in range(4)] == [200] * 4
    # a said "retry after 30 s": it was asked once, then the fallback took the traffic.
    assert (fake["a"].calls, fake["b"].calls) == (1, 4)


def test_fallbacks_are_tried_in_order(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY"), target(fake["c"], "c", key_env="FAKE_C_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    fake["a"].enqueue(server_error(500))
    fake["b"].enqueue(rate_limited(30))
    fake["c"].responder = lambda body: "from c"
    with new_client(gw) as c:
        r = chat(c, "judge")
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == "from c"
    assert [fake[n].calls for n in "abc"] == [1, 1, 1]


def test_timeouts_and_dead_connections_fall_back(harness: Harness, fake: dict[str, Any]) -> None:
    dead = {"name": "dead", "model": "openai:/gpt-4o-mini", "base_url": f"http://127.0.0.1:{free_port()}/v1",
            "key": "env:FAKE_A_KEY"}
    ep = {"name": "judge", "timeout": 0.3, "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
          "fallbacks": [dead, target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    fake["a"].enqueue(Reply.slow(2.0))
    with new_client(gw) as c:
        r = chat(c, "judge")
    assert r.status_code == 200, r.text
    assert fake["b"].calls == 1


def test_a_bad_request_does_not_fall_back(harness: Harness, fake: dict[str, Any]) -> None:
    from tests.fakes.openai import openai_error

    ep = {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    fake["a"].enqueue(openai_error(400, "Invalid value for 'temperature'", "invalid_request_error"))
    with new_client(gw) as c:
        r = chat(c, "judge")
    assert r.status_code == 400
    assert "temperature" in r.json()["error"]["message"]
    assert fake["b"].calls == 0


def test_when_every_target_fails_the_status_says_how(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    with new_client(gw) as c:
        fake["a"].enqueue(rate_limited(7))
        fake["b"].enqueue(rate_limited(3))
        limited = chat(c, "judge")
        fake["a"].enqueue(server_error(503))
        fake["b"].enqueue(server_error(500))
        broken = chat(c, "judge")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert broken.status_code == 502
    msg = broken.json()["error"]["message"]
    assert "target 'a'" in msg and "target 'b'" in msg


def test_retries_stay_on_the_target_before_falling_back(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "retries": 2, "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    fake["a"].enqueue(server_error(500), server_error(502))
    with new_client(gw) as c:
        r = chat(c, "judge")
    assert r.status_code == 200
    assert (fake["a"].calls, fake["b"].calls) == (3, 0)


def test_a_target_without_its_key_is_skipped(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "targets": [target(fake["a"], "a", key_env="NOT_SET_ANYWHERE")],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    with new_client(gw) as c:
        r = chat(c, "judge")
    assert r.status_code == 200
    assert (fake["a"].calls, fake["b"].calls) == (0, 1)


def test_traffic_splits_by_weight(harness: Harness, fake: dict[str, Any]) -> None:
    """3:1 weights over n requests: a's share stays within 5 standard deviations of 3/4 (p ≈ 6e-7 of a
    false failure)."""
    ep = {"name": "judge", "targets": [target(fake["a"], "a", weight=3, key_env="FAKE_A_KEY"),
                                       target(fake["b"], "b", weight=1, key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    n, p = 400, 0.75
    with new_client(gw) as c, cf.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: chat(c, "judge").status_code, range(n)))
    assert statuses.count(200) == n
    a, b = fake["a"].calls, fake["b"].calls
    assert a + b == n
    bound = 5 * math.sqrt(n * p * (1 - p))
    assert abs(a - n * p) <= bound, (a, b, bound)


def test_a_zero_weight_target_takes_no_traffic(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "targets": [target(fake["a"], "a", weight=0, key_env="FAKE_A_KEY"),
                                       target(fake["b"], "b", weight=1, key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    with new_client(gw) as c:
        for _ in range(20):
            assert chat(c, "judge").status_code == 200
    assert (fake["a"].calls, fake["b"].calls) == (0, 20)


def test_standalone_also_answers_under_gateway(harness: Harness, fake: dict[str, Any]) -> None:
    path = harness.write({"endpoints": one_endpoint(fake)["endpoints"]})
    gw = harness.start(path=path, standalone=True)
    with new_client(gw) as c:
        r = c.post("/gateway/judge/invocations", json={"messages": [{"role": "user", "content": "hi"}]})
        r2 = c.post("/gateway/v1/chat/completions",
                    json={"model": "judge", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200 and r2.status_code == 200
