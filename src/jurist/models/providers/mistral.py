"""Mistral AI chat completions (``mistral:/<model>``).

Request: ``POST {base}/chat/completions`` (base ``https://api.mistral.ai/v1``) with ``Authorization:
Bearer``. Close to OpenAI's format, with Mistral's own names: the seed is ``random_seed``; structured
output is ``response_format: {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``.
Answers are Chat Completions-shaped (``content`` may be a list of chunks for reasoning models; the
``thinking`` chunks are skipped). Errors come as ``{"object": "error", "message", "type", "param",
"code"}`` at the top level, or ``{"message": ..., "request_id": ...}`` from the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from jurist.models._types import KNOWN_PARAMS, ChatRequest
from jurist.models.providers import openai as oa
from jurist.models.providers.openai import OpenAIProvider


def to_wire(request: ChatRequest, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A Mistral chat completion request body. Pure: no I/O, no env."""
    body: dict[str, Any] = {"model": model, "messages": [m.to_dict() for m in request.messages]}
    for k, v in params.items():
        body["random_seed" if k == "seed" else k] = v
    if request.response_schema is not None:
        body["response_format"] = oa.response_format(request.response_schema)
    return body


class MistralProvider(OpenAIProvider):
    """``mistral:/<model>``: api.mistral.ai, or ``MISTRAL_BASE_URL`` / ``base_url``; key ``MISTRAL_API_KEY``."""

    name = "mistral"
    api_key_envs: ClassVar[tuple[str, ...]] = ("MISTRAL_API_KEY",)
    base_url_envs: ClassVar[tuple[str, ...]] = ("MISTRAL_BASE_URL",)
    default_base_url = "https://api.mistral.ai/v1"
    # Its own to_wire does not carry tools yet.
    supports_tools = False
    # Mistral's API takes no token log-probabilities.
    supported_params: ClassVar[frozenset[str]] = frozenset(KNOWN_PARAMS)

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        return to_wire(request, self.model, self.params(request))
