"""A jurist server on 127.0.0.1 (a free port), on a thread, over a fresh SQLite store per test."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jurist.server._serve import ServerThread
from jurist.tracking import SqlStore, set_tracking_uri
from jurist.tracking._store import set_active_experiment

TOKEN = "s3cret-token"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """A tiny HTTP client for asserting on exact statuses and bodies."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        data = body
        if body is not None and not isinstance(body, (bytes, bytearray)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        out = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        conn.close()
        return out


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'server.db'}"


@pytest.fixture
def server(store_path: str) -> Iterator[ServerThread]:
    with ServerThread(store_path, token="") as s:  # no token: auth off
        yield s


@pytest.fixture
def secured(store_path: str) -> Iterator[ServerThread]:
    with ServerThread(store_path, token=TOKEN) as s:
        yield s


@pytest.fixture
def client(server: ServerThread) -> Http:
    return Http(server.port)


@pytest.fixture
def backend(store_path: str) -> Iterator[SqlStore]:
    """The server's database, read directly."""
    s = SqlStore(store_path)
    yield s
    s.close()


@pytest.fixture
def remote(server: ServerThread) -> Iterator[str]:
    """``set_tracking_uri(server.url)`` for the test, undone after it."""
    set_tracking_uri(server.url)
    set_active_experiment(None)
    yield server.url
    set_tracking_uri(None)
    set_active_experiment(None)
