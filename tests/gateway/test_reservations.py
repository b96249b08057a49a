"""Budgets and token limits hold against requests in flight at once: each admitted request reserves its
estimated cost and tokens, settles them to what it used, and releases them when it fails."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from jurist.gateway._limits import NANO
from tests.fakes.openai import server_error
from tests.gateway.conftest import (
    Harness,
    Served,
    admin,
    clear_of_minute_boundary,
    on_loop,
    redis_url,
    target,
)

#: The fake answers with 42 input and 17 output tokens; at this price a request costs exactly $1.
DOLLAR_A_REQUEST = {"input_per_million": 0.0, "output_per_million": 1e6 / 17}


@pytest.fixture(autouse=True)
def _one_window() -> None:
    clear_of_minute_boundary()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def start(harness: Harness, fake: dict[str, Any], backend: str, request: pytest.FixtureRequest,
          **endpoint: Any) -> Served:
    t = target(fake["a"], "a", model="my-finetune", key_env="FAKE_A_KEY", price=DOLLAR_A_REQUEST)
    config: dict[str, Any] = {"endpoints": [{"name": "judge", "targets": [t], **endpoint}]}
    if backend == "redis":
        config["redis_prefix"] = request.getfixturevalue("redis_prefix")
        return harness.start(config, redis_url=redis_url())
    return harness.start(config)


def token(served: Served) -> str:
    with admin(served) as a:
        r = a.post("/admin/clients", json={"name": "tester"})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


def concurrently(served: Served, n: int, **extra: Any) -> list[int]:
    """``n`` chat requests sent at once; their statuses."""
    headers = {"Authorization": f"Bearer {token(served)}"}

    async def go() -> list[int]:
        limits = httpx.Limits(max_connections=n)
        async with httpx.AsyncClient(base_url=served.url, headers=headers, timeout=60, limits=limits) as c:
            body = {"model": "judge", "messages": [{"role": "user", "content": "hi"}], **extra}
            rs = await asyncio.gather(*(c.post("/v1/chat/completions", json=body) for _ in range(n)))
        return [r.status_code for r in rs]

    return asyncio.run(go())


def budget_counter(served: Served) -> int:
    """The endpoint's day budget counter (spent plus reserved), in nano-dollars."""
    import time

    from jurist.gateway._limits import period

    gw = served.gateway
    key = f"{gw.limits.prefix}budget:judge:day:{period('day', time.time())[0]}"
    deadline = time.monotonic() + 5
    while gw._tasks and time.monotonic() < deadline:  # Redis settles just after the answer
        time.sleep(0.02)

    async def read() -> int:
        b = gw.limits.backend
        if hasattr(b, "client"):
            return int(await b.client.get(key) or 0)
        return int(b._values.get(key, (0, 0))[0])

    return int(on_loop(served, read()))


def test_concurrent_requests_cannot_pass_a_spent_budget(harness: Harness, fake: dict[str, Any], backend: str,
                                                        request: pytest.FixtureRequest) -> None:
    """$5 a day, 50 requests of $1 at once: five are admitted, $5 is spent, the rest get 429."""
    fake["a"].latency = 0.3  # all fifty are in flight together
    gw = start(harness, fake, backend, request, budgets=[{"usd": 5, "per": "day"}])
    statuses = concurrently(gw, 50, max_tokens=17)
    assert statuses.count(200) == 5 and statuses.count(429) == 45
    assert fake["a"].calls == 5
    assert budget_counter(gw) == 5 * NANO  # settled to what was spent: nothing left reserved


def test_a_request_without_max_tokens_reserves_a_generous_estimate(harness: Harness, fake: dict[str, Any],
                                                                   backend: str, request: pytest.FixtureRequest) -> None:
    # With no max_tokens the reservation (1024 output tokens: $60 here) is larger than the whole budget: the
    # first request is admitted, and the others wait for its answer to settle rather than overspend.
    fake["a"].latency = 0.3
    gw = start(harness, fake, backend, request, budgets=[{"usd": 5, "per": "day"}])
    statuses = concurrently(gw, 20)
    assert statuses.count(200) == 1 and fake["a"].calls == 1
    assert budget_counter(gw) == 1 * NANO


def test_a_failed_request_releases_what_it_reserved(harness: Harness, fake: dict[str, Any], backend: str,
                                                    request: pytest.FixtureRequest) -> None:
    gw = start(harness, fake, backend, request, budgets=[{"usd": 5, "per": "day"}],
               limits={"tokens_per_minute": 10_000})
    fake["a"].enqueue(*[server_error(500)] * 10)  # the endpoint's retries all fail
    headers = {"Authorization": f"Bearer {token(gw)}"}
    with httpx.Client(base_url=gw.url, headers=headers, timeout=60) as c:
        body = {"model": "judge", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 17}
        assert c.post("/v1/chat/completions", json=body).status_code >= 500
        assert budget_counter(gw) == 0
        fake["a"].script.clear()
        assert [c.post("/v1/chat/completions", json=body).status_code for _ in range(6)] == [200] * 5 + [429]
    assert budget_counter(gw) == 5 * NANO


def test_concurrent_requests_cannot_pass_a_token_limit(harness: Harness, fake: dict[str, Any], backend: str,
                                                       request: pytest.FixtureRequest) -> None:
    # 59 tokens used, about 20 + 17 reserved each; 300 a minute: at most the requests reserved under 300 go.
    fake["a"].latency = 0.3
    gw = start(harness, fake, backend, request, limits={"tokens_per_minute": 300})
    statuses = concurrently(gw, 40, max_tokens=17)
    assert 0 < statuses.count(200) <= 300 // 17
    assert fake["a"].calls == statuses.count(200)
