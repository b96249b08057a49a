"""Every other provider LiteLLM knows (``xai:/``, ``groq:/``, ``deepseek:/``, ``fireworks:/`` …), and
``litellm:/<litellm-model>`` for any LiteLLM model string (``litellm:/vertex_ai/gemini-2.0-flash``).

LiteLLM is an optional extra (``pip install 'jurist[litellm]'``) and is imported on the first call
only. It runs in-process: jurist's client still owns the retry loop, the limiter, the timeout, the
cache and the cost, so LiteLLM is called with ``num_retries=0`` and ``max_retries=0`` (its OpenAI
SDK clients would otherwise retry too) and its exceptions are mapped onto jurist's error tree.

Before the import, ``LITELLM_LOCAL_MODEL_COST_MAP=True`` is set (unless the user set it): LiteLLM
otherwise downloads its model price map from GitHub at import, and an offline machine hangs there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from jurist.errors import (
    AuthError,
    BadRequestError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    SchemaUnsupportedError,
    ServerError,
)
from jurist.models._http import parse_retry_after
from jurist.models._types import ChatRequest, ChatResponse
from jurist.models.providers import openai as oa
from jurist.models.providers._base import Provider, missing_extra

#: jurist scheme → LiteLLM provider prefix, where they differ.
LITELLM_NAMES: dict[str, str] = {"fireworks": "fireworks_ai"}
#: LiteLLM provider → the env var it reads the key from, where not ``<PROVIDER>_API_KEY``.
KEY_ENVS: dict[str, str] = {"perplexity": "PERPLEXITYAI_API_KEY", "huggingface": "HF_TOKEN",
                            "vertex_ai": "GOOGLE_APPLICATION_CREDENTIALS"}


def import_litellm(what: str = "this provider") -> Any:
    """Import LiteLLM without letting it reach the network, or say how to install it."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_MODE", "PRODUCTION")  # older versions load a .env file in "DEV" mode
    try:
        import litellm
    except ImportError as e:
        raise missing_extra("litellm", "litellm", what) from e
    litellm.suppress_debug_info = True
    if hasattr(litellm, "telemetry"):
        litellm.telemetry = False
    return litellm


def litellm_installed_providers() -> frozenset[str]:
    """The provider names the installed LiteLLM knows; empty when it is not installed."""
    import importlib.util

    if importlib.util.find_spec("litellm") is None:
        return frozenset()
    litellm = import_litellm()
    return frozenset(getattr(p, "value", p) for p in litellm.provider_list)


def to_litellm(request: ChatRequest, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``litellm.acompletion`` arguments: OpenAI's format, which LiteLLM translates. Pure."""
    kwargs: dict[str, Any] = {"model": model, "messages": [oa.wire_message(m) for m in request.messages], **params}
    if request.response_schema is not None:
        kwargs["response_format"] = oa.response_format(request.response_schema)
    if request.tools:
        kwargs["tools"] = [oa.wire_tool(t) for t in request.tools]
        if request.tool_choice is not None:
            kwargs["tool_choice"] = oa.wire_tool_choice(request.tool_choice)
    return kwargs


def from_litellm(body: Mapping[str, Any], provider: str, cost: float | None = None) -> ChatResponse:
    """A LiteLLM ``ModelResponse`` (as its OpenAI-shaped dict) to a ChatResponse, with LiteLLM's cost."""
    resp = oa.from_wire(body, provider)
    resp.cost_usd = cost
    return resp


def _names(e: BaseException) -> set[str]:
    return {c.__name__ for c in type(e).__mro__}


def _headers(e: BaseException) -> dict[str, str]:
    for source in (getattr(e, "litellm_response_headers", None), getattr(e, "headers", None),
                   getattr(getattr(e, "response", None), "headers", None)):
        if source:
            try:
                return {str(k).lower(): str(v) for k, v in dict(source).items()}
            except (TypeError, ValueError):
                continue
    return {}


def map_exception(provider: str, e: BaseException, key_env: str, api_key: str | None = None) -> ProviderError:
    """A LiteLLM (or OpenAI SDK) exception as jurist's error, by class and status code."""
    names = _names(e)
    status = getattr(e, "status_code", None)
    status = status if isinstance(status, int) else None
    msg = str(getattr(e, "message", None) or e)
    if api_key and len(api_key) >= 6:  # before the message is cut: a key cut in two is not recognised later
        msg = msg.replace(api_key, "***")
    msg = msg[:500]
    low = msg.lower()
    headers = _headers(e)
    kw: dict[str, Any] = {"provider": provider, "status": status, "body": msg, "headers": headers}
    if "ContextWindowExceededError" in names:
        return ContextLengthError(f"{provider}: the prompt is too long for the model: {msg}", **kw)
    if "ContentPolicyViolationError" in names:
        return ContentFilteredError(f"{provider} content filter: {msg}", **kw)
    if names & {"AuthenticationError", "PermissionDeniedError"} or status in (401, 403):
        return AuthError(f"{provider} refused the credentials (HTTP {status}): {msg}. Check {key_env}.", **kw)
    if "RateLimitError" in names or status == 429:
        return RateLimitError(f"{provider} rate limit (HTTP 429): {msg}", retry_after=parse_retry_after(headers),
                              **kw)
    if names & {"Timeout", "APITimeoutError"} or status == 408:
        return ProviderTimeout(f"{provider} did not answer in time: {msg}", **kw)
    if (names & {"ServiceUnavailableError", "InternalServerError", "BadGatewayError", "APIConnectionError"}
            or (status is not None and status >= 500)):
        return ServerError(f"{provider} server error (HTTP {status}): {msg}", **kw)
    if names & {"BadRequestError", "UnprocessableEntityError", "NotFoundError"} or (status and 400 <= status < 500):
        if "response_format" in low or "json_schema" in low:
            return SchemaUnsupportedError(f"{provider} does not accept the output schema: {msg}", **kw)
        return BadRequestError(f"{provider} rejected the request (HTTP {status}): {msg}", **kw)
    return ProviderError(f"{provider} failed: {type(e).__name__}: {msg}", **kw)


class LiteLLMProvider(Provider):
    """``litellm:/<provider>/<model>``, and each scheme LiteLLM serves (``xai:/grok-3``): one class, whose
    instances carry their scheme. Keys are LiteLLM's own env vars (``XAI_API_KEY`` …)."""

    name = "litellm"
    in_process = True
    requires_key = False  # LiteLLM finds each provider's credentials itself
    supports_tools = True  # in OpenAI's format, which LiteLLM translates

    def __init__(self, model: str, *, base_url: str | None = None,
                 extra_headers: Mapping[str, str] | None = None, api_key: str | None = None,
                 scheme: str = "litellm") -> None:
        self.model = model
        self.name = scheme
        #: The LiteLLM provider prefix; empty for ``litellm:/`` where the model string carries it.
        self.litellm_provider = "" if scheme == "litellm" else LITELLM_NAMES.get(scheme, scheme)
        # No default endpoint: LiteLLM knows each provider's.
        self.base_url = (base_url or "").rstrip("/")
        self.extra_headers = dict(extra_headers or {})
        self._api_key = api_key
        self.timeout = None

    @classmethod
    def for_scheme(cls, scheme: str, model: str, *, base_url: str | None = None,
                   extra_headers: Mapping[str, str] | None = None, api_key: str | None = None) -> Provider:
        return cls(model, base_url=base_url, extra_headers=extra_headers, api_key=api_key, scheme=scheme)

    @property
    def litellm_model(self) -> str:
        return f"{self.litellm_provider}/{self.model}" if self.litellm_provider else self.model

    @property
    def key_env(self) -> str:
        prov = self.litellm_provider or self.model.split("/", 1)[0]
        return KEY_ENVS.get(prov, f"{prov.upper()}_API_KEY")

    @property
    def api_key(self) -> str | None:
        return self._api_key or os.environ.get(self.key_env) or None

    def check_ready(self) -> None:
        import_litellm(f"'{self.name}:/{self.model}' (served through LiteLLM)")

    async def complete(self, request: ChatRequest) -> ChatResponse:
        litellm = import_litellm(f"'{self.name}:/{self.model}' (served through LiteLLM)")
        kwargs = to_litellm(request, self.litellm_model, self.params(request))
        # One retry loop in jurist: none in LiteLLM, none in the OpenAI SDK clients it drives.
        kwargs.update(num_retries=0, max_retries=0, drop_params=True)
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        if self.base_url:
            kwargs["api_base"] = self.base_url
        if self._api_key:
            kwargs["api_key"] = self._api_key
        if self.extra_headers:
            kwargs["extra_headers"] = dict(self.extra_headers)
        try:
            resp = await litellm.acompletion(**kwargs)
        except Exception as e:
            raise map_exception(self.name, e, self.key_env, self.api_key) from e
        hidden = getattr(resp, "_hidden_params", None) or {}
        cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
        return from_litellm(resp.model_dump(), self.name, cost if isinstance(cost, (int, float)) else None)
