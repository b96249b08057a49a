"""Google Gemini API (``gemini:/<model>``, also ``google:/<model>``).

Request: ``POST {base}/models/{model}:generateContent`` with ``x-goog-api-key``. The prompt is
``contents`` (roles ``user`` and ``model``, each with ``parts: [{"text"}]``), the system prompt is
``systemInstruction``; sampling lives in ``generationConfig`` (``temperature``, ``topP``,
``maxOutputTokens``, ``seed``, ``stopSequences``); structured output is ``responseMimeType:
"application/json"`` plus ``responseSchema``, an OpenAPI-style subset of JSON Schema (upper-case
types, string-only enums, no ``additionalProperties``).

Answer: ``candidates[0].content.parts[].text`` (``thought: true`` parts skipped), ``finishReason``
(``STOP``, ``MAX_TOKENS``, ``SAFETY`` …), ``usageMetadata`` (``promptTokenCount``,
``candidatesTokenCount``, ``thoughtsTokenCount``); a blocked prompt has no candidates and a
``promptFeedback.blockReason``. Errors are ``{"error": {"code", "message", "status", "details"}}``;
a 429 says how long to wait in a ``google.rpc.RetryInfo`` detail (``"retryDelay": "37s"``).

Tools are ``tools: [{"functionDeclarations": [...]}]`` with ``toolConfig.functionCallingConfig``; the
model's calls come back as ``functionCall`` parts and their results go back as ``functionResponse``
parts of the next user turn (an object; tool output that is not a JSON object is wrapped as
``{"content": ...}``). Calls without an ``id`` are given one here, which is not sent back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from jurist.errors import (
    AuthError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    RateLimitError,
    SchemaUnsupportedError,
)
from jurist.models._http import parse_retry_after
from jurist.models._types import ChatRequest, ChatResponse, Message, Tool, ToolCall, Usage
from jurist.models.providers._base import Provider, default_error, error_message

#: Finish reasons that mean a safety system stopped the answer.
FILTERED = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"})
_TYPES = {"string", "number", "integer", "boolean", "array", "object"}
_KEEP = ("description", "format", "nullable", "minItems", "maxItems", "minimum", "maximum")


class _Unsupported(Exception):
    """A JSON schema construct Gemini's responseSchema cannot express."""


def _convert(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        raise _Unsupported(repr(schema))
    t = schema.get("type")
    enum = schema.get("enum")
    if t is None and enum is not None and all(isinstance(o, str) for o in enum):
        t = "string"
    if t not in _TYPES:
        raise _Unsupported(f"type {t!r}")
    out: dict[str, Any] = {"type": t.upper()}
    if enum is not None:
        if t == "string":
            out["format"] = "enum"
            out["enum"] = list(enum)
        # Numeric enums are not expressible; the type still holds and the judge validates the value.
    for k in _KEEP:
        if k in schema:
            out[k] = schema[k]
    if t == "array":
        out["items"] = _convert(schema.get("items", {"type": "string"}))
    if t == "object":
        props = schema.get("properties") or {}
        if not props or isinstance(schema.get("additionalProperties"), dict):
            raise _Unsupported("an object without fixed properties")
        out["properties"] = {name: _convert(sub) for name, sub in props.items()}
        if schema.get("required"):
            out["required"] = list(schema["required"])
        # Gemini orders keys alphabetically unless told; the rationale must come before the result.
        out["propertyOrdering"] = list(props)
    return out


def response_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The Gemini ``responseSchema`` for a JSON schema, or None when it cannot be expressed (then
    plain JSON mode is asked for, and the judge's parser holds the answer to the type)."""
    try:
        return _convert(schema)
    except _Unsupported:
        return None


#: Ids given here to calls that came without one; they are not sent back.
LOCAL_ID_PREFIX = "gemini-call-"


def _response_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {"content": text}


def wire_contents(messages: list[Message]) -> list[dict[str, Any]]:
    """Chat turns as ``contents``: tool calls are ``functionCall`` parts of the model's turn, tool
    results ``functionResponse`` parts sharing the next user turn."""
    out: list[dict[str, Any]] = []

    def last_user_has_responses() -> bool:
        return bool(out) and out[-1]["role"] == "user" and any("functionResponse" in p for p in out[-1]["parts"])

    for m in messages:
        if m.role == "tool":
            resp: dict[str, Any] = {"name": m.name or "", "response": _response_object(m.content)}
            if m.tool_call_id and not m.tool_call_id.startswith(LOCAL_ID_PREFIX):
                resp["id"] = m.tool_call_id
            if last_user_has_responses():
                out[-1]["parts"].append({"functionResponse": resp})
            else:
                out.append({"role": "user", "parts": [{"functionResponse": resp}]})
        elif m.role == "assistant" and m.tool_calls:
            parts: list[dict[str, Any]] = [{"text": m.content}] if m.content else []
            for c in m.tool_calls:
                call: dict[str, Any] = {"name": c.name, "args": c.arguments}
                if not c.id.startswith(LOCAL_ID_PREFIX):
                    call["id"] = c.id
                parts.append({"functionCall": call})
            out.append({"role": "model", "parts": parts})
        elif m.role == "user" and last_user_has_responses():
            out[-1]["parts"].append({"text": m.content})
        else:
            out.append({"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]})
    return out


def wire_tool(tool: Tool) -> dict[str, Any]:
    """A function declaration: the OpenAPI-style ``parameters`` when the schema fits it, else the JSON
    schema as it is in ``parametersJsonSchema``."""
    decl: dict[str, Any] = {"name": tool.name, "description": tool.description}
    converted = response_schema(tool.parameters)
    if converted is not None:
        decl["parameters"] = converted
    else:
        decl["parametersJsonSchema"] = tool.parameters
    return decl


def wire_tool_config(choice: str) -> dict[str, Any]:
    if choice in ("auto", "none"):
        return {"functionCallingConfig": {"mode": choice.upper()}}
    if choice == "required":
        return {"functionCallingConfig": {"mode": "ANY"}}
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}}


def to_wire(request: ChatRequest, params: Mapping[str, Any]) -> dict[str, Any]:
    """A generateContent request body. Pure: no I/O, no env."""
    body: dict[str, Any] = {"contents": wire_contents(request.chat_messages)}
    if request.tools:
        body["tools"] = [{"functionDeclarations": [wire_tool(t) for t in request.tools]}]
        if request.tool_choice is not None:
            body["toolConfig"] = wire_tool_config(request.tool_choice)
    if request.system:
        body["systemInstruction"] = {"parts": [{"text": request.system}]}
    config: dict[str, Any] = {}
    names = {"temperature": "temperature", "top_p": "topP", "max_tokens": "maxOutputTokens", "seed": "seed"}
    for k, wire in names.items():
        if k in params:
            config[wire] = params[k]
    if "stop" in params:
        stop = params["stop"]
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if request.response_schema is not None:
        config["responseMimeType"] = "application/json"
        converted = response_schema(request.response_schema.schema)
        if converted is not None:
            config["responseSchema"] = converted
    if config:
        body["generationConfig"] = config
    return body


def from_wire(body: Any, provider: str = "gemini") -> ChatResponse:
    """Read a generateContent answer: the first candidate's text, its finish reason, usage."""
    if not isinstance(body, dict):
        raise ProviderError(f"{provider} answered with something other than an object: {str(body)[:300]}",
                            provider=provider)
    candidates = body.get("candidates") or []
    feedback = body.get("promptFeedback") or {}
    if not candidates:
        reason = feedback.get("blockReason")
        if reason:
            raise ContentFilteredError(f"{provider} blocked the prompt (blockReason={reason})", provider=provider)
        raise ProviderError(f"{provider} answered without candidates: {str(body)[:300]}", provider=provider)
    cand = candidates[0]
    finish = cand.get("finishReason")
    if finish in FILTERED:
        raise ContentFilteredError(f"{provider} stopped the answer (finishReason={finish})", provider=provider)
    parts = (cand.get("content") or {}).get("parts") or []
    text = "".join(p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought"))
    tool_calls: list[ToolCall] = []
    for i, p in enumerate(parts):
        call = p.get("functionCall") if isinstance(p, dict) else None
        if isinstance(call, dict):
            args = call.get("args")
            tool_calls.append(ToolCall(
                id=str(call.get("id") or f"{LOCAL_ID_PREFIX}{i}"), name=str(call.get("name") or ""),
                arguments=args if isinstance(args, dict) else {},
                raw_arguments=None if isinstance(args, dict) or args is None else json.dumps(args),
            ))
    usage = body.get("usageMetadata") or {}
    out = usage.get("candidatesTokenCount")
    if out is not None or usage.get("thoughtsTokenCount") is not None:
        # Thinking tokens are billed as output.
        out = (out or 0) + (usage.get("thoughtsTokenCount") or 0)
    return ChatResponse(
        text=text,
        usage=Usage(usage.get("promptTokenCount"), out),
        finish_reason=finish,
        model=body.get("modelVersion"),
        tool_calls=tool_calls,
    )


def _retry_delay(details: list[Any]) -> float | None:
    for d in details:
        if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.RetryInfo"):
            m = re.fullmatch(r"\s*([0-9.]+)s\s*", str(d.get("retryDelay", "")))
            if m:
                return float(m.group(1))
    return None


def map_error(
    provider: str, status: int, body: str, headers: Mapping[str, str], key_env: tuple[str, ...]
) -> ProviderError:
    err: dict[str, Any] = {}
    try:
        data = json.loads(body)
        if isinstance(data, list) and data:  # some Google front ends wrap the error in a list
            data = data[0]
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            err = data["error"]
    except ValueError:
        pass
    msg = str(err.get("message") or error_message(body))
    low = msg.lower()
    raw_details = err.get("details")
    details: list[Any] = raw_details if isinstance(raw_details, list) else []
    reasons = {str(d.get("reason", "")) for d in details if isinstance(d, dict)}
    kw: dict[str, Any] = {"provider": provider, "status": status, "body": body[:2000], "headers": headers}
    envs = " or ".join(key_env)
    if status in (401, 403) or "API_KEY_INVALID" in reasons or "api key not valid" in low:
        return AuthError(f"{provider} refused the credentials (HTTP {status}): {msg} Check {envs}.", **kw)
    if status == 429:
        quotas = json.dumps(details)
        if "PerDay" in quotas:
            return ProviderError(
                f"{provider} daily quota exhausted (HTTP 429): {msg} It resets daily; raise the project's quota.",
                **kw,
            )
        wait = parse_retry_after(headers)
        return RateLimitError(f"{provider} rate limit (HTTP 429): {msg}",
                              retry_after=wait if wait is not None else _retry_delay(details), **kw)
    if status == 400:
        if ("token count" in low and "exceeds" in low) or ("context" in low and "token" in low):
            return ContextLengthError(f"{provider}: the prompt is too long for the model: {msg}", **kw)
        if ("response_schema" in low or "responseschema" in low or "response_mime_type" in low
                or "responsemimetype" in low or "json mode" in low):
            return SchemaUnsupportedError(f"{provider} does not accept the output schema: {msg}", **kw)
    return default_error(provider, status, body, headers, key_env=key_env)


class GeminiProvider(Provider):
    """``gemini:/<model>`` (``google:/<model>``): generativelanguage.googleapis.com, or
    ``GEMINI_BASE_URL`` / ``base_url``; the key from ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``."""

    name = "gemini"
    api_key_envs: ClassVar[tuple[str, ...]] = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    base_url_envs: ClassVar[tuple[str, ...]] = ("GEMINI_BASE_URL",)
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"
    supports_tools = True

    def url(self, request: ChatRequest) -> str:
        model = self.model if "/" in self.model else f"models/{self.model}"
        return f"{self.base_url}/{quote(model, safe='/')}:generateContent"

    def headers(self) -> dict[str, str]:
        # The key goes in a header, never in the URL (?key=), so it cannot leak through logged URLs.
        h = {"Content-Type": "application/json", "x-goog-api-key": self.api_key or ""}
        h.update(self.extra_headers)
        return h

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        return to_wire(request, self.params(request))

    def from_wire(self, body: Any) -> ChatResponse:
        return from_wire(body, self.name)

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        return map_error(self.name, status, body, headers, self.api_key_envs)
