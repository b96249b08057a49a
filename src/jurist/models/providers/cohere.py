"""Cohere Chat API v2 (``cohere:/<model>``).

Request: ``POST {base}/v2/chat`` with ``Authorization: Bearer``; ``messages`` with roles ``system``,
``user``, ``assistant`` and string content; sampling as ``temperature``, ``p``, ``max_tokens``,
``seed``, ``stop_sequences``; structured output as ``response_format: {"type": "json_object",
"json_schema": {...}}``.

Answer: ``message.content[]`` text blocks, ``finish_reason`` (``COMPLETE``, ``STOP_SEQUENCE``,
``MAX_TOKENS``, ``TOOL_CALL``, ``ERROR`` …) and ``usage`` with ``billed_units`` (what is charged) and
``tokens`` (what the model saw, including Cohere's own prompt template). Errors are
``{"id", "message"}``; 498 is an invalid token, 429 a rate limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from jurist.errors import (
    AuthError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    SchemaUnsupportedError,
)
from jurist.models._types import ChatRequest, ChatResponse, Usage
from jurist.models.providers._base import Provider, default_error, error_message


def to_wire(request: ChatRequest, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A v2 chat request body. Pure: no I/O, no env."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [m.to_dict() for m in request.messages],
        "stream": False,
    }
    names = {"temperature": "temperature", "top_p": "p", "max_tokens": "max_tokens", "seed": "seed"}
    for k, wire in names.items():
        if k in params:
            body[wire] = params[k]
    if "stop" in params:
        stop = params["stop"]
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if request.response_schema is not None:
        rs = request.response_schema
        body["response_format"] = {"type": "json_object"} if rs.any_object else {"type": "json_object",
                                                                               "json_schema": rs.schema}
    return body


def from_wire(body: Any, provider: str = "cohere") -> ChatResponse:
    """Read a v2 chat answer. Usage is the billed units (the price applies to them), else the tokens."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        raise ProviderError(f"{provider} answered without a message: {str(body)[:300]}", provider=provider)
    finish = body.get("finish_reason")
    if finish in ("ERROR_TOXIC", "BLOCKED"):
        raise ContentFilteredError(f"{provider} stopped the answer (finish_reason={finish})", provider=provider)
    content = body["message"].get("content") or []
    if isinstance(content, str):
        text = content
    else:
        text = "".join(c.get("text", "") for c in content if isinstance(c, dict) and c.get("type", "text") == "text")
    usage = body.get("usage") or {}
    billed = usage.get("billed_units") or {}
    tokens = usage.get("tokens") or {}
    inp = billed.get("input_tokens", tokens.get("input_tokens"))
    out = billed.get("output_tokens", tokens.get("output_tokens"))
    return ChatResponse(
        text=text,
        usage=Usage(None if inp is None else int(inp), None if out is None else int(out)),
        finish_reason=finish,
    )


def map_error(
    provider: str, status: int, body: str, headers: Mapping[str, str], key_env: tuple[str, ...]
) -> ProviderError:
    msg = error_message(body)
    low = msg.lower()
    kw: dict[str, Any] = {"provider": provider, "status": status, "body": body[:2000], "headers": headers}
    if status == 498:  # Cohere's "invalid token"
        return AuthError(f"{provider} refused the credentials (HTTP 498): {msg}. Check {key_env[0]}.", **kw)
    if status in (400, 422):
        if "too many tokens" in low or ("context" in low and "token" in low) or "prompt is too long" in low:
            return ContextLengthError(f"{provider}: the prompt is too long for the model: {msg}", **kw)
        if "blocked" in low and ("output" in low or "input" in low or "policy" in low):
            return ContentFilteredError(f"{provider} content filter: {msg}", **kw)
        if "response_format" in low or "json_schema" in low or "schema" in low:
            return SchemaUnsupportedError(f"{provider} does not accept the output schema: {msg}", **kw)
    return default_error(provider, status, body, headers, key_env=key_env)


class CohereProvider(Provider):
    """``cohere:/<model>`` (``command-a-03-2025``): api.cohere.com, or ``COHERE_BASE_URL`` / ``base_url``;
    the key from ``COHERE_API_KEY`` (or the SDK's ``CO_API_KEY``)."""

    name = "cohere"
    api_key_envs: ClassVar[tuple[str, ...]] = ("COHERE_API_KEY", "CO_API_KEY")
    base_url_envs: ClassVar[tuple[str, ...]] = ("COHERE_BASE_URL", "CO_API_URL")
    default_base_url = "https://api.cohere.com"

    def url(self, request: ChatRequest) -> str:
        base = self.base_url
        return f"{base}/chat" if base.endswith("/v2") else f"{base}/v2/chat"

    def headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json",
             "Authorization": f"Bearer {self.api_key or ''}"}
        h.update(self.extra_headers)
        return h

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        return to_wire(request, self.model, self.params(request))

    def from_wire(self, body: Any) -> ChatResponse:
        return from_wire(body, self.name)

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        return map_error(self.name, status, body, headers, self.api_key_envs)
