"""Together AI (``together:/<model>``): the OpenAI Chat Completions wire format at api.together.xyz.

Structured output is OpenAI's ``response_format: {"type": "json_schema", ...}``; models that do not
take it answer 400 naming ``response_format``, and the client falls back to prompt-only JSON.
"""

from __future__ import annotations

from typing import ClassVar

from jurist.models.providers.openai import OpenAIProvider


class TogetherProvider(OpenAIProvider):
    """``together:/<model>`` (``meta-llama/Llama-3.3-70B-Instruct-Turbo``); key ``TOGETHER_API_KEY``."""

    name = "together"
    api_key_envs: ClassVar[tuple[str, ...]] = ("TOGETHER_API_KEY",)
    base_url_envs: ClassVar[tuple[str, ...]] = ("TOGETHER_BASE_URL",)
    default_base_url = "https://api.together.xyz/v1"
