"""A fake OpenAI server that also streams (server-sent events), as ``stream: true`` asks."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from tests.fakes._server import Reply, raw_reply
from tests.fakes.openai import FakeOpenAI


class StreamingOpenAI(FakeOpenAI):
    """FakeOpenAI plus ``stream: true``: the answer in three content chunks, a finish chunk, and a usage
    chunk when ``stream_options.include_usage`` asks for it. ``break_stream`` drops the connection after
    the first chunk."""

    break_stream = False

    async def chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body: Any = json.loads(await request.read() or b"{}")
        except ValueError:
            body = {}
        if not (isinstance(body, dict) and body.get("stream")):
            return await super().chat(request)
        await self.record(request)
        denied = self.check_auth(request)
        if denied is not None:
            return denied
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200 or reply.raw is not None or reply.json_body is not None:
            return raw_reply(reply)
        text = reply.content if reply.content is not None else self.verdict_text(body, None)
        usage = reply.usage or self.usage
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body["model"]}

        async def send(obj: dict[str, Any]) -> None:
            await resp.write(f"data: {json.dumps(obj)}\n\n".encode())

        third = max(1, len(text) // 3)
        pieces = [text[:third], text[third:2 * third], text[2 * third:]]
        await send({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                         "finish_reason": None}]})
        for i, piece in enumerate(pieces):
            await send({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
            if i == 0 and self.break_stream:
                assert request.transport is not None
                request.transport.close()
                return resp
        await send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            await send({**base, "choices": [], "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                                                          "total_tokens": sum(usage)}})
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    def reset(self) -> None:
        super().reset()
        self.break_stream = False
