"""``gateway:/<endpoint>``: a jurist AI Gateway endpoint, spoken to in the OpenAI wire format.

The gateway lives at ``JURIST_GATEWAY_URL`` (its ``/v1/chat/completions`` takes ``model=<endpoint>``);
a client token, when the gateway asks for one, comes from ``JURIST_GATEWAY_TOKEN``.
"""

from __future__ import annotations

from typing import ClassVar

from jurist.models.providers.openai import OpenAIProvider


class GatewayProvider(OpenAIProvider):
    name = "gateway"
    api_key_envs: ClassVar[tuple[str, ...]] = ("JURIST_GATEWAY_TOKEN",)
    requires_key = False
    base_url_envs: ClassVar[tuple[str, ...]] = ("JURIST_GATEWAY_URL",)
    default_base_url = ""

    def __init__(self, model: str, **kwargs: object) -> None:
        super().__init__(model, **kwargs)  # type: ignore[arg-type]
        if not self.base_url.endswith("/v1"):
            self.base_url = f"{self.base_url}/v1"
