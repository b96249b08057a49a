"""The model client against the loopback fakes: retries, Retry-After, budgets, errors, cache, secrets."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import pytest

from jurist.errors import AuthError, ConfigError, ProviderError, ProviderTimeout, RateLimitError, ServerError
from jurist.models import ChatRequest, ChatResponse, Message, ModelClient, ResponseSchema, RetryPolicy
from jurist.models._http import parse_retry_after
from tests.fakes._server import Reply
from tests.fakes.anthropic import FakeAnthropic, overloaded
from tests.fakes.anthropic import rate_limited as anthropic_429
from tests.fakes.openai import FakeOpenAI, openai_error, rate_limited, server_error

REQ = ChatRequest(messages=(Message("system", "judge"), Message("user", "row")), params={"temperature": 0})
FAST = RetryPolicy(max_attempts=4, total_budget_s=10, base_backoff_s=0.01, max_backoff_s=0.05)


def chat(client: ModelClient, request: ChatRequest = REQ, use_cache: bool = False) -> ChatResponse:
    from jurist._runtime import run_sync

    return run_sync(client.chat(request, use_cache=use_cache))


def test_success_reports_usage_latency_and_cost(fake_openai: FakeOpenAI) -> None:
    resp = chat(ModelClient("openai:/gpt-4o-mini", retry=FAST))
    assert resp.usage.input_tokens == 42 and resp.usage.output_tokens == 17
    assert resp.latency_ms is not None and resp.latency_ms > 0
    assert resp.cost_usd == pytest.approx((42 * 0.15 + 17 * 0.60) / 1e6)
    rec = fake_openai.requests[-1]
    assert rec.path == "/v1/chat/completions"
    assert rec.headers["Authorization"] == "Bearer test-key"
    assert rec.body["messages"][0] == {"role": "system", "content": "judge"}


def test_unknown_model_has_no_cost(fake_openai: FakeOpenAI) -> None:
    assert chat(ModelClient("openai:/my-finetune", retry=FAST)).cost_usd is None


def test_429_retry_after_is_honoured(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(rate_limited(0.3))
    start = time.monotonic()
    resp = chat(ModelClient("openai:/gpt-4o-mini", retry=FAST))
    assert time.monotonic() - start >= 0.3
    assert resp.text and fake_openai.calls == 2


def test_5xx_is_retried_then_succeeds(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(server_error(500), server_error(503))
    chat(ModelClient("openai:/gpt-4o-mini", retry=FAST))
    assert fake_openai.calls == 3


def test_retries_stop_at_max_attempts(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(*[server_error(500)] * 10)
    with pytest.raises(ServerError, match="HTTP 500"):
        chat(ModelClient("openai:/gpt-4o-mini", retry=FAST))
    assert fake_openai.calls == FAST.max_attempts


def test_retry_after_beyond_the_budget_fails_fast(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(rate_limited(30))
    start = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        chat(ModelClient("openai:/gpt-4o-mini", retry=RetryPolicy(total_budget_s=2)))
    assert time.monotonic() - start < 1.5
    assert info.value.retry_after == 30
    assert fake_openai.calls == 1


def test_auth_error_is_not_retried_and_names_the_env_var(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-123456")
    with pytest.raises(AuthError, match="OPENAI_API_KEY") as info:
        chat(ModelClient("openai:/gpt-4o-mini", retry=FAST))
    assert fake_openai.calls == 1
    assert "sk-wrong-key-123456" not in str(info.value)


def test_key_echoed_by_provider_is_redacted(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(openai_error(400, "Bad key test-key in request", "invalid_request_error"))
    with pytest.raises(ProviderError) as info:
        chat(ModelClient("openai:/gpt-4o-mini", retry=FAST))
    assert "test-key" not in str(info.value) and "test-key" not in (info.value.body or "")


def test_timeout_is_retried_then_raised(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply.slow(1.0), Reply.slow(1.0))
    client = ModelClient("openai:/gpt-4o-mini", timeout=0.2,
                         retry=RetryPolicy(max_attempts=2, base_backoff_s=0.01))
    with pytest.raises(ProviderTimeout, match=r"did not answer"):
        chat(client)


def test_malformed_json_body_is_a_retryable_server_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply.malformed(), Reply.malformed())
    chat(ModelClient("openai:/gpt-4o-mini", retry=FAST))
    assert fake_openai.calls == 3


def test_missing_key_is_a_config_error_naming_the_env_var() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        ModelClient("openai:/gpt-4o-mini").check_ready()
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        ModelClient("anthropic:/claude-sonnet-4").check_ready()


@pytest.mark.parametrize("uri,match", [
    ("gpt-4o", "openai:/gpt-4o"),
    ("openai:gpt-4o", "openai:/gpt-4o"),
    ("openai:/", "expected"),
    ("", "model URI"),
])
def test_bad_uris_say_the_accepted_form(uri: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ModelClient(uri)


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"Known providers: .*openai"):
        ModelClient("nosuch:/model")


def test_gateway_needs_its_url() -> None:
    with pytest.raises(ConfigError, match="JURIST_GATEWAY_URL"):
        ModelClient("gateway:/my-endpoint")


def test_gateway_speaks_openai_wire_format(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_GATEWAY_URL", fake_openai.url)
    monkeypatch.setenv("JURIST_GATEWAY_TOKEN", "test-key")
    chat(ModelClient("gateway:/judge-endpoint", retry=FAST))
    assert fake_openai.requests[-1].body["model"] == "judge-endpoint"


def test_schema_rejected_falls_back_once_and_is_remembered(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(openai_error(400, "Invalid schema for response_format 'verdict'", "invalid_request_error",
                                     param="response_format"))
    req = ChatRequest(messages=REQ.messages, params={"temperature": 0},
                      response_schema=ResponseSchema("verdict", {"type": "object", "properties": {},
                                                                  "required": [], "additionalProperties": False}))
    client = ModelClient("openai:/schema-less-model", base_url=fake_openai.base_url, retry=FAST)
    chat(client, req)
    chat(client, req)
    bodies = [r.body for r in fake_openai.requests]
    assert "response_format" in bodies[0]
    assert "response_format" not in bodies[1] and "response_format" not in bodies[2]
    assert len(bodies) == 3


def test_cache_hit_makes_no_call(fake_openai: FakeOpenAI) -> None:
    client = ModelClient("openai:/gpt-4o-mini", retry=FAST)
    first = chat(client, use_cache=True)
    second = chat(client, use_cache=True)
    assert fake_openai.calls == 1
    assert second.cached and second.text == first.text
    hot = ChatRequest(messages=REQ.messages, params={"temperature": 0.7})
    chat(client, hot, use_cache=True)
    chat(client, hot, use_cache=True)
    assert fake_openai.calls == 3  # temperature > 0 is never cached


def test_anthropic_messages_wire_format(fake_anthropic: FakeAnthropic) -> None:
    req = ChatRequest(messages=REQ.messages, params={"temperature": 0, "seed": 1},
                      response_schema=ResponseSchema("verdict", {"type": "object", "properties": {
                          "rationale": {"type": "string"}, "result": {"type": "string", "enum": ["yes", "no"]}},
                          "required": ["rationale", "result"]}))
    resp = chat(ModelClient("anthropic:/claude-3-5-haiku-20241022", retry=FAST), req)
    body = fake_anthropic.requests[-1].body
    headers = fake_anthropic.requests[-1].headers
    assert headers["x-api-key"] == "test-key" and headers["anthropic-version"] == "2023-06-01"
    assert body["system"] == "judge" and body["messages"] == [{"role": "user", "content": "row"}]
    assert body["tool_choice"] == {"type": "tool", "name": "verdict"} and "seed" not in body
    assert '"result": "yes"' in resp.text
    assert resp.cost_usd == pytest.approx((42 * 0.80 + 17 * 4.00) / 1e6)


def test_anthropic_overloaded_and_rate_limits_are_retried(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(overloaded(), anthropic_429(0.05))
    chat(ModelClient("anthropic:/claude-sonnet-4", retry=FAST))
    assert fake_anthropic.calls == 3


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({}) is None
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    assert 3 < (parse_retry_after({"retry-after": future}) or 0) <= 6


def test_one_session_is_reused_across_calls(fake_openai: FakeOpenAI) -> None:
    from jurist.models._client import shared

    client = ModelClient("openai:/gpt-4o-mini", retry=FAST)
    chat(client)
    session = shared().transport.session(client.provider.connection_key)
    chat(client)
    assert shared().transport.session(client.provider.connection_key) is session


def test_async_call_from_another_loop(fake_openai: FakeOpenAI) -> None:
    client = ModelClient("openai:/gpt-4o-mini", retry=FAST)

    async def main() -> list[ChatResponse]:
        return await asyncio.gather(*(client.chat(REQ, use_cache=False) for _ in range(5)))

    assert len(asyncio.run(main())) == 5
    assert fake_openai.calls == 5


def test_transport_limiter_and_cache_can_be_given(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """A client given its own sessions, limiter and cache uses those, and leaves the process-wide ones alone."""
    from jurist._runtime import run_sync
    from jurist.models._cache import ResponseCache
    from jurist.models._client import shared
    from jurist.models._http import Transport
    from jurist.models._limiter import AdaptiveLimiter

    transport, limiter, cache = Transport(), AdaptiveLimiter(8), ResponseCache(tmp_path / "own.sqlite")
    client = ModelClient("openai:/gpt-4o-mini", retry=FAST, transport=transport, limiter=limiter, cache=cache)
    shared_sessions = dict(shared().transport._sessions)
    fake_openai.enqueue(rate_limited(0))
    first = chat(client, use_cache=True)
    assert limiter.limit < 8  # the 429 lowered this client's limiter
    assert transport._sessions and shared().transport._sessions == shared_sessions
    assert not shared().limiters
    again = chat(client, use_cache=True)
    assert again.cached and again.text == first.text and fake_openai.calls == 2
    cache.flush()
    assert ResponseCache(tmp_path / "own.sqlite").get(next(iter(cache._mem))) is not None
    run_sync(transport.aclose())
    cache.close()


def test_identical_requests_in_flight_together_pay_for_one_answer(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Temperature 0 and the same prompt: the second caller waits for the first one's answer (a cache hit
    that had not landed yet) instead of paying for the same answer again."""
    from jurist.models._cache import ResponseCache

    client = ModelClient("openai:/gpt-4o-mini", retry=FAST, cache=ResponseCache(tmp_path / "c.sqlite"))
    other = ChatRequest(messages=(Message("system", "judge"), Message("user", "another row")),
                        params={"temperature": 0})
    fake_openai.latency = 0.2

    async def together() -> list[ChatResponse]:
        return await asyncio.gather(*(client.chat(REQ) for _ in range(5)), client.chat(other))

    from jurist._runtime import run_sync

    answers = run_sync(together())
    assert fake_openai.calls == 2  # one for REQ's five callers, one for the other prompt
    assert len({a.text for a in answers[:5]}) == 1
    assert sum(not a.cached for a in answers[:5]) == 1 and not answers[5].cached
    assert [a.cost_usd is not None for a in answers] == [True] * 6


def test_when_the_first_of_identical_requests_fails_the_others_ask_themselves(fake_openai: FakeOpenAI,
                                                                            tmp_path: Path) -> None:
    from jurist.models._cache import ResponseCache

    client = ModelClient("openai:/gpt-4o-mini", retry=RetryPolicy(max_attempts=1),
                         cache=ResponseCache(tmp_path / "c.sqlite"))
    fake_openai.enqueue(dataclasses.replace(server_error(500), delay=0.2))

    async def together() -> tuple[ChatResponse | BaseException, ChatResponse | BaseException]:
        first = asyncio.ensure_future(client.chat(REQ))
        await asyncio.sleep(0.05)  # the first is in flight when the second asks
        return await asyncio.gather(first, client.chat(REQ), return_exceptions=True)

    from jurist._runtime import run_sync

    failed, second = run_sync(together())
    assert isinstance(failed, ServerError)
    assert isinstance(second, ChatResponse) and second.text and not second.cached
    assert fake_openai.calls == 2
