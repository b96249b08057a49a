"""The gateway's own wire format, OpenAI Chat Completions: to a :class:`ChatRequest` and back.

Pure functions, no I/O. A request for a target that speaks another wire format (Anthropic, Gemini,
Bedrock …) is read into jurist's provider-neutral :class:`ChatRequest`, sent through that provider's
``to_wire``/``from_wire``, and its :class:`ChatResponse` written back here as a chat completion (or as
the chunks of a stream).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from jurist.errors import ConfigError
from jurist.models._types import ChatRequest, ChatResponse, Message, ResponseSchema, Tool, ToolCall
from jurist.models.providers.openai import read_tool_calls, wire_tool_call

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}

#: Provider stop reasons, as OpenAI names them.
_FINISH = {
    "end_turn": "stop", "stop_sequence": "stop", "STOP": "stop", "COMPLETE": "stop", "stop": "stop",
    "max_tokens": "length", "MAX_TOKENS": "length", "length": "length", "tool_use": "tool_calls",
    "tool_calls": "tool_calls", "TOOL_CALL": "tool_calls", "content_filter": "content_filter",
    "SAFETY": "content_filter", "guardrail_intervened": "content_filter",
}


def _text(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if isinstance(p, dict) and p.get("type") in ("text", "input_text") and isinstance(p.get("text"), str):
                parts.append(p["text"])
            else:
                kind = p.get("type") if isinstance(p, dict) else type(p).__name__
                raise ConfigError(f"{where}: content part of type {kind!r} is not supported here; send text parts")
        return "".join(parts)
    raise ConfigError(f"{where}.content must be a string or a list of text parts")


def _tool_calls(calls: Any, where: str) -> tuple[ToolCall, ...]:
    for i, c in enumerate(calls or []):
        fn = c.get("function") if isinstance(c, dict) else None
        if not isinstance(fn, dict) or not fn.get("name"):
            raise ConfigError(f"{where}.tool_calls[{i}] needs a function with a name")
    return tuple(read_tool_calls(calls))


def to_chat_request(body: dict[str, Any]) -> ChatRequest:
    """A Chat Completions request body as a provider-neutral request; a ConfigError says what is wrong."""
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise ConfigError("'messages' must be a non-empty list of {role, content} objects")
    messages = []
    for i, m in enumerate(msgs):
        where = f"messages[{i}]"
        if not isinstance(m, dict) or m.get("role") not in _ROLES:
            raise ConfigError(f"{where}.role must be one of {', '.join(_ROLES)}")
        messages.append(Message(
            role=_ROLES[m["role"]],  # type: ignore[arg-type]
            content=_text(m.get("content"), where),
            tool_calls=_tool_calls(m.get("tool_calls"), where),
            tool_call_id=m.get("tool_call_id"),
            name=m.get("name") if m.get("role") == "tool" else None,
        ))
    if (body.get("n") or 1) != 1:
        raise ConfigError("'n' above 1 is not supported by this endpoint's target; send n=1")
    params: dict[str, Any] = {}
    for k in ("temperature", "top_p", "seed", "stop"):
        if body.get(k) is not None:
            params[k] = body[k]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None:
        params["max_tokens"] = max_tokens
    schema = None
    rf = body.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_schema":
        js = rf.get("json_schema") or {}
        if not isinstance(js.get("schema"), dict):
            raise ConfigError("response_format.json_schema.schema must be a JSON schema object")
        schema = ResponseSchema(name=str(js.get("name") or "response"), schema=js["schema"])
    elif isinstance(rf, dict) and rf.get("type") == "json_object":
        schema = ResponseSchema(name="json_object", schema={"type": "object"})
    elif isinstance(rf, dict) and rf.get("type") not in (None, "text"):
        raise ConfigError(f"response_format type {rf.get('type')!r} is not supported: use text, json_object or "
                          "json_schema")
    tools = []
    for i, t in enumerate(body.get("tools") or []):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(fn, dict) or not fn.get("name"):
            raise ConfigError(f"tools[{i}] must be {{type: function, function: {{name, parameters}}}}")
        tools.append(Tool(name=str(fn["name"]), description=str(fn.get("description") or ""),
                          parameters=fn.get("parameters") or {"type": "object", "properties": {}}))
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name")
    try:
        return ChatRequest(messages=tuple(messages), response_schema=schema, params=params, tools=tuple(tools),
                           tool_choice=choice if tools else None)
    except ValueError as e:
        raise ConfigError(str(e)) from None


def finish_reason(reason: str | None) -> str:
    if reason is None:
        return "stop"
    return _FINISH.get(reason, reason)


def _wire_calls(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [wire_tool_call(c) for c in calls]


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def usage_dict(resp: ChatResponse) -> dict[str, int]:
    i, o = resp.usage.input_tokens or 0, resp.usage.output_tokens or 0
    return {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}


def structured(resp: ChatResponse, request: ChatRequest) -> ChatResponse:
    """An answer to a request for structured output, as OpenAI gives it: the JSON in the text, and no trace
    of how the provider was made to write it. Anthropic and Bedrock are asked through a forced tool named
    after the schema; that call is the answer, not a tool call the client declared."""
    schema = request.response_schema
    if schema is None:
        return resp
    declared = {t.name for t in request.tools}
    forced = [c for c in resp.tool_calls if c.name == schema.name and c.name not in declared]
    if not forced:
        return resp
    call = forced[0]
    text = (call.raw_arguments if call.raw_arguments is not None and not call.arguments
            else json.dumps(call.arguments, ensure_ascii=False))
    rest = [c for c in resp.tool_calls if c not in forced]
    finish = resp.finish_reason
    if not rest and finish_reason(finish) == "tool_calls":
        finish = "stop"
    return ChatResponse(text=text, usage=resp.usage, finish_reason=finish, model=resp.model, tool_calls=rest,
                        latency_ms=resp.latency_ms, cost_usd=resp.cost_usd, cached=resp.cached)


def schema_in_prompt(request: ChatRequest) -> ChatRequest:
    """The request without its schema, the schema spelled out in a system message instead (for a target that
    takes no structured output, so that the client still gets the JSON it asked for)."""
    schema = request.response_schema
    if schema is None:
        return request
    if schema.any_object:
        ask = "Reply with one JSON object and nothing else: no prose, no code fence."
    else:
        ask = ("Reply with one JSON object that fits this JSON schema, and nothing else (no prose, no code fence):\n"
               + json.dumps(schema.schema, ensure_ascii=False))
    bare = request.without_schema()
    return ChatRequest(messages=(*bare.messages, Message(role="system", content=ask)), params=bare.params,
                       tools=bare.tools, tool_choice=bare.tool_choice)


def from_chat_response(resp: ChatResponse, model: str) -> dict[str, Any]:
    """A provider-neutral answer as a Chat Completions response body."""
    message: dict[str, Any] = {"role": "assistant", "content": resp.text}
    if resp.tool_calls:
        message["tool_calls"] = _wire_calls(resp.tool_calls)
        if not resp.text or resp.finish_reason in ("tool_use", "tool_calls", "TOOL_CALL"):
            message["content"] = None
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": resp.model or model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(resp.finish_reason)}],
        "usage": usage_dict(resp),
    }


def sse(data: dict[str, Any] | str) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"data: {payload}\n\n".encode()


DONE = b"data: [DONE]\n\n"


def stream_chunks(resp: ChatResponse, model: str, include_usage: bool) -> list[bytes]:
    """A whole answer as the server-sent events of a Chat Completions stream (for targets that do not stream)."""
    base = {"id": completion_id(), "object": "chat.completion.chunk", "created": int(time.time()),
            "model": resp.model or model}
    delta: dict[str, Any] = {"role": "assistant", "content": resp.text}
    if resp.tool_calls:
        delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(_wire_calls(resp.tool_calls))]
    events = [
        sse({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}),
        sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish_reason(resp.finish_reason)}]}),
    ]
    if include_usage:
        events.append(sse({**base, "choices": [], "usage": usage_dict(resp)}))
    events.append(DONE)
    return events


def error_body(message: str, etype: str, code: str | None = None, param: str | None = None) -> bytes:
    """An error in OpenAI's shape, so that OpenAI clients (and jurist's ``gateway:/`` provider) read it."""
    return json.dumps({"error": {"message": message, "type": etype, "param": param, "code": code}},
                      ensure_ascii=False).encode()
