"""``gateway:/<endpoint>``: a jurist AI Gateway endpoint, spoken to in the OpenAI wire format.

The gateway lives at ``JURIST_GATEWAY_URL`` (its ``/v1/chat/completions`` takes ``model=<endpoint>``),
else at the ``/gateway`` of the jurist server that ``JURIST_TRACKING_URI`` names (``http://...``);
a client token, when the gateway asks for one, comes from ``JURIST_GATEWAY_TOKEN``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar

from jurist.errors import ProviderError
from jurist.models.providers._base import error_message
from jurist.models.providers.openai import OpenAIProvider


def _server_gateway() -> str | None:
    """The ``/gateway`` of the tracking server, when the tracking URI names a server rather than a database."""
    from jurist._runtime import RUNTIME

    uri = RUNTIME.settings.tracking_uri or ""
    if uri.startswith(("http://", "https://")):
        return f"{uri.rstrip('/')}/gateway"
    return None


class GatewayProvider(OpenAIProvider):
    name = "gateway"
    api_key_envs: ClassVar[tuple[str, ...]] = ("JURIST_GATEWAY_TOKEN",)
    requires_key = False
    base_url_envs: ClassVar[tuple[str, ...]] = ("JURIST_GATEWAY_URL",)
    default_base_url = ""

    def __init__(self, model: str, **kwargs: object) -> None:
        if not kwargs.get("base_url") and not self._env(self.base_url_envs):
            kwargs["base_url"] = _server_gateway()
        super().__init__(model, **kwargs)  # type: ignore[arg-type]
        if not self.base_url.endswith("/v1"):
            self.base_url = f"{self.base_url}/v1"

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        # A spent budget is a 429 whose Retry-After is the end of the day, week or month: not a rate
        # limit to wait out, so it fails at once (as OpenAI's insufficient_quota does).
        if status == 429:
            try:
                code = (json.loads(body).get("error") or {}).get("code")
            except (ValueError, AttributeError):
                code = None
            if code == "budget_exceeded":
                return ProviderError(f"gateway: {error_message(body)}", provider=self.name, status=status,
                                     body=body[:2000], headers=headers)
        return super().map_error(status, body, headers)
