"""A fake Mistral AI API: ``POST /v1/chat/completions`` with ``Authorization: Bearer``.

Mistral validates strictly: an unknown field such as OpenAI's ``seed`` (Mistral's is
``random_seed``) answers 422 ``extra_forbidden``. Errors come at the top level (``{"object":
"error", "message", "type", "param", "code"}``); a bad key gets ``{"message": "Unauthorized"}``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from tests.fakes._server import FakeServer, Reply, raw_reply

FIELDS = {"model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop", "random_seed",
          "response_format", "tools", "tool_choice", "presence_penalty", "frequency_penalty", "n", "prediction",
          "parallel_tool_calls", "prompt_mode", "safe_prompt"}


def mistral_error(status: int, message: Any, etype: str = "invalid_request_error",
                  headers: dict[str, str] | None = None) -> Reply:
    """A reply in Mistral's error shape."""
    return Reply(status=status, json_body={"object": "error", "message": message, "type": etype, "param": None,
                                           "code": None}, headers=headers or {})


def rate_limited(retry_after: int = 1) -> Reply:
    return Reply(status=429, json_body={"message": "Requests rate limit exceeded"},
                 headers={"retry-after": str(retry_after)})


def too_long() -> Reply:
    return mistral_error(400, "Prompt contains 40123 tokens and 0 draft tokens, too large for model with 32768 "
                              "maximum context length")


class FakeMistral(FakeServer):
    def __init__(self, api_key: str = "mistral-test-key") -> None:
        super().__init__(api_key)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.chat)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    async def chat(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return raw_reply(Reply(status=401, json_body={"message": "Unauthorized", "request_id": "fake"}))
        body: dict[str, Any] = rec.body if isinstance(rec.body, dict) else {}
        extra = sorted(set(body) - FIELDS)
        if extra:
            return raw_reply(mistral_error(422, {"detail": [
                {"type": "extra_forbidden", "loc": ["body", k], "msg": "Extra inputs are not permitted",
                 "input": body[k]} for k in extra]}, etype="invalid_request_message_error"))
        if not body.get("model") or not isinstance(body.get("messages"), list):
            return raw_reply(mistral_error(422, "model and messages are required"))
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.json_body is not None or reply.raw is not None or reply.status != 200:
            return raw_reply(reply)
        rf = body.get("response_format") or {}
        schema = (rf.get("json_schema") or {}).get("schema") if rf.get("type") == "json_schema" else None
        text = reply.content if reply.content is not None else self.verdict_text(body, schema)
        usage = reply.usage or self.usage
        return web.json_response({
            "id": "cmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "tool_calls": None},
                         "finish_reason": reply.finish_reason or "stop"}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
        }, headers=reply.headers)
