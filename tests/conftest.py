"""Test setup: no connection leaves the machine; fake providers on loopback; a fresh cache per test."""

from __future__ import annotations

import _socket
import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import pytest

import jurist
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI

# -- the network guard ------------------------------------------------------------------------------
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_P = ParamSpec("_P")
_R = TypeVar("_R")


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


def _refuse_connect(sock: _socket.socket, address: object, /) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        if not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"tests may not leave the machine: connection to {address!r} refused")


def _refuse_lookup(host: bytes | str | None, *args: object, **kwargs: object) -> None:
    if host is not None and not _is_loopback(host if not isinstance(host, bytes) else host.decode()):
        raise socket.gaierror(f"tests may not leave the machine: lookup of {host!r} refused")


def _guarded(real: Callable[_P, _R], refuse: Callable[_P, None]) -> Callable[_P, _R]:
    """``real``, called only after ``refuse`` (which raises for an address off the machine) let it through."""

    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        refuse(*args, **kwargs)
        return real(*args, **kwargs)

    return guarded


# Replacing the methods of a class is what the guard is; mypy refuses any assignment to a method.
socket.socket.connect = _guarded(socket.socket.connect, _refuse_connect)  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded(socket.socket.connect_ex, _refuse_connect)  # type: ignore[method-assign]
socket.getaddrinfo = _guarded(socket.getaddrinfo, _refuse_lookup)


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
