"""The chat paths, served in plain ASGI ahead of FastAPI's routing.

``POST /v1/chat/completions`` and ``POST /<endpoint>/invocations`` are the gateway's traffic; every
other path (admin, models, docs) is FastAPI's. Measured on 2 cores, FastAPI's middleware, routing and
dependency solving cost about a third of the gateway's CPU per request, so these two paths skip them:
the request is read from ``receive``, answered with two ``send`` calls (a stream through Starlette's
``StreamingResponse``, which stops when the client goes), and nothing else differs.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from jurist.gateway._config import NAME_PATTERN
from jurist.gateway._dispatch import Result, Stream, failure
from jurist.gateway._service import Gateway, Unauthorized

log = logging.getLogger("jurist.gateway")

#: The largest request body taken (a long conversation with tool results fits many times over).
MAX_BODY = 32 * 1024 * 1024
CHAT_PATH = "/v1/chat/completions"
_INVOCATIONS = re.compile(r"^/(" + NAME_PATTERN[1:-1] + r")/invocations$")


def match(path: str) -> tuple[bool, str | None]:
    """Whether ``path`` is a chat path, and the endpoint it names (None: the body's ``model`` does)."""
    if path == CHAT_PATH:
        return True, None
    if path.endswith("/invocations"):
        m = _INVOCATIONS.match(path)
        if m:
            return True, m.group(1)
    return False, None


async def handle(gw: Gateway, authorization: str | None, raw: bytes, endpoint: str | None) -> Result | Stream:
    """One chat request, from its Authorization header and body to the answer."""
    await gw.ensure_started()
    try:
        client = await gw.authenticate(authorization)
    except Unauthorized as e:
        r = failure(e.http_status, str(e), "authentication_error", "invalid_client_token")
        r.headers["www-authenticate"] = "Bearer"
        return r
    try:
        body = json.loads(raw)
    except ValueError:
        return failure(400, "the request body is not JSON", "invalid_request_error", "invalid_json")
    if not isinstance(body, dict):
        return failure(400, "the request body must be a JSON object", "invalid_request_error", "invalid_json")
    if endpoint is None:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return failure(400, "'model' must name a gateway endpoint (GET /v1/models lists them)",
                           "invalid_request_error", "missing_model")
        endpoint = model[len("gateway:/"):] if model.startswith("gateway:/") else model
    return await gw.chat(endpoint, body, client)


async def serve(gw: Gateway, scope: dict[str, Any], receive: Any, send: Any, endpoint: str | None) -> None:
    """Answer one chat request in ASGI."""
    authorization = None
    for k, v in scope["headers"]:
        if k == b"authorization":
            authorization = v.decode("latin-1")
            break
    chunks = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            await _send(send, failure(413, f"the request body is larger than {MAX_BODY // (1024 * 1024)} MiB",
                                      "invalid_request_error", "request_too_large"))
            return
        chunks.append(chunk)
        more = message.get("more_body", False)
    try:
        out = await handle(gw, authorization, b"".join(chunks), endpoint)
    except Exception as e:  # a bug: answer 500, say what in one line, never a key
        import traceback

        log.error("gateway error on %s: %s: %s", scope.get("path"), type(e).__name__, gw.table.redact(str(e)))
        log.debug("%s", gw.table.redact(traceback.format_exc()))
        out = failure(500, "the gateway failed on this request; its log says why", "server_error", "internal_error")
    if isinstance(out, Stream):
        from starlette.responses import StreamingResponse

        await StreamingResponse(out.chunks, status_code=200, headers=out.result.headers)(scope, receive, send)
        return
    await _send(send, out)


async def _send(send: Any, result: Result) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in result.headers.items()]
    headers.append((b"content-length", str(len(result.body)).encode()))
    await send({"type": "http.response.start", "status": result.status, "headers": headers})
    await send({"type": "http.response.body", "body": result.body})
