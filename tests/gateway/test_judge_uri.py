"""``gateway:/<endpoint>`` judges, end to end: judge → gateway → fake provider."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.conftest import Harness, new_client, target, usage_rows

QA = {"inputs": {"question": "What is the capital of France?"}, "outputs": "Paris.",
      "expectations": {"expected_response": "Paris"}}


def _token(gw: Any, name: str = "judges") -> str:
    with new_client(gw, name) as c:
        return str(c.headers["Authorization"].split()[1])


def test_a_judge_on_a_gateway_endpoint(harness: Harness, fake: dict[str, Any],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from jurist.judges import Correctness

    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    monkeypatch.setenv("JURIST_GATEWAY_URL", gw.url)
    monkeypatch.setenv("JURIST_GATEWAY_TOKEN", _token(gw))
    fb = Correctness(model="gateway:/judge")(**QA)
    assert fb.error is None, fb.error
    assert fb.value == "yes"
    sent = fake["a"].requests[0].body
    assert sent["model"] == "gpt-4o-mini"  # the gateway's target, not the endpoint's name
    assert sent["response_format"]["type"] == "json_schema"
    assert fake["a"].requests[0].headers["Authorization"] == f"Bearer {fake['a'].api_key}"
    assert usage_rows(gw)[-1]["client"] == "judges"


def test_a_judge_through_the_gateway_to_another_wire_format(harness: Harness, anthropic: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Structured output asked in OpenAI's form reaches Anthropic as its forced tool, and comes back."""
    from jurist.judges import Correctness

    ep = {"name": "claude", "targets": [{"model": "anthropic:/claude-3-5-haiku", "base_url": anthropic.base_url,
                                         "key": "env:FAKE_ANTHROPIC_KEY"}]}
    gw = harness.start({"endpoints": [ep]})
    monkeypatch.setenv("JURIST_GATEWAY_URL", gw.url)
    monkeypatch.setenv("JURIST_GATEWAY_TOKEN", _token(gw))
    fb = Correctness(model="gateway:/claude")(**QA)
    assert fb.error is None, fb.error
    assert fb.value == "yes"
    assert anthropic.requests[0].body.get("tools"), "the schema went as Anthropic's forced tool"


def test_the_tracking_server_url_finds_the_gateway(harness: Harness, fake: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Without JURIST_GATEWAY_URL, a tracking URI naming a server means its /gateway."""
    from jurist.judges import Correctness

    path = harness.write({"endpoints": [{"name": "judge",
                                         "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    gw = harness.start(path=path, standalone=True)
    monkeypatch.setenv("JURIST_TRACKING_URI", gw.url)
    monkeypatch.setenv("JURIST_GATEWAY_TOKEN", _token(gw))
    fb = Correctness(model="gateway:/judge")(**QA)
    assert fb.error is None and fb.value == "yes"
    assert fake["a"].calls == 1


def test_a_spent_budget_fails_a_judge_at_once(harness: Harness, fake: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget's Retry-After is hours away: the judge's error says so at once instead of waiting."""
    import threading
    import time

    from jurist.judges import Correctness

    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
                                       "budgets": [{"usd": 1e-9, "per": "day"}]}]})
    monkeypatch.setenv("JURIST_GATEWAY_URL", gw.url)
    monkeypatch.setenv("JURIST_GATEWAY_TOKEN", _token(gw))
    judge = Correctness(model="gateway:/judge")
    assert judge(**QA).value == "yes"  # this one spends the budget
    for answer in ("Paris, France.", "It is Paris."):  # the second must not wait behind the first's 429
        done: list[Any] = []
        worker = threading.Thread(target=lambda a=answer, out=done: out.append(judge(**{**QA, "outputs": a})),
                                  daemon=True)
        start = time.monotonic()
        worker.start()
        worker.join(10)
        assert done, "a judge waited for the budget's Retry-After instead of failing"
        assert time.monotonic() - start < 5
        assert done[0].error is not None and "has spent its budget" in (done[0].error.error_message or "")
    assert fake["a"].calls == 1
