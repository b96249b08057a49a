"""Limits and budgets shared by gateway replicas through Redis (``JURIST_REDIS_URL``).

Each check-and-count is one Lua script, so it is atomic across replicas: a request is admitted only if
every counter it touches is under its limit, and then its request counters go up and its reservations
are added to the token and budget counters, in one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jurist.errors import ConfigError
from jurist.gateway._limits import Check

# KEYS: the counters. ARGV: per counter (limit, increments 0/1), then per counter its TTL in ms, then per
# counter the amount it reserves (added to a counter that does not increment).
_ADMIT = """
local n = #KEYS
for i = 1, n do
  local limit = tonumber(ARGV[2 * i - 1])
  local inc = tonumber(ARGV[2 * i])
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  if (inc == 1 and v + 1 > limit) or (inc == 0 and v >= limit) then
    return i
  end
end
for i = 1, n do
  if tonumber(ARGV[2 * i]) == 1 then
    local v = redis.call('INCR', KEYS[i])
    if v == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * n + i]) end
  else
    local r = tonumber(ARGV[3 * n + i] or '0')
    if r > 0 then
      redis.call('INCRBY', KEYS[i], r)
      if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * n + i]) end
    end
  end
end
return 0
"""

# KEYS: the counters. ARGV: per counter (amount, TTL in ms). Returns the new totals.
_ADD = """
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
end
return out
"""


class RedisBackend:
    """Counters in Redis, shared by every replica that uses the same URL and key prefix."""

    def __init__(self, url: str, timeout: float = 0.25) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:
            raise ConfigError(
                "JURIST_REDIS_URL is set but the 'redis' package is not installed: pip install 'jurist[gateway]'"
            ) from None
        try:
            self.client: Any = aioredis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        except ValueError as e:
            raise ConfigError(f"JURIST_REDIS_URL is not a Redis URL (redis://host:port/db): {e}") from None
        self._admit = self.client.register_script(_ADMIT)
        self._add = self.client.register_script(_ADD)

    async def ping(self) -> None:
        from redis.exceptions import RedisError

        try:
            await self.client.ping()
        except RedisError as e:
            raise ConfigError(f"cannot reach Redis at JURIST_REDIS_URL for shared limits and budgets: {e}") from None

    async def admit(self, checks: Sequence[Check]) -> int:
        args: list[int] = []
        for c in checks:
            args += [c.limit, 1 if c.increments else 0]
        args += [c.ttl_ms for c in checks]
        args += [c.reserve for c in checks]
        i = int(await self._admit(keys=[c.key for c in checks], args=args))
        return i - 1

    async def add(self, items: Sequence[tuple[str, int, int]]) -> list[int]:
        args: list[int] = []
        for _, amount, ttl in items:
            args += [amount, ttl]
        return [int(v) for v in await self._add(keys=[k for k, _, _ in items], args=args)]

    async def aclose(self) -> None:
        await self.client.aclose()
