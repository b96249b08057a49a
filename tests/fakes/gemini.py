"""A fake Gemini API: ``POST /v1beta/models/{model}:generateContent`` with ``x-goog-api-key``.

It checks the key the way Google does (none: 403 PERMISSION_DENIED; a wrong one: 400 INVALID_ARGUMENT
with ``API_KEY_INVALID``), holds ``responseSchema`` to Gemini's OpenAPI subset (no
``additionalProperties``, string-only enums, ``responseMimeType`` required), and answers with
``candidates``, ``usageMetadata`` and ``modelVersion``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tests.fakes._server import FakeServer, Reply, raw_reply


def gemini_error(status: int, grpc_status: str, message: str, details: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> Reply:
    """A reply in Google's error shape."""
    err: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if details is not None:
        err["details"] = details
    return Reply(status=status, json_body={"error": err}, headers=headers or {})


def rate_limited(retry_delay: str = "1s", per_day: bool = False) -> Reply:
    quota = "GenerateRequestsPerDayPerProjectPerModel-FreeTier" if per_day else \
        "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
    return gemini_error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and "
                        "billing details.", details=[
                            {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                             "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                                             "quotaId": quota}]},
                            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay},
                        ])


def overloaded() -> Reply:
    return gemini_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")


def too_long(tokens: int = 1200293) -> Reply:
    return gemini_error(400, "INVALID_ARGUMENT",
                        f"The input token count ({tokens}) exceeds the maximum number of tokens allowed (1048576).")


def blocked_prompt() -> Reply:
    return Reply(json_body={
        "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]},
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
        "modelVersion": "gemini-2.0-flash",
    })


def _bad_schema(schema: Any, path: str = "generation_config.response_schema") -> str | None:
    """Why Gemini would reject ``schema`` as a responseSchema, or None."""
    if not isinstance(schema, dict):
        return f"Invalid value at '{path}'"
    for key in schema:
        if key not in ("type", "format", "description", "nullable", "enum", "maxItems", "minItems", "properties",
                       "required", "propertyOrdering", "items", "minimum", "maximum", "anyOf", "title"):
            return f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': Cannot find field."
    t = str(schema.get("type", "")).upper()
    if "enum" in schema and t != "STRING":
        return f"* GenerateContentRequest.{path}.enum: only allowed for STRING type"
    if t == "OBJECT":
        if not schema.get("properties"):
            return f"* GenerateContentRequest.{path}.properties: should be non-empty for OBJECT type"
        for name, sub in schema["properties"].items():
            why = _bad_schema(sub, f"{path}.properties[{name}].value")
            if why:
                return why
    if t == "ARRAY":
        return _bad_schema(schema.get("items"), f"{path}.items")
    return None


def _as_json_schema(schema: Any) -> Any:
    """Gemini's upper-case schema back in JSON Schema spelling, for the default verdict."""
    if isinstance(schema, dict):
        return {k: (v.lower() if k == "type" and isinstance(v, str) else _as_json_schema(v)) for k, v in schema.items()}
    return schema


class FakeGemini(FakeServer):
    #: The model names this fake serves (others: 404 NOT_FOUND).
    models = ("gemini-2.0-flash", "gemini-2.5-flash", "gemini-1.5-pro")

    def __init__(self, api_key: str = "gemini-test-key") -> None:
        super().__init__(api_key)
        #: Answer every request that carries a responseSchema with a 400, as older models do.
        self.reject_schema = False

    def reset(self) -> None:
        super().reset()
        self.reject_schema = False

    def routes(self, app: web.Application) -> None:
        app.router.add_post(r"/v1beta/models/{model:[^/:]+}:generateContent", self.generate)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1beta"

    async def generate(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        key = request.headers.get("x-goog-api-key")
        if not key:
            return raw_reply(gemini_error(
                403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call this API."))
        if key != self.api_key:
            return raw_reply(gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                                          details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                                    "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                                                    "metadata": {"service": "generativelanguage.googleapis.com"}}]))
        model = request.match_info["model"]
        if model not in self.models:
            return raw_reply(gemini_error(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta, "
                                          "or is not supported for generateContent."))
        body: dict[str, Any] = rec.body if isinstance(rec.body, dict) else {}
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return raw_reply(gemini_error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not "
                                          "specified"))
        for c in contents:
            if c.get("role") not in ("user", "model") or not c.get("parts"):
                return raw_reply(gemini_error(400, "INVALID_ARGUMENT", "Please use a valid role: user, model."))
        config = body.get("generationConfig") or {}
        unknown = set(config) - {"temperature", "topP", "topK", "maxOutputTokens", "seed", "stopSequences",
                                 "responseMimeType", "responseSchema", "candidateCount", "thinkingConfig"}
        if unknown:
            name = sorted(unknown)[0]
            return raw_reply(gemini_error(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. Unknown name "
                                          f"\"{name}\" at 'generation_config': Cannot find field."))
        schema = config.get("responseSchema")
        if schema is not None:
            if self.reject_schema:
                return raw_reply(gemini_error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.generation_config."
                                              f"response_schema: response_schema is not supported for models/{model}"))
            if config.get("responseMimeType") != "application/json":
                return raw_reply(gemini_error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.generation_config."
                                              "response_mime_type: must be application/json when response_schema is set"))
            why = _bad_schema(schema)
            if why:
                return raw_reply(gemini_error(400, "INVALID_ARGUMENT", why))
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.json_body is not None or reply.raw is not None or reply.status != 200:
            return raw_reply(reply)
        text = reply.content if reply.content is not None else self.verdict_text(body, _as_json_schema(schema))
        usage = reply.usage or self.usage
        # A list is a turn of tool calls: functionCall parts, without ids, as Gemini 2.x sends them.
        parts = ([{"functionCall": {"name": c["name"], "args": c["arguments"]}} for c in text]
                 if isinstance(text, list) else [{"text": text}])
        return web.json_response({
            "candidates": [{
                "content": {"parts": parts, "role": "model"},
                "finishReason": reply.finish_reason or "STOP",
                "index": 0,
                "safetyRatings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}],
            }],
            "usageMetadata": {
                "promptTokenCount": usage[0],
                "candidatesTokenCount": usage[1],
                "totalTokenCount": usage[0] + usage[1],
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": usage[0]}],
            },
            "modelVersion": model,
            "responseId": "fake-response-id",
        }, headers=reply.headers)
