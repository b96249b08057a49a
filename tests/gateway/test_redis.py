"""Replicas share rate limits and budgets through Redis (127.0.0.1:6379, or JURIST_TEST_REDIS_URL)."""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import time
from typing import Any

import httpx
import pytest

from jurist.gateway._limits import Check
from jurist.gateway._redis import RedisBackend
from tests.gateway.conftest import (
    Harness,
    Served,
    chat,
    clear_of_minute_boundary,
    new_client,
    redis_url,
    target,
)
from tests.gateway.test_limits import ONE


@pytest.fixture(autouse=True)
def _one_window() -> None:
    clear_of_minute_boundary()


def test_the_scripts_check_and_count_atomically(redis_prefix: str) -> None:
    async def run() -> None:
        b = RedisBackend(redis_url())
        try:
            req = Check(f"{redis_prefix}r", 2, True, 60_000, 0, "", "")
            tok = Check(f"{redis_prefix}t", 100, False, 60_000, 0, "", "")
            assert await b.admit([req, tok]) == -1
            assert await b.admit([req, tok]) == -1
            assert await b.admit([req, tok]) == 0          # the request counter is full
            assert await b.add([(tok.key, 150, 60_000)]) == [150]
            assert await b.admit([tok]) == 0               # the token counter is spent
            assert await b.admit([Check(f"{redis_prefix}r2", 5, True, 60_000, 0, "", ""), tok]) == 1
            assert int(await b.client.get(f"{redis_prefix}r2") or 0) == 0  # a refused request counts nowhere
            assert 0 < await b.client.pttl(tok.key) <= 60_000
        finally:
            await b.aclose()

    asyncio.run(run())


def _replicas(harness: Harness, fake: dict[str, Any], prefix: str, **endpoint: Any) -> tuple[Served, Served]:
    config = {"redis_prefix": prefix, "reload_interval": 0.1,
              "endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")], **endpoint}]}
    path = harness.write(config)
    return (harness.start(path=path, redis_url=redis_url()), harness.start(path=path, redis_url=redis_url()))


def test_replicas_share_a_rate_limit(harness: Harness, fake: dict[str, Any], redis_prefix: str) -> None:
    one, two = _replicas(harness, fake, redis_prefix, limits={"requests_per_minute": 10})
    with new_client(one) as c1:
        token = c1.headers["Authorization"]
    clients = [httpx.Client(base_url=s.url, headers={"Authorization": token}, timeout=30) for s in (one, two)]
    try:
        with cf.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda i: chat(clients[i % 2], "judge").status_code, range(24)))
    finally:
        for c in clients:
            c.close()
    assert statuses.count(200) == 10 and statuses.count(429) == 14
    assert fake["a"].calls == 10


def test_replicas_share_a_budget(harness: Harness, fake: dict[str, Any], redis_prefix: str) -> None:
    one, two = _replicas(harness, fake, redis_prefix, budgets=[{"usd": 2.5 * ONE, "per": "day"}])
    with new_client(one) as c1:
        token = c1.headers["Authorization"]
    with httpx.Client(headers={"Authorization": token}, timeout=30) as c:
        for url in (one.url, two.url, one.url):
            # The previous answer's reservation (an estimate above its cost) is settled on Redis just
            # after the answer: a request that meets it still held is refused for a moment.
            deadline = time.monotonic() + 5
            while (status := c.post(f"{url}/v1/chat/completions", json={
                    "model": "judge", "messages": [{"role": "user", "content": "hi"}]}).status_code) == 429:
                assert time.monotonic() < deadline, "a reservation was never settled"
                time.sleep(0.05)
            assert status == 200
        # Spend is counted just after each answer; the other replica sees it within moments.
        deadline = time.monotonic() + 5
        while True:
            r = c.post(f"{two.url}/v1/chat/completions",
                       json={"model": "judge", "messages": [{"role": "user", "content": "hi"}]})
            if r.status_code == 429:
                break
            assert time.monotonic() < deadline, "the budget spent on replica one never reached replica two"
            time.sleep(0.05)
    assert r.json()["error"]["code"] == "budget_exceeded"


def test_an_unreachable_redis_fails_at_start(harness: Harness, fake: dict[str, Any]) -> None:
    from jurist.errors import ConfigError
    from jurist.gateway import create_gateway_app
    from tests.gateway.conftest import free_port

    app = create_gateway_app(None, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(ConfigError, match="cannot reach Redis at JURIST_REDIS_URL"):
        app.state.gateway.preflight()


def test_jurist_redis_url_turns_sharing_on(harness: Harness, fake: dict[str, Any], redis_prefix: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_REDIS_URL", redis_url())
    gw = harness.start({"redis_prefix": redis_prefix, "endpoints": [
        {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
         "limits": {"requests_per_minute": 1}}]})
    assert isinstance(gw.gateway.limits.backend, RedisBackend)
    with new_client(gw) as c:
        assert [chat(c, "judge").status_code for _ in range(2)] == [200, 429]


class PausableProxy:
    """A loopback TCP proxy to the test Redis that can stop passing bytes on (a Redis that stalls)."""

    def __init__(self, target: tuple[str, int]) -> None:
        import threading

        self.target = target
        self.paused = False
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    while self.paused:
                        await asyncio.sleep(0.01)
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        async def serve() -> None:
            self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(serve())
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True, name="redis-proxy")
        self.thread.start()
        ready.wait(10)

    def stop(self) -> None:
        self.paused = False

        async def close() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_a_stalled_redis_costs_a_request_only_the_short_redis_timeout(
        harness: Harness, fake: dict[str, Any], redis_prefix: str) -> None:
    """Redis stops answering mid-run: requests are served without limits (fail-open, as documented) after
    at most ``redis_timeout``, not after the client's own timeout."""
    from urllib.parse import urlparse

    u = urlparse(redis_url())
    proxy = PausableProxy((u.hostname or "127.0.0.1", u.port or 6379))
    try:
        config = {"redis_prefix": redis_prefix, "redis_timeout": 0.2, "endpoints": [
            {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
             "limits": {"requests_per_minute": 1000}}]}
        path = harness.write(config)
        db = (u.path or "/0")
        gw = harness.start(path=path, redis_url=f"redis://127.0.0.1:{proxy.port}{db}")
        assert gw.gateway.limits.backend.client.connection_pool.connection_kwargs["socket_timeout"] == 0.2
        with new_client(gw) as c:
            assert chat(c, "judge").status_code == 200
            proxy.paused = True
            # The old 5 s Redis timeout would outlast this client's 3 s; the gateway must answer first.
            c.timeout = httpx.Timeout(3.0)
            answers = [chat(c, "judge") for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 200]
    finally:
        proxy.stop()
