"""Test setup: no connection leaves the machine; fake providers on loopback; a fresh cache per test."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest

import jurist
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI

# -- the network guard ------------------------------------------------------------------------------
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: object) -> bool:
    if host is None:
        return True
    h = str(host)
    if h in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(h.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guard(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        if not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"tests may not leave the machine: connection to {address!r} refused")


def _connect(self: socket.socket, address: object) -> None:
    _guard(self, address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _connect_ex(self: socket.socket, address: object) -> int:
    _guard(self, address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _getaddrinfo(host: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
    if host is not None and not _is_loopback(host if not isinstance(host, bytes) else host.decode()):
        raise socket.gaierror(f"tests may not leave the machine: lookup of {host!r} refused")
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


socket.socket.connect = _connect  # type: ignore[method-assign]
socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _getaddrinfo


# -- environment ------------------------------------------------------------------------------------
_PROVIDER_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "JURIST_DEFAULT_MODEL",
    "JURIST_GATEWAY_URL", "JURIST_GATEWAY_TOKEN", "JURIST_MAX_CONCURRENCY", "JURIST_TIMEOUT",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JURIST_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    # evaluate() logs every run; each test gets a store of its own, never ./jurist.db.
    monkeypatch.setenv("JURIST_TRACKING_URI", f"sqlite:///{tmp_path_factory.mktemp('tracking') / 'jurist.db'}")
    # Judges built without model= go to OpenAI (the loopback fake) even where the embedded local model
    # is installed; tests of default-model resolution unset this themselves.
    monkeypatch.setenv("JURIST_DEFAULT_MODEL", "openai:/gpt-4o-mini")
    # Every test starts from fresh process state; settings are read again on first use, after the env
    # the test and its fixtures set. A test that changes JURIST_* variables midway calls jurist.reset().
    jurist.reset()


@pytest.fixture(scope="session")
def _openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _anthropic_server() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(_openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """The fake OpenAI server, reset, with OPENAI_API_KEY/OPENAI_BASE_URL pointing at it."""
    _openai_server.reset()
    monkeypatch.setenv("OPENAI_API_KEY", _openai_server.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", _openai_server.base_url)
    return _openai_server


@pytest.fixture
def fake_anthropic(_anthropic_server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> FakeAnthropic:
    """The fake Anthropic server, reset, with ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL pointing at it."""
    _anthropic_server.reset()
    monkeypatch.setenv("ANTHROPIC_API_KEY", _anthropic_server.api_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", _anthropic_server.base_url)
    return _anthropic_server
