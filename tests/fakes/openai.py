"""A fake OpenAI Chat Completions server: ``POST /v1/chat/completions`` with Bearer auth."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from tests.fakes._server import FakeServer, Reply, raw_reply


def openai_error(status: int, message: str, etype: str, code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    """A reply in OpenAI's error shape."""
    return Reply(status=status, json_body={"error": {"message": message, "type": etype, "param": param, "code": code}},
                 headers=headers or {})


def rate_limited(retry_after: float | str = 1) -> Reply:
    return openai_error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded",
                        headers={"retry-after": str(retry_after)})


def server_error(status: int = 500) -> Reply:
    return openai_error(status, "The server had an error while processing your request.", "server_error")


def completion(content: str | None, model: str, usage: tuple[int, int], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None},
            "logprobs": None,
            "finish_reason": finish,
        }],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


class FakeOpenAI(FakeServer):
    path = "/v1/chat/completions"

    def routes(self, app: web.Application) -> None:
        app.router.add_post(self.path, self.chat)
        app.router.add_get("/v1/models", self.models)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})

    def check_auth(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            r = openai_error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
            return raw_reply(r)
        return None

    async def chat(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        denied = self.check_auth(request)
        if denied is not None:
            return denied
        body = rec.body if isinstance(rec.body, dict) else {}
        if not body.get("model") or not isinstance(body.get("messages"), list):
            return raw_reply(openai_error(400, "'messages' and 'model' are required", "invalid_request_error"))
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.content is None and reply.json_body is None and reply.raw is None and reply.status == 200:
            rf = body.get("response_format") or {}
            schema = (rf.get("json_schema") or {}).get("schema") if rf.get("type") == "json_schema" else None
            reply.content = self.verdict_text(body, schema)
        if reply.content is not None:
            return web.json_response(
                completion(reply.content, body["model"], reply.usage or self.usage, reply.finish_reason or "stop"),
                headers=reply.headers,
            )
        return raw_reply(reply)
