"""Self-hosted OpenAI-compatible servers: ``ollama:/<model>`` and ``vllm:/<model>``.

Both speak the OpenAI Chat Completions wire format under ``/v1`` and need no key (one is sent when
set: vLLM started with ``--api-key`` checks it). ``openai:/<model>`` with ``base_url=...`` reaches
any other such server (llama.cpp's server, LM Studio, TGI) the same way.
"""

from __future__ import annotations

from typing import Any, ClassVar

import yarl

from jurist.models.providers.openai import OpenAIProvider


class _SelfHosted(OpenAIProvider):
    requires_key = False

    def __init__(self, model: str, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        # OLLAMA_BASE_URL=http://localhost:11434 means its OpenAI-compatible API at /v1.
        if yarl.URL(self.base_url).path in ("", "/"):
            self.base_url = f"{self.base_url}/v1"


class OllamaProvider(_SelfHosted):
    """``ollama:/<model>`` (``ollama:/llama3.1``) at ``OLLAMA_BASE_URL``, default http://localhost:11434/v1."""

    name = "ollama"
    api_key_envs: ClassVar[tuple[str, ...]] = ("OLLAMA_API_KEY",)
    base_url_envs: ClassVar[tuple[str, ...]] = ("OLLAMA_BASE_URL",)
    default_base_url = "http://localhost:11434/v1"


class VLLMProvider(_SelfHosted):
    """``vllm:/<model>`` (the served model name) at ``VLLM_BASE_URL``, default http://localhost:8000/v1."""

    name = "vllm"
    api_key_envs: ClassVar[tuple[str, ...]] = ("VLLM_API_KEY",)
    base_url_envs: ClassVar[tuple[str, ...]] = ("VLLM_BASE_URL",)
    default_base_url = "http://localhost:8000/v1"
