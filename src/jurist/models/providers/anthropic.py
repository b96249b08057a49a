"""Anthropic Messages API (``anthropic:/<model>``).

Request: ``POST {base}/v1/messages`` with ``x-api-key`` and ``anthropic-version``; ``max_tokens`` is
required; the system prompt is a top-level field. Structured output is a forced tool: one tool whose
``input_schema`` is the verdict schema, and ``tool_choice: {"type": "tool", "name": ...}``. Offered
tools go in the same ``tools`` list; the model's calls come back as ``tool_use`` content blocks and their
results go back as ``tool_result`` blocks inside the next user turn. Errors come as ``{"type": "error",
"error": {"type", "message"}}``; 529 means overloaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from jurist.errors import (
    AuthError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    SchemaUnsupportedError,
    ServerError,
)
from jurist.models._types import ChatRequest, ChatResponse, Message, ToolCall, Usage
from jurist.models.providers._base import Provider, default_error, error_message

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024


def wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Chat turns in the Messages API's shape.

    Tool calls become ``tool_use`` blocks of the assistant turn; tool results become ``tool_result``
    blocks, and the results of one assistant turn (with any user text after them) share one user turn,
    as the API requires.
    """
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.tool_call_id or "", "content": m.content}
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif m.role == "assistant" and m.tool_calls:
            blocks: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
            blocks.extend({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                          for c in m.tool_calls)
            out.append({"role": "assistant", "content": blocks})
        elif m.role == "user" and out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
            out[-1]["content"].append({"type": "text", "text": m.content})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def wire_tool_choice(choice: str) -> dict[str, Any]:
    if choice == "required":
        return {"type": "any"}
    if choice in ("auto", "none"):
        return {"type": choice}
    return {"type": "tool", "name": choice}


def to_wire(request: ChatRequest, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A Messages API request body. Pure: no I/O, no env."""
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": params.get("max_tokens", DEFAULT_MAX_TOKENS),
        "messages": wire_messages(request.chat_messages),
    }
    system = request.system
    if system:
        body["system"] = system
    for k in ("temperature", "top_p"):
        if k in params:
            body[k] = params[k]
    if "stop" in params:
        stop = params["stop"]
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    tools = [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in request.tools]
    if request.response_schema is not None:
        name = request.response_schema.name
        tools.append(
            {
                "name": name,
                "description": "Record the verdict. Call this exactly once with the rationale and the result.",
                "input_schema": request.response_schema.schema,
            }
        )
        body["tool_choice"] = {"type": "tool", "name": name}
    if tools:
        body["tools"] = tools
    if request.tool_choice is not None and request.tools:
        body["tool_choice"] = wire_tool_choice(request.tool_choice)
    return body


def from_wire(body: Any, provider: str = "anthropic") -> ChatResponse:
    """Read a Messages API response: the forced tool's input as JSON text, else the text blocks."""
    if not isinstance(body, dict) or "content" not in body:
        raise ProviderError(f"{provider} answered without content: {str(body)[:300]}", provider=provider)
    stop = body.get("stop_reason")
    if stop == "refusal":
        raise ContentFilteredError(f"{provider} refused to answer (stop_reason=refusal)", provider=provider)
    text = None
    tool_calls: list[ToolCall] = []
    for i, block in enumerate(body.get("content") or []):
        if block.get("type") == "tool_use":
            if text is None:  # structured output is a forced tool: its input is the answer's text
                text = json.dumps(block.get("input"), ensure_ascii=False)
            args = block.get("input")
            tool_calls.append(ToolCall(
                id=str(block.get("id") or f"toolu_{i}"), name=str(block.get("name") or ""),
                arguments=args if isinstance(args, dict) else {},
                raw_arguments=None if isinstance(args, dict) else json.dumps(args),
            ))
    if text is None:
        text = "".join(b.get("text", "") for b in body.get("content") or [] if b.get("type") == "text")
    usage = body.get("usage") or {}
    inp = usage.get("input_tokens")
    if inp is not None:
        inp += (usage.get("cache_read_input_tokens") or 0) + (usage.get("cache_creation_input_tokens") or 0)
    return ChatResponse(
        text=text,
        usage=Usage(inp, usage.get("output_tokens")),
        finish_reason=stop,
        model=body.get("model"),
        tool_calls=tool_calls,
    )


def map_error(
    provider: str, status: int, body: str, headers: Mapping[str, str], key_env: tuple[str, ...]
) -> ProviderError:
    etype = ""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            etype = str(data["error"].get("type") or "")
    except ValueError:
        pass
    msg = error_message(body)
    kw: dict[str, Any] = {"provider": provider, "status": status, "body": body[:2000], "headers": headers}
    low = msg.lower()
    if status == 529 or etype == "overloaded_error":
        return ServerError(f"{provider} is overloaded (HTTP {status}): {msg}", **kw)
    if etype in ("authentication_error", "permission_error"):
        return AuthError(f"{provider} refused the credentials (HTTP {status}): {msg}. Check {key_env[0]}.", **kw)
    if status in (400, 413) and ("prompt is too long" in low or ("context" in low and "token" in low)):
        return ContextLengthError(f"{provider}: the prompt is too long for the model: {msg}", **kw)
    if status == 400 and (("tool" in low and "schema" in low) or "input_schema" in low):
        return SchemaUnsupportedError(f"{provider} does not accept the output schema: {msg}", **kw)
    return default_error(provider, status, body, headers, key_env=key_env)


class AnthropicProvider(Provider):
    """``anthropic:/<model>``: api.anthropic.com, or ``ANTHROPIC_BASE_URL`` / ``base_url``."""

    name = "anthropic"
    api_key_envs: ClassVar[tuple[str, ...]] = ("ANTHROPIC_API_KEY",)
    base_url_envs: ClassVar[tuple[str, ...]] = ("ANTHROPIC_BASE_URL",)
    default_base_url = "https://api.anthropic.com"
    supported_params = frozenset({"temperature", "max_tokens", "top_p", "stop"})
    supports_tools = True

    def url(self, request: ChatRequest) -> str:
        base = self.base_url
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"

    def headers(self) -> dict[str, str]:
        h = {
            "Content-Type": "application/json",
            "x-api-key": self.api_key or "",
            "anthropic-version": API_VERSION,
        }
        h.update(self.extra_headers)
        return h

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        return to_wire(request, self.model, self.params(request))

    def from_wire(self, body: Any) -> ChatResponse:
        return from_wire(body, self.name)

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        return map_error(self.name, status, body, headers, self.api_key_envs)
