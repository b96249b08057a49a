"""A fake OpenAI Chat Completions server: ``POST /v1/chat/completions`` with Bearer auth.

A request with ``logprobs: true`` is answered with ``choice.logprobs`` in OpenAI's shape (``{"content":
[{"token", "logprob", "bytes", "top_logprobs"}]}``, ``top_logprobs`` as many as asked). The answer's text
is cut into three tokens: what comes before the verdict, the verdict's first token (``yes``, ``true``; a
quote or space before it stays in the first), and the rest. ``verdict_logprobs`` scripts the verdict
token's distribution from the request body (token → log-probability).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Mapping
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


_RESULT = re.compile(r'"result"\s*:\s*"?')
_WORD = re.compile(r"[^\s\",}\]]+")
#: The verdict token's rivals when no distribution is scripted: none of them starts a verdict.
_FILLER = (("\n", -12.0), (" the", -13.0), ("...", -14.0))


def _entry(text: str, logprob: float) -> dict[str, Any]:
    return {"token": text, "logprob": logprob, "bytes": list(text.encode("utf-8"))}


def answer_logprobs(text: str, top_logprobs: int, distribution: Mapping[str, float] | None) -> dict[str, Any]:
    """``choice.logprobs`` for ``text``: the verdict's first token carries ``distribution`` (token →
    log-probability; the token itself at log-probability 0 when None), the others a certain token each."""
    found = list(_RESULT.finditer(text))
    word = _WORD.match(text, found[-1].end()) if found else None
    if word is None:
        pieces = [(text, 0.0, [(text, 0.0)])]
    else:
        verdict = word.group(0)
        dist = dict(distribution) if distribution is not None else {verdict: 0.0}
        chosen = dist.get(verdict, min(dist.values(), default=0.0))
        ranked = sorted(dist.items(), key=lambda kv: kv[1], reverse=True)
        if distribution is None:
            ranked += _FILLER
        pieces = [(text[:word.start()], 0.0, [(text[:word.start()], 0.0)]), (verdict, chosen, ranked),
                  (text[word.end():], 0.0, [(text[word.end():], 0.0)])]
    return {"content": [{**_entry(tok, lp), "top_logprobs": [_entry(t, v) for t, v in top[:top_logprobs]]}
                        for tok, lp, top in pieces if tok]}


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
    #: The verdict token's log-probabilities (token → log-probability) for a request body, when the request
    #: asks for logprobs; None: the verdict the answer gives is certain.
    verdict_logprobs: Callable[[dict[str, Any]], Mapping[str, float]] | None = None

    def reset(self) -> None:
        super().reset()
        self.verdict_logprobs = None

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
            out = completion(reply.content, body["model"], reply.usage or self.usage, reply.finish_reason or "stop")
            if body.get("logprobs") is True:
                dist = self.verdict_logprobs(body) if self.verdict_logprobs is not None else None
                out["choices"][0]["logprobs"] = answer_logprobs(reply.content, int(body.get("top_logprobs") or 0),
                                                                dist)
            return web.json_response(out, headers=reply.headers)
        return raw_reply(reply)
