"""A ceiling on request bodies, enforced while they arrive: a declared ``Content-Length`` over it is
refused before a byte is read, and a body that grows past it (chunked, or lying about its length) is
refused the moment it does, with **413**. Nothing larger than the limit is ever held in memory.

The limit is ``$JURIST_SERVER_MAX_BODY_MB`` (default 64) or ``create_app(max_body_bytes=...)``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from jurist.errors import ConfigError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_MB = 64


def max_body_bytes(value: int | None = None) -> int:
    """The body limit in bytes: ``value``, else ``$JURIST_SERVER_MAX_BODY_MB``, else 64 MiB."""
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"max_body_bytes must be a whole number of bytes of at least 1, got {value!r}")
        return value
    from jurist._runtime import RUNTIME

    return max(1, int(RUNTIME.settings.server_max_body_mb * 1024 * 1024))


class BodyTooLarge(Exception):
    """Raised inside the app's ``receive`` when the body passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than this server's limit of {limit} bytes "
                         "(JURIST_SERVER_MAX_BODY_MB); send less per request")
        self.limit = limit


def too_large_body(limit: int, protobuf: bool) -> tuple[bytes, str]:
    """The 413 body: a google.rpc.Status for OTLP protobuf clients, else jurist's JSON error."""
    message = str(BodyTooLarge(limit))
    if protobuf:
        from jurist.server._otlp import status_body

        return status_body(message, True), "application/x-protobuf"
    return json.dumps({"error_code": "PAYLOAD_TOO_LARGE", "message": message}).encode(), "application/json"


class BodyLimit:
    """ASGI middleware: answers 413 once a request's body passes ``limit`` bytes, reading no further."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers") or []}
        protobuf = b"protobuf" in headers.get(b"content-type", b"").lower()
        declared = headers.get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.limit:
            await self._refuse(send, protobuf)
            return
        received = 0
        over = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body") or b"")
                if received > self.limit:
                    over = True
                    raise BodyTooLarge(self.limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # whatever the app makes of the cut body, the answer is 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(send, protobuf)

    async def _refuse(self, send: Send, protobuf: bool) -> None:
        body, media = too_large_body(self.limit, protobuf)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", media.encode()), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
