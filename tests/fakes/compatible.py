"""A fake OpenAI-compatible server (Together AI, vLLM, Ollama): ``POST /v1/chat/completions``.

The key is optional (``require_key=False`` for a self-hosted server; a vLLM started with ``--api-key``
checks it); only the served model names answer (404 otherwise); ``reject_schema`` makes
``response_format: json_schema`` a 400 naming ``response_format``, as servers without structured
output answer. Errors use the top-level shape of vLLM (``{"object": "error", "message", "type",
"param", "code"}``) or OpenAI's ``{"error": {...}}`` (Together, Ollama).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes._server import Reply, raw_reply
from tests.fakes.openai import FakeOpenAI, openai_error


class FakeCompatible(FakeOpenAI):
    def __init__(self, api_key: str = "", *, require_key: bool = False, models: tuple[str, ...] = (),
                 error_style: str = "openai") -> None:
        super().__init__(api_key)
        self.require_key = require_key
        self.served = models
        self.error_style = error_style
        self.reject_schema = False

    def reset(self) -> None:
        super().reset()
        self.reject_schema = False

    def error(self, status: int, message: str, etype: str = "BadRequestError", param: str | None = None) -> Reply:
        if self.error_style == "vllm":
            return Reply(status=status, json_body={"object": "error", "message": message, "type": etype,
                                                   "param": param, "code": status})
        return openai_error(status, message, "invalid_request_error", param=param)

    def check_auth(self, request: web.Request) -> web.Response | None:
        if not self.require_key:
            return None
        return super().check_auth(request)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        denied = self.check_auth(request)
        body: dict[str, Any] = {}
        if denied is None:
            body = await request.json()
            if self.served and body.get("model") not in self.served:
                await self.record(request)
                return raw_reply(self.error(404, f"The model `{body.get('model')}` does not exist.", "NotFoundError"))
            rf = body.get("response_format") or {}
            if self.reject_schema and rf.get("type") == "json_schema":
                await self.record(request)
                return raw_reply(self.error(400, "response_format of type 'json_schema' is not supported by this "
                                                 "server", param="response_format"))
        return await super().chat(request)
