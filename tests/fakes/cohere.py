"""A fake Cohere Chat API v2: ``POST /v2/chat`` with ``Authorization: Bearer``.

It refuses fields v2 does not have (``top_p`` is ``p``, ``stop`` is ``stop_sequences``), wants
``response_format.type`` to be ``json_object`` (with an optional ``json_schema``), and answers with
``message.content[]``, ``finish_reason`` and ``usage.billed_units``/``usage.tokens`` — the latter
larger, as Cohere's prompt template counts there but is not billed.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import web

from tests.fakes._server import FakeServer, Reply, raw_reply

#: What Cohere's template adds to the input tokens the model sees (not billed).
TEMPLATE_TOKENS = 173
FIELDS = {"model", "messages", "stream", "tools", "documents", "citation_options", "response_format", "safety_mode",
          "max_tokens", "stop_sequences", "temperature", "seed", "frequency_penalty", "presence_penalty", "k", "p",
          "logprobs", "tool_choice", "strict_tools", "thinking", "priority"}


def cohere_error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """A reply in Cohere's error shape."""
    return Reply(status=status, json_body={"id": str(uuid.uuid4()), "message": message}, headers=headers or {})


def rate_limited(retry_after: int = 1) -> Reply:
    return cohere_error(429, "You are using a Trial key, which is limited to 10 API calls / minute. You can continue "
                        "to use the Trial key for free or upgrade to a Production key with higher rate limits.",
                        headers={"retry-after": str(retry_after)})


def too_long() -> Reply:
    return cohere_error(400, "too many tokens: total number of tokens in the prompt cannot exceed 128000 - received "
                        "130211. Try using a shorter prompt, or enabling prompt truncating.")


class FakeCohere(FakeServer):
    def __init__(self, api_key: str = "cohere-test-key") -> None:
        super().__init__(api_key)
        self.reject_schema = False

    def reset(self) -> None:
        super().reset()
        self.reject_schema = False

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/chat", self.chat)

    @property
    def base_url(self) -> str:
        return self.url

    async def chat(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        if request.headers.get("Authorization", "").lower() != f"bearer {self.api_key}":
            return raw_reply(cohere_error(401, "invalid api token"))
        body: dict[str, Any] = rec.body if isinstance(rec.body, dict) else {}
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            return raw_reply(cohere_error(400, f"invalid request: unknown field(s): {', '.join(unknown)}"))
        if not body.get("model") or not isinstance(body.get("messages"), list) or not body["messages"]:
            return raw_reply(cohere_error(400, "invalid request: model and messages are required"))
        if body.get("stream"):
            return raw_reply(cohere_error(400, "invalid request: this fake does not stream"))
        rf = body.get("response_format") or {}
        if rf:
            if rf.get("type") not in ("text", "json_object"):
                return raw_reply(cohere_error(400, f"invalid request: response_format.type must be one of text, "
                                              f"json_object; received {rf.get('type')!r}"))
            if rf.get("json_schema") is not None and self.reject_schema:
                return raw_reply(cohere_error(400, f"invalid request: model '{body['model']}' does not support "
                                              "response_format json_schema"))
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.json_body is not None or reply.raw is not None or reply.status != 200:
            return raw_reply(reply)
        text = reply.content if reply.content is not None else self.verdict_text(body, rf.get("json_schema"))
        usage = reply.usage or self.usage
        return web.json_response({
            "id": str(uuid.uuid4()),
            "message": {"role": "assistant", "content": [{"type": "text", "text": text}]},
            "finish_reason": reply.finish_reason or "COMPLETE",
            "usage": {
                "billed_units": {"input_tokens": usage[0], "output_tokens": usage[1]},
                "tokens": {"input_tokens": usage[0] + TEMPLATE_TOKENS, "output_tokens": usage[1]},
            },
        }, headers=reply.headers)
