"""A loopback HTTP server on its own thread and event loop, scriptable and recording, for fake providers.

Each fake provider subclasses :class:`FakeServer`, adds its real routes, checks auth the way the
provider does, and answers in the provider's own JSON shapes. Tests script replies with
:meth:`FakeServer.enqueue` (429 with Retry-After, 401, 500, slow, malformed, truncated …) and read
what arrived in :attr:`FakeServer.requests`.

A ``responder`` computes the model's answer from the request body: a string is the model's text; a
list of ``{"name": ..., "arguments": {...}}`` dicts (``"id"`` optional) is a turn of tool calls, which
the fakes that speak tool calling send in their provider's own shape.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web
from aiohttp.typedefs import Handler

#: Computes the model's answer from a request body: its text, or a list of tool calls.
Responder = Callable[[dict[str, Any]], Any]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    @property
    def json(self) -> Any:
        return self.body


@dataclass
class Reply:
    """A scripted reply. ``content`` is the model's text for a normal answer; otherwise a raw HTTP reply."""

    status: int = 200
    content: str | None = None
    json_body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    usage: tuple[int, int] | None = None
    finish_reason: str | None = None

    @classmethod
    def text(cls, content: str, **kw: Any) -> Reply:
        return cls(content=content, **kw)

    @classmethod
    def slow(cls, delay: float, content: str | None = None) -> Reply:
        return cls(content=content, delay=delay)

    @classmethod
    def malformed(cls) -> Reply:
        return cls(status=200, raw=b'{"id": "x", "choices": [{"message": ', headers={"Content-Type": "application/json"})


class FakeServer:
    """Base of the fake providers: start/stop, recording, scripting, and a default verdict."""

    def __init__(self, api_key: str = "test-key") -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.script: deque[Reply] = deque()
        #: Computes the model's answer from the request body when nothing is scripted: its text, or a
        #: list of tool calls (``{"name", "arguments", "id"?}``) for the fakes that speak tool calling.
        self.responder: Responder | None = None
        self.usage = (42, 17)
        #: Seconds every unscripted answer waits, to stand in for a real provider's latency.
        self.latency = 0.0
        #: Keep each request (benchmarks turn this off and count only).
        self.keep_requests = True
        self.count = 0
        #: Requests being answered now, and the most there ever were at once.
        self.in_flight = 0
        self.max_in_flight = 0
        self._generation = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def start(self, port: int = 0, reuse_port: bool = False) -> Self:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self._counting])
                self.routes(app)
                runner = web.AppRunner(app, access_log=None)
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024, reuse_port=reuse_port or None)
                loop.run_until_complete(site.start())
                self._runner = runner
                self.port = runner.addresses[0][1]
            except BaseException as e:  # pragma: no cover - surfaced below
                errors.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"{type(self).__name__}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    @web.middleware
    async def _counting(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Requests still held from before the last reset (a slow reply whose client was killed) are not
        # counted against the test that follows.
        with self._lock:
            generation = self._generation
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await handler(request)
        finally:
            with self._lock:
                if generation == self._generation:
                    self.in_flight -= 1

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
            self.in_flight = 0
            self.requests.clear()
            self.count = 0
            self.max_in_flight = 0
            self.script.clear()
            self.responder = None
            self.usage = (42, 17)
            self.latency = 0.0

    # -- scripting --------------------------------------------------------------------------------
    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def next_reply(self) -> Reply | None:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return Reply(delay=self.latency) if self.latency else None

    @property
    def calls(self) -> int:
        return self.count

    async def record(self, request: web.Request) -> Recorded:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        rec = Recorded(request.method, request.path, dict(request.query), dict(request.headers), body)
        with self._lock:
            self.count += 1
            if self.keep_requests:
                self.requests.append(rec)
        return rec

    def verdict_text(self, body: dict[str, Any], schema: dict[str, Any] | None) -> Any:
        """The responder's answer (text, or a list of tool calls), else a verdict that fits ``schema``."""
        if self.responder is not None:
            return self.responder(body)
        result = example_value((schema or {}).get("properties", {}).get("result", {"enum": ["yes"]}))
        return json.dumps({"rationale": "The fake judge looked at it.", "result": result})


def example_value(schema: dict[str, Any]) -> Any:
    """A value that fits ``schema`` (the first enum option, true, 1, …)."""
    if "enum" in schema:
        return schema["enum"][0]
    examples: dict[str, Any] = {"boolean": True, "integer": 1, "number": 0.5, "string": "ok", "array": [], "object": {}}
    return examples.get(str(schema.get("type")), "yes")


def tool_call_ids(calls: list[dict[str, Any]], prefix: str, seq: int) -> list[dict[str, Any]]:
    """The scripted tool calls, each with an id (the scripted one, else a fresh one)."""
    return [{**c, "id": c.get("id") or f"{prefix}{seq:04d}{i:02d}"} for i, c in enumerate(calls)]


def raw_reply(reply: Reply) -> web.Response:
    if reply.raw is not None:
        return web.Response(status=reply.status, body=reply.raw, headers=reply.headers)
    return web.json_response(reply.json_body, status=reply.status, headers=reply.headers)
