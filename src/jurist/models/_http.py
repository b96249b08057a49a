"""The shared HTTP layer: one kept-alive aiohttp session per provider connection, a timeout on every
call, and the one retry loop of jurist (total time budget, ``Retry-After`` honoured, never stacked).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from jurist.errors import JuristError, ProviderTimeout, RateLimitError, ServerError

T = TypeVar("T")


@dataclass(frozen=True)
class HTTPResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Transport:
    """Owns the aiohttp sessions of the runtime loop, one per connection key (base URL + credentials)."""

    def __init__(self) -> None:
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        #: One ClientTimeout per distinct timeout: a request reuses it instead of building its own.
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def session(self, key: str) -> aiohttp.ClientSession:
        s = self._sessions.get(key)
        if s is None or s.closed:
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60, enable_cleanup_closed=True)
            s = aiohttp.ClientSession(
                connector=connector,
                json_serialize=json.dumps,
                auto_decompress=True,
                skip_auto_headers=("User-Agent",),
            )
            self._sessions[key] = s
        return s

    async def post(
        self,
        key: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        timeout: float,
        provider: str,
    ) -> HTTPResponse:
        session = self.session(key)
        limit = self._timeouts.get(timeout)
        if limit is None:
            if len(self._timeouts) >= 64:  # timeouts come from configuration: a few; never let them pile up
                self._timeouts.clear()
            limit = self._timeouts[timeout] = aiohttp.ClientTimeout(total=timeout)
        try:
            async with session.post(url, data=body, headers=headers, timeout=limit) as resp:
                data = await resp.read()
                return HTTPResponse(resp.status, resp.headers, data)
        except asyncio.TimeoutError as e:
            raise ProviderTimeout(
                f"{provider} did not answer within {timeout:g} s (raise it with inference_params={{'timeout': ...}})",
                provider=provider,
            ) from e
        except aiohttp.ClientConnectionError as e:
            raise ServerError(f"connection to {provider} failed: {type(e).__name__}: {e}", provider=provider) from e
        except aiohttp.ClientPayloadError as e:
            raise ServerError(f"{provider} sent a broken response: {e}", provider=provider) from e

    async def aclose(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for s in sessions.values():
            await s.close()


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    """How the one retry loop behaves: attempts, a total time budget, exponential backoff with jitter."""

    max_attempts: int = 6
    total_budget_s: float = 120.0
    base_backoff_s: float = 0.5
    max_backoff_s: float = 20.0

    def backoff(self, attempt: int) -> float:
        cap = min(self.max_backoff_s, self.base_backoff_s * float(2 ** (attempt - 1)))
        return cap / 2 + random.random() * cap / 2


async def call_with_retries(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_rate_limit: Callable[[RateLimitError], None] | None = None,
    on_retry: Callable[[JuristError, float], None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, a non-retryable error, or the attempts or time budget run out.

    The last error is raised as it is, so the caller sees what the provider said.
    """
    start = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await fn()
        except JuristError as e:
            if not e.retryable or attempt >= policy.max_attempts:
                raise
            delay = policy.backoff(attempt)
            if isinstance(e, RateLimitError):
                if on_rate_limit is not None:
                    on_rate_limit(e)
                if e.retry_after is not None:
                    delay = e.retry_after + random.random() * 0.05
            remaining = policy.total_budget_s - (time.monotonic() - start)
            if delay >= remaining:
                raise
            if on_retry is not None:
                on_retry(e, delay)
            await asyncio.sleep(delay)
