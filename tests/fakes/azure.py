"""A fake Azure OpenAI resource: ``POST /openai/deployments/{deployment}/chat/completions?api-version=``.

It authenticates the ``api-key`` header or an Entra ID ``Authorization: Bearer`` token, routes by
deployment (an unknown one: 404 ``DeploymentNotFound``), wants an ``api-version`` (and takes
``json_schema`` output only from 2024-08-01 on, as Azure does), and answers in the Chat Completions
shape with Azure's ``prompt_filter_results`` and per-choice ``content_filter_results``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

from tests.fakes._server import FakeServer, Reply, raw_reply
from tests.fakes.openai import completion

_FILTER_OK = {c: {"filtered": False, "severity": "safe"} for c in ("hate", "self_harm", "sexual", "violence")}


def azure_error(status: int, code: str, message: str, param: str | None = None,
                headers: dict[str, str] | None = None, **extra: Any) -> Reply:
    """A reply in Azure OpenAI's error shape."""
    err: dict[str, Any] = {"code": code, "message": message}
    if param is not None:
        err.update(param=param, type=None, status=status)
    err.update(extra)
    return Reply(status=status, json_body={"error": err}, headers=headers or {})


def rate_limited(seconds: int = 1) -> Reply:
    return azure_error(
        429, "429", "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have "
        f"exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after {seconds} seconds.",
        headers={"retry-after": str(seconds), "retry-after-ms": str(seconds * 1000)})


def content_filtered() -> Reply:
    return azure_error(
        400, "content_filter",
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please "
        "modify your prompt and retry.", param="prompt",
        innererror={"code": "ResponsibleAIPolicyViolation", "content_filter_result": {
            **_FILTER_OK, "violence": {"filtered": True, "severity": "high"}}})


def too_long() -> Reply:
    return azure_error(400, "context_length_exceeded",
                       "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                       "130000 tokens. Please reduce the length of the messages.", param="messages")


class FakeAzure(FakeServer):
    def __init__(self, api_key: str = "azure-test-key", ad_token: str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake") -> None:
        super().__init__(api_key)
        self.ad_token = ad_token
        #: deployment name → the model behind it.
        self.deployments = {"judge-gpt4o": "gpt-4o-2024-08-06", "gpt-4o-mini": "gpt-4o-mini-2024-07-18"}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self.chat)

    @property
    def base_url(self) -> str:
        return self.url

    async def chat(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        version = request.query.get("api-version")
        if not version:
            return raw_reply(azure_error(404, "404", "Resource not found"))
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", version):
            return raw_reply(azure_error(400, "BadRequest", f"API version not supported: {version}"))
        if (request.headers.get("api-key") != self.api_key
                and request.headers.get("Authorization") != f"Bearer {self.ad_token}"):
            return raw_reply(azure_error(
                401, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
                "a valid key for an active subscription and use a correct regional API endpoint for your resource."))
        deployment = request.match_info["deployment"]
        if deployment not in self.deployments:
            return raw_reply(azure_error(404, "DeploymentNotFound", "The API deployment for this resource does not "
                                         "exist. If you created the deployment within the last 5 minutes, please "
                                         "wait a moment and try again."))
        body: dict[str, Any] = rec.body if isinstance(rec.body, dict) else {}
        if not isinstance(body.get("messages"), list):
            return raw_reply(azure_error(400, "BadRequest", "'messages' is a required property", param="messages"))
        rf = body.get("response_format") or {}
        if rf.get("type") == "json_schema" and version[:10] < "2024-08-01":
            return raw_reply(azure_error(
                400, "BadRequest", "response_format value as json_schema is enabled only for api versions "
                "2024-08-01-preview and later", param="response_format"))
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.json_body is not None or reply.raw is not None or reply.status != 200:
            return raw_reply(reply)
        schema = (rf.get("json_schema") or {}).get("schema") if rf.get("type") == "json_schema" else None
        text = reply.content if reply.content is not None else self.verdict_text(body, schema)
        answer = completion(text, self.deployments[deployment], reply.usage or self.usage,
                            reply.finish_reason or "stop")
        answer["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": _FILTER_OK}]
        answer["choices"][0]["content_filter_results"] = _FILTER_OK
        return web.json_response(answer, headers=reply.headers)
