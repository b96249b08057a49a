"""What a provider is: pure translation to and from its wire format, its URL and auth, its errors.

A provider module holds, in this order: pure ``to_wire``/``from_wire`` functions (no I/O, tested
against golden JSON), a :class:`Provider` subclass naming the URL, auth and capabilities, and an error
mapper from status/body/headers to jurist's error tree. Sending, retrying, limiting, caching and
costing are done once, for every provider, by :class:`jurist.models.ModelClient`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from typing import Any, ClassVar

from jurist.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
)
from jurist.models._http import parse_retry_after
from jurist.models._types import KNOWN_PARAMS, ChatRequest, ChatResponse

log = logging.getLogger("jurist.models")


class Provider:
    """Base class of a provider adapter. Subclasses set the class attributes and the three hooks."""

    #: The URI scheme, as in ``openai:/gpt-4o-mini`` (one class may serve several: LiteLLM's).
    name: str = ""
    #: Env vars read for the API key, in order; the first is named in errors.
    api_key_envs: ClassVar[tuple[str, ...]] = ()
    #: Whether a key is required (self-hosted servers need none).
    requires_key: ClassVar[bool] = True
    base_url_envs: ClassVar[tuple[str, ...]] = ()
    default_base_url: ClassVar[str] = ""
    #: Inference parameters the wire format carries; others are dropped with a debug log.
    supported_params: ClassVar[frozenset[str]] = frozenset(KNOWN_PARAMS)
    supports_response_schema: ClassVar[bool] = True
    #: Whether the wire module carries ``ChatRequest.tools`` and tool calls/results (native tool calling).
    supports_tools: ClassVar[bool] = False

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        api_key: str | None = None,
    ) -> None:
        self.model = model
        self.base_url = (base_url or self._env(self.base_url_envs) or self.default_base_url).rstrip("/")
        if not self.base_url:
            envs = " or ".join(self.base_url_envs) or "base_url"
            raise ConfigError(f"No endpoint for provider '{self.name}': set {envs}, or pass base_url=...")
        self.extra_headers = dict(extra_headers or {})
        self._api_key = api_key
        #: The client's per-call timeout in seconds; in-process providers pass it on to their library.
        self.timeout: float | None = None

    @staticmethod
    def _env(names: tuple[str, ...]) -> str | None:
        for n in names:
            v = os.environ.get(n)
            if v:
                return v
        return None

    @property
    def api_key(self) -> str | None:
        key = self._api_key or self._env(self.api_key_envs)
        if not key and self.key_required():
            env = " or ".join(self.api_key_envs)
            raise ConfigError(
                f"No API key for '{self.name}:/{self.model}': set the environment variable {env} "
                f"(or pick another judge model with model='<provider>:/<model>' or JURIST_DEFAULT_MODEL)."
            )
        return key

    def key_required(self) -> bool:
        """Whether a missing key is a ConfigError now (rather than the server's 401 later)."""
        return self.requires_key

    def check_ready(self) -> None:
        """Raise ConfigError now if the provider cannot be called (missing key, bad endpoint)."""
        _ = self.api_key

    @property
    def connection_key(self) -> str:
        """Identifies one connection: requests sharing it share an HTTP session and a limiter."""
        key = self._api_key or self._env(self.api_key_envs) or ""
        last = self.__dict__.get("_connection")
        if last is not None and last[0] == key:  # asked twice per request: hashed once per key
            return last[1]  # type: ignore[no-any-return]
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        found = f"{self.name}|{self.base_url}|{digest}"
        self.__dict__["_connection"] = (key, found)
        return found

    @classmethod
    def for_scheme(
        cls,
        scheme: str,
        model: str,
        *,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        api_key: str | None = None,
    ) -> Provider:
        """The provider for ``<scheme>:/<model>``; a class that serves several schemes overrides this."""
        return cls(model, base_url=base_url, extra_headers=extra_headers, api_key=api_key)

    # -- the hooks ------------------------------------------------------------------------------
    #: In-process providers (a local model) answer through ``complete`` instead of HTTP.
    in_process: ClassVar[bool] = False
    #: Whether answers may be kept in the response cache (``fake:/`` answers are scripted: never).
    cacheable: ClassVar[bool] = True

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer without HTTP; only for ``in_process`` providers. Runs on the runtime loop."""
        raise NotImplementedError

    def url(self, request: ChatRequest) -> str:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def sign(self, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """The headers to send with this exact body, just before each attempt.

        Most providers send ``headers`` as they are; request-signing ones (AWS SigV4) add a fresh
        signature here, so that a retried attempt is signed again.
        """
        return headers

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        raise NotImplementedError

    def from_wire(self, body: Any) -> ChatResponse:
        raise NotImplementedError

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        return default_error(self.name, status, body, headers, key_env=self.api_key_envs[:1])

    # -- helpers --------------------------------------------------------------------------------
    def params(self, request: ChatRequest) -> dict[str, Any]:
        """The request's inference parameters this provider carries (the rest dropped, logged)."""
        out = {}
        for k, v in request.params.items():
            if v is None:
                continue
            if k in self.supported_params:
                out[k] = v
            else:
                log.debug("provider %s does not take inference parameter %r; dropped", self.name, k)
        return out


def missing_extra(extra: str, package: str, what: str) -> ConfigError:
    """The error for an optional dependency that is not installed, saying how to install it."""
    return ConfigError(
        f"{what} needs the optional package '{package}', which is not installed: pip install 'jurist[{extra}]'"
    )


def error_message(body: str) -> str:
    """The human part of a provider's JSON error body, or the body itself, trimmed."""
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:500] or "(empty body)"
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("msg")
            if msg:
                return str(msg)[:500]
        elif isinstance(err, str):
            return err[:500]
        if isinstance(data.get("message"), str):
            return str(data["message"])[:500]
    return body.strip()[:500]


def default_error(
    provider: str, status: int, body: str, headers: Mapping[str, str], *, key_env: tuple[str, ...] = ()
) -> ProviderError:
    """Map an HTTP failure by status alone; providers refine it by body."""
    msg = error_message(body)
    kw: dict[str, Any] = {"provider": provider, "status": status, "body": body[:2000], "headers": headers}
    if status in (401, 403):
        hint = f" Check {key_env[0]}." if key_env else ""
        return AuthError(f"{provider} refused the credentials (HTTP {status}): {msg}.{hint}", **kw)
    if status == 429:
        return RateLimitError(
            f"{provider} rate limit (HTTP 429): {msg}", retry_after=parse_retry_after(headers), **kw
        )
    if status == 408:
        return ProviderTimeout(f"{provider} timed out (HTTP 408): {msg}", **kw)
    if status >= 500:
        return ServerError(f"{provider} server error (HTTP {status}): {msg}", **kw)
    if 400 <= status < 500:
        return BadRequestError(f"{provider} rejected the request (HTTP {status}): {msg}", **kw)
    return ProviderError(f"{provider} answered HTTP {status}: {msg}", **kw)
