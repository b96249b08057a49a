"""A fake Anthropic Messages API: ``POST /v1/messages`` with ``x-api-key`` and ``anthropic-version``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from tests.fakes._server import FakeServer, Reply, raw_reply, tool_call_ids


def anthropic_error(status: int, etype: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """A reply in Anthropic's error shape."""
    return Reply(status=status, json_body={"type": "error", "error": {"type": etype, "message": message}},
                 headers=headers or {})


def rate_limited(retry_after: float | str = 1) -> Reply:
    return anthropic_error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit.",
                           headers={"retry-after": str(retry_after)})


def overloaded() -> Reply:
    return anthropic_error(529, "overloaded_error", "Overloaded")


def tool_sequence_error(messages: list[Any]) -> str | None:
    """What Anthropic says when tool_result blocks do not answer the tool_use blocks just before them."""
    pending: set[str] = set()
    for i, m in enumerate(messages):
        blocks = m.get("content") if isinstance(m.get("content"), list) else []
        results = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
        if m.get("role") == "user":
            if pending - results:
                return (f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                        f"{', '.join(sorted(pending - results))}. Each `tool_use` block must have a corresponding "
                        "`tool_result` block in the next message.")
            if results - pending:
                return (f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{', '.join(sorted(x or '' for x in results - pending))}. Each `tool_result` block must "
                        "have a corresponding `tool_use` block in the previous message.")
            pending = set()
        elif m.get("role") == "assistant":
            if pending:
                return f"messages.{i}: roles must alternate between \"user\" and \"assistant\""
            pending = {b.get("id") for b in blocks if b.get("type") == "tool_use"}
    return None


class FakeAnthropic(FakeServer):
    tool_turns = 0

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
        problem = tool_sequence_error(body.get("messages", []))
        if problem:
            return raw_reply(anthropic_error(400, "invalid_request_error", problem))
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
            answer = reply.content if reply.content is not None else self.verdict_text(body, None)
            if isinstance(answer, list):
                self.tool_turns += 1
                calls = tool_call_ids(answer, "toolu_fake", self.tool_turns)
                content = [{"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["arguments"]}
                           for c in calls]
                stop = "tool_use"
            else:
                content = [{"type": "text", "text": answer}]
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
