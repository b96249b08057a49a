"""A fake Anthropic Messages API: ``POST /v1/messages`` with ``x-api-key`` and ``anthropic-version``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from tests.fakes._server import FakeServer, Reply, raw_reply


def anthropic_error(status: int, etype: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """A reply in Anthropic's error shape."""
    return Reply(status=status, json_body={"type": "error", "error": {"type": etype, "message": message}},
                 headers=headers or {})


def rate_limited(retry_after: float | str = 1) -> Reply:
    return anthropic_error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit.",
                           headers={"retry-after": str(retry_after)})


def overloaded() -> Reply:
    return anthropic_error(529, "overloaded_error", "Overloaded")


class FakeAnthropic(FakeServer):
    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self.messages)

    @property
    def base_url(self) -> str:
        return self.url

    async def messages(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        if request.headers.get("x-api-key") != self.api_key:
            return raw_reply(anthropic_error(401, "authentication_error", "invalid x-api-key"))
        if not request.headers.get("anthropic-version"):
            return raw_reply(anthropic_error(400, "invalid_request_error", "anthropic-version header is required"))
        body: dict[str, Any] = rec.body if isinstance(rec.body, dict) else {}
        if "max_tokens" not in body:
            return raw_reply(anthropic_error(400, "invalid_request_error", "max_tokens: Field required"))
        if any(m.get("role") == "system" for m in body.get("messages", [])):
            return raw_reply(anthropic_error(
                400, "invalid_request_error",
                "messages: Unexpected role \"system\". Use the top-level `system` parameter instead."))
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.json_body is not None or reply.raw is not None or reply.status != 200:
            return raw_reply(reply)
        tools = body.get("tools") or []
        forced = (body.get("tool_choice") or {}).get("name")
        usage = reply.usage or self.usage
        if reply.content is None and forced:
            tool = next(t for t in tools if t["name"] == forced)
            text = self.verdict_text(body, tool["input_schema"])
            try:
                tool_input = json.loads(text)
                content = [{"type": "tool_use", "id": "toolu_fake", "name": forced, "input": tool_input}]
                stop = "tool_use"
            except ValueError:  # a scripted non-JSON answer still comes back as text
                content = [{"type": "text", "text": text}]
                stop = "end_turn"
        else:
            text = reply.content if reply.content is not None else self.verdict_text(body, None)
            content = [{"type": "text", "text": text}]
            stop = "end_turn"
        return web.json_response({
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": content,
            "stop_reason": reply.finish_reason or stop,
            "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
        }, headers=reply.headers)
