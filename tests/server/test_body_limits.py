"""Request bodies are bounded as they arrive: a declared or streamed body past the limit, and an OTLP body
that inflates past it (a gzip or deflate bomb), get 413 without the server holding more than the limit."""

from __future__ import annotations

import gzip
import json
import socket
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

import jurist
from jurist.errors import ConfigError
from jurist.server._serve import ServerThread
from jurist.tracking import SqlStore
from tests.server.conftest import Http
from tests.server.test_otlp import PB, TRACE, openinference_request, rpc_status

LIMIT = 1024 * 1024  # 1 MiB


@pytest.fixture
def small(store_path: str) -> Iterator[ServerThread]:
    with ServerThread(store_path, token="", max_body_bytes=LIMIT) as s:
        yield s


def bomb(size: int, wbits: int) -> bytes:
    """``size`` zero bytes compressed (gzip for wbits 31, deflate for 15), built without holding them."""
    z = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    parts = [z.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + z.flush()


def raw(port: int, head: bytes, body_parts: Iterator[bytes]) -> bytes:
    """Send a request by hand (headers, then body parts) and read the answer's status line and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        for part in body_parts:
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server has answered and closed: read what it said
        out = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and len(out.split(b"\r\n\r\n", 1)[1]) >= _length(out):
                break
        return out


def _length(response: bytes) -> int:
    for line in response.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return int(v)
    return 1 << 30


@pytest.mark.parametrize("encoding, wbits", [("gzip", 31), ("deflate", 15)])
def test_a_compression_bomb_is_refused_at_the_limit_not_inflated(small: ServerThread, store_path: str,
                                                                encoding: str, wbits: int) -> None:
    body = bomb(256 * 1024 * 1024, wbits)  # 256 MiB of zeros in about 250 KB
    assert len(body) < LIMIT
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        r = Http(small.port).request("POST", "/v1/traces", body, {**PB, "Content-Encoding": encoding})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status == 413
    assert "larger than 1048576 bytes once decompressed" in rpc_status(r.body)[1]
    assert peak < 16 * LIMIT  # a few buffers of the limit, never the 256 MiB
    store = SqlStore(store_path)
    try:
        assert store.search_traces() == []
    finally:
        store.close()


def test_compressed_bodies_under_the_limit_are_read_even_in_several_gzip_members(small: ServerThread,
                                                                                 store_path: str) -> None:
    data = openinference_request().SerializeToString()
    two_members = gzip.compress(data[:40]) + gzip.compress(data[40:])
    r = Http(small.port).request("POST", "/v1/traces", two_members, {**PB, "Content-Encoding": "gzip"})
    assert r.status == 200, r.body
    store = SqlStore(store_path)
    try:
        assert store.get_trace(TRACE.hex()).name == "rag_app"
    finally:
        store.close()
    cut = gzip.compress(data)[:-12]
    r = Http(small.port).request("POST", "/v1/traces", cut, {**PB, "Content-Encoding": "gzip"})
    assert r.status == 400 and "not valid gzip" in rpc_status(r.body)[1]


@pytest.mark.parametrize("path", ["/api/traces", "/v1/traces"])
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(small: ServerThread,
                                                                             path: str) -> None:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {50 * LIMIT}\r\n\r\n").encode()
    # Only 1 KB of the announced 50 MiB is sent: the answer comes without the rest.
    out = raw(small.port, head, iter([b"{" + b" " * 1023]))
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    body = json.loads(out.split(b"\r\n\r\n", 1)[1])
    assert body["error_code"] == "PAYLOAD_TOO_LARGE" and "JURIST_SERVER_MAX_BODY_MB" in body["message"]


def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(small: ServerThread) -> None:
    head = (b"POST /api/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b" " * 65536
    sent = 0

    def parts() -> Iterator[bytes]:
        nonlocal sent
        yield b"%x\r\n{\r\n" % 1
        for _ in range(40):  # 2.5 MiB offered; the answer must come after about 1 MiB
            sent += len(chunk)
            yield b"%x\r\n" % len(chunk) + chunk + b"\r\n"

    out = raw(small.port, head, parts())
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    assert json.loads(out.split(b"\r\n\r\n", 1)[1])["error_code"] == "PAYLOAD_TOO_LARGE"


def test_bodies_under_the_limit_are_served(small: ServerThread) -> None:
    r = Http(small.port).request("POST", "/api/experiments", {"name": "x" * 100})
    assert r.status == 201, r.body


def test_the_limit_is_a_setting(store_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_SERVER_MAX_BODY_MB", "0.01")
    with ServerThread(store_path, token="") as s:
        client = Http(s.port)
        assert client.request("POST", "/api/experiments", {"name": "small"}).status == 201
        assert client.request("POST", "/api/experiments", {"name": "x" * 20_000}).status == 413
    monkeypatch.setenv("JURIST_SERVER_MAX_BODY_MB", "lots")
    jurist.reset()  # settings are read once: a change midway takes a reset
    with pytest.raises(ConfigError, match="JURIST_SERVER_MAX_BODY_MB must be a positive number"):
        ServerThread(store_path, token="")
