"""The model client: the one place a request is cached, limited, sent, retried, timed and costed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from jurist import _settings
from jurist._runtime import RUNTIME
from jurist.errors import ConfigError
from jurist.models._cache import ResponseCache, cache_key
from jurist.models._http import RetryPolicy, Transport
from jurist.models._limiter import AdaptiveLimiter
from jurist.models._pricing import cost_usd
from jurist.models._redis_cache import RedisCache
from jurist.models._send import send
from jurist.models._types import ChatRequest, ChatResponse
from jurist.models._uri import parse_model_uri
from jurist.models.providers import make_provider
from jurist.models.providers._base import Provider

#: Whether judgments in this context may read and write the response cache (``evaluate(cache=False)``).
CACHE_ENABLED: ContextVar[bool] = ContextVar("jurist_cache_enabled", default=True)

#: Per-connection ceiling on requests in flight (``JURIST_MAX_IN_FLIGHT``); 429s lower it adaptively.
DEFAULT_MAX_IN_FLIGHT = _settings.DEFAULT_MAX_IN_FLIGHT
DEFAULT_TIMEOUT_S = _settings.DEFAULT_TIMEOUT_S
DEFAULT_CACHE_MAX_ENTRIES = _settings.DEFAULT_CACHE_MAX_ENTRIES


class _Shared:
    """The model layer's part of the runtime: HTTP sessions, limiters, schema fallbacks, the response cache.

    Owned by the runtime (:func:`shared`); ``jurist.reset()`` drops it, and the next call makes a new one
    under the settings then in force.
    """

    def __init__(self, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, cache_dir: Path | None = None,
                 cache_max_entries: int = DEFAULT_CACHE_MAX_ENTRIES, cache_url: str | None = None) -> None:
        self.transport = Transport()
        self.limiters: dict[str, AdaptiveLimiter] = {}
        self.no_schema: set[str] = set()
        self.max_in_flight = max_in_flight
        self.cache_dir = cache_dir
        self.cache_max_entries = cache_max_entries
        self.cache_url = cache_url
        self._cache: ResponseCache | RedisCache | None = None
        #: Answers being fetched, by cache key: an identical request made meanwhile waits for that answer
        #: instead of paying for its own (all on the runtime's one loop).
        self.in_flight: dict[tuple[int, str], asyncio.Future[dict[str, Any]]] = {}

    @classmethod
    def from_settings(cls) -> _Shared:
        s = RUNTIME.settings
        return cls(s.max_in_flight, s.response_cache_dir, s.cache_max_entries, s.cache_url)

    @property
    def cache(self) -> ResponseCache | RedisCache:
        """The response cache: in Redis when ``JURIST_CACHE_URL`` says so (shared by a cluster), else on disk."""
        if self._cache is None:
            if self.cache_url:
                self._cache = RedisCache(self.cache_url, max_entries=self.cache_max_entries)
            else:
                path = (self.cache_dir or RUNTIME.settings.response_cache_dir) / "responses.sqlite"
                self._cache = ResponseCache(path, max_entries=self.cache_max_entries)
        return self._cache

    def limiter(self, key: str) -> AdaptiveLimiter:
        lim = self.limiters.get(key)
        if lim is None:
            lim = self.limiters[key] = AdaptiveLimiter(self.max_in_flight)
        return lim

    def flush(self) -> None:
        if self._cache is not None:
            self._cache.flush()

    def close(self) -> None:
        """Close the cache (writing what it holds) and the HTTP sessions."""
        cache, self._cache = self._cache, None
        if cache is not None:
            cache.close()
        RUNTIME.close_soon(self.transport.aclose())


def shared() -> _Shared:
    """The model layer's state, owned by the runtime."""
    return RUNTIME.part("models", _Shared.from_settings)


def reset_limits() -> None:
    """Forget learned rate limits and schema fallbacks (a new provider account, a test)."""
    sh = RUNTIME.peek("models")
    if isinstance(sh, _Shared):
        sh.limiters.clear()
        sh.no_schema.clear()


def flush_cache() -> None:
    """Write buffered cache entries to disk now."""
    sh = RUNTIME.peek("models")
    if isinstance(sh, _Shared):
        sh.flush()


class ModelClient:
    """Calls one model through its provider.

    The HTTP sessions, the limiter and the response cache are the process-wide ones unless given:
    ``transport`` posts every request, ``limiter`` paces them (by default one adaptive limiter per
    provider connection), ``cache`` keeps answers.

    Example:
        >>> client = ModelClient("openai:/gpt-4o-mini")   # doctest: +SKIP
        >>> await client.chat(ChatRequest(messages=(Message("user", "hi"),)))   # doctest: +SKIP
    """

    def __init__(
        self,
        uri: str,
        *,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
        limiter: AdaptiveLimiter | None = None,
        cache: ResponseCache | RedisCache | None = None,
    ) -> None:
        self.uri = str(uri)
        self.provider: Provider = make_provider(parse_model_uri(self.uri), base_url=base_url,
                                                extra_headers=extra_headers, api_key=api_key)
        self.timeout = float(timeout or RUNTIME.settings.timeout_s)
        self.provider.timeout = self.timeout
        self.retry = retry or RetryPolicy()
        self._transport = transport
        self._limiter = limiter
        self._cache = cache
        self._endpoint_id = f"{self.provider.connection_key}|{self.provider.model}"

    def check_ready(self) -> None:
        self.provider.check_ready()

    async def chat(self, request: ChatRequest, *, use_cache: bool = True) -> ChatResponse:
        """Send one request on the runtime loop (from any loop) and return the answer."""
        return await RUNTIME.arun(self._chat(request, use_cache))

    async def _chat(self, request: ChatRequest, use_cache: bool) -> ChatResponse:
        provider = self.provider
        sh = shared()
        cache: ResponseCache | RedisCache | None = None
        key = None
        if use_cache and provider.cacheable and CACHE_ENABLED.get() and request.params.get("temperature", 0) == 0:
            cache = self._cache if self._cache is not None else sh.cache
            key = cache_key(self.uri, provider.base_url, request.fingerprint())
            hit = await cache.aget(key)
            if hit is not None:
                resp = ChatResponse.from_cache(hit)
                resp.latency_ms = 0.0
                return resp
            flight = (id(cache), key)
            leader = sh.in_flight.get(flight)
            if leader is not None:
                try:
                    answer = await asyncio.shield(leader)
                except BaseException:  # the first caller failed or was cancelled: ask ourselves
                    if not leader.done():  # this caller itself was cancelled
                        raise
                else:
                    resp = ChatResponse.from_cache(answer)
                    resp.latency_ms = 0.0
                    return resp
            else:
                future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
                sh.in_flight[flight] = future
                try:
                    resp = await self._send(provider, request, sh)
                except Exception as e:
                    future.set_exception(e)
                    future.exception()  # retrieved: the callers waiting on it ask themselves
                    raise
                except BaseException:
                    future.cancel()
                    raise
                finally:
                    if sh.in_flight.get(flight) is future:
                        del sh.in_flight[flight]
                answer = resp.to_cache()
                future.set_result(answer)
                await cache.aput(key, answer)
                return resp
        resp = await self._send(provider, request, sh)
        if cache is not None and key is not None:
            await cache.aput(key, resp.to_cache())
        return resp

    async def _send(self, provider: Provider, request: ChatRequest, sh: _Shared) -> ChatResponse:
        start = time.perf_counter()
        endpoint, refused = self._endpoint_id, sh.no_schema
        resp = await send(
            provider, request,
            transport=self._transport if self._transport is not None else sh.transport,
            retry=self.retry,
            timeout=self.timeout,
            limiter=self._limiter if self._limiter is not None else sh.limiter(provider.connection_key),
            redact=self._redact,
            schema_ok=endpoint not in refused,
            # The endpoint rejects structured output: ask for prompt-only JSON from now on.
            on_schema_refused=lambda: refused.add(endpoint),
        )
        resp.latency_ms = (time.perf_counter() - start) * 1000.0
        resp.cost_usd = self._cost(resp)
        return resp

    def _cost(self, resp: ChatResponse) -> float | None:
        """From the price table by the URI's model, else by the model the provider says answered
        (an Azure deployment name says nothing, its answer's ``model`` does), else what the provider
        itself reported (LiteLLM's own price map)."""
        u = resp.usage
        cost = cost_usd(self.provider.model, u.input_tokens, u.output_tokens)
        if cost is None and resp.model:
            cost = cost_usd(resp.model, u.input_tokens, u.output_tokens)
        return cost if cost is not None else resp.cost_usd

    def _redact(self, text: str) -> str:
        """Keys never travel in errors, even when a provider echoes them back."""
        try:
            key = self.provider.api_key
        except ConfigError:
            key = None
        if key and len(key) >= 6:
            return text.replace(key, "***")
        return text
