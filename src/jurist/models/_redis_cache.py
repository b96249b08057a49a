"""The response cache in Redis (``JURIST_CACHE_URL=redis://host:6379/0``), shared by every process that
points at it: the workers of a cluster, several machines, CI runners.

Same keys and values as the on-disk cache (:mod:`jurist.models._cache`); the most recent answers are also
kept in memory. An answer is written to Redis before the judge that asked for it gets it, so a worker
killed mid-run has paid for no answer that its retry will not find. Redis failing (down, or slower than
its timeout) is a cache miss and a write left out, never a failed judgment: one warning says so.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from jurist.errors import ConfigError

log = logging.getLogger("jurist.models")

#: Prefix of every key, so that the cache can share a Redis with the gateway's limits.
PREFIX = "jurist:cache:"


class RedisCache:
    """Answers by key in Redis; the most recent ``max_entries`` in memory too."""

    def __init__(self, url: str, *, max_entries: int = 10_000, timeout: float = 1.0) -> None:
        try:
            import redis
            import redis.asyncio as aioredis
        except ImportError:
            raise ConfigError("JURIST_CACHE_URL is a Redis URL but the 'redis' package is not installed: "
                              "pip install 'jurist[ray]' (or redis)") from None
        try:
            self._async: Any = aioredis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            self._sync: Any = redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        except ValueError as e:
            raise ConfigError(f"JURIST_CACHE_URL is not a Redis URL (redis://host:port/db): {e}") from None
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.max_entries = max(0, int(max_entries))
        self._mem: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._warned = False

    def __len__(self) -> int:
        return len(self._mem)

    def _remember(self, key: str, value: dict[str, Any]) -> None:
        if self.max_entries == 0:
            return
        with self._lock:
            self._mem[key] = value
            self._mem.move_to_end(key)
            while len(self._mem) > self.max_entries:
                self._mem.popitem(last=False)

    def _recall(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self._mem.get(key)
            if hit is not None:
                self._mem.move_to_end(key)
            return hit

    def _failed(self, e: BaseException) -> None:
        if not self._warned:
            self._warned = True
            log.warning("the response cache at JURIST_CACHE_URL failed (%s: %s); judging goes on without it",
                        type(e).__name__, e)

    def _found(self, key: str, raw: Any) -> dict[str, Any] | None:
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)
        self._remember(key, value)
        return value

    def get(self, key: str) -> dict[str, Any] | None:
        hit = self._recall(key)
        if hit is not None:
            return hit
        try:
            return self._found(key, self._sync.get(PREFIX + key))
        except self._errors as e:
            self._failed(e)
            return None

    async def aget(self, key: str) -> dict[str, Any] | None:
        hit = self._recall(key)
        if hit is not None:
            return hit
        try:
            return self._found(key, await self._async.get(PREFIX + key))
        except self._errors as e:
            self._failed(e)
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._remember(key, value)
        try:
            self._sync.set(PREFIX + key, json.dumps(value, ensure_ascii=False))
        except self._errors as e:
            self._failed(e)

    async def aput(self, key: str, value: dict[str, Any]) -> None:
        """Keep ``value`` and return once Redis has it (or failed to take it)."""
        self._remember(key, value)
        try:
            await self._async.set(PREFIX + key, json.dumps(value, ensure_ascii=False))
        except self._errors as e:
            self._failed(e)

    def flush(self) -> None:
        """Nothing waits: every answer went to Redis as it came."""

    def clear(self) -> None:
        with self._lock:
            self._mem.clear()
        keys = list(self._sync.scan_iter(match=PREFIX + "*", count=1000))
        for i in range(0, len(keys), 1000):
            self._sync.delete(*keys[i:i + 1000])

    def close(self) -> None:
        from jurist._runtime import RUNTIME

        self._sync.close()
        RUNTIME.close_soon(self._async.aclose())
