"""OpenAI Chat Completions (``openai:/<model>``), and the wire format every OpenAI-compatible vendor reuses.

Request: ``POST {base}/chat/completions`` with ``Authorization: Bearer``; structured output through
``response_format: {"type": "json_schema", ...}``. Tools go as ``tools: [{"type": "function", "function":
{...}}]``; the model's calls come back in ``message.tool_calls`` (arguments as JSON text) and their results
go back as ``{"role": "tool", "tool_call_id", "content"}`` messages. Errors come as ``{"error": {"message",
"type", "param", "code"}}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from jurist.errors import (
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    SchemaUnsupportedError,
)
from jurist.models._types import (
    KNOWN_PARAMS,
    ChatRequest,
    ChatResponse,
    Message,
    ResponseSchema,
    TokenLogprob,
    Tool,
    ToolCall,
    Usage,
)
from jurist.models.providers._base import Provider, default_error, error_message

# Reasoning models take max_completion_tokens and only the default temperature.
_REASONING = re.compile(r"^(o\d|gpt-5)")


def strict_compatible(schema: Any) -> bool:
    """OpenAI's strict mode needs every object closed (additionalProperties false) and fully required."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            if schema.get("additionalProperties", True) is not False:
                return False
            if set(schema.get("required", [])) != set(schema.get("properties", {})):
                return False
        return all(strict_compatible(v) for v in schema.values())
    if isinstance(schema, list):
        return all(strict_compatible(v) for v in schema)
    return True


def _strict(schema: ResponseSchema) -> bool:
    """strict_compatible, kept on the schema: a judge sends the same schema object with every row, and
    walking it for each request was a visible part of a request's CPU."""
    hit = schema.__dict__.get("_openai_strict")
    if hit is None:
        hit = schema.__dict__["_openai_strict"] = strict_compatible(schema.schema)
    return bool(hit)


def response_format(schema: ResponseSchema) -> dict[str, Any]:
    if schema.any_object:
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema.name,
            "schema": schema.schema,
            "strict": _strict(schema),
        },
    }


def wire_message(m: Message) -> dict[str, Any]:
    """One message in Chat Completions' shape, tool calls and tool results included."""
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.content}
    if m.tool_calls:
        return {"role": "assistant", "content": m.content or None, "tool_calls": [wire_tool_call(c) for c in m.tool_calls]}
    return {"role": m.role, "content": m.content}


def wire_tool_call(c: ToolCall) -> dict[str, Any]:
    """One tool call in Chat Completions' shape: arguments as JSON text (the provider's own text if it was not
    a JSON object)."""
    arguments = c.raw_arguments if c.raw_arguments is not None and not c.arguments else json.dumps(
        c.arguments, ensure_ascii=False)
    return {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": arguments}}


def wire_tool(tool: Tool) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
    if strict_compatible(tool.parameters):
        fn["strict"] = True
    return {"type": "function", "function": fn}


def wire_tool_choice(choice: str) -> Any:
    if choice in ("auto", "required", "none"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def to_wire(request: ChatRequest, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A Chat Completions request body. Pure: no I/O, no env."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [wire_message(m) for m in request.messages],
    }
    reasoning = bool(_REASONING.match(model))
    for k, v in params.items():
        if k == "max_tokens" and reasoning:
            body["max_completion_tokens"] = v
        elif k == "temperature" and reasoning:
            continue
        else:
            body[k] = v
    if request.response_schema is not None:
        body["response_format"] = response_format(request.response_schema)
    if request.tools:
        body["tools"] = [wire_tool(t) for t in request.tools]
        if request.tool_choice is not None:
            body["tool_choice"] = wire_tool_choice(request.tool_choice)
    return body


def read_tool_calls(calls: Any) -> list[ToolCall]:
    """``message.tool_calls`` as ToolCalls; arguments that are not a JSON object are kept raw."""
    out: list[ToolCall] = []
    for i, c in enumerate(calls or []):
        if not isinstance(c, dict):
            continue
        fn = c.get("function") or {}
        raw = fn.get("arguments")
        args: Any = raw
        if isinstance(raw, str):
            try:
                args = json.loads(raw) if raw.strip() else {}
            except ValueError:
                args = None
        if isinstance(args, dict):
            out.append(ToolCall(id=str(c.get("id") or f"call_{i}"), name=str(fn.get("name") or ""), arguments=args))
        else:
            out.append(ToolCall(id=str(c.get("id") or f"call_{i}"), name=str(fn.get("name") or ""),
                                raw_arguments=raw if isinstance(raw, str) else json.dumps(raw)))
    return out


def from_wire(body: Any, provider: str = "openai") -> ChatResponse:
    """Read a Chat Completions response body."""
    try:
        choice = body["choices"][0]
        message = choice.get("message") or {}
    except (KeyError, IndexError, TypeError) as e:
        raise ProviderError(f"{provider} answered without choices: {str(body)[:300]}", provider=provider) from e
    finish = choice.get("finish_reason")
    if message.get("refusal"):
        raise ContentFilteredError(f"{provider} refused: {message['refusal']}", provider=provider)
    if finish == "content_filter":
        raise ContentFilteredError(f"{provider} stopped the answer with its content filter", provider=provider)
    tool_calls = read_tool_calls(message.get("tool_calls"))
    text = message.get("content")
    if text is None:
        # Some compatible servers answer structured output as a tool call: its arguments are the text.
        calls = message.get("tool_calls") or []
        text = (calls[0].get("function") or {}).get("arguments") or "" if calls else ""
    if isinstance(text, list):  # some compatible servers answer with content parts
        text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
    usage = body.get("usage") or {}
    return ChatResponse(
        text=text,
        usage=Usage(usage.get("prompt_tokens"), usage.get("completion_tokens")),
        finish_reason=finish,
        model=body.get("model"),
        tool_calls=tool_calls,
        logprobs=read_logprobs(choice.get("logprobs")),
    )


def read_logprobs(logprobs: Any) -> list[TokenLogprob] | None:
    """``choice.logprobs.content`` (OpenAI's shape, also llama.cpp's) as TokenLogprobs; None if absent."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list) or not content:
        return None
    out: list[TokenLogprob] = []
    for item in content:
        if not isinstance(item, dict) or not isinstance(item.get("logprob"), (int, float)):
            return None
        top = tuple(
            (str(t.get("token", "")), float(t["logprob"]))
            for t in item.get("top_logprobs") or [] if isinstance(t, dict) and isinstance(t.get("logprob"), (int, float))
        )
        out.append(TokenLogprob(str(item.get("token", "")), float(item["logprob"]), top))
    return out


def map_error(
    provider: str, status: int, body: str, headers: Mapping[str, str], key_env: tuple[str, ...]
) -> ProviderError:
    err: dict[str, Any] = {}
    try:
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            err = data["error"]
    except ValueError:
        pass
    code = str(err.get("code") or "")
    msg = error_message(body)
    kw: dict[str, Any] = {"provider": provider, "status": status, "body": body[:2000], "headers": headers}
    if status == 400 or status == 422:
        low = msg.lower()
        if code == "context_length_exceeded" or "maximum context length" in low or "context length" in low:
            return ContextLengthError(f"{provider}: the prompt is too long for the model: {msg}", **kw)
        if code == "content_filter" or "content management policy" in low:
            return ContentFilteredError(f"{provider} content filter: {msg}", **kw)
        param = str(err.get("param") or "")
        if "response_format" in param or "response_format" in low or "json_schema" in low or "schema" in param:
            return SchemaUnsupportedError(f"{provider} does not accept the output schema: {msg}", **kw)
    if status == 429 and code == "insufficient_quota":
        return ProviderError(
            f"{provider} quota exhausted (HTTP 429 insufficient_quota): {msg}. Check the account's billing.",
            **kw,
        )
    return default_error(provider, status, body, headers, key_env=key_env)


class OpenAIProvider(Provider):
    """``openai:/<model>``: api.openai.com, or any server at ``OPENAI_BASE_URL`` / ``base_url``."""

    name = "openai"
    api_key_envs: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)
    base_url_envs: ClassVar[tuple[str, ...]] = ("OPENAI_BASE_URL",)
    default_base_url = "https://api.openai.com/v1"
    supports_tools = True
    # Token log-probabilities (asked for by a calibrated judge) are part of the Chat Completions format.
    supported_params: ClassVar[frozenset[str]] = frozenset({*KNOWN_PARAMS, "logprobs", "top_logprobs"})

    def key_required(self) -> bool:
        # ``openai:/`` with a base_url elsewhere is a self-hosted OpenAI-compatible server: no key needed.
        return self.requires_key and (self.name != "openai" or self.base_url == self.default_base_url)

    def url(self, request: ChatRequest) -> str:
        return f"{self.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json"}
        key = self.api_key
        if key:
            h["Authorization"] = f"Bearer {key}"
        h.update(self.extra_headers)
        return h

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        return to_wire(request, self.model, self.params(request))

    def from_wire(self, body: Any) -> ChatResponse:
        return from_wire(body, self.name)

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        return map_error(self.name, status, body, headers, self.api_key_envs)
