"""Azure OpenAI (``azure:/<deployment>``): the OpenAI wire format at a deployment's URL.

Request: ``POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`` with
an ``api-key`` header, or ``Authorization: Bearer <Entra ID token>`` when a token is given instead of
a key. The body and the answer are OpenAI's Chat Completions; errors are OpenAI's shape too, with
Azure's content filter answering ``400`` and ``code: "content_filter"`` (``innererror`` names the
``ResponsibleAIPolicyViolation``), or ``finish_reason: "content_filter"`` in a 200 answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from jurist.errors import AuthError, ConfigError, ProviderError
from jurist.models._types import ChatRequest
from jurist.models.providers import openai as oa
from jurist.models.providers._base import error_message
from jurist.models.providers.openai import OpenAIProvider

#: The latest generally available data-plane API version (structured outputs need 2024-08-01 or later).
DEFAULT_API_VERSION = "2024-10-21"
KEY_ENV = "AZURE_OPENAI_API_KEY"
TOKEN_ENV = "AZURE_OPENAI_AD_TOKEN"


def deployment_url(endpoint: str, deployment: str, api_version: str) -> str:
    """``{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...``. Pure."""
    base = endpoint.rstrip("/")
    if base.endswith("/openai"):
        base = base[: -len("/openai")]
    return (
        f"{base}/openai/deployments/{quote(deployment, safe='')}/chat/completions"
        f"?api-version={quote(api_version, safe='')}"
    )


class AzureOpenAIProvider(OpenAIProvider):
    """``azure:/<deployment>`` at ``AZURE_OPENAI_ENDPOINT`` (``https://<resource>.openai.azure.com``).

    Authenticates with ``AZURE_OPENAI_API_KEY`` (``api-key`` header) or, when no key is set, with an
    Entra ID bearer token from ``AZURE_OPENAI_AD_TOKEN``; ``OPENAI_API_VERSION`` picks the API version.
    """

    name = "azure"
    api_key_envs: ClassVar[tuple[str, ...]] = (KEY_ENV, TOKEN_ENV)
    base_url_envs: ClassVar[tuple[str, ...]] = ("AZURE_OPENAI_ENDPOINT",)
    default_base_url = ""
    api_version_envs: ClassVar[tuple[str, ...]] = ("OPENAI_API_VERSION", "AZURE_OPENAI_API_VERSION")

    @property
    def api_version(self) -> str:
        return self._env(self.api_version_envs) or DEFAULT_API_VERSION

    def _credential(self) -> tuple[str, str]:
        """("key" | "token", value): an explicit or env key wins over a token."""
        key = self._api_key or self._env((KEY_ENV,))
        if key:
            return "key", key
        token = self._env((TOKEN_ENV,))
        if token:
            return "token", token
        raise ConfigError(
            f"No credentials for 'azure:/{self.model}': set {KEY_ENV} (the resource's key) or "
            f"{TOKEN_ENV} (an Entra ID access token for https://cognitiveservices.azure.com)."
        )

    def check_ready(self) -> None:
        self._credential()

    def url(self, request: ChatRequest) -> str:
        return deployment_url(self.base_url, self.model, self.api_version)

    def headers(self) -> dict[str, str]:
        kind, value = self._credential()
        h = {"Content-Type": "application/json"}
        if kind == "key":
            h["api-key"] = value
        else:
            h["Authorization"] = f"Bearer {value}"
        h.update(self.extra_headers)
        return h

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        # The deployment in the URL picks the model; "model" in the body is ignored by Azure.
        return oa.to_wire(request, self.model, self.params(request))

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        kw: dict[str, Any] = {"provider": self.name, "status": status, "body": body[:2000], "headers": headers}
        if status in (401, 403):
            return AuthError(
                f"azure refused the credentials (HTTP {status}): {error_message(body)}. Check {KEY_ENV} "
                f"(or {TOKEN_ENV}), and that AZURE_OPENAI_ENDPOINT is the resource the key belongs to.",
                **kw,
            )
        err = oa.map_error(self.name, status, body, headers, self.api_key_envs)
        if status == 404:
            err.args = (
                f"{err.args[0]} (is '{self.model}' a deployment on {self.base_url}, "
                f"with api-version {self.api_version} available there?)",
            )
        return err
