"""The gateway under test: uvicorn on 127.0.0.1:0 in a thread, in front of loopback fake providers.

Each test gets its own SQLite store, master key and admin token. Redis is the one at 127.0.0.1:6379
(``JURIST_TEST_REDIS_URL`` overrides it); a test that needs it fails, saying so, when it is down.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fakes.anthropic import FakeAnthropic
from tests.gateway._fakes import StreamingOpenAI

ADMIN_TOKEN = "admin-token-for-tests"
MASTER_KEY = "yqxbNTeRjvxVYQ0itrwDUeijs7L1jlD1a9q0WHwDmo4="


class Served:
    """An ASGI app under uvicorn on its own thread and loop, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on",
                                loop="asyncio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="gateway-under-test", daemon=True)
        self.port = 0

    def start(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start (see the log above)")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway(self) -> Any:
        return self.app.state.gateway


def on_loop(served: Served, coro: Any) -> Any:
    """Run ``coro`` on the gateway's own event loop and wait for it."""
    import asyncio

    return asyncio.run_coroutine_threadsafe(coro, served.gateway.loop).result(30)


def usage_rows(served: Served) -> list[dict[str, Any]]:
    """Every usage row the gateway has recorded (queued ones written first)."""
    from sqlalchemy import select

    from jurist.gateway._db import usage_table

    on_loop(served, served.gateway.recorder.flush())
    with served.gateway.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(usage_table).order_by(usage_table.c.id))]


def clear_of_minute_boundary() -> None:
    """Wait, if need be, so that the next few seconds stay in one rate-limit window (one UTC minute)."""
    into = time.time() % 60
    if into > 55:
        time.sleep(60.2 - into)


def free_port() -> int:
    """A loopback port nobody listens on (for a target whose connection fails)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def target(fake: Any, name: str, *, weight: float = 1, model: str = "gpt-4o-mini", key_env: str | None = None,
           **extra: Any) -> dict[str, Any]:
    """A target entry for a fake OpenAI server, its key from ``key_env``."""
    t = {"name": name, "model": f"openai:/{model}", "base_url": fake.base_url, "weight": weight, **extra}
    if key_env:
        t["key"] = f"env:{key_env}"
    return t


@pytest.fixture(scope="session")
def fakes() -> Iterator[dict[str, StreamingOpenAI]]:
    """Three OpenAI-compatible fakes, each with its own key."""
    servers = {n: StreamingOpenAI(api_key=f"sk-fake-{n}-0123456789").start() for n in ("a", "b", "c")}
    yield servers
    for s in servers.values():
        s.stop()


@pytest.fixture
def fake(fakes: dict[str, StreamingOpenAI], monkeypatch: pytest.MonkeyPatch) -> dict[str, StreamingOpenAI]:
    """The fakes, reset, with their keys in FAKE_A_KEY, FAKE_B_KEY, FAKE_C_KEY."""
    for n, s in fakes.items():
        s.reset()
        monkeypatch.setenv(f"FAKE_{n.upper()}_KEY", s.api_key)
    return fakes


@pytest.fixture(scope="session")
def _anthropic() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic(api_key="sk-ant-fake-0123456789").start()
    yield server
    server.stop()


@pytest.fixture
def anthropic(_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> FakeAnthropic:
    _anthropic.reset()
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", _anthropic.api_key)
    return _anthropic


@pytest.fixture(autouse=True)
def _gateway_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JURIST_GATEWAY_DB", f"sqlite:///{tmp_path / 'gateway.db'}")
    monkeypatch.setenv("JURIST_SECRET_KEY", MASTER_KEY)
    monkeypatch.setenv("JURIST_GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.delenv("JURIST_REDIS_URL", raising=False)


class Harness:
    """Start gateways from config dicts; stop them at the end of the test."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.served: list[Served] = []

    def write(self, config: dict[str, Any], name: str = "gateway.yaml") -> Path:
        path = self.tmp_path / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(config, sort_keys=False))
        os.replace(tmp, path)
        return path

    def start(self, config: dict[str, Any] | None = None, *, path: Path | None = None, **kwargs: Any) -> Served:
        from jurist.gateway import create_gateway_app

        if path is None and config is not None:
            config = {"reload_interval": 0.1, **config}
            path = self.write(config)
        app = create_gateway_app(path, **kwargs)
        served = Served(app).start()
        self.served.append(served)
        return served

    def stop(self) -> None:
        for s in self.served:
            s.stop()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    yield h
    h.stop()


def admin(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)


def new_client(served: Served, name: str = "tester") -> httpx.Client:
    """An HTTP client holding a fresh client token of the gateway."""
    with admin(served) as a:
        r = a.post("/admin/clients", json={"name": name})
        assert r.status_code == 201, r.text
        token = r.json()["token"]
    return httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def chat(client: httpx.Client, endpoint: str, text: str = "hi", **extra: Any) -> httpx.Response:
    return client.post("/v1/chat/completions",
                       json={"model": endpoint, "messages": [{"role": "user", "content": text}], **extra})


# -- Redis ------------------------------------------------------------------------------------------
def redis_url() -> str:
    return os.environ.get("JURIST_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique key prefix on the test Redis, its keys deleted afterwards. Fails (not skips) when Redis is down."""
    import redis

    url = redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as e:
        pytest.fail(f"the gateway's Redis tests need Redis at {url} (set JURIST_TEST_REDIS_URL to another): {e}")
    prefix = f"jurist-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()
