"""A fake OpenAI Chat Completions server: ``POST /v1/chat/completions`` with Bearer auth."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from tests.fakes._server import FakeServer, Reply, raw_reply, tool_call_ids


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


def tool_calls_completion(calls: list[dict[str, Any]], model: str, usage: tuple[int, int]) -> dict[str, Any]:
    """A completion whose message is a turn of tool calls, arguments as JSON text (as OpenAI sends them)."""
    body = completion(None, model, usage, "tool_calls")
    body["choices"][0]["message"]["tool_calls"] = [
        {"id": c["id"], "type": "function",
         "function": {"name": c["name"], "arguments": c["arguments"] if isinstance(c["arguments"], str)
                      else json.dumps(c["arguments"])}}
        for c in calls
    ]
    return body


def tool_sequence_error(messages: list[Any]) -> str | None:
    """What OpenAI says when tool messages do not answer the tool calls just before them, else None."""
    pending: list[str] = []
    for i, m in enumerate(messages):
        role = m.get("role") if isinstance(m, dict) else None
        if role == "tool":
            if m.get("tool_call_id") not in pending:
                return (f"Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                        f"message with 'tool_calls'. (messages[{i}])")
            pending.remove(m["tool_call_id"])
            continue
        if pending:
            return ("An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                    f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(pending)}")
        if role == "assistant":
            pending = [c.get("id") for c in m.get("tool_calls") or []]
    return None


class FakeOpenAI(FakeServer):
    path = "/v1/chat/completions"
    tool_turns = 0

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
        problem = tool_sequence_error(body["messages"])
        if problem:
            return raw_reply(openai_error(400, problem, "invalid_request_error", param="messages"))
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.content is None and reply.json_body is None and reply.raw is None and reply.status == 200:
            rf = body.get("response_format") or {}
            schema = (rf.get("json_schema") or {}).get("schema") if rf.get("type") == "json_schema" else None
            answer = self.verdict_text(body, schema)
            if isinstance(answer, list):
                self.tool_turns += 1
                calls = tool_call_ids(answer, "call_fake", self.tool_turns)
                return web.json_response(tool_calls_completion(calls, body["model"], reply.usage or self.usage))
            reply.content = answer
        if reply.content is not None:
            return web.json_response(
                completion(reply.content, body["model"], reply.usage or self.usage, reply.finish_reason or "stop"),
                headers=reply.headers,
            )
        return raw_reply(reply)
